"""Reports a planner can open offline: one HTML file (plotly.js embedded, PNGs inlined) plus
the PNG charts beside it (drawn with matplotlib, no browser needed)."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from models import InvalidInput
from planner.compare import KPI_ORDER

LABELS = {"orders": "Orders", "units_ordered": "Units ordered", "units_filled": "Units filled",
          "total_cost": "Total cost", "cost_per_order": "Cost per order",
          "mean_delivery_days": "Mean delivery days", "p95_delivery_days": "p95 delivery days",
          "fill_rate": "Fill rate", "split_rate": "Split rate", "shipments": "Shipments"}


def fmt(value: Any) -> str:
    """How every report and table prints a KPI (tests look for these strings)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:.0f}"
    return str(value)


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(fmt(c) if not isinstance(c, str) else c)}"
                                    "</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def kpi_rows(runs: Sequence[dict[str, Any]]) -> list[list[Any]]:
    return [[LABELS[k], *[r["kpis"].get(k) for r in runs]] for k in KPI_ORDER]


def _png(path: Path, draw: Any) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4), dpi=100)
    draw(axes)
    figure.tight_layout()
    figure.savefig(path, format="png")
    plt.close(figure)
    return path


def _utilization_png(path: Path, runs: Sequence[dict[str, Any]]) -> Path:
    locations = sorted({loc for r in runs for loc in r["kpis"].get("utilization", {})})

    def draw(axes: Any) -> None:
        width = 0.8 / max(1, len(runs))
        for n, run in enumerate(runs):
            values = [run["kpis"]["utilization"].get(loc) or 0.0 for loc in locations]
            axes.bar([i + n * width for i in range(len(locations))], values, width,
                     label=run["name"])
        axes.set_xticks([i + 0.4 - width / 2 for i in range(len(locations))], locations,
                        rotation=30)
        axes.set_ylabel("utilization")
        axes.set_title("Utilization by location")
        axes.legend(fontsize="small")

    return _png(path, draw)


def _frontier_png(path: Path, points: Sequence[dict[str, Any]],
                  front: Sequence[dict[str, Any]]) -> Path:
    def draw(axes: Any) -> None:
        xs = [p["kpis"]["mean_delivery_days"] for p in points]
        ys = [p["kpis"]["total_cost"] for p in points]
        axes.scatter(xs, ys, label="scenarios", color="#999999")
        axes.step([p["kpis"]["mean_delivery_days"] for p in front],
                  [p["kpis"]["total_cost"] for p in front], where="post", color="#c0392b",
                  marker="o", label="frontier")
        axes.set_xlabel("mean delivery days")
        axes.set_ylabel("total cost")
        axes.set_title("Cost against delivery time")
        axes.legend(fontsize="small")

    return _png(path, draw)


def _plotly(figures: Sequence[Any]) -> str:
    parts = []
    for n, figure in enumerate(figures):
        parts.append(figure.to_html(full_html=False, include_plotlyjs=n == 0,
                                    config={"displaylogo": False}))
    return "\n".join(parts)


def _utilization_figure(runs: Sequence[dict[str, Any]]) -> Any:
    import plotly.graph_objects as go

    figure = go.Figure()
    for run in runs:
        util = run["kpis"].get("utilization", {})
        figure.add_bar(name=run["name"], x=sorted(util), y=[util[k] for k in sorted(util)])
    figure.update_layout(title="Utilization by location", yaxis_title="utilization",
                         barmode="group")
    return figure


def _frontier_figure(points: Sequence[dict[str, Any]], front: Sequence[dict[str, Any]]) -> Any:
    import plotly.graph_objects as go

    figure = go.Figure()
    figure.add_scatter(x=[p["kpis"]["mean_delivery_days"] for p in points],
                       y=[p["kpis"]["total_cost"] for p in points], mode="markers",
                       name="scenarios", text=[p["name"] for p in points])
    figure.add_scatter(x=[p["kpis"]["mean_delivery_days"] for p in front],
                       y=[p["kpis"]["total_cost"] for p in front], mode="lines+markers",
                       line_shape="hv", name="frontier", text=[p["name"] for p in front])
    figure.update_layout(title="Cost against delivery time", xaxis_title="mean delivery days",
                         yaxis_title="total cost")
    return figure


