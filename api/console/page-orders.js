// The orders board: every channel's orders, filtered by status, channel and customer, with
// cursor paging (the filters and the cursor live in the URL, so Back and links work).

import { api } from "/console/api.js";
import { errorBox, fmtDate, fmtMoney, h, hashQuery, label, setHashQuery, statusBadge, table }
  from "/console/ui.js";

export const STATUSES = ["received", "on_hold", "payment_confirmed", "allocated",
  "partially_allocated", "backordered", "in_fulfillment", "partially_shipped", "shipped",
  "delivered", "ready_for_pickup", "picked_up", "completed", "cancelled"];
const CHANNELS = ["web", "store", "call_center", "marketplace"];
const PAGE_SIZES = ["25", "50", "100"];

function select(id, text, options, value, anyText) {
  return [h("label", { for: id }, text),
    h("select", { id, name: id },
      h("option", { value: "" }, anyText),
      options.map((o) => h("option", { value: o, selected: o === value }, label(o))))];
}

export async function render(view, { signal }) {
  document.title = "Orders — dom console";
  const query = hashQuery();
  const trail = query.trail ? query.trail.split(",") : []; // the cursors of the pages before
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter orders",
    onsubmit: (event) => {
      event.preventDefault();
      const data = new FormData(form);
      setHashQuery("#/orders", { status: data.get("status"), channel: data.get("channel"),
        customer_id: String(data.get("customer_id") || "").trim(), limit: data.get("limit") });
    } },
  h("div", { class: "field" }, select("status", "Status", STATUSES, query.status, "Any status")),
  h("div", { class: "field" }, select("channel", "Channel", CHANNELS, query.channel, "Any channel")),
  h("div", { class: "field" }, h("label", { for: "customer_id" }, "Customer id"),
    h("input", { id: "customer_id", name: "customer_id", type: "search",
      value: query.customer_id || "", placeholder: "e.g. C-1001", autocomplete: "off" })),
  h("div", { class: "field" }, h("label", { for: "limit" }, "Per page"),
    h("select", { id: "limit", name: "limit" }, PAGE_SIZES.map((n) =>
      h("option", { value: n, selected: n === (query.limit || "25") }, n)))),
  h("div", { class: "field actions" }, h("button", { type: "submit" }, "Apply"),
    // A button, not a link to #/orders: on #/orders already a link would change nothing and
    // leave the fields as typed; this draws the page again with every filter cleared.
    h("button", { type: "button", class: "secondary", onclick: () => setHashQuery("#/orders", {}) },
      "Reset")));
  const results = h("section", { "aria-labelledby": "orders-heading", "aria-busy": "true" },
    h("p", { class: "muted" }, "Loading orders…"));
  view.append(h("h1", { id: "orders-heading" }, "Orders"), form, results);

  let page;
  try {
    page = await api("/v1/orders", { signal, params: { status: query.status,
      channel: query.channel, customer_id: query.customer_id, limit: query.limit || 25,
      cursor: query.cursor } });
  } catch (error) {
    if (error.name === "AbortError") return;
    results.replaceChildren(errorBox(error, "Could not list orders: "));
    results.setAttribute("aria-busy", "false");
    return;
  }
  const pageNumber = trail.length + 1;
  const rows = table(`Page ${pageNumber}: ${page.items.length} order(s), newest first`, [
    { label: "Order", cell: (o) => h("a", { href: `#/orders/${encodeURIComponent(o.order_id)}`,
      class: "order-link" }, o.order_id) },
    { label: "Channel order", cell: (o) => o.channel_order_id },
    { label: "Channel", cell: (o) => `${label(o.channel)}${o.source ? ` (${o.source})` : ""}` },
    { label: "Customer", cell: (o) => h("span", {}, o.customer?.name || "", " ", h("span",
      { class: "muted ellipsis", title: o.customer?.id || "" }, o.customer?.id || "")) },
    { label: "Status", cell: (o) => statusBadge(o.status) },
    { label: "Fulfillments", num: true, cell: (o) => String((o.fulfillments || []).length) },
    { label: "Total", num: true, cell: (o) => fmtMoney(o.total, o.currency) },
    { label: "Placed", cell: (o) => h("span", { class: "nowrap" },
      fmtDate(o.placed_at || o.created_at)) },
  ], page.items, { empty: "No orders match these filters." });
  const base = { status: query.status, channel: query.channel, customer_id: query.customer_id,
    limit: query.limit };
  const previous = trail.length
    ? { ...base, cursor: trail[trail.length - 1] === "-" ? "" : trail[trail.length - 1],
      trail: trail.slice(0, -1).join(",") }
    : null;
  const pager = h("nav", { class: "pager", "aria-label": "Pages" },
    h("button", { type: "button", class: "secondary", disabled: !previous,
      onclick: () => setHashQuery("#/orders", previous) }, "← Newer"),
    h("span", { class: "muted" }, `Page ${pageNumber}`),
    h("button", { type: "button", class: "secondary", disabled: !page.next_cursor,
      onclick: () => setHashQuery("#/orders", { ...base, cursor: page.next_cursor,
        trail: [...trail, query.cursor || "-"].join(",") }) }, "Older →"));
  results.replaceChildren(rows, pager);
  results.setAttribute("aria-busy", "false");
}
