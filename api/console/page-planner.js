// The planner: run a what-if scenario (POST /v1/scenarios) and compare two
// (GET /v1/scenarios/compare?ids=a,b). Charts: cost against mean delivery days for every run
// made here (with the frontier of the runs), utilization by location, and the locations map.
// The runs made in this browser are remembered in localStorage (ids, names and KPIs), from the
// moment the server accepts them: a run still going when the page is left is polled again when
// it is opened again.

import { ApiError, allPages, api, apiPaths } from "/console/api.js";
import { barChart, mapChart, scatterChart } from "/console/charts.js";
import { errorBox, flash, fmtDate, fmtMoney, fmtNum, fmtPercent, h, statusBadge, table }
  from "/console/ui.js";

const RUNS_KEY = "dom.console.scenarioRuns";
const MAX_RUNS = 50;
const POLL_MS = 1000;
const POLL_LIMIT_MS = 180000;
const UNFINISHED = ["running", "queued", "pending"];
// The bounds POST /v1/scenarios enforces on changes (planner/definition.py), so the browser
// refuses only what the server would refuse.
const MAX_DEMAND_MULTIPLIER = 100;
const MAX_COST_PER_DAY = 1e6;
const OBJECTIVES = [["cost", "Cost"], ["time", "Time"], ["balanced", "Balanced (cost + cost per day)"]];
const KPIS = [
  ["total_cost", "Total cost", (v) => fmtMoney(v)],
  ["mean_delivery_days", "Mean delivery days", (v) => fmtNum(v, 2)],
  ["p95_delivery_days", "95th percentile delivery days", (v) => fmtNum(v, 2)],
  ["fill_rate", "Fill rate", (v) => fmtPercent(v)],
  ["split_rate", "Split rate", (v) => fmtPercent(v)],
  ["shipments", "Shipments", (v) => fmtNum(v, 0)],
];

export function loadRuns() {
  try {
    const runs = JSON.parse(localStorage.getItem(RUNS_KEY) || "[]");
    return Array.isArray(runs) ? runs.filter((r) => r && r.scenario_id) : [];
  } catch {
    return [];
  }
}

function saveRuns(runs) {
  localStorage.setItem(RUNS_KEY, JSON.stringify(runs.slice(-MAX_RUNS)));
}

/** Record ``run`` (new, or an update of one already remembered), keeping its place. */
function rememberRun(run) {
  const runs = loadRuns();
  const at = runs.findIndex((r) => r.scenario_id === run.scenario_id);
  if (at < 0) runs.push(run);
  else runs[at] = { ...runs[at], ...run };
  saveRuns(runs);
}

/** Runs remembered before they kept a status were only saved when done. */
function isDone(run) {
  return !run.status || run.status === "done";
}

