"""What ``dom scenario run | compare | sweep`` do, given units of work (or none) and a console.

``dom/cli.py`` wires the database in; this module only reads YAML, runs, prints rich tables
and writes reports, so it stays free of storage and the web.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lifecycle.uow import UnitOfWork
from models import InvalidInput
from planner import service
from planner.compare import KPI_ORDER, compare
from planner.definition import ScenarioDefinition, parse_definition
from planner.report import LABELS, check_report_folder, fmt, write_report
from planner.scenario import evaluate
from planner.sweep import frontier, run_many, sweep_inputs

UowFactory = Callable[[], UnitOfWork]


def load_definition(path: Path) -> ScenarioDefinition:
    """A scenario definition from a YAML (or JSON) file."""
    if not path.is_file():
        raise InvalidInput(f"scenario file {str(path)!r} does not exist", loc=("file",))
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise InvalidInput(f"{path}: not valid YAML: {error}", loc=("file",)) from error
    if not isinstance(raw, dict):
        raise InvalidInput(f"{path}: a scenario file is a mapping with at least a name",
                           loc=("file",))
    return parse_definition(raw)


def needs_database(definition: ScenarioDefinition) -> bool:
    return definition.base != "empty"


def kpi_table(runs: Sequence[dict[str, Any]], title: str = "KPIs",
              differences: dict[str, Any] | None = None) -> Table:
    table = Table(title=title)
    table.add_column("KPI")
    for run in runs:
        table.add_column(str(run["name"]), justify="right")
    if differences is not None:
        table.add_column("B - A", justify="right")
    for key in KPI_ORDER:
        cells = [fmt(run["kpis"].get(key)) for run in runs]
        if differences is not None:
            cells.append(fmt(differences.get(key)))
        table.add_row(LABELS[key], *cells)
    return table


def utilization_table(runs: Sequence[dict[str, Any]]) -> Table:
    table = Table(title="Utilization (shipped / capacity, or / stock without a capacity)")
    table.add_column("Location")
    for run in runs:
        table.add_column(str(run["name"]), justify="right")
    for loc in sorted({loc for r in runs for loc in r["kpis"].get("utilization", {})}):
        table.add_row(loc, *[fmt(r["kpis"]["utilization"].get(loc)) for r in runs])
    return table


def _solver_line(run: dict[str, Any]) -> str:
    s = run["solver"]
    return (f"{run['name']}: solver {s.get('name')} {s.get('status')}, gap {fmt(s.get('gap'))}, "
            f"{fmt(s.get('ms'))} ms")


def run_file(path: Path, out: Console, *, reader: UowFactory | None,
             writer: UowFactory | None, report: Path | None) -> dict[str, Any]:
    """Run one scenario file; print its KPIs; store it when ``writer`` is given."""
    definition = load_definition(path)
    if report is not None:
        check_report_folder(report)
    prepared = service.prepare(definition, reader, base_dir=path.parent)
    service.refuse_sweep(prepared)
    size = f"{len(prepared.input.orders)} orders, {len(prepared.input.locations)} locations"
    with out.status(f"solving {definition.name!r} ({size}; at most "
                    f"{prepared.input.params.time_limit_ms / 1000:g} s)"):
        outcome = evaluate(prepared.input)
    # the report first: a run whose report could not be written is not kept either
    files = write_report(report, f"Scenario: {definition.name}", [outcome]) \
        if report is not None else None
    if writer is not None:
        record = service.store(writer, definition, outcome)
        outcome["scenario_id"] = record.id
    out.print(kpi_table([outcome], title=f"Scenario: {definition.name}"))
    out.print(utilization_table([outcome]))
    if "replay" in outcome["kpis"]:
        replay = outcome["kpis"]["replay"]
        table = Table(title="Replay: decided by live sourcing against this policy")
        table.add_column("measure")
        table.add_column("value", justify="right")
        for key, value in replay.items():
            table.add_row(key, fmt(value))
        out.print(table)
    out.print(_solver_line(outcome))
    if "scenario_id" in outcome:
        out.print(f"stored as scenario {outcome['scenario_id']}")
    if files:
        out.print(f"report: {files[0]}")
    return outcome


def compare_runs(a: dict[str, Any], b: dict[str, Any], out: Console,
                 report: Path | None) -> dict[str, Any]:
    answer = compare(a, b)
    runs = answer["scenarios"]
    out.print(kpi_table(runs, title=f"{a['name']} (A) against {b['name']} (B)",
                        differences=answer["differences"]))
    out.print(utilization_table(runs))
    if report is not None:
        files = write_report(report, f"{a['name']} against {b['name']}", runs,
                             differences=answer["differences"])
        out.print(f"report: {files[0]}")
    return answer


def _connect(scheduler: str, out: Console) -> Any:
    """A Dask client for ``scheduler``, or None (and a warning) when it cannot be reached: the
    sweep then runs on local processes rather than failing after the connection timeout."""
    from distributed import Client

    try:
        return Client(scheduler, timeout=10)  # type: ignore[no-untyped-call]
    except ValueError as error:  # not an address at all: a typo to fix, not a cluster down
        raise InvalidInput(f"DOM_DASK_SCHEDULER {scheduler!r} is not a scheduler address "
                           f"({error}); for example tcp://scheduler:8786",
                           loc=("DOM_DASK_SCHEDULER",)) from error
    except (OSError, TimeoutError) as error:
        out.print(f"[yellow]Dask scheduler {scheduler} cannot be reached ({error}); the sweep "
                  "runs on local processes[/yellow]")
        return None


def sweep_file(path: Path, out: Console, *, reader: UowFactory | None, report: Path | None,
               scheduler: str | None = None, client: Any = None) -> dict[str, Any]:
    """Run a sweep file's points in parallel; print the frontier; write the report."""
    definition = load_definition(path)
    if report is not None:
        check_report_folder(report)
    prepared = service.prepare(definition, reader, base_dir=path.parent)
    inputs = sweep_inputs(prepared.base, definition)
    own = _connect(scheduler, out) if scheduler and client is None else None
    client = client or own
    where = f"Dask at {scheduler}" if own else "Dask" if client else "local processes"
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=out) as bar:
            task = bar.add_task(f"sweep on {where}", total=len(inputs))
            points = run_many(inputs, client=client,
                              progress=lambda done, _total: bar.update(task, completed=done))
    finally:
        if own is not None:
            own.close()
    front = frontier(points)
    assert definition.sweep is not None
    field = definition.sweep.field
    table = Table(title=f"Frontier over {field} (cost against delivery time)")
    for column in (field, "mean delivery days", "total cost", "fill rate", "on frontier"):
        table.add_column(column, justify="right")
    on_front = {id(p) for p in front}
    for p in points:
        table.add_row(fmt(p["label"][field]), fmt(p["kpis"]["mean_delivery_days"]),
                      fmt(p["kpis"]["total_cost"]), fmt(p["kpis"]["fill_rate"]),
                      "yes" if id(p) in on_front else "")
    out.print(table)
    if report is not None:
        files = write_report(report, f"Sweep: {definition.name} over {field}", points,
                             front=front)
        out.print(f"report: {files[0]}")
    return {"points": points, "frontier": front}
