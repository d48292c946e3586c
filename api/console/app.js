// The console's shell: asks for an API key once (kept in localStorage), then routes
// #/orders, #/orders/{id}, #/escalations, #/stock and #/planner to their pages.

import { clearKey, getKey, setKey } from "/console/api.js";
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
  Promise.resolve(found.page(view, { signal, id: match[1] ? decodeURIComponent(match[1]) : null }))
    .catch((error) => {
      if (error && error.name === "AbortError") return;
      view.append(h("div", { class: "error", role: "alert" }, String(error && error.message)));
    });
}

document.getElementById("change-key").addEventListener("click", () => {
  clearKey();
  route();
});

window.addEventListener("dom:unauthorized", () => {
  keyProblem = "The server did not accept that API key (401). Enter a valid key.";
  clearKey();
  route();
});

window.addEventListener("hashchange", route);
window.addEventListener("storage", (event) => {
  if (event.key && event.key.startsWith("dom.console.apiKey")) route();
});

if (!window.location.hash) window.history.replaceState(null, "", "#/orders");
route();
