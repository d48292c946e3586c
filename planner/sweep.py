"""Trade-off sweeps: one scenario per value of a policy field, run in parallel, and the frontier.

The points run in local processes (at most two) by default, or on a Dask distributed cluster
when a scheduler address is given (``DOM_DASK_SCHEDULER``); either way each worker runs the pure
:func:`planner.scenario.evaluate` on a picklable :class:`ScenarioInput`.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from models import InvalidInput
from planner.base import ScenarioBase
from planner.definition import Changes, ScenarioDefinition
from planner.scenario import ScenarioInput, apply_changes, evaluate, refuse_unpriced_factor

LOCAL_WORKERS = 2
INT_FIELDS = ("max_shipments_per_order", "time_limit_ms")

Progress = Callable[[int, int], None]  # (finished, total)


def _value(field: str, value: float) -> float | int:
    return int(value) if field in INT_FIELDS else float(value)


def sweep_inputs(base: ScenarioBase, definition: ScenarioDefinition) -> list[ScenarioInput]:
    """One scenario input per sweep value; a cost_per_day sweep defaults to balanced."""
    sweep = definition.sweep
    if sweep is None:
        raise InvalidInput("this scenario has no sweep: add sweep: {field, values}",
                           loc=("sweep",))
    changes = definition.changes
    if sweep.field == "unfilled_cost_factor":
        refuse_unpriced_factor(str(base.policy.get("backorder", "allow")), ("sweep", "field"))
    if sweep.field == "cost_per_day" and changes.objective is None:
        changes = changes.model_copy(update={"objective": "balanced"})
    inputs = []
    for raw in dict.fromkeys(sweep.values):
        value = _value(sweep.field, raw)
        point = Changes.model_validate({**changes.model_dump(), sweep.field: value})
        inputs.append(apply_changes(base, point, f"{definition.name} [{sweep.field}={value}]",
                                    label={sweep.field: value}))
    return inputs


def run_local(inputs: Sequence[ScenarioInput], progress: Progress | None = None,
              max_workers: int = LOCAL_WORKERS) -> list[dict[str, Any]]:
    """Evaluate in at most ``max_workers`` local processes; answers in input order."""
    if len(inputs) <= 1 or max_workers <= 1:
        answers = []
        for n, inp in enumerate(inputs):
            answers.append(evaluate(inp))
            if progress:
                progress(n + 1, len(inputs))
        return answers
    context = multiprocessing.get_context("forkserver")
    results: dict[int, dict[str, Any]] = {}
    with ProcessPoolExecutor(max_workers=min(max_workers, len(inputs)),
                             mp_context=context) as pool:
        futures = {pool.submit(evaluate, inp): n for n, inp in enumerate(inputs)}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            if progress:
                progress(len(results), len(inputs))
    return [results[n] for n in range(len(inputs))]


def run_dask(inputs: Sequence[ScenarioInput], client: Any,
             progress: Progress | None = None) -> list[dict[str, Any]]:
    """Evaluate on a Dask distributed cluster through ``client``; answers in input order."""
    from distributed import as_completed as dask_completed

    futures = client.map(evaluate, list(inputs), pure=False)
    index = {f.key: n for n, f in enumerate(futures)}
    results: dict[int, dict[str, Any]] = {}
    for future in dask_completed(futures):  # type: ignore[no-untyped-call]
        results[index[future.key]] = future.result()
        if progress:
            progress(len(results), len(inputs))
    return [results[n] for n in range(len(inputs))]


def run_many(inputs: Sequence[ScenarioInput], *, scheduler: str | None = None,
             client: Any = None, progress: Progress | None = None) -> list[dict[str, Any]]:
    """On the Dask cluster at ``scheduler`` (or ``client``) when given, else local processes."""
    if client is not None:
        return run_dask(inputs, client, progress)
    if scheduler:
        from distributed import Client

        with Client(scheduler) as connected:  # type: ignore[no-untyped-call]
            return run_dask(inputs, connected, progress)
    return run_local(inputs, progress)


def frontier(points: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The points no other point beats on both total cost and mean delivery days.

    Sorted by delivery days (fastest first); along it cost never rises as delivery slows, i.e.
    as delivery time falls, cost never falls. Points without deliveries are left out.
    """
    usable = [p for p in points if p["kpis"].get("mean_delivery_days") is not None]
    ordered = sorted(usable, key=lambda p: (p["kpis"]["mean_delivery_days"],
                                            p["kpis"]["total_cost"]))
    kept: list[dict[str, Any]] = []
    for point in ordered:
        cost = point["kpis"]["total_cost"]
        if kept and cost >= kept[-1]["kpis"]["total_cost"]:
            continue  # as fast or slower, and no cheaper: dominated
        kept.append(point)
    return kept
