// Stock by location: pick a SKU, see its positions (available, on hand, reserved, safety
// stock) per location and a lat/lon map of the locations sized by what is available.

import { allPages, api, getKey, listPages } from "/console/api.js";
import { mapChart } from "/console/charts.js";
import { errorBox, fmtNum, h, hashQuery, setHashQuery, table } from "/console/ui.js";

// Past this many products the SKU list says it is cut short (any SKU can still be typed).
const MAX_PRODUCTS = 20000;

// The catalog and the locations, read once per visit of the page: picking another SKU on the
// page reuses them; coming back to the page, or another key, reads them again (products and
// locations are created while the tab stays open).
let visit = null; // {key, products, more, locations}
window.addEventListener("dom:key-changed", () => { visit = null; });

async function reference(signal, entered) {
  const key = getKey();
  if (entered || !visit || visit.key !== key) {
    visit = null;
    const [catalog, locations] = await Promise.all([
      listPages("/v1/products", {}, { signal, maxItems: MAX_PRODUCTS }),
      allPages("/v1/locations", {}, { signal })]);
    visit = { key, products: catalog.items, more: catalog.more, locations };
  }
  return visit;
}

/** The product asked for: from the list, else read by its SKU (a cut list, or a new one). */
async function productOf(sku, products, signal) {
  const listed = products.find((p) => p.sku === sku);
  if (listed) return listed;
  try {
    return await api(`/v1/products/${encodeURIComponent(sku)}`, { signal });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    return null; // the stock answer below says what is wrong with the SKU
  }
}

export async function render(view, { signal, entered = true }) {
  document.title = "Stock — dom console";
  const query = hashQuery();
  const problems = h("div", { class: "problems" });
  const results = h("div", { class: "stock-results" });
  view.append(h("h1", {}, "Stock by location"), problems);
  let products = [];
  let locations = [];
  let more = false;
  try {
    ({ products, locations, more } = await reference(signal, entered));
  } catch (error) {
    if (error.name === "AbortError" || signal.aborted) return;
    problems.replaceChildren(errorBox(error, "Could not load the catalog and locations: "));
  }
  const goods = products.filter((p) => p.kind !== "service");
  const sku = query.sku || (goods[0] && goods[0].sku) || "";
  const input = h("input", { id: "sku", name: "sku", list: "sku-options", value: sku,
    required: true, autocomplete: "off", "aria-describedby": "sku-help" });
  const form = h("form", { class: "filters", role: "search", "aria-label": "Choose a SKU",
    onsubmit: (event) => {
      event.preventDefault();
      setHashQuery("#/stock", { sku: input.value.trim() });
    } },
  h("div", { class: "field" }, h("label", { for: "sku" }, "SKU"), input,
    h("datalist", { id: "sku-options" }, products.map((p) =>
      h("option", { value: p.sku }, `${p.name || p.sku}${p.kind === "service" ? " (service)" : ""}`))),
    more ? h("small", { id: "sku-help", class: "notice warning" },
      `The list shows the first ${products.length} products only; the catalog has more. ` +
      "Type any SKU to see its stock.")
      : h("small", { id: "sku-help", class: "muted" }, `${products.length} products in the catalog`)),
  h("div", { class: "field actions" }, h("button", { type: "submit" }, "Show stock")),
  goods.length ? h("div", { class: "quick" }, h("span", { class: "muted" }, "Quick pick: "),
    goods.slice(0, 12).map((p) => h("a", { href: `#/stock?sku=${encodeURIComponent(p.sku)}`,
      class: `chip${p.sku === sku ? " current" : ""}`,
      "aria-current": p.sku === sku ? "true" : null }, p.sku))) : null);
  view.append(form, results);
  if (!sku) return;

  let found;
  let product;
  try {
    [found, product] = await Promise.all([api("/v1/inventory", { signal, params: { sku } }),
      productOf(sku, products, signal)]);
  } catch (error) {
    if (error.name === "AbortError") return;
    problems.append(errorBox(error, `Could not read stock of ${sku}: `));
    return;
  }
  const byId = new Map(locations.map((l) => [l.id, l]));
  const positions = [...found.positions].sort((a, b) => b.available - a.available);
  const totals = positions.reduce((t, p) => ({ on_hand: t.on_hand + p.on_hand,
    reserved: t.reserved + p.reserved }), { on_hand: 0, reserved: 0 });
  const kpi = (name, value) => h("div", { class: "kpi" }, h("span", { class: "kpi-label" }, name),
    h("span", { class: "kpi-value" }, fmtNum(value, 0)));
  const chart = mapChart({
    title: `Where ${sku} is`,
    desc: `Locations on a latitude/longitude plane; circle area follows units of ${sku} available.`,
    locations: locations.map((l) => {
      const p = found.positions.find((x) => x.location_id === l.id);
      return { id: l.id, name: l.name, type: l.type, lat: l.lat, lon: l.lon,
        value: p ? p.available : null,
        detail: p ? `on hand ${p.on_hand}, reserved ${p.reserved}` : "no position" };
    }),
  });
  results.replaceChildren(...[
    h("h2", {}, sku, product ? h("span", { class: "muted" }, ` ${product.name}`) : null),
    product && product.kind === "service"
      ? h("p", { class: "notice" }, "A service SKU has no stock positions.") : null,
    h("div", { class: "kpis" }, kpi("Available", found.available), kpi("On hand", totals.on_hand),
      kpi("Reserved", totals.reserved), kpi("Locations", positions.length)),
    h("div", { class: "split" },
      h("section", { class: "card", "aria-label": "Positions" }, table(`Positions of ${sku}`, [
        { label: "Location", cell: (p) => h("span", {},
          byId.get(p.location_id)?.name || p.location_id,
          h("span", { class: "muted" }, ` ${p.location_id}`)) },
        { label: "Type", cell: (p) => byId.get(p.location_id)?.type || "—" },
        { label: "Available", num: true, cell: (p) => h("strong", {}, fmtNum(p.available, 0)) },
        { label: "On hand", num: true, cell: (p) => fmtNum(p.on_hand, 0) },
        { label: "Reserved", num: true, cell: (p) => fmtNum(p.reserved, 0) },
        { label: "Safety stock", num: true, cell: (p) => fmtNum(p.safety_stock, 0) },
      ], positions, { empty: `No location holds ${sku}.` })),
      h("section", { class: "card", "aria-label": "Map" }, h("h3", {}, "Map"), chart,
        h("p", { class: "muted small" }, "Circle area: units available. Hollow dots: no stock."))),
  ].filter(Boolean));
}