def _page(title: str, sections: Sequence[str]) -> str:
    style = ("body{font-family:system-ui,sans-serif;margin:2rem;color:#222}"
             "table{border-collapse:collapse;margin:1rem 0}"
             "th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}"
             "th:first-child,td:first-child{text-align:left}img{max-width:100%}")
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{style}</style></head><body>"
            f"<h1>{html.escape(title)}</h1>{''.join(sections)}</body></html>")


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<p><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"></p>'


def check_report_folder(directory: Path) -> None:
    """Refuse a report folder that cannot be one (a file, or under a file) before any work is
    done: finding out after a long solve (or a stored run) wastes both."""
    for part in (directory, *directory.parents):
        try:
            exists, is_dir = part.exists(), part.is_dir()
        except OSError as error:  # a name too long, a folder that may not be read
            raise InvalidInput(f"report folder {str(directory)!r} cannot be used: "
                               f"{error.strerror or error}", loc=("report",)) from error
        if exists:
            if not is_dir:
                raise InvalidInput(f"report folder {str(directory)!r}: {str(part)!r} is a file, "
                                   "not a folder", loc=("report",))
            return


def write_report(directory: Path, title: str, runs: Sequence[dict[str, Any]], *,
                 front: Sequence[dict[str, Any]] | None = None,
                 differences: dict[str, Any] | None = None) -> list[Path]:
    """Write ``report.html`` and the PNGs into ``directory``; returns the files written.

    ``runs`` are ``{"name", "kpis", "solver"}``; ``front`` marks a sweep; ``differences`` (b - a)
    a comparison of two runs.
    """
    check_report_folder(directory)
    try:
        return _write(directory, title, runs, front, differences)
    except OSError as error:  # no permission, a full disk, report.html being a folder
        raise InvalidInput(f"report folder {str(directory)!r}: cannot write "
                           f"{error.filename or 'into it'}: {error.strerror or error}",
                           loc=("report",)) from error


def _write(directory: Path, title: str, runs: Sequence[dict[str, Any]],
           front: Sequence[dict[str, Any]] | None,
           differences: dict[str, Any] | None) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    names = [r["name"] for r in runs]
    sections = ["<h2>KPIs</h2>", _table(["KPI", *names], kpi_rows(runs))]
    if differences is not None:
        sections += ["<h2>Differences (B - A)</h2>",
                     _table(["KPI", "B - A"], [[LABELS[k], differences.get(k)]
                                               for k in KPI_ORDER if k in differences])]
    sections += ["<h2>Solver</h2>", _table(
        ["Scenario", "Solver", "Status", "Gap", "ms"],
        [[r["name"], r["solver"].get("name"), r["solver"].get("status"),
          r["solver"].get("gap"), r["solver"].get("ms")] for r in runs])]
    util_rows = sorted({loc for r in runs for loc in r["kpis"].get("utilization", {})})
    sections += ["<h2>Utilization by location</h2>",
                 "<p>Units shipped / capacity where a location has a capacity, otherwise "
                 "units shipped / the stock it holds in the scenario.</p>",
                 _table(["Location", *names],
                        [[loc, *[r["kpis"]["utilization"].get(loc) for r in runs]]
                         for loc in util_rows])]
    files = [_utilization_png(directory / "utilization.png", runs)]
    figures = [_utilization_figure(runs)]
    if front is not None:
        sections += ["<h2>Frontier</h2>", _table(
            ["Scenario", "Mean delivery days", "Total cost", "Fill rate"],
            [[p["name"], p["kpis"]["mean_delivery_days"], p["kpis"]["total_cost"],
              p["kpis"]["fill_rate"]] for p in front])]
        files.append(_frontier_png(directory / "frontier.png", runs, front))
        figures.insert(0, _frontier_figure(runs, front))
    sections += ["<h2>Charts</h2>", _plotly(figures)]
    sections += [_img(path, path.stem) for path in files]
    page = directory / "report.html"
    page.write_text(_page(title, sections), encoding="utf-8")
    return [page, *files]
