// The /v1 client: the bearer key from localStorage, problem+json errors, and an SSE reader
// over fetch() (EventSource cannot send an Authorization header).

const KEY_STORAGE = "dom.console.apiKey";

export function getKey() {
  try {
    return localStorage.getItem(KEY_STORAGE) || "";
  } catch {
    return "";
  }
}

/**
 * Why ``key`` cannot be sent as a bearer key, or "" when it can. A header value carries
 * Latin-1 only (fetch() throws on anything else), and keys are printable ASCII with no spaces.
 */
export function keyProblem(key) {
  const bad = [...key].find((c) => c < "!" || c > "~");
  if (bad === undefined) return "";
  const shown = bad.trim() ? `"${bad}"` : "a space";
  const code = bad.codePointAt(0).toString(16).toUpperCase().padStart(4, "0");
  return `An API key is printable ASCII only (letters, digits and punctuation, no spaces); ` +
    `it has ${shown} (U+${code}). A typographic dash or quote often slips in when a key is ` +
    "copied from a document: type it again.";
}

export function setKey(key) {
  localStorage.setItem(KEY_STORAGE, key.trim());
  window.dispatchEvent(new CustomEvent("dom:key-changed"));
}

export function clearKey() {
  localStorage.removeItem(KEY_STORAGE);
  window.dispatchEvent(new CustomEvent("dom:key-changed"));
}

/** An error answer from the API, with the problem+json ``detail`` a person can act on. */
export class ApiError extends Error {
  constructor(status, detail, problem = null) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
  }
}

function describe(status, statusText, problem) {
  if (problem && typeof problem === "object") {
    let text = problem.detail || problem.title || `${status} ${statusText}`;
    // The detail often sums the errors up already (the API's validation detail names the first
    // few): add only those it does not say, so each is said once.
    const parts = (Array.isArray(problem.errors) ? problem.errors : [])
      .filter((e) => e && !text.includes(String(e.msg)))
      .map((e) => {
        const loc = Array.isArray(e.loc) ? e.loc.filter((p) => p !== "body").join(".") : "";
        return loc ? `${loc}: ${e.msg}` : String(e.msg);
      });
    if (parts.length) text += ` (${parts.join("; ")})`;
    return text;
  }
  return `${status} ${statusText || "error"}`;
}

async function failure(response) {
  let problem = null;
  try {
    problem = await response.json();
  } catch {
    problem = null;
  }
  if (response.status === 401) {
    window.dispatchEvent(new CustomEvent("dom:unauthorized"));
  }
  return new ApiError(response.status, describe(response.status, response.statusText, problem),
    problem);
}

function urlFor(path, params) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== "") {
      url.searchParams.set(name, String(value));
    }
  }
  return url;
}

function headers(extra = {}) {
  const found = { Accept: "application/json", ...extra };
  const key = getKey();
  const problem = key ? keyProblem(key) : "";
  if (problem) {
    // A key saved before it was checked (or by hand): fetch() would throw a TypeError that
    // reads like a network failure on every page. Ask for the key again instead.
    window.dispatchEvent(new CustomEvent("dom:unauthorized", {
      detail: { problem: `The saved API key cannot be sent. ${problem}` } }));
    throw new ApiError(0, `The saved API key cannot be sent. ${problem}`);
  }
  if (key) found.Authorization = `Bearer ${key}`;
  return found;
}

/** A fetch() that failed before any answer: the network, or a request it could not build. */
function unsent(error) {
  if (error.name === "AbortError" || error instanceof ApiError) return error;
  // Chromium says "Failed to fetch", Firefox "NetworkError…", Safari "Load failed"; a request
  // it refuses to build (a header it cannot carry) says "Failed to execute 'fetch'…".
  if (error instanceof TypeError && /Failed to execute|header|ISO-8859-1/i.test(error.message)) {
    return new ApiError(0, `The browser could not make the request (${error.message}).`);
  }
  return new ApiError(0, `The server could not be reached (${error.message}).`);
}

