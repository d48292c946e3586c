"""The one entry point: pick a backend, hold it to the time limit, never come back empty.

Greedy runs first (milliseconds) and is the floor: whatever happens to the chosen backend (it
times out without an incumbent, it raises, it does not apply) the caller gets a feasible answer
with an honest status.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor

from optimizer.backends import BackendAnswer, SolveContext, get_backend
from optimizer.backends.exact import applicable as exact_applicable
from optimizer.backends.exact import enumerate_order, sequential_units
from optimizer.backends.greedy import greedy_units
from optimizer.builder import build_problem
from optimizer.decode import assignments_from_units
from optimizer.explain import add_alternatives
from optimizer.objective import Weights, build_weights, evaluate
from optimizer.params import Params
from optimizer.problem import IntArray, Problem
from optimizer.result import Result
from optimizer.specs import LocationSpec, OrderSpec
from optimizer.watchdog import Cancelled, CancelToken, run_with_deadline

# Size thresholds for solver="auto", from benchmarks/README.md (2-core machine):
# HiGHS wins up to ~12k arcs (1,000 x 25); at 30k arcs (2,000 x 30) lp_fix was 7% cheaper.
LP_FIX_FROM_ARCS = 20_000
# From here auto splits the batch into regions solved in parallel (optimizer/split.py), each
# improving on a plan: lp_fix's answer up to split.JOINT_LP_UP_TO_ARCS (2,000 x 30: 4.2% above
# the LP vs lp_fix's 5.0%), the order-by-order one beyond, where neither the joint LP nor the
# MIP gets anywhere in 60 s (10,000 x 50; benchmarks/README.md, "Large batches").
SPLIT_FROM_ARCS = 20_000
LP_FIX_SHARE_BEFORE_SPLIT = 0.6  # a split small enough for the joint LP improves on lp_fix
# The exact search runs inline (no watchdog; it gives up after a quarter of the limit and HiGHS
# gets the rest). Measured CPU (benchmarks/README.md): 5 x 50 ~0.4 ms, 20 x 200 ~6 ms, 20 x 500
# 30-90 ms, 20 x 1,000 0.3-0.5 s, while HiGHS needs ~20 ms at 5 x 50 and hits 2 s at 20 x 200.
EXACT_UP_TO_LOCATIONS = 1_000
EXPLAIN_UP_TO_ORDERS = 2_000  # explanations are per order; big batches skip them
# Order-by-order enumeration cost per order, measured: 0.6 ms at 30 locations, 2.9 ms at 50.
SEQUENTIAL_MS_PER_LOCATION_SQUARED = 0.0012


def choose_backend(problem: Problem, params: Params) -> str:
    """exact for one order it applies to, HiGHS for batches, lp_fix for large ones, regions
    in parallel (split) for the huge."""
    if params.solver != "auto":
        return params.solver
    if exact_applicable(problem) and problem.n_pairs <= EXACT_UP_TO_LOCATIONS:
        return "exact"
    if problem.n_arcs >= SPLIT_FROM_ARCS:
        return "split"
    return "highs" if problem.n_arcs < LP_FIX_FROM_ARCS else "lp_fix"


def _floor(problem: Problem, weights: Weights, params: Params, name: str) -> IntArray:
    """Greedy, or order-by-order enumeration when it is asked for or cheap within the limit.

    The better of the two is every MIP's warm start and the answer of last resort.
    """
    greedy = greedy_units(problem, params.max_shipments_per_order, params.allow_line_split)
    per_order = max(0.3, SEQUENTIAL_MS_PER_LOCATION_SQUARED * problem.n_locations**2)
    share = 0.7 if name == "split" else 0.5  # a split improves on it region by region
    affordable = problem.n_orders * per_order <= share * params.time_limit_ms
    if name in ("greedy", "exact") or (name != "sequential" and not affordable):
        return greedy
    sequential = sequential_units(problem, weights)
    if name == "sequential":
        return sequential
    by_score = [
        (evaluate(problem, weights, u).objective, i) for i, u in enumerate([greedy, sequential])
    ]
    return [greedy, sequential][min(by_score)[1]]


def _grace_s(limit_s: float) -> float:
    return min(max(0.05, 0.25 * limit_s), 2.0)


def solve(
    problem: Problem,
    params: Params | None = None,
    *,
    executor: Executor | None = None,
    workers: int | None = None,
    part_orders: int | None = None,
) -> Result:
    """Source ``problem``; the answer is always feasible and says how good it is.

    ``executor`` (and its ``workers``) runs the parts of a split batch (``solver="split"``, or
    ``auto`` on a big batch): a local process pool by default, a Dask client's executor on a
    cluster; ``part_orders`` caps a region's size (default ``split.PART_ORDERS``).
    """
    params = params or Params()
    started = time.perf_counter()
    limit_s = params.time_limit_ms / 1000.0
    weights = build_weights(problem, params)
    name = choose_backend(problem, params)
    floor = _floor(problem, weights, params, name)
    ctx = SolveContext(problem, params, weights, time_limit_s=limit_s, start=floor)
    if name == "split":
        answer, solver_name, note = _run_split(
            ctx, started, limit_s, executor, workers, part_orders
        )
    else:
        answer, solver_name, note = _run(name, ctx, started, limit_s)

    units, status = answer.arc_units, answer.status
    floor_score = evaluate(problem, weights, floor)
    if units is None or evaluate(problem, weights, units).objective > floor_score.objective:
        units = floor
        status = "time_limit" if answer.status == "time_limit" else "feasible"
        note = (note + "; " if note else "") + "greedy floor used"
    score = evaluate(problem, weights, units)
    bound = score.objective if status == "optimal" and answer.bound is None else answer.bound
    if bound is not None:
        bound = min(bound, score.objective)
    gap = (
        None
        if bound is None
        else max(0.0, score.objective - bound) / max(abs(score.objective), 1e-9)
    )
    solved = time.perf_counter()

    assignments = assignments_from_units(problem, weights, units)
    if problem.n_orders <= EXPLAIN_UP_TO_ORDERS:
        add_alternatives(problem, params, units, assignments, proven=status == "optimal")
    return Result(
        status=status,
        solver=solver_name,
        objective=score.objective,
        bound=bound,
        gap=gap,
        build_ms=problem.build_ms,
        solve_ms=(solved - started) * 1000.0,
        assignments=assignments,
        opportunity_costs=answer.opportunity_costs,
        message=note,
        timings={"model_ms": ctx.model_ms, "total_ms": (time.perf_counter() - started) * 1000.0},
    )


def _run_split(
    ctx: SolveContext,
    started: float,
    limit_s: float,
    executor: Executor | None,
    workers: int | None,
    part_orders: int | None,
) -> tuple[BackendAnswer, str, str]:
    """Regions (or independent parts) in parallel, improving on a plan: the floor, or lp_fix's
    answer when the joint LP is small enough to solve first (2,000 x 30: ~2 s)."""
    from optimizer.split import JOINT_LP_UP_TO_ARCS, PART_ORDERS, solve_split

    bound, note = None, ""
    if ctx.problem.n_arcs <= JOINT_LP_UP_TO_ARCS:
        first, _, note = _run("lp_fix", ctx, started, limit_s * LP_FIX_SHARE_BEFORE_SPLIT)
        bound = first.bound
        if first.arc_units is not None and ctx.start is not None:
            score = evaluate(ctx.problem, ctx.weights, first.arc_units).objective
            if score <= evaluate(ctx.problem, ctx.weights, ctx.start).objective:
                ctx.start = first.arc_units
    remaining = max(limit_s - (time.perf_counter() - started), 0.001) * 0.95
    answer, _ = solve_split(
        ctx.problem,
        ctx.weights,
        ctx.params,
        remaining,
        executor,
        workers,
        part_orders=part_orders or PART_ORDERS,
        plan=ctx.start,
        bound=bound,
    )
    return answer, "split", "; ".join(m for m in (note, answer.message) if m)


def _run(
    name: str, ctx: SolveContext, started: float, limit_s: float
) -> tuple[BackendAnswer, str, str]:
    """Run the chosen backend; in-process for the fast ones, under the watchdog otherwise."""
    if name in ("greedy", "sequential"):
        return BackendAnswer("feasible", ctx.start, None), name, ""
    if name == "exact":
        units = enumerate_order(ctx)
        if units is not None:
            return BackendAnswer("optimal", units, None), "exact", ""
        declined = (
            "exact gave up (too many location subsets)"
            if exact_applicable(ctx.problem)
            else "exact does not apply (several orders, shared SKUs or capacity)"
        )
        name = "highs"
    else:
        declined = ""
    remaining = max(limit_s - (time.perf_counter() - started), 0.001)
    ctx.time_limit_s = remaining * 0.9
    backend = get_backend(name)

    def work(token: CancelToken) -> BackendAnswer:
        ctx.token = token
        return backend.solve(ctx)

    outcome = run_with_deadline(work, remaining, _grace_s(limit_s))
    if outcome.value is not None:
        note = "; ".join(m for m in (declined, outcome.value.message) if m)
        return outcome.value, name, note
    if isinstance(outcome.error, Cancelled):
        return BackendAnswer("time_limit", None, None), name, f"{name} stopped while building"
    if outcome.error is not None:
        note = f"{name} failed: {type(outcome.error).__name__}: {outcome.error}"
        return BackendAnswer("feasible", None, None), name, note
    return BackendAnswer("time_limit", None, None), name, f"{name} stopped at the time limit"


def solve_orders(
    orders: Sequence[OrderSpec],
    locations: Sequence[LocationSpec],
    stock: Mapping[tuple[str, str], int],
    params: Params | None = None,
) -> Result:
    """Build and solve in one call."""
    params = params or Params()
    return solve(build_problem(orders, locations, stock, params), params)
