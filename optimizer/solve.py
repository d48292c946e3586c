"""The one entry point: pick a backend, hold it to the time limit, never come back empty.

Greedy runs first (milliseconds) and is the floor: whatever happens to the chosen backend (it
times out without an incumbent, it raises, it does not apply) the caller gets a feasible answer
with an honest status.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import replace

from optimizer import fill_first
from optimizer.backends import BackendAnswer, SolveContext, get_backend
from optimizer.backends.exact import applicable as exact_applicable
from optimizer.backends.exact import enumerate_order, sequential_ms, sequential_units_until
from optimizer.backends.greedy import greedy_units
from optimizer.builder import build_problem
from optimizer.collector import collector_paused
from optimizer.decode import assignments_from_units
from optimizer.explain import EXPLAIN_UP_TO_ORDERS, add_alternatives
from optimizer.lagrange import WARM_THETA, Duals, improve_bound
from optimizer.lagrangian_plan import submit_order_by_order
from optimizer.lookahead import solve_lp
from optimizer.objective import Weights, better, build_weights, evaluate, ties
from optimizer.params import Params
from optimizer.problem import IntArray, Problem
from optimizer.result import Placements, Result
from optimizer.specs import LocationSpec, OrderSpec
from optimizer.start import mixed, start_floor, start_units
from optimizer.watchdog import Cancelled, CancelToken, run_with_deadline

# Size thresholds for solver="auto", from benchmarks/README.md (2-core machine):
# HiGHS wins up to ~12k arcs (1,000 x 25); at 30k arcs (2,000 x 30) lp_fix was 7% cheaper.
LP_FIX_FROM_ARCS = 20_000
# From here auto splits the batch into regions solved in parallel (optimizer/split.py), each
# improving on a plan repaired from the Lagrangian relaxation at the joint LP's interior-point
# duals (optimizer/lagrangian_plan.py): 2,000 x 30 2.3% above its bound in 10 s (lp_fix 4.3%),
# 10,000 x 50 3.0% in 60 s, where neither the joint LP nor the MIP finishes (benchmarks/
# README.md, "Lagrangian plan").
SPLIT_FROM_ARCS = 20_000
# A split batch first spends up to this share on the joint LP by interior point, stopped
# there if unfinished (2,000 x 30 needs ~3 s; 10,000 x 50 ~55 s, its iterate after 25 s is
# good enough): its duals start the plan search and the Lagrangian bound.
LP_SHARE_BEFORE_SPLIT = 0.4
# The order-by-order answer runs on a worker meanwhile when expected within this share.
SEQUENTIAL_SHARE = 0.3
# The exact search runs inline (no watchdog; it gives up after a quarter of the limit and HiGHS
# gets the rest). Measured CPU (benchmarks/README.md): 5 x 50 ~0.4 ms, 20 x 200 ~6 ms, 20 x 500
# 30-90 ms, 20 x 1,000 0.3-0.5 s, while HiGHS needs ~20 ms at 5 x 50 and hits 2 s at 20 x 200.
EXACT_UP_TO_LOCATIONS = 1_000
# The limit covers the whole call: the backends' deadlines leave what turning their units into
# the answer is expected to take after them (measured 2026-11-28 on 2 shared cores: decoding
# ~0.05 ms per order, explanations ~0.3 ms per order), at most this share of the limit.
DECODE_MS_PER_ORDER = 0.05
EXPLAIN_MS_PER_ORDER = 0.35
MAX_POST_SHARE = 0.25
# lp_fix's answer gets the Lagrangian bound (optimizer/lagrange.py) when at least this much of
# the limit is left; it stops at this share of the limit (2,000 x 30: ~0.1 s per evaluation)
MIN_LAGRANGE_S = 0.3
LAGRANGE_SHARE = 0.9
# A caller's start is made feasible within this share of the limit (its leftover orders are
# sourced order by order until then, greedily after)
START_SHARE = 0.1


def choose_backend(problem: Problem, params: Params) -> str:
    """exact for one order it applies to, HiGHS for batches, lp_fix for large ones, regions
    in parallel (split) for the huge."""
    if params.solver != "auto":
        return params.solver
    if exact_applicable(problem) and problem.n_pairs <= EXACT_UP_TO_LOCATIONS:
        return "exact"
    if problem.n_arcs >= SPLIT_FROM_ARCS:
        # a limit too short for a split gets its first plan directly, to the limit, greedy
        # completing the orders it did not reach
        return "split" if split_has_time(problem, params) else "sequential"
    return "highs" if problem.n_arcs < LP_FIX_FROM_ARCS else "lp_fix"




def split_has_time(problem: Problem, params: Params) -> bool:
    """Whether the limit holds at least a split's first plan, the order-by-order answer."""
    return sequential_ms(problem) <= params.time_limit_ms


