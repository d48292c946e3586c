// The console's shell: asks for an API key once (kept in localStorage), then routes
// #/orders, #/orders/{id}, #/escalations, #/stock and #/planner to their pages.

import { clearKey, getKey, keyProblem as keyRefusal, setKey } from "/console/api.js";
import { render as escalationsPage } from "/console/page-escalations.js";
import { render as orderPage } from "/console/page-order.js";
import { render as ordersPage } from "/console/page-orders.js";
import { render as plannerPage } from "/console/page-planner.js";
import { render as stockPage } from "/console/page-stock.js";
import { clear, flash, h } from "/console/ui.js";

const ROUTES = [
  { pattern: /^#\/orders\/([^/?]+)/, nav: "orders", page: orderPage },
  { pattern: /^#\/orders(\?|$)/, nav: "orders", page: ordersPage },
  { pattern: /^#\/escalations(\?|$)/, nav: "escalations", page: escalationsPage },
  { pattern: /^#\/stock(\?|$)/, nav: "stock", page: stockPage },
  { pattern: /^#\/planner(\?|$)/, nav: "planner", page: plannerPage },
];

const view = document.getElementById("view");
let current = null; // the AbortController of the page on screen
let currentNav = null; // the section on screen: a page is "entered" when this changes
let keyProblem = "";

function maskedKey(key) {
  return key.length <= 4 ? "••••" : `${key.slice(0, 3)}…${key.slice(-2)}`;
}

function showKeyStatus() {
  const key = getKey();
  document.getElementById("key-label").textContent = key ? `Key ${maskedKey(key)}` : "No API key";
  document.getElementById("change-key").hidden = !key;
}

function keyForm() {
  const input = h("input", { id: "api-key", name: "api-key", type: "password", required: true,
    autocomplete: "off", spellcheck: "false", "aria-describedby": "api-key-help" });
  const form = h("form", { class: "key-form card", "aria-labelledby": "key-heading",
    onsubmit: (event) => {
      event.preventDefault();
      const key = input.value.trim();
      if (!key) return;
      // Refused here, not saved: a key fetch() cannot send would fail every request.
      const refusal = keyRefusal(key);
      if (refusal) {
        input.setAttribute("aria-invalid", "true");
        form.querySelector(".key-refused")?.remove();
        input.before(h("div", { class: "error key-refused", role: "alert" }, refusal));
        input.focus();
        return;
      }
      keyProblem = "";
      setKey(key);
      flash("API key saved in this browser.");
      if (!window.location.hash || window.location.hash === "#/key") {
        window.location.hash = "#/orders";
      } else {
        route();
      }
    } },
  h("h1", { id: "key-heading" }, "Enter your API key"),
  keyProblem ? h("div", { class: "error", role: "alert" }, keyProblem) : null,
  h("p", { id: "api-key-help" }, "The console calls the dom API with your key ",
    h("code", {}, "Authorization: Bearer <key>"),
    ". It is kept in this browser's local storage until you change it. Your role decides ",
    "which pages work: ops for orders and escalations, planner for scenarios."),
  h("label", { for: "api-key" }, "API key"), input,
  h("div", { class: "actions" }, h("button", { type: "submit" }, "Save key")));
  return form;
}

function route() {
  if (current) current.abort();
  current = new AbortController();
  showKeyStatus();
  clear(view);
  for (const link of document.querySelectorAll("[data-nav]")) link.removeAttribute("aria-current");
  if (!getKey()) {
    currentNav = null;
    document.title = "API key — dom console";
    view.append(keyForm());
    document.getElementById("api-key").focus();
    return;
  }
  const hash = window.location.hash || "#/orders";
  const found = ROUTES.find((r) => r.pattern.test(hash));
  if (!found) {
    window.location.hash = "#/orders";
    return;
  }
  const link = document.querySelector(`[data-nav="${found.nav}"]`);
  if (link) link.setAttribute("aria-current", "page");
  const match = hash.match(found.pattern);
  const signal = current.signal;
  const entered = found.nav !== currentNav;
  currentNav = found.nav;
  const id = match[1] ? decodedId(match[1]) : null;
  if (id === undefined) {
    invalidLink(match[1]);
    return;
  }
  Promise.resolve(found.page(view, { signal, id, entered }))
    .catch((error) => {
      if (signal.aborted || (error && error.name === "AbortError")) return;
      view.append(h("div", { class: "error", role: "alert" }, String(error && error.message)));
    });
}

/** The id in a link, or undefined when its percent-escapes are broken (``%``, ``%zz``). */
function decodedId(raw) {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/** A hand-edited or cut-off order link: say so, and offer the way back. */
function invalidLink(raw) {
  document.title = "Not a valid order link — dom console";
  view.append(h("p", {}, h("a", { href: "#/orders" }, "← All orders")),
    h("h1", {}, "Not a valid order link"),
    h("div", { class: "error", role: "alert" }, h("strong", {}, "This is not a valid order link: "),
      h("code", {}, raw), " is not a well-formed order id (a ",
      h("code", {}, "%"), " must be followed by two hex digits). ",
      h("a", { href: "#/orders" }, "Go back to the orders"), " and open the order from there."));
}

document.getElementById("change-key").addEventListener("click", () => {
  clearKey();
  route();
});

window.addEventListener("dom:unauthorized", (event) => {
  keyProblem = event.detail?.problem ||
    "The server did not accept that API key (401). Enter a valid key.";
  clearKey();
  route();
});

window.addEventListener("hashchange", route);
window.addEventListener("storage", (event) => {
  if (event.key && event.key.startsWith("dom.console.apiKey")) {
    currentNav = null; // another tab changed the key: what pages kept for a visit is stale
    route();
  }
});

if (!window.location.hash) window.history.replaceState(null, "", "#/orders");
route();
