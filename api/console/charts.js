// Inline SVG charts, drawn offline: a scatter with its Pareto frontier, horizontal bars
// (one or two series) and a lat/lon map of locations (no tiles). Each chart is role="img"
// with a <title> and <desc>; every mark has its own <title> (a tooltip and a screen-reader text).

const NS = "http://www.w3.org/2000/svg";

function s(tag, attrs = {}, ...children) {
  const element = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) element.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

let uid = 0;
function frame(width, height, title, desc, className) {
  uid += 1;
  const titleId = `chart-title-${uid}`;
  const descId = `chart-desc-${uid}`;
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: `chart ${className}`,
    "aria-labelledby": `${titleId} ${descId}`, preserveAspectRatio: "xMidYMid meet" });
  svg.append(s("title", { id: titleId }, title), s("desc", { id: descId }, desc));
  return svg;
}

/** About five round tick values covering [low, high]. */
export function ticks(low, high, count = 5) {
  if (!Number.isFinite(low) || !Number.isFinite(high)) return [];
  if (low === high) {
    const pad = Math.abs(low) * 0.1 || 1;
    low -= pad;
    high += pad;
  }
  const raw = (high - low) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((v) => v >= raw) || raw;
  const out = [];
  for (let v = Math.floor(low / step) * step; v <= high + step * 1e-9; v += step) {
    out.push(Number(v.toPrecision(12)));
  }
  if (out[out.length - 1] < high) out.push(Number((out[out.length - 1] + step).toPrecision(12)));
  return out;
}

function fmt(value) {
  return Number(value).toLocaleString(undefined, { maximumFractionDigits: 2 });
}

/** The points no other point beats on both x and y (both minimized), sorted by x. */
export function paretoFrontier(points) {
  const sorted = [...points].sort((a, b) => a.x - b.x || a.y - b.y);
  const frontier = [];
  let best = Infinity;
  for (const point of sorted) {
    if (point.y < best) {
      frontier.push(point);
      best = point.y;
    }
  }
  return frontier;
}

/**
 * A scatter of {x, y, label, selected} points with axes, ticks and (optionally) the Pareto
 * frontier (lower x and lower y are both better) drawn as a step line.
 */
export function scatterChart({ points, xLabel, yLabel, title, desc, frontier = true }) {
  const width = 640;
  const height = 360;
  const m = { top: 20, right: 24, bottom: 52, left: 78 };
  const svg = frame(width, height, title, desc, "scatter");
  const valid = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const xt = ticks(Math.min(0, ...valid.map((p) => p.x)), Math.max(1, ...valid.map((p) => p.x)));
  const yt = ticks(Math.min(0, ...valid.map((p) => p.y)), Math.max(1, ...valid.map((p) => p.y)));
  const [x0, x1] = [xt[0], xt[xt.length - 1]];
  const [y0, y1] = [yt[0], yt[yt.length - 1]];
  const X = (v) => m.left + ((v - x0) / (x1 - x0 || 1)) * (width - m.left - m.right);
  const Y = (v) => height - m.bottom - ((v - y0) / (y1 - y0 || 1)) * (height - m.top - m.bottom);
  const axes = s("g", { class: "axes" });
  for (const t of xt) {
    axes.append(s("line", { x1: X(t), x2: X(t), y1: m.top, y2: height - m.bottom, class: "grid" }),
      s("text", { x: X(t), y: height - m.bottom + 18, "text-anchor": "middle", class: "tick" },
        fmt(t)));
  }
  for (const t of yt) {
    axes.append(s("line", { x1: m.left, x2: width - m.right, y1: Y(t), y2: Y(t), class: "grid" }),
      s("text", { x: m.left - 8, y: Y(t) + 4, "text-anchor": "end", class: "tick" }, fmt(t)));
  }
  axes.append(
    s("line", { x1: m.left, x2: width - m.right, y1: height - m.bottom, y2: height - m.bottom,
      class: "axis" }),
    s("line", { x1: m.left, x2: m.left, y1: m.top, y2: height - m.bottom, class: "axis" }),
    s("text", { x: (m.left + width - m.right) / 2, y: height - 10, "text-anchor": "middle",
      class: "axis-label" }, xLabel),
    s("text", { x: 16, y: (m.top + height - m.bottom) / 2, "text-anchor": "middle",
      transform: `rotate(-90 16 ${(m.top + height - m.bottom) / 2})`, class: "axis-label" },
    yLabel));
  svg.append(axes);
  if (frontier && valid.length > 1) {
    const best = paretoFrontier(valid);
    let path = "";
    best.forEach((p, i) => {
      path += i === 0 ? `M${X(p.x)},${Y(p.y)}` : `H${X(p.x)}V${Y(p.y)}`;
    });
    svg.append(s("path", { d: path, class: "frontier" }, s("title", {},
      `Frontier: ${best.map((p) => p.label).join(", ")}`)));
  }
  const marks = s("g", { class: "points" });
  for (const p of valid) {
    marks.append(s("circle", { cx: X(p.x), cy: Y(p.y), r: p.selected ? 8 : 6,
      class: `point${p.selected ? " selected" : ""}`, "data-x": p.x, "data-y": p.y,
      "data-label": p.label }, s("title", {}, `${p.label}: ${xLabel} ${fmt(p.x)}, ${yLabel} ${fmt(p.y)}`)));
    marks.append(s("text", { x: X(p.x) + 10, y: Y(p.y) - 8, class: "point-label" }, p.label));
  }
  svg.append(marks);
  if (!valid.length) {
    svg.append(s("text", { x: width / 2, y: height / 2, "text-anchor": "middle", class: "empty" },
      "No runs yet"));
  }
  return svg;
}

