// One order: its lines, fulfillments and timeline, kept live by the SSE stream
// (GET /v1/orders/{id}/stream read through fetch with the bearer key). When the stream route
// answers 404 (not deployed) the page polls GET /v1/orders/{id} instead; when the stream drops
// it reconnects with Last-Event-ID and polls in between.

import { ApiError, api, readEventStream } from "/console/api.js";
import { errorBox, flash, fmtMoney, h, label, statusBadge, table, timeTag }
  from "/console/ui.js";

const POLL_MS = 3000;
const RETRY_MS = [1000, 2000, 5000, 10000, 15000];
// Fulfillment statuses past the point a cancel can stop them (gone to the customer).
const GONE = ["shipped", "out_for_delivery", "delivered", "picked_up", "registered"];

function wait(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

function summary(order) {
  const customer = order.customer || {};
  const delivery = order.delivery || {};
  const shipTo = order.ship_to || {};
  const place = shipTo.postal_code || (shipTo.lat !== undefined
    ? `${Number(shipTo.lat).toFixed(3)}, ${Number(shipTo.lon).toFixed(3)}` : "—");
  const item = (term, ...value) => h("div", {}, h("dt", {}, term), h("dd", {}, ...value));
  return h("dl", { class: "summary" },
    item("Status", statusBadge(order.status),
      order.hold_reason ? h("span", { class: "muted" }, ` ${order.hold_reason}`) : null),
    item("Channel", `${label(order.channel)}${order.source ? ` (${order.source})` : ""}`,
      h("span", { class: "muted" }, ` ${order.channel_order_id}`)),
    item("Customer", `${customer.name || ""} `, h("span", { class: "muted" }, customer.id || "")),
    item("Delivery", label(delivery.method),
      delivery.location_id ? ` at ${delivery.location_id}` : ` to ${place}`),
    item("Payment", label(order.payment?.status)),
    item("Total", fmtMoney(order.total, order.currency)),
    item("Placed", timeTag(order.placed_at || order.created_at)));
}

function linesTable(order) {
  return table("Lines", [
    { label: "Line", cell: (l) => l.line_id },
    { label: "SKU", cell: (l) => l.sku },
    { label: "Kind", cell: (l) => l.kind + (l.covers_line_id ? ` (covers line ${l.covers_line_id})` : "") },
    { label: "Qty", num: true, cell: (l) => String(l.qty) },
    { label: "Unit price", num: true, cell: (l) => fmtMoney(l.unit_price, order.currency) },
  ], order.lines || []);
}

function fulfillmentsTable(order) {
  return table("Fulfillments", [
    { label: "Fulfillment", cell: (f) => h("code", {}, f.fulfillment_id) },
    { label: "Type", cell: (f) => label(f.type) },
    { label: "Location", cell: (f) => f.location_id || "—" },
    { label: "Status", cell: (f) => statusBadge(f.status) },
    { label: "Lines", cell: (f) => (f.lines || []).map((l) => `${l.qty}× ${l.sku}`).join(", ") },
    { label: "Promised", cell: (f) => f.promised_date || "—" },
    { label: "Cost", num: true, cell: (f) => (f.cost === null || f.cost === undefined
      ? "—" : fmtMoney(f.cost, order.currency)) },
  ], order.fulfillments || [], { empty: "No fulfillments yet (not sourced)." });
}

/** Some of the order has left: a cancel stops only the rest (the API's partial cancel). */
function partlyGone(order) {
  return (order.fulfillments || []).some((f) => GONE.includes(f.status));
}

function cancelQuestion(order) {
  return partlyGone(order)
    ? `Cancel what has not shipped of order ${order.order_id}? What has shipped goes on to ` +
      "the customer."
    : `Cancel order ${order.order_id}?`;
}

/** What the server did, from its answer: the whole order cancelled, or only its rest. */
function cancelOutcome(order) {
  if (order.status === "cancelled") return `Order ${order.order_id} cancelled.`;
  return `Cancelled what had not shipped of order ${order.order_id}; the order is now ` +
    `${label(order.status)}.`;
}

function describeEvent(item) {
  if (item.message) return item.message;
  const data = item.data || {};
  if (data.from && data.to) return `Status ${label(data.from)} → ${label(data.to)}`;
  return label(item.type);
}

export async function render(view, { signal, id }) {
  document.title = `Order ${id} — dom console`;
  const heading = h("h1", { id: "order-heading" }, "Order ", h("code", {}, id));
  const top = h("div", { class: "order-top" });
  const details = h("div", { class: "order-details" });
  const liveState = h("span", { id: "live-state", class: "live-state", role: "status" },
    "connecting…");
  const timelineList = h("ol", { id: "timeline", class: "timeline", "aria-live": "polite",
    "aria-relevant": "additions" });
  const problems = h("div", { class: "problems" });
  view.append(h("p", {}, h("a", { href: "#/orders" }, "← All orders")), heading, problems, top,
    h("div", { class: "order-grid" }, details,
      h("section", { class: "card", "aria-labelledby": "timeline-heading" },
        h("div", { class: "section-head" }, h("h2", { id: "timeline-heading" }, "Timeline"),
          liveState),
        timelineList)));

  const seen = new Map(); // seq → list item
  let lastSeq = 0;
  let order = null;
  let loaded = false; // after the first read, new events are highlighted

  function addEvent(item) {
    const seq = Number(item.seq);
    if (!Number.isFinite(seq)) return;
    const entry = h("li", { "data-seq": seq, "data-type": item.type, class: "event" },
      h("span", { class: "event-type" }, item.type),
      h("span", { class: "event-message" }, describeEvent(item)),
      h("span", { class: "event-meta muted" }, timeTag(item.at, { seconds: true }),
        item.location_id ? ` · ${item.location_id}` : "",
        item.fulfillment_id ? ` · ${item.fulfillment_id}` : ""));
    const old = seen.get(seq);
    if (old) {
      if (item.message && !old.dataset.complete) {
        entry.dataset.complete = "1";
        old.replaceWith(entry);
        seen.set(seq, entry);
      }
      return;
    }
    if (item.message) entry.dataset.complete = "1";
    seen.set(seq, entry);
    const after = [...seen.keys()].filter((s) => s < seq).sort((a, b) => b - a)[0];
    if (after === undefined) timelineList.prepend(entry);
    else seen.get(after).after(entry);
    if (seq > lastSeq) {
      if (loaded) {
        entry.classList.add("fresh");
        setTimeout(() => entry.classList.remove("fresh"), 4000);
      }
      lastSeq = seq;
    }
  }

  let busy = false; // an action's POST is in flight: its buttons wait (a double-click sends one)

  function actionButtons() {
    const actions = h("div", { class: "actions", "aria-busy": String(busy) });
    if (order.status === "on_hold") {
      actions.append(h("button", { type: "button", disabled: busy,
        onclick: () => act("release") }, "Release hold"));
    }
    if (!["cancelled", "completed", "delivered", "shipped", "picked_up"].includes(order.status)) {
      actions.append(h("button", { type: "button", class: "danger", disabled: busy,
        onclick: () => {
          // Checked before asking: the second click of a double-click asks nothing.
          if (busy || !window.confirm(cancelQuestion(order))) return;
          act("cancel");
        } }, "Cancel order"));
    }
    return actions;
  }

  function showOrder(found) {
    order = found;
    top.replaceChildren(summary(order), actionButtons());
    details.replaceChildren(
      h("section", { class: "card", "aria-label": "Lines" }, linesTable(order)),
      h("section", { class: "card", "aria-label": "Fulfillments" }, fulfillmentsTable(order)));
    for (const item of order.timeline || []) addEvent(item);
  }

  async function act(what) {
    if (busy) return;
    busy = true; // set before the first await: the buttons are disabled at once
    top.querySelector(".actions")?.replaceWith(actionButtons());
    problems.replaceChildren();
    try {
      const answer = await api(`/v1/orders/${encodeURIComponent(id)}/${what}`,
        { method: "POST", body: {}, signal });
      busy = false;
      showOrder(answer);
      flash(what === "cancel" ? cancelOutcome(answer) : `Order ${id} released.`);
    } catch (error) {
      if (error.name !== "AbortError") problems.replaceChildren(errorBox(error));
    } finally {
      if (busy && !signal.aborted) {
        busy = false;
        top.querySelector(".actions")?.replaceWith(actionButtons());
      }
    }
  }

  async function refresh() {
    const found = await api(`/v1/orders/${encodeURIComponent(id)}`, { signal });
    showOrder(found);
    if (!found.timeline) {
      const page = await api(`/v1/orders/${encodeURIComponent(id)}/timeline`,
        { signal, params: { limit: 100 } });
      page.items.forEach(addEvent);
    }
  }

  let refreshTimer = null;
  function refreshSoon() { // the stream says something changed: re-read status and fulfillments
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => refresh().catch(() => {}), 250);
  }

  function setLive(mode, text) {
    liveState.dataset.mode = mode;
    liveState.textContent = text;
  }

  try {
    await refresh();
    loaded = true;
  } catch (error) {
    if (error.name === "AbortError") return;
    problems.replaceChildren(errorBox(error, `Could not load order ${id}: `));
    setLive("off", "not live");
    return;
  }

  async function poll() {
    setLive("polling", `live (polling every ${POLL_MS / 1000} s)`);
    while (!signal.aborted) {
      await wait(POLL_MS, signal);
      if (signal.aborted) return;
      try {
        await refresh();
        problems.replaceChildren();
      } catch (error) {
        if (error.name === "AbortError") return;
        problems.replaceChildren(errorBox(error, "Could not refresh: "));
      }
    }
  }

  let failures = 0;
  while (!signal.aborted) {
    try {
      await readEventStream(`/v1/orders/${encodeURIComponent(id)}/stream`, {
        signal, lastEventId: lastSeq || undefined,
        onOpen: () => { failures = 0; setLive("stream", "live (streaming)"); },
        onEvent: (message) => {
          let item;
          try {
            item = JSON.parse(message.data);
          } catch {
            return;
          }
          if (item.seq === undefined && message.id) item.seq = Number(message.id);
          addEvent(item);
          refreshSoon();
        },
      });
    } catch (error) {
      if (signal.aborted || error.name === "AbortError") return;
      if (error instanceof ApiError && [404, 405, 501].includes(error.status)) {
        await poll(); // no stream route on this server: poll until the page is left
        return;
      }
      if (error instanceof ApiError && [401, 403].includes(error.status)) {
        problems.replaceChildren(errorBox(error, "The live timeline is not available: "));
        setLive("off", "not live");
        return;
      }
    }
    if (signal.aborted) return;
    // The stream ended or failed: catch up once, then reconnect after a growing pause.
    setLive("reconnecting", "reconnecting…");
    try {
      await refresh();
    } catch (error) {
      if (error.name === "AbortError") return;
    }
    await wait(RETRY_MS[Math.min(failures, RETRY_MS.length - 1)], signal);
    failures += 1;
  }
}