/** Call the API; resolves to the JSON body (with ``_status`` and ``_location`` attached). */
export async function api(path, { method = "GET", params, body, signal } = {}) {
  const init = { method, signal, cache: "no-store",
    headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }) };
  if (body !== undefined) init.body = JSON.stringify(body);
  let response;
  try {
    response = await fetch(urlFor(path, params), init);
  } catch (error) {
    throw unsent(error);
  }
  if (!response.ok) throw await failure(response);
  if (response.status === 204) return null;
  const data = await response.json();
  if (data && typeof data === "object" && !Array.isArray(data)) {
    Object.defineProperty(data, "_status", { value: response.status });
    Object.defineProperty(data, "_location", { value: response.headers.get("Location") });
  }
  return data;
}

/**
 * The pages of a list endpoint until it ends or ``maxItems`` are read: ``{items, more}``, where
 * ``more`` says the list goes on past what was read (the caller must say so, never cut silently).
 */
export async function listPages(path, params = {}, { maxItems = Infinity, signal } = {}) {
  const items = [];
  let cursor = null;
  do {
    const data = await api(path, { params: { ...params, limit: 100, cursor }, signal });
    items.push(...data.items);
    cursor = data.next_cursor;
  } while (cursor && items.length < maxItems);
  return { items, more: Boolean(cursor) };
}

/** Every item of a list endpoint, all its pages. */
export async function allPages(path, params = {}, { signal } = {}) {
  return (await listPages(path, params, { signal })).items;
}

/** The API's OpenAPI paths (no key needed), or null when it cannot be read. */
let openapiPaths = null;
export async function apiPaths() {
  if (openapiPaths) return openapiPaths;
  try {
    const response = await fetch("/openapi.json", { cache: "no-store" });
    if (!response.ok) return null;
    openapiPaths = Object.keys((await response.json()).paths || {});
    return openapiPaths;
  } catch {
    return null;
  }
}

/**
 * Read a text/event-stream with fetch(): calls ``onEvent({id, event, data})`` for each event.
 * Resolves when the server ends the stream; rejects with ApiError on an error status (404 when
 * the route is not there) and with AbortError when ``signal`` aborts.
 */
export async function readEventStream(path, { lastEventId, signal, onOpen, onEvent }) {
  const extra = { Accept: "text/event-stream" };
  if (lastEventId !== undefined && lastEventId !== null) {
    extra["Last-Event-ID"] = String(lastEventId);
  }
  const init = { headers: headers(extra), signal, cache: "no-store" };
  let response;
  try {
    response = await fetch(urlFor(path), init);
  } catch (error) {
    throw unsent(error);
  }
  if (!response.ok) throw await failure(response);
  const type = response.headers.get("Content-Type") || "";
  if (!type.startsWith("text/event-stream") || !response.body) {
    throw new ApiError(415, `expected text/event-stream, got ${type || "no body"}`);
  }
  if (onOpen) onOpen();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let data = [];
  let id = null;
  let event = "message";
  const dispatchLine = (line) => {
    if (line === "") {
      if (data.length) onEvent({ id, event, data: data.join("\n") });
      data = [];
      event = "message";
      return;
    }
    if (line.startsWith(":")) return; // a comment (keep-alive ping)
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") data.push(value);
    else if (field === "id") id = value;
    else if (field === "event") event = value;
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      // Lines end with \r\n, \n or \r; a trailing \r may be the first half of a \r\n.
      let match;
      const ending = /\r\n|\n|\r(?!$)/g;
      let start = 0;
      while ((match = ending.exec(buffer)) !== null) {
        dispatchLine(buffer.slice(start, match.index));
        start = match.index + match[0].length;
      }
      buffer = buffer.slice(start);
    }
  } finally {
    reader.releaseLock();
  }
}
