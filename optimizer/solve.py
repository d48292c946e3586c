"""The one entry point: pick a backend, hold it to the time limit, never come back empty.

Greedy runs first (milliseconds) and is the floor: whatever happens to the chosen backend (it
times out without an incumbent, it raises, it does not apply) the caller gets a feasible answer
with an honest status.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

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
# Enumeration runs inline (no watchdog): 5 lines x 50 locations take ~1.5 ms, but 20 x 200
# took 0.9-2.5 s, so beyond this many candidate locations auto hands the order to HiGHS.
EXACT_UP_TO_LOCATIONS = 60
EXPLAIN_UP_TO_ORDERS = 2_000  # explanations are per order; big batches skip them
# Order-by-order enumeration cost per order, measured: 0.6 ms at 30 locations, 2.9 ms at 50.
SEQUENTIAL_MS_PER_LOCATION_SQUARED = 0.0012


def choose_backend(problem: Problem, params: Params) -> str:
    """exact for one order it applies to, HiGHS for batches, lp_fix for the huge."""
    if params.solver != "auto":
        return params.solver
    if exact_applicable(problem) and problem.n_pairs <= EXACT_UP_TO_LOCATIONS:
        return "exact"
    return "highs" if problem.n_arcs < LP_FIX_FROM_ARCS else "lp_fix"


def _floor(problem: Problem, weights: Weights, params: Params, name: str) -> IntArray:
    """Greedy, or order-by-order enumeration when it is asked for or cheap within the limit.

    The better of the two is every MIP's warm start and the answer of last resort.
    """
    greedy = greedy_units(problem, params.max_shipments_per_order, params.allow_line_split)
    per_order = max(0.3, SEQUENTIAL_MS_PER_LOCATION_SQUARED * problem.n_locations**2)
    affordable = problem.n_orders * per_order <= 0.5 * params.time_limit_ms
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


def solve(problem: Problem, params: Params | None = None) -> Result:
    """Source ``problem``; the answer is always feasible and says how good it is."""
    params = params or Params()
    started = time.perf_counter()
    limit_s = params.time_limit_ms / 1000.0
    weights = build_weights(problem, params)
    name = choose_backend(problem, params)
    floor = _floor(problem, weights, params, name)
    ctx = SolveContext(problem, params, weights, time_limit_s=limit_s, start=floor)
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
        name, declined = "highs", "exact does not apply (several orders, shared SKUs or capacity)"
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
