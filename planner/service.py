"""Running and storing scenarios through units of work; live data is only ever read.

``run`` validates and prepares in a read transaction (bad input: ``InvalidInput``, nothing
written), then either solves inline and stores the finished scenario in one write, or, for a
large run, stores it as ``running`` and solves in a background thread that records the outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from lifecycle.uow import ScenarioRecord, UnitOfWork
from models import InvalidInput, NotFound, new_id
from planner.base import ScenarioBase, assemble
from planner.compare import compare
from planner.definition import ScenarioDefinition, parse_definition
from planner.scenario import ScenarioInput, apply_changes, evaluate

log = logging.getLogger("dom.planner")

LARGE_RUN_ORDERS = 2_000  # more orders than this (after the demand multiplier): 202 and poll
# A background run ends within its solver time limit (at most 600 s) plus loading and KPIs; one
# still ``running`` this long after it started lost its process (a crash, a restart).
ORPHANED_AFTER = timedelta(minutes=15)
INTERRUPTED = "interrupted: the server stopped while the scenario ran; run it again"
UowFactory = Callable[[], UnitOfWork]

_background: Executor | None = None


def background_executor() -> Executor:
    """Two threads for large runs (the solvers release the GIL while they work)."""
    global _background
    if _background is None:
        _background = ThreadPoolExecutor(max_workers=2, thread_name_prefix="dom-scenario")
    return _background


@dataclass(frozen=True)
class Prepared:
    definition: ScenarioDefinition
    base: ScenarioBase
    input: ScenarioInput


def prepare(raw: Mapping[str, Any] | ScenarioDefinition, reader: UowFactory | None,
            base_dir: Path | None = None) -> Prepared:
    """Validate and load: the definition, its base, and the input of its solve. Reads only."""
    definition = raw if isinstance(raw, ScenarioDefinition) else parse_definition(raw)
    if reader is None:
        base = assemble(definition, None, base_dir)
    else:
        with reader() as uow:
            base = assemble(definition, uow, base_dir)
    return Prepared(definition, base, apply_changes(base, definition.changes, definition.name))


def _now() -> datetime:
    return datetime.now(UTC)


def _finish(writer: UowFactory, scenario_id: str, outcome: dict[str, Any] | None,
            error: str | None) -> None:
    with writer() as uow:
        uow.scenarios.finish(scenario_id, status="failed" if error else "done",
                             kpis=outcome["kpis"] if outcome else None,
                             solver=outcome["solver"] if outcome else None, error=error,
                             finished_at=_now())
        uow.commit()


def _solve_and_record(writer: UowFactory, scenario_id: str, inp: ScenarioInput) -> None:
    try:
        outcome = evaluate(inp)
    except Exception as error:
        log.exception("scenario %s failed", scenario_id)
        _finish(writer, scenario_id, None, f"{type(error).__name__}: {error}")
        return
    _finish(writer, scenario_id, outcome, None)


def refuse_sweep(prepared: Prepared) -> None:
    """One scenario is asked for: a definition with a sweep means many, and running it once
    would drop the sweep without a word."""
    if prepared.definition.sweep is not None:
        raise InvalidInput("a sweep runs many scenarios: use `dom scenario sweep FILE.yaml` "
                           "(or leave sweep out)", loc=("sweep",))


def run(raw: Mapping[str, Any], *, writer: UowFactory, reader: UowFactory | None = None,
        large_from: int = LARGE_RUN_ORDERS, executor: Executor | None = None,
        base_dir: Path | None = None) -> ScenarioRecord:
    """Run and store a scenario; large runs come back ``running`` and finish in the background."""
    prepared = prepare(raw, reader or writer, base_dir)
    refuse_sweep(prepared)
    record = ScenarioRecord(id=new_id("scn"), name=prepared.definition.name, status="running",
                            request=prepared.definition.request(), created_at=_now())
    if len(prepared.input.orders) > large_from:
        with writer() as uow:
            uow.scenarios.add(record)
            uow.commit()
        (executor or background_executor()).submit(_solve_and_record, writer, record.id,
                                                   prepared.input)
        return record
    try:
        outcome = evaluate(prepared.input)
    except Exception as error:  # kept as failed with its reason, like a background run
        log.exception("scenario %s failed", record.id)
        record.status, record.error = "failed", f"{type(error).__name__}: {error}"
    else:
        record.status, record.kpis, record.solver = "done", outcome["kpis"], outcome["solver"]
    record.finished_at = _now()
    with writer() as uow:
        uow.scenarios.add(record)
        uow.commit()
    return record


def fail_orphaned(writer: UowFactory, now: datetime | None = None) -> list[str]:
    """Mark runs whose process died as failed, so a poller stops waiting; their ids.

    Any worker may do this (the timer tick does): a run is only touched once it is older than
    any live run can be, and ``finish`` changes only a row that is still ``running``.
    """
    cutoff = (now or _now()) - ORPHANED_AFTER
    failed: list[str] = []
    with writer() as uow:
        for scenario_id in uow.scenarios.running_since_before(cutoff):
            if uow.scenarios.finish(scenario_id, status="failed", kpis=None, solver=None,
                                    error=INTERRUPTED, finished_at=now or _now()):
                failed.append(scenario_id)
        uow.commit()
    if failed:
        log.warning("scenarios interrupted by a restart marked failed: %s", ", ".join(failed))
    return failed


def store(writer: UowFactory, definition: ScenarioDefinition, outcome: dict[str, Any]
          ) -> ScenarioRecord:
    """Keep a finished run made elsewhere (the CLI, a sweep point)."""
    record = ScenarioRecord(id=new_id("scn"), name=outcome.get("name") or definition.name,
                            status="done", request=definition.request(), created_at=_now(),
                            kpis=outcome["kpis"], solver=outcome["solver"], finished_at=_now())
    with writer() as uow:
        uow.scenarios.add(record)
        uow.commit()
    return record


def get(reader: UowFactory, scenario_id: str) -> ScenarioRecord:
    with reader() as uow:
        record = uow.scenarios.get(scenario_id)
    if record is None:
        raise NotFound(f"scenario {scenario_id!r} does not exist")
    return record


def as_dict(record: ScenarioRecord) -> dict[str, Any]:
    return {"scenario_id": record.id, "name": record.name, "status": record.status,
            "kpis": record.kpis, "solver": record.solver, "error": record.error,
            "changes": record.request.get("changes", {}), "base": record.request.get("base"),
            "created_at": record.created_at, "finished_at": record.finished_at}


def compare_stored(reader: UowFactory, a: str, b: str) -> dict[str, Any]:
    """Two stored scenarios side by side; both must have finished."""
    records = [get(reader, a), get(reader, b)]
    for record in records:
        if record.status != "done":
            raise InvalidInput(f"scenario {record.id} is {record.status}; compare it when it "
                               "is done", loc=("query", "ids"))
    return compare(as_dict(records[0]), as_dict(records[1]))