function wait(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

/** Utilization as fractions (0..1) are shown as percentages; anything larger as numbers. */
function utilizationFormat(values) {
  const fractions = values.every((v) => v === null || v === undefined || Number(v) <= 1.0001);
  return fractions ? { format: fmtPercent, max: 1 } : { format: (v) => fmtNum(v, 2), max: 0 };
}

function utilizationRows(runs) {
  const ids = new Set();
  for (const run of runs) Object.keys(run.kpis?.utilization || {}).forEach((id) => ids.add(id));
  return [...ids].sort().map((id) => ({ label: id,
    values: runs.map((r) => {
      const value = r.kpis?.utilization?.[id];
      return value === undefined ? null : Number(value);
    }) }));
}

/**
 * The server refused ``changes.cost_per_day`` as a field it does not know (pydantic's
 * "extra_forbidden": "Extra inputs are not permitted"), not as a value out of its range.
 */
function costPerDayUnknown(error) {
  if (!(error instanceof ApiError) || error.status !== 422) return false;
  return (error.problem?.errors || []).some((e) => Array.isArray(e.loc) &&
    e.loc.at(-1) === "cost_per_day" && (e.type === "extra_forbidden" ||
      /extra (inputs|fields)|not permitted|unknown field/i.test(String(e.msg))));
}

async function postScenario(body, signal) {
  try {
    return { result: await api("/v1/scenarios", { method: "POST", body, signal }), dropped: false };
  } catch (error) {
    // A server whose scenario changes do not know cost_per_day: run without it, and say so.
    // Any other refusal (a value over its limit) is the planner's to fix: nothing runs.
    if (!costPerDayUnknown(error)) throw error;
    const { cost_per_day: _, ...changes } = body.changes;
    return { result: await api("/v1/scenarios", { method: "POST", body: { ...body, changes },
      signal }), dropped: true };
  }
}

async function untilDone(first, signal, onWait) {
  let current = first;
  const started = Date.now();
  while (current && UNFINISHED.includes(current.status)) {
    if (Date.now() - started > POLL_LIMIT_MS) {
      throw new Error(`scenario ${current.scenario_id} is still running after ` +
        `${POLL_LIMIT_MS / 1000} s; look again later`);
    }
    onWait(current);
    await wait(POLL_MS, signal);
    if (signal.aborted) return current;
    const where = current._location || `/v1/scenarios/${encodeURIComponent(current.scenario_id)}`;
    current = await api(where, { signal });
  }
  return current;
}

/** The API wants a demand multiplier above 0, which ``min`` cannot say (it allows the bound). */
function moreThanZero(input) {
  input.setCustomValidity(input.value !== "" && Number(input.value) <= 0
    ? "The demand multiplier must be more than 0." : "");
}

/** What a run's answer adds to its record: where it stands, and its KPIs once done. */
function outcome(answer) {
  return { scenario_id: answer.scenario_id, status: answer.status || "done",
    kpis: answer.kpis || {}, solver: answer.solver || null,
    error: answer.error || answer.detail || null };
}

function kpiCards(run) {
  return h("div", { class: "kpis", "aria-label": `KPIs of ${run.name}` }, KPIS.map(([key, name, f]) =>
    h("div", { class: "kpi" }, h("span", { class: "kpi-label" }, name),
      h("span", { class: "kpi-value", "data-kpi": key }, f(run.kpis?.[key])))));
}

export async function render(view, { signal }) {
  document.title = "Planner — dom console";
  const problems = h("div", { class: "problems" });
  view.append(h("h1", {}, "Planner"), problems);

  const paths = await apiPaths();
  const available = !paths || paths.includes("/v1/scenarios");
  const missing = h("div", { class: "notice warning", role: "alert", id: "scenarios-missing" },
    h("strong", {}, "Scenarios are not available on this server. "),
    "It does not offer the scenarios API (POST /v1/scenarios) yet; the runs below are the ones ",
    "remembered in this browser.");
  if (!available) view.append(missing);

  let locations = [];
  try {
    locations = await allPages("/v1/locations", {}, { signal });
  } catch (error) {
    if (error.name === "AbortError" || signal.aborted) return;
    problems.append(errorBox(error, "Could not load the locations: "));
  }

  const status = h("p", { class: "run-status", role: "status", "aria-live": "polite" });
  const closeBoxes = locations.map((l) => h("label", { class: "check" },
    h("input", { type: "checkbox", name: "close", value: l.id }), ` ${l.id}`,
    h("span", { class: "muted" }, ` ${l.type}`)));
  const form = h("form", { id: "scenario-form", class: "card scenario-form",
    "aria-labelledby": "run-heading" },
  h("h2", { id: "run-heading" }, "Run a scenario"),
  h("div", { class: "form-grid" },
    h("div", { class: "field" }, h("label", { for: "sc-name" }, "Name"),
      h("input", { id: "sc-name", name: "name", required: true, maxlength: 200,
        value: `Run ${loadRuns().length + 1}` })),
    h("div", { class: "field" }, h("label", { for: "sc-objective" }, "Objective"),
      h("select", { id: "sc-objective", name: "objective" }, OBJECTIVES.map(([v, t]) =>
        h("option", { value: v }, t)))),
    // step "any": 1.25 or 7.3 are as valid to the API as 1.5 (a step would block them).
    h("div", { class: "field" }, h("label", { for: "sc-demand" }, "Demand multiplier"),
      h("input", { id: "sc-demand", name: "demand_multiplier", type: "number", min: "0",
        max: String(MAX_DEMAND_MULTIPLIER), step: "any", value: "1", required: true,
        oninput: (event) => moreThanZero(event.target) })),
    h("div", { class: "field" }, h("label", { for: "sc-cpd" }, "Cost per day"),
      h("input", { id: "sc-cpd", name: "cost_per_day", type: "number", min: "0",
        max: String(MAX_COST_PER_DAY), step: "any", value: "5",
        "aria-describedby": "sc-cpd-help" }),
      h("small", { id: "sc-cpd-help", class: "muted" }, "What a day of delivery is worth (balanced)."))),
  h("fieldset", { class: "close-locations" }, h("legend", {}, "Close locations"),
    closeBoxes.length ? closeBoxes : h("span", { class: "muted" }, "No locations loaded.")),
  h("div", { class: "actions" }, h("button", { type: "submit", id: "run-scenario",
    disabled: !available }, "Run scenario")),
  status);

  const runsSection = h("section", { class: "card", "aria-labelledby": "runs-heading" });
  const charts = h("section", { class: "charts", "aria-label": "Charts" });
  const compareSection = h("section", { class: "card", "aria-labelledby": "compare-heading" });
  view.append(h("div", { class: "planner-grid" }, form, runsSection), charts, compareSection);

  let selected = loadRuns().at(-1)?.scenario_id || null;

  function drawCharts() {
    const runs = loadRuns().filter(isDone); // a run still going has no KPIs to draw yet
    const run = runs.find((r) => r.scenario_id === selected) || runs.at(-1);
    const points = runs.map((r) => ({ x: Number(r.kpis?.mean_delivery_days),
      y: Number(r.kpis?.total_cost), label: r.name, selected: run && r.scenario_id === run.scenario_id }));
    const frontier = h("figure", { class: "card chart-card", id: "frontier-chart" },
      scatterChart({ points, xLabel: "mean delivery days", yLabel: "total cost",
        title: "Cost against delivery time of the runs",
        desc: `${points.length} run(s); the line joins the runs no other run beats on both cost ` +
          "and delivery time." }),
      h("figcaption", {}, "Total cost vs mean delivery days; the step line is the frontier of ",
        "the runs made (lower-left is better)."));
    const util = run ? run.kpis?.utilization || {} : {};
    const scale = utilizationFormat(Object.values(util));
    const bars = h("figure", { class: "card chart-card", id: "utilization-chart" },
      barChart({ rows: utilizationRows(run ? [run] : []), series: [run?.name || "—"],
        format: scale.format, max: scale.max, title: "Utilization by location",
        desc: run ? `Utilization of each location in ${run.name}.` : "No run yet." }),
      h("figcaption", {}, run ? `Utilization by location — ${run.name}` : "Utilization by location"));
    const closed = new Set(run?.changes?.close_locations || []);
    const map = h("figure", { class: "card chart-card", id: "planner-map" },
      mapChart({ title: "Locations", valueLabel: "utilization",
        desc: "Locations on a latitude/longitude plane; circle area follows utilization in the " +
          "selected run; crossed circles were closed in it.",
        locations: locations.map((l) => ({ id: l.id, name: l.name, type: l.type, lat: l.lat,
          lon: l.lon, closed: closed.has(l.id),
          value: util[l.id] === undefined ? null : Number(util[l.id]) })) }),
      h("figcaption", {}, run ? `Locations — utilization in ${run.name}; ✕ closed`
        : "Locations"));
    charts.replaceChildren(run ? kpiCards(run) : h("p", { class: "muted" },
      "Run a scenario to see its KPIs and charts."), h("div", { class: "chart-grid" }, frontier,
      bars, map));
  }

  function drawRuns() {
    const runs = loadRuns();
    const done = runs.filter(isDone);
    const choose = (name, value) => h("select", { id: `cmp-${name}`, name }, done.map((r) =>
      h("option", { value: r.scenario_id, selected: r.scenario_id === value }, r.name)));
    runsSection.replaceChildren(h("div", { class: "section-head" },
      h("h2", { id: "runs-heading" }, `Runs (${runs.length})`),
      runs.length ? h("button", { type: "button", class: "secondary", onclick: () => {
        if (!window.confirm("Forget the runs remembered in this browser?")) return;
        saveRuns([]);
        selected = null;
        drawRuns();
        drawCharts();
      } }, "Forget runs") : null),
    table(null, [
      { label: "Name", cell: (r) => h("button", { type: "button", class: "link",
        "aria-pressed": String(r.scenario_id === selected), onclick: () => {
          selected = r.scenario_id;
          drawRuns();
          drawCharts();
        } }, r.name) },
      { label: "Status", cell: (r) => h("span", { title: r.error || null },
        statusBadge(r.status || "done")) },
      { label: "Objective", cell: (r) => r.changes?.objective || "—" },
      { label: "Closed", cell: (r) => (r.changes?.close_locations || []).join(", ") || "—" },
      { label: "Demand ×", num: true, cell: (r) => fmtNum(r.changes?.demand_multiplier, 2) },
      { label: "Cost", num: true, cell: (r) => fmtMoney(r.kpis?.total_cost) },
      { label: "Mean days", num: true, cell: (r) => fmtNum(r.kpis?.mean_delivery_days, 2) },
      { label: "Fill", num: true, cell: (r) => fmtPercent(r.kpis?.fill_rate) },
      { label: "At", cell: (r) => fmtDate(r.at) },
    ], [...runs].reverse(), { empty: "No runs yet." }));
    const previous = done.at(-2)?.scenario_id;
    const latest = done.at(-1)?.scenario_id;
    compareSection.replaceChildren(h("h2", { id: "compare-heading" }, "Compare two scenarios"),
      done.length < 2 ? h("p", { class: "muted" }, "Run at least two scenarios to compare them.")
        : h("form", { class: "filters", id: "compare-form", onsubmit: (event) => {
          event.preventDefault();
          compare(event.target.elements.a.value, event.target.elements.b.value);
        } },
        h("div", { class: "field" }, h("label", { for: "cmp-a" }, "Scenario A"), choose("a", previous)),
        h("div", { class: "field" }, h("label", { for: "cmp-b" }, "Scenario B"), choose("b", latest)),
        h("div", { class: "field actions" }, h("button", { type: "submit" }, "Compare"))),
      h("div", { id: "compare-result" }));
  }

  async function compare(a, b) {
    const out = compareSection.querySelector("#compare-result");
    out.replaceChildren(h("p", { class: "muted" }, "Comparing…"));
    const runs = loadRuns();
    let answer = null;
    try {
      answer = await api("/v1/scenarios/compare", { signal, params: { ids: `${a},${b}` } });
    } catch (error) {
      if (error.name === "AbortError") return;
      out.replaceChildren(errorBox(error, "Could not compare: "));
      return;
    }
    const pick = (id) => {
      const list = answer?.scenarios;
      let found = Array.isArray(list) ? list.find((s) => s.scenario_id === id)
        : list && typeof list === "object" ? list[id] : answer?.[id];
      if (!found) found = runs.find((r) => r.scenario_id === id);
      return found || { scenario_id: id, kpis: {} };
    };
    const [left, right] = [pick(a), pick(b)];
    const local = (id) => runs.find((r) => r.scenario_id === id);
    const nameOf = (s) => s.name || local(s.scenario_id)?.name || s.scenario_id;
    const serverDiff = answer?.differences || answer?.diff || answer?.delta || {};
    const rows = KPIS.map(([key, name, f]) => {
      const x = left.kpis?.[key];
      const y = right.kpis?.[key];
      const given = serverDiff[key];
      const d = typeof given === "number" ? given
        : (typeof x === "number" && typeof y === "number" ? y - x : null);
      return { name, a: f(x), b: f(y), d: d === null ? "—" : `${d > 0 ? "+" : ""}${f(d)}` };
    });
    const scale = utilizationFormat([...Object.values(left.kpis?.utilization || {}),
      ...Object.values(right.kpis?.utilization || {})]);
    out.replaceChildren(
      table(`${nameOf(left)} (A) against ${nameOf(right)} (B)`, [
        { label: "KPI", cell: (r) => r.name },
        { label: `A: ${nameOf(left)}`, num: true, cell: (r) => r.a },
        { label: `B: ${nameOf(right)}`, num: true, cell: (r) => r.b },
        { label: "B − A", num: true, cell: (r) => r.d },
      ], rows),
      h("figure", { class: "chart-card", id: "compare-utilization" },
        barChart({ rows: utilizationRows([left, right]),
          series: [`A: ${nameOf(left)}`, `B: ${nameOf(right)}`], format: scale.format,
          max: scale.max, title: "Utilization by location, A and B",
          desc: "Utilization of each location in the two scenarios side by side." }),
        h("figcaption", {}, "Utilization by location, A against B")));
  }

  /** Keep the record of a run that ended, and fail loudly when it did not end well. */
  function settle(answer) {
    rememberRun(outcome(answer));
    if (answer.status && answer.status !== "done") {
      throw new Error(`scenario ${answer.scenario_id} ended as ${answer.status}` +
        (answer.detail || answer.error ? `: ${answer.detail || answer.error}` : ""));
    }
  }

  /** A run the page was left during: poll it again until it ends (or the page is left). */
  async function resume(run) {
    try {
      const first = await api(`/v1/scenarios/${encodeURIComponent(run.scenario_id)}`,
        { signal });
      const done = await untilDone(first, signal, (r) => {
        status.textContent = `${run.name} is ${r.status}…`;
      });
      if (signal.aborted) return;
      status.textContent = "";
      settle(done);
      flash(`Scenario ${run.name} done.`);
    } catch (error) {
      if (error.name === "AbortError" || signal.aborted) return;
      if (error instanceof ApiError && error.status === 404) { // the server lost it
        rememberRun({ scenario_id: run.scenario_id, status: "failed",
          error: "the server no longer knows this run" });
      }
      problems.append(errorBox(error, `Could not follow the run ${run.name}: `));
    }
    drawRuns();
    drawCharts();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const changes = { objective: data.get("objective"),
      close_locations: data.getAll("close").map(String),
      demand_multiplier: Number(data.get("demand_multiplier")) };
    if (data.get("cost_per_day") !== "") changes.cost_per_day = Number(data.get("cost_per_day"));
    const body = { name: String(data.get("name")).trim(), base: "current", changes };
    const button = form.querySelector("#run-scenario");
    button.disabled = true;
    problems.replaceChildren();
    status.textContent = `Running ${body.name}…`;
    try {
      const { result, dropped } = await postScenario(body, signal);
      const { cost_per_day: _, ...withoutCost } = changes;
      // Remembered as soon as the server has it (a 202 is still running): if the page is left
      // before it ends, it is polled again when the page is opened again.
      rememberRun({ name: body.name, changes: dropped ? withoutCost : changes,
        at: new Date().toISOString(), ...outcome(result) });
      selected = result.scenario_id;
      drawRuns();
      const done = await untilDone(result, signal, (r) => {
        status.textContent = `${body.name} is ${r.status}…`;
      });
      if (signal.aborted) return;
      settle(done);
      status.textContent = `${body.name} done: cost ${fmtMoney(done.kpis?.total_cost)}, mean ` +
        `${fmtNum(done.kpis?.mean_delivery_days, 2)} days.` +
        (dropped ? " (This server does not take cost per day in a scenario; it was left out.)" : "");
      flash(`Scenario ${body.name} done.`);
      form.elements.name.value = `Run ${loadRuns().length + 1}`;
    } catch (error) {
      if (error.name === "AbortError") return;
      status.textContent = "";
      if (error instanceof ApiError && error.status === 404 && !error.problem?.detail?.includes("scenario ")) {
        problems.replaceChildren(missing);
      } else {
        problems.replaceChildren(errorBox(error, "The scenario did not run: "));
      }
    } finally {
      button.disabled = !available;
      if (!signal.aborted) {
        drawRuns();
        drawCharts();
      }
    }
  });

  drawRuns();
  drawCharts();
  loadRuns().filter((r) => UNFINISHED.includes(r.status)).forEach(resume);
}