def _floor(
    problem: Problem,
    weights: Weights,
    params: Params,
    name: str,
    greedy: IntArray,
    started: float,
    end: float,
    hinted: IntArray | None = None,
) -> tuple[IntArray, bool]:
    """Greedy, or order-by-order enumeration when it is asked for or cheap within the limit;
    True when the order-by-order pass ran out of time (greedy completed the orders it had not
    reached: as the backend asked for, its answer is then ``time_limit``).

    The better of the two is every MIP's warm start and the answer of last resort. A split
    batch starts from greedy: its plan search computes the order-by-order answer on a worker.
    ``hinted`` (the caller's start, made feasible) replaces greedy when it is no worse, and an
    order-by-order pass that would not finish in the limit is not begun next to it.
    """
    if hinted is not None:
        kept = not better(weights, evaluate(problem, weights, greedy),
                          evaluate(problem, weights, hinted))
        greedy = hinted if kept else greedy
    affordable = sequential_ms(problem) <= 0.5 * params.time_limit_ms
    if name in ("greedy", "exact", "split") or (name != "sequential" and not affordable):
        return greedy, False
    if hinted is not None and name == "sequential" \
            and sequential_ms(problem) > 0.9 * params.time_limit_ms:
        return greedy, False
    share = 0.9 if name == "sequential" else 0.5  # what is left is for the backend
    sequential, cut = sequential_units_until(
        problem, weights, min(started + share * params.time_limit_ms / 1000.0, end))
    if name == "sequential":
        if hinted is not None and not better(weights, evaluate(problem, weights, sequential),
                                             evaluate(problem, weights, hinted)):
            return hinted, False
        return sequential, cut
    greedy_score = evaluate(problem, weights, greedy).objective
    sequential_score = evaluate(problem, weights, sequential).objective
    return (greedy if greedy_score <= sequential_score else sequential), False


def post_ms(problem: Problem, params: Params) -> float:
    """Milliseconds of the limit kept for decoding and explaining the backends' answer."""
    per_order = DECODE_MS_PER_ORDER + (
        EXPLAIN_MS_PER_ORDER if problem.n_orders <= EXPLAIN_UP_TO_ORDERS else 0.0)
    return min(problem.n_orders * per_order, MAX_POST_SHARE * params.time_limit_ms)


def _grace_s(limit_s: float) -> float:
    return min(max(0.05, 0.25 * limit_s), 2.0)


