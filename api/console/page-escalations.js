// The escalation queue: open or resolved (or both), each with a resolve button and an optional
// note; "Load more" follows the cursor.

import { api } from "/console/api.js";
import { errorBox, flash, h, hashQuery, label, setHashQuery, statusBadge, timeTag }
  from "/console/ui.js";

export async function render(view, { signal }) {
  document.title = "Escalations — dom console";
  const query = hashQuery();
  const status = query.status === undefined ? "open" : query.status;
  const chooser = h("form", { class: "filters", "aria-label": "Filter escalations",
    onchange: () => setHashQuery("#/escalations", { status: chooser.elements.status.value || "all",
      order_id: chooser.elements.order_id.value.trim() }),
    onsubmit: (event) => {
      event.preventDefault();
      chooser.dispatchEvent(new Event("change"));
    } },
  h("fieldset", { class: "segmented" }, h("legend", {}, "Show"),
    [["open", "Open"], ["resolved", "Resolved"], ["all", "All"]].map(([value, text]) =>
      h("label", {}, h("input", { type: "radio", name: "status", value,
        checked: (status || "all") === value }), ` ${text}`))),
  h("div", { class: "field" }, h("label", { for: "esc-order" }, "Order id"),
    h("input", { id: "esc-order", name: "order_id", type: "search", value: query.order_id || "",
      autocomplete: "off" })));
  const problems = h("div", { class: "problems" });
  const body = h("tbody", {});
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Load more");
  const count = h("caption", {}, "Loading escalations…");
  const tableEl = h("table", { id: "escalations" }, count,
    h("thead", {}, h("tr", {}, ["Opened", "Order", "Kind", "Severity", "Reason", "Status",
      "Resolution", "Action"].map((c) => h("th", { scope: "col" }, c)))), body);
  view.append(h("h1", {}, "Escalations"), chooser, problems,
    h("div", { class: "table-wrap" }, tableEl), h("div", { class: "pager" }, more));

  let shown = 0;
  let resolvedHere = 0; // resolved on this page: no longer open, though their rows stay

  function showCount() {
    if (status === "open") {
      const open = shown - resolvedHere;
      count.textContent = (open ? `${open} open escalation(s)` : "No open escalations.") +
        (resolvedHere ? ` (${resolvedHere} resolved here)` : "");
      return;
    }
    count.textContent = shown
      ? `${shown} ${status === "all" ? "" : `${status} `}escalation(s)`
      : `No ${status === "all" ? "" : `${status} `}escalations.`;
  }

  function row(e) {
    const note = h("input", { type: "text", name: "resolution", maxlength: 1000,
      placeholder: "How it was resolved (optional)", "aria-label": `Resolution for ${e.escalation_id}` });
    const button = h("button", { type: "submit", class: "resolve" }, "Resolve");
    const action = e.status === "open"
      ? h("form", { class: "resolve-form", onsubmit: async (event) => {
        event.preventDefault();
        button.disabled = true;
        problems.replaceChildren();
        try {
          const done = await api(`/v1/escalations/${encodeURIComponent(e.escalation_id)}/resolve`,
            { method: "POST", body: note.value.trim() ? { resolution: note.value.trim() } : {},
              signal });
          const replacement = row(done);
          tr.replaceWith(replacement);
          resolvedHere += 1;
          showCount();
          flash(`Escalation ${e.escalation_id} resolved.`);
        } catch (error) {
          button.disabled = false;
          if (error.name !== "AbortError") problems.replaceChildren(errorBox(error, "Could not resolve: "));
        }
      } }, note, button)
      : h("span", { class: "muted" }, "—");
    const tr = h("tr", { "data-id": e.escalation_id, "data-status": e.status },
      h("td", { "data-label": "Opened" }, timeTag(e.opened_at)),
      h("td", { "data-label": "Order" }, h("a", { href: `#/orders/${encodeURIComponent(e.order_id)}` },
        e.order_id)),
      h("td", { "data-label": "Kind" }, label(e.kind)),
      h("td", { "data-label": "Severity" }, h("span", { class: `badge severity-${e.severity}` },
        e.severity)),
      h("td", { "data-label": "Reason" }, e.reason),
      h("td", { "data-label": "Status" }, statusBadge(e.status)),
      h("td", { "data-label": "Resolution" }, e.resolution || "",
        e.resolved_by ? h("span", { class: "muted" }, ` by ${e.resolved_by} `) : null,
        e.resolved_at ? timeTag(e.resolved_at) : null),
      h("td", { "data-label": "Action" }, action));
    return tr;
  }

  async function load(cursor) {
    more.disabled = true;
    try {
      const page = await api("/v1/escalations", { signal, params: {
        status: status === "all" ? "" : status, order_id: query.order_id, limit: 50, cursor } });
      page.items.forEach((e) => body.append(row(e)));
      shown += page.items.length;
      showCount();
      more.hidden = !page.next_cursor;
      more.disabled = false;
      more.onclick = () => load(page.next_cursor);
    } catch (error) {
      if (error.name === "AbortError") return;
      count.textContent = "Escalations could not be loaded.";
      problems.replaceChildren(errorBox(error, "Could not list escalations: "));
    }
  }
  await load(null);
}
