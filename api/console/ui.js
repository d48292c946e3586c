// Small DOM helpers shared by the pages: element building, formatting, messages.

/** h("a", {href: "#", class: "x", onclick: fn}, "text", child, [more]) → an element. */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "class") {
      element.className = value;
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (value === true) {
      element.setAttribute(name, "");
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : String(child));
  }
}

export function clear(element) {
  while (element.firstChild) element.firstChild.remove();
  return element;
}

/** An error box (role=alert) with the API's ``detail``. */
export function errorBox(error, prefix = "") {
  const text = error && error.message ? error.message : String(error);
  return h("div", { class: "error", role: "alert" },
    h("strong", {}, prefix || "Something went wrong: "), text);
}

export function notice(text, kind = "info") {
  return h("p", { class: `notice ${kind}` }, text);
}

/** A short message in the header's live region, cleared after a while. */
let flashTimer = null;
export function flash(text) {
  const box = document.getElementById("flash");
  if (!box) return;
  box.textContent = text;
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => { box.textContent = ""; }, 6000);
}

export function fmtDate(value, { seconds = false } = {}) {
  if (!value) return "—";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit",
    minute: "2-digit", ...(seconds ? { second: "2-digit" } : {}),
    ...(date.getFullYear() !== new Date().getFullYear() ? { year: "numeric" } : {}) });
}

export function timeTag(value, options) {
  return h("time", { datetime: value || "", title: value || "" }, fmtDate(value, options));
}

export function fmtMoney(value, currency = "USD") {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return "—";
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(value);
  } catch {
    return `${Number(value).toFixed(2)} ${currency}`;
  }
}

export function fmtNum(value, digits = 2) {
  if (value === null || value === undefined || value === "") return "—";
  const number = Number(value);
  if (!Number.isFinite(number)) return String(value);
  return number.toLocaleString(undefined, { maximumFractionDigits: digits });
}

export function fmtPercent(value) {
  if (value === null || value === undefined) return "—";
  return `${(Number(value) * 100).toLocaleString(undefined, { maximumFractionDigits: 1 })}%`;
}

export function label(text) {
  return String(text || "").replaceAll("_", " ");
}

export function statusBadge(status) {
  return h("span", { class: `badge status-${status}` }, label(status));
}

/** A table with a caption, header cells with scope=col and one row per item. */
export function table(caption, columns, rows, { empty = "Nothing to show." } = {}) {
  const head = h("thead", {}, h("tr", {}, columns.map((c) =>
    h("th", { scope: "col", class: c.num ? "num" : null }, c.label))));
  const body = h("tbody", {});
  if (!rows.length) {
    body.append(h("tr", {}, h("td", { colspan: columns.length, class: "muted" }, empty)));
  }
  for (const row of rows) {
    body.append(h("tr", {}, columns.map((c) =>
      h("td", { class: c.num ? "num" : null, "data-label": c.label }, c.cell(row)))));
  }
  return h("div", { class: "table-wrap" },
    h("table", {}, caption ? h("caption", {}, caption) : null, head, body));
}

/** The hash route's query (``#/orders?status=x`` → {status: "x"}). */
export function hashQuery() {
  const hash = window.location.hash || "";
  const at = hash.indexOf("?");
  return Object.fromEntries(new URLSearchParams(at < 0 ? "" : hash.slice(at + 1)));
}

export function setHashQuery(base, query) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(name, value);
  }
  const text = params.toString();
  const hash = text ? `${base}?${text}` : base;
  if (window.location.hash === hash) {
    // The same URL fires no hashchange, yet a click on Apply or Show stock means "again".
    window.dispatchEvent(new HashChangeEvent("hashchange",
      { oldURL: window.location.href, newURL: window.location.href }));
    return;
  }
  window.location.hash = hash;
}