def solve(
    problem: Problem,
    params: Params | None = None,
    *,
    executor: Executor | None = None,
    workers: int | None = None,
    part_orders: int | None = None,
    start: Placements | None = None,
    keep_start: bool = False,
    explain: bool = True,
) -> Result:
    """Source ``problem``; the answer is always feasible and says how good it is.

    ``executor`` (and its ``workers``) runs the parts of a split batch (``solver="split"``, or
    ``auto`` on a big batch): a local process pool by default, a Dask client's executor on a
    cluster; ``part_orders`` caps a part's and a region's size (default ``split.PART_ORDERS``
    for independent parts, ``split.REGION_ORDERS`` for regions). ``start``: units per (order,
    line, location) of an answer the caller already has (the placements a re-solve may move,
    a previous round's answer); made feasible, it is the floor when it beats greedy, so the
    answer is never worse than keeping it (:mod:`optimizer.start`). With ``keep_start`` the
    answer is that start made feasible, whatever greedy or a backend would do (a caller
    judging what is left of an answer once some orders are taken out of it, in milliseconds).
    ``explain``: list each order's runner-ups (off, a caller that may throw the answer away
    saves their time and explains the one it keeps: :func:`optimizer.explain.explain_result`).
    """
    params = params or Params()
    started = time.perf_counter()
    # every deadline leaves the time decoding and explaining take after the backends; the
    # shares of the limit (the split's LP, the order-by-order floor) stay those of the whole
    limit_s = max(params.time_limit_ms - post_ms(problem, params), 1.0) / 1000.0
    weights = build_weights(problem, params)
    name = choose_backend(problem, params)
    greedy = greedy_units(problem, params.max_shipments_per_order, params.allow_line_split)
    hinted = None if start is None else start_floor(
        problem, weights, start_units(problem, start), started + START_SHARE * limit_s)
    if keep_start and hinted is not None:
        floor, cut = hinted, False
    else:
        keep_start = False  # without a start there is none to keep
        floor, cut = _floor(problem, weights, params, name, greedy, started,
                            started + limit_s, hinted)
    ctx = SolveContext(problem, params, weights, time_limit_s=limit_s, start=floor)
    if keep_start:
        answer, solver_name, note = BackendAnswer("feasible", floor, None), "start", \
            "the start made feasible"
    elif problem.n_arcs == 0:  # no location can send anything: the one answer there is
        answer, solver_name, note = BackendAnswer("optimal", floor, None), "none", \
            "nothing to decide: no eligible location holds any line's SKU"
    elif name == "split":
        answer, solver_name, note = _run_split(
            ctx, started, limit_s, executor, workers, part_orders
        )
    else:
        answer, solver_name, note = _run(name, ctx, started, limit_s)
        if cut:
            answer = replace(answer, status="time_limit")
            note = "order by order stopped at the time limit; greedy completed the rest"

    units, status = answer.arc_units, answer.status
    floor_score = evaluate(problem, weights, floor)
    score = floor_score if units is None else evaluate(problem, weights, units)
    if units is None or better(weights, floor_score, score):
        units, score = floor, floor_score
        status = "time_limit" if answer.status == "time_limit" else "feasible"
        used = "the start kept" if floor is hinted else "greedy floor used"
        note = (note + "; " if note else "") + used
    elif floor is hinted and not keep_start and ties(weights, floor_score, score):
        units, score = floor, floor_score  # as good: nothing moves for nothing
        note = (note + "; " if note else "") + "the start kept on a tie"
    if hinted is not None and answer.arc_units is not None and status != "optimal" \
            and not keep_start:
        mix = mixed(problem, weights, hinted, answer.arc_units,
                    min(time.perf_counter() + START_SHARE * limit_s, started + limit_s))
        if mix is not None:
            mix_score = evaluate(problem, weights, mix)
            if better(weights, mix_score, score):
                units, score = mix, mix_score
                note = (note + "; " if note else "") + \
                    "orders the answer serves better taken into the start"
    bound = score.objective if status == "optimal" and answer.bound is None else answer.bound
    if bound is not None:
        bound = min(bound, score.objective)
    # relative to at least one unit of money, as every "proven" test here is: near zero (free
    # shipping, only the priority tie-break left) a rounding-sized gap is not a 20% one
    gap = (
        None
        if bound is None
        else max(0.0, score.objective - bound) / max(abs(score.objective), 1.0)
    )
    if status != "optimal" and solver_name not in fill_first.MIP_BACKENDS and gap is not None \
            and gap <= ctx.mip_rel_gap and not fill_first.settles(problem, weights, units):
        note = (note + "; " if note else "") + fill_first.UNVERIFIED
    solved = time.perf_counter()

    with collector_paused():
        assignments = assignments_from_units(problem, weights, units)
        _, left_out = add_alternatives(problem, params, units, assignments,
                                       proven=status == "optimal",
                                       deadline=started + params.time_limit_ms / 1000.0,
                                       weights=weights, asked=explain)
    if left_out:
        note = (note + "; " if note else "") + left_out
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
        start_kept=hinted is not None and units is hinted,
    )