/**
 * Horizontal bars: rows [{label, values: [number|null, ...]}] for one or two series
 * ``series`` (names). ``format`` turns a value into text; ``max`` fixes the scale.
 */
export function barChart({ rows, series, title, desc, format = fmt, max }) {
  const width = 640;
  const band = series.length > 1 ? 34 : 24;
  const m = { top: series.length > 1 ? 30 : 10, right: 70, bottom: 10, left: 150 };
  const height = m.top + m.bottom + Math.max(1, rows.length) * band;
  const svg = frame(width, height, title, desc, "bars");
  const top = Math.max(max || 0, ...rows.flatMap((r) => r.values.map((v) => Number(v) || 0)));
  const W = (v) => ((Number(v) || 0) / (top || 1)) * (width - m.left - m.right);
  const barHeight = (band - 8) / series.length;
  if (series.length > 1) {
    series.forEach((name, i) => {
      svg.append(s("rect", { x: m.left + i * 140, y: 8, width: 12, height: 12,
        class: `bar series-${i}` }), s("text", { x: m.left + i * 140 + 18, y: 18, class: "tick" },
        name));
    });
  }
  rows.forEach((row, r) => {
    const y = m.top + r * band;
    svg.append(s("text", { x: m.left - 8, y: y + band / 2 + 4, "text-anchor": "end",
      class: "bar-label" }, row.label));
    row.values.forEach((value, i) => {
      const by = y + 4 + i * barHeight;
      const text = value === null || value === undefined ? "—" : format(value);
      svg.append(s("rect", { x: m.left, y: by, width: Math.max(0, W(value)), height: barHeight - 2,
        class: `bar series-${i}`, "data-value": value ?? "" },
      s("title", {}, `${row.label}${series.length > 1 ? ` (${series[i]})` : ""}: ${text}`)));
      svg.append(s("text", { x: m.left + W(value) + 6, y: by + barHeight / 2 + 2,
        class: "bar-value" }, text));
    });
  });
  if (!rows.length) {
    svg.append(s("text", { x: width / 2, y: height / 2 + 4, "text-anchor": "middle",
      class: "empty" }, "No data"));
  }
  return svg;
}

/**
 * Locations on a lat/lon plane (equirectangular, scaled by the cosine of the middle latitude):
 * [{id, name, type, lat, lon, value, closed, detail}]; circle area follows ``value``.
 */
