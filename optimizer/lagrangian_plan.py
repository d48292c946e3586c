"""A plan for a big batch from the Lagrangian relaxation: price shared stock, solve every order
on its own, repair the overlaps, and keep the best answer met on the way.

The subgradient loop (:func:`optimizer.lagrange.improve_bound`) runs in this process and raises
the lower bound; every point it visits gives each order's own optimum at those prices, and a
worker of the executor turns them into a feasible answer (:func:`optimizer.repair.repair`) while
the loop goes on. Better answers tighten the loop's target, which shortens its steps. Answers
already computing on the executor (the order-by-order one, when the caller could afford it)
join the race, so the plan is never worse than what a DOM sourcing orders one by one would do.

On 10,000 x 50, from the duals of an interior-point LP stopped after 25 s, the first repair
was 5-6% cheaper than order by order, and the bound from the same loop was above the LP's
value (benchmarks/README.md, "Lagrangian plan").
"""

from __future__ import annotations

import itertools
import time
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field

import numpy as np

from optimizer import lagrange
from optimizer.backends.exact import sequential_units
from optimizer.objective import Weights, evaluate
from optimizer.problem import FloatArray, IntArray, Problem
from optimizer.repair import repair


@dataclass(frozen=True, eq=False)
class RepairTask:
    """Per-order plans to repair (in a worker: everything it needs travels with the task)."""

    problem: Problem
    weights: Weights
    plans: FloatArray | None  # None: source order by order instead
    arc_prices: FloatArray | None = None  # added to unit costs for the leftovers (repair.py)


def run_repair_task(task: RepairTask) -> IntArray:
    if task.plans is None:
        return sequential_units(task.problem, task.weights)
    return repair(task.problem, task.weights, task.plans, task.arc_prices)


# A repair made in this process when none came back from the executor sources its leftover
# orders one by one for at most this share of the time the search took, then greedily
LOCAL_REPAIR_SHARE = 0.5
# Each point is repaired at plain costs and with this share of its multipliers added (the
# better of the two differs by instance; README, "Lagrangian plan")
PRICE_SHARES = (0.0, 0.5)


def submit_order_by_order(
    executor: Executor, problem: Problem, weights: Weights
) -> dict[Future[IntArray], str]:
    """The order-by-order answer computed on a worker (nothing if the executor refuses)."""
    try:
        future = executor.submit(run_repair_task, RepairTask(problem, weights, None))
    except Exception:
        return {}
    return {future: "order by order"}


@dataclass
class PlanSearch:
    """The best answer found, where it came from, and the bound the loop reached."""

    units: IntArray
    objective: float
    source: str
    improvement: lagrange.Improvement
    repairs: int = 0
    sources: dict[str, float] = field(default_factory=dict)  # best objective per source


def search(
    problem: Problem,
    weights: Weights,
    start: lagrange.Duals,
    deadline: float,
    executor: Executor,
    workers: int,
    plans: dict[str, IntArray],
    theta: float,
    pending: dict[Future[IntArray], str] | None = None,
    patience: float | None = None,
) -> PlanSearch:
    """Subgradient steps until ``deadline`` with repairs on ``executor``; the best of ``plans``
    (named feasible answers, e.g. greedy), the repairs and the ``pending`` answers already
    being computed on the executor (e.g. :func:`submit_order_by_order`).

    Repairs run ``workers`` at a time at most (fewer while pending answers are computed). When
    none came back (an executor that refuses work, or one whose workers are still starting or
    busy), one is done here at the end. The steps stop at ``deadline``; answers still
    computing are awaited until then, and until ``patience`` (a later deadline) for the first
    repair and the pending answers: on a loaded machine they may come late, and the first
    repair is usually the one that counts.
    """
    began = time.perf_counter()
    scores = {name: evaluate(problem, weights, u).objective for name, u in plans.items()}
    best_name = min(scores, key=scores.__getitem__)
    found = PlanSearch(
        units=plans[best_name],
        objective=scores[best_name],
        source=best_name,
        improvement=lagrange.Improvement(-np.inf, start, -np.inf, 0, 0.0),
        sources=dict(scores),
    )
    running: dict[Future[IntArray], str] = dict(pending or {})
    first_batch: set[Future[IntArray]] = set(running)  # awaited until ``patience``
    refused = False
    submitted = 0  # repairs submitted so far
    last: FloatArray | None = None  # the latest per-order plans (repaired here if refused)
    shares = itertools.cycle(PRICE_SHARES)

    def submit(
        plans_now: FloatArray | None,
        name: str,
        prices: FloatArray | None = None,
        initial: bool = False,
    ) -> None:
        nonlocal refused
        try:
            task = RepairTask(problem, weights, plans_now, prices)
            future = executor.submit(run_repair_task, task)
            running[future] = name
            if initial:
                first_batch.add(future)
        except Exception:  # a closed pool or cluster: repair here once at the end
            refused = True

    def harvest() -> None:
        for future in [f for f in running if f.done()]:
            name = running.pop(future)
            if future.cancelled() or future.exception() is not None:
                continue
            units = future.result()
            objective = evaluate(problem, weights, units).objective
            found.sources[name] = min(found.sources.get(name, np.inf), objective)
            if name.startswith("Lagrangian"):
                found.repairs += 1
            if objective < found.objective:
                found.units, found.objective, found.source = units, objective, name

    def on_evaluation(duals: lagrange.Duals, ev: lagrange.Evaluation) -> float:
        nonlocal last, submitted
        harvest()
        last = ev.units
        multipliers = duals.stock[problem.arc_loc, problem.arc_sku] + np.where(
            np.isfinite(problem.loc_capacity), duals.capacity, 0.0
        )[problem.arc_loc]
        initial = submitted == 0
        for _ in range(len(PRICE_SHARES) if initial else 1):
            repairs_running = sum(1 for n in running.values() if n.startswith("Lagrangian"))
            others_running = len(running) - repairs_running
            if refused or repairs_running >= max(1, workers - others_running):
                break
            share = next(shares)
            submit(ev.units, "Lagrangian repair", share * multipliers if share else None, initial)
            submitted += 1
        return found.objective

    found.improvement = lagrange.improve_bound(
        problem, weights, start, deadline, found.objective, theta=theta,
        on_evaluation=on_evaluation,
    )
    late = max(deadline, patience or deadline)

    def awaited() -> bool:
        if time.perf_counter() < deadline:
            return bool(running)
        return time.perf_counter() < late and any(f in first_batch for f in running)

    while awaited():
        time.sleep(0.01)
        harvest()
    harvest()
    for future in running:
        future.cancel()
    if (refused or not found.repairs) and last is not None:
        # no repair came back: the executor refused work, or its workers were still starting
        # or busy (1,500 x 30 with 2 s: the first repair, 0.13 s of work here, came back
        # 0.3-0.7 s after it was sent, past the patience in 5 of 8 solves, and the plan stayed
        # greedy, 47% dearer). Repaired here, the leftovers sourced order by order for at most
        # half the search's time, then greedily.
        now = time.perf_counter()
        units = repair(problem, weights, last, deadline=now + LOCAL_REPAIR_SHARE * (now - began))
        objective = evaluate(problem, weights, units).objective
        found.repairs += 1
        found.sources["Lagrangian repair"] = objective
        if objective < found.objective:
            found.units, found.objective, found.source = units, objective, "Lagrangian repair"
    return found