def _run_split(
    ctx: SolveContext,
    started: float,
    limit_s: float,
    executor: Executor | None,
    workers: int | None,
    part_orders: int | None,
) -> tuple[BackendAnswer, str, str]:
    """Regions (or independent parts) in parallel, improving on a plan: the best of the floor,
    the order-by-order answer (on a worker, when cheap) and the Lagrangian repairs the split
    searches from the joint LP's interior-point duals (even unfinished ones; the Lagrangian at
    them is the bound), else from zero. When the LP converged, the batch is first re-solved on
    the arcs its solution uses."""
    from optimizer.split import PART_ORDERS, REGION_ORDERS, local_executor, solve_split

    if not split_has_time(ctx.problem, ctx.params):
        # its first plan would not even be ready: the floor, as the watchdog would have it
        note = "split: the limit is shorter than order-by-order sourcing needs; greedy floor"
        return BackendAnswer("time_limit", ctx.start, None), "split", note
    executor = executor or local_executor()
    pending = {}
    if sequential_ms(ctx.problem) <= SEQUENTIAL_SHARE * ctx.params.time_limit_ms:
        # on a worker while this process solves the LP: the plan is never worse than it
        pending = submit_order_by_order(executor, ctx.problem, ctx.weights)
    note, duals, support = "", None, None
    lp = solve_lp(ctx.problem, ctx.model, ctx.params.time_limit_ms / 1000.0 * LP_SHARE_BEFORE_SPLIT,
                  interior=True)
    if lp is not None:
        duals = Duals.from_keys(ctx.problem, lp.duals)
        support = lp.arc_units if lp.converged else None
    else:
        note = "joint LP gave no duals in time"
    remaining = max(limit_s - (time.perf_counter() - started), 0.001) * 0.95
    answer, _ = solve_split(
        ctx.problem,
        ctx.weights,
        ctx.params,
        remaining,
        executor,
        workers,
        part_orders=part_orders or PART_ORDERS,
        region_orders=part_orders or REGION_ORDERS,
        plan=ctx.start,
        duals=duals,
        pending=pending,
        support=support,
    )
    return answer, "split", "; ".join(m for m in (note, answer.message) if m)


def _run(
    name: str, ctx: SolveContext, started: float, limit_s: float, lagrangian: bool = True
) -> tuple[BackendAnswer, str, str]:
    """Run the chosen backend; in-process for the fast ones, under the watchdog otherwise.

    ``lagrangian``: raise lp_fix's bound with the time left (split does that in parallel).
    """
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

    def work(token: CancelToken) -> BackendAnswer:
        ctx.token = token
        # imported under the watchdog: a solver library's first import (CP-SAT ~0.6 s) counts
        # against the limit like the solve itself
        return fill_first.solve_ranked(name, get_backend(name), ctx)

    outcome = run_with_deadline(work, remaining, _grace_s(limit_s))
    if outcome.value is not None:
        answer = outcome.value
        if name == "lp_fix" and lagrangian:
            answer = _strengthen(ctx, answer, started + limit_s * LAGRANGE_SHARE)
        note = "; ".join(m for m in (declined, answer.message) if m)
        return answer, name, note
    if isinstance(outcome.error, Cancelled):
        return BackendAnswer("time_limit", None, None), name, f"{name} stopped while building"
    if outcome.error is not None:
        note = f"{name} failed: {type(outcome.error).__name__}: {outcome.error}"
        return BackendAnswer("feasible", None, None), name, note
    return BackendAnswer("time_limit", None, None), name, f"{name} stopped at the time limit"


def _strengthen(ctx: SolveContext, answer: BackendAnswer, deadline: float) -> BackendAnswer:
    """lp_fix's LP bound raised to the Lagrangian one, from the LP's stock duals, while time
    remains (the bound stays valid whatever the loop reaches: lagrange.py)."""
    if answer.bound is None or answer.arc_units is None or answer.status == "optimal":
        return answer
    if deadline - time.perf_counter() < MIN_LAGRANGE_S:
        return answer
    objective = evaluate(ctx.problem, ctx.weights, answer.arc_units).objective
    start = Duals.from_keys(ctx.problem, answer.opportunity_costs)
    found = improve_bound(
        ctx.problem, ctx.weights, start, deadline, objective, theta=WARM_THETA
    )
    if found.bound <= answer.bound:
        return answer
    proven = objective - found.bound <= ctx.mip_rel_gap * max(abs(objective), 1.0) \
        and fill_first.settles(ctx.problem, ctx.weights, answer.arc_units)
    label = (
        f"bound = Lagrangian ({found.steps} subgradient steps from LP duals, "
        f"{found.seconds:.1f} s)"
    )
    return replace(
        answer,
        status="optimal" if proven else answer.status,
        bound=found.bound,
        message="; ".join(m for m in (answer.message, label) if m),
    )


def solve_orders(
    orders: Sequence[OrderSpec],
    locations: Sequence[LocationSpec],
    stock: Mapping[tuple[str, str], int],
    params: Params | None = None,
) -> Result:
    """Build and solve in one call."""
    params = params or Params()
    return solve(build_problem(orders, locations, stock, params), params)