export function mapChart({ locations, title, desc, valueLabel = "available" }) {
  const width = 640;
  const height = 380;
  const pad = 40;
  const svg = frame(width, height, title, desc, "map");
  const placed = locations.filter((l) => Number.isFinite(l.lat) && Number.isFinite(l.lon));
  if (!placed.length) {
    svg.append(s("text", { x: width / 2, y: height / 2, "text-anchor": "middle", class: "empty" },
      "No locations"));
    return svg;
  }
  const lats = placed.map((l) => l.lat);
  const lons = placed.map((l) => l.lon);
  const [latMin, latMax] = [Math.min(...lats) - 2, Math.max(...lats) + 2];
  const [lonMin, lonMax] = [Math.min(...lons) - 3, Math.max(...lons) + 3];
  const k = Math.cos((((latMin + latMax) / 2) * Math.PI) / 180);
  const spanX = (lonMax - lonMin) * k || 1;
  const spanY = latMax - latMin || 1;
  const scale = Math.min((width - 2 * pad) / spanX, (height - 2 * pad) / spanY);
  const ox = (width - spanX * scale) / 2;
  const oy = (height - spanY * scale) / 2;
  const X = (lon) => ox + (lon - lonMin) * k * scale;
  const Y = (lat) => oy + (latMax - lat) * scale;
  const grid = s("g", { class: "graticule" });
  for (let lon = Math.ceil(lonMin / 5) * 5; lon <= lonMax; lon += 5) {
    grid.append(s("line", { x1: X(lon), x2: X(lon), y1: Y(latMax), y2: Y(latMin), class: "grid" }),
      s("text", { x: X(lon), y: Y(latMin) + 14, "text-anchor": "middle", class: "tick" },
        `${Math.abs(lon)}°${lon < 0 ? "W" : "E"}`));
  }
  for (let lat = Math.ceil(latMin / 5) * 5; lat <= latMax; lat += 5) {
    grid.append(s("line", { x1: X(lonMin), x2: X(lonMax), y1: Y(lat), y2: Y(lat), class: "grid" }),
      s("text", { x: X(lonMin) - 4, y: Y(lat) + 4, "text-anchor": "end", class: "tick" },
        `${Math.abs(lat)}°${lat < 0 ? "S" : "N"}`));
  }
  svg.append(grid);
  const top = Math.max(1, ...placed.map((l) => Number(l.value) || 0));
  const radius = (v) => 4 + 18 * Math.sqrt(Math.max(0, Number(v) || 0) / top);
  const marks = s("g", { class: "points" });
  const placedLabels = [];
  // Larger circles first so the small ones stay clickable and visible on top.
  const order = [...placed].sort((a, b) => (Number(b.value) || 0) - (Number(a.value) || 0));
  for (const l of order) {
    const x = X(l.lon);
    const y = Y(l.lat);
    const hasValue = l.value !== null && l.value !== undefined;
    const text = `${l.name || l.id} (${l.id}, ${l.type})` +
      (hasValue ? `: ${valueLabel} ${fmt(l.value)}` : "") + (l.closed ? " — closed" : "") +
      (l.detail ? ` — ${l.detail}` : "");
    const group = s("g", { class: `location type-${l.type}${l.closed ? " closed" : ""}`,
      "data-id": l.id, "data-value": hasValue ? l.value : "" });
    group.append(s("circle", { cx: x, cy: y, r: hasValue ? radius(l.value) : 4,
      class: `point${hasValue && Number(l.value) > 0 ? "" : " empty-point"}` }, s("title", {}, text)));
    if (l.closed) {
      group.append(s("path", { d: `M${x - 7},${y - 7}L${x + 7},${y + 7}M${x - 7},${y + 7}L${x + 7},${y - 7}`,
        class: "closed-mark" }));
    }
    const crowded = placedLabels.some(([px, py]) => Math.abs(px - x) < 60 && Math.abs(py - y) < 14);
    placedLabels.push([x, y]);
    group.append(s("text", { x: crowded ? x - 8 : x + 8, y: crowded ? y + 16 : y - 6,
      "text-anchor": crowded ? "end" : "start", class: "point-label" }, l.id));
    marks.append(group);
  }
  svg.append(marks);
  const legend = s("g", { class: "legend", transform: "translate(12, 14)" });
  ["warehouse", "store", "supplier"].forEach((type, i) => {
    legend.append(s("circle", { cx: 6 + i * 96, cy: 0, r: 6, class: `point legend-${type}` }),
      s("text", { x: 16 + i * 96, y: 4, class: "tick" }, type));
  });
  svg.append(legend);
  return svg;
}
