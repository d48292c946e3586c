"""Solve a big batch as parts in parallel, through any ``concurrent.futures.Executor``.

The optimizer imports no cluster code: a local process pool is the default, and a Dask
``distributed.Client(...).get_executor()`` is an Executor too, so the same code runs on a cluster.

Exact split (independent components): each part is solved with all the stock; the optimum and
the bound are the sums of the parts'.

Region split (heuristic, a large-neighbourhood search): start from a feasible joint plan (the
best of the given plan (greedy if none), the order-by-order answer and the Lagrangian repairs
the plan search makes: :mod:`optimizer.lagrangian_plan`); when an interior LP solution is
known, first re-solve the whole batch on the arcs it and the plan use (:func:`_focused`); then
give each region exactly the stock and capacity its orders use in the plan plus a share of what
no order uses (:func:`apportion`), and re-solve every region's MIP on its share and on its lines'
cheapest arcs (:func:`cheapest_arcs`), warm-started from the plan. Each region can only
improve on its part of the plan, so the stitched answer is never worse than the plan; a greedy
pass then fills what a region could not from stock nobody used (when that is cheaper). While
time remains, another round runs with borders drawn along another axis, so orders on a border
get optimised together. The bound is the joint LP relaxation, solved alongside the first round
when the batch is small enough and no duals were given (the regions' own bounds are bounds of
a restricted problem and are never reported as the batch's), or the Lagrangian bound
(:mod:`optimizer.lagrange`), raised first by the plan search and then in a thread (while the
regions run, unless they take every core of the local pool), from the LP's stock duals when
known (even an unfinished interior point's) and from zero otherwise (any multipliers >= 0 give
a valid bound, so a batch too big for the joint LP still reports a proven gap), whichever is
higher.

A part that does not answer in time keeps its plan, so the answer is always feasible.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from optimizer import fill_first, lagrange, lagrangian_plan
from optimizer.backends.base import BATCH_GAP, BackendAnswer, SolveContext
from optimizer.backends.greedy import complete, greedy_units
from optimizer.decompose import Split, apportion, split_orders
from optimizer.lookahead import LpAnswer, solve_lp
from optimizer.model import build_model
from optimizer.objective import Weights, better, evaluate
from optimizer.params import Params
from optimizer.problem import FloatArray, IntArray, Problem
from optimizer.result import Status
from optimizer.subproblem import Slice, take
from optimizer.watchdog import CancelToken, run_with_deadline

log = logging.getLogger(__name__)

RESERVE_SHARE, MAX_RESERVE_S = 0.1, 2.0  # no new round starts in the last 10% (<= 2 s)
LAST_ROUND_SHARE = 0.6  # a round starts if at least this share of the last one's time is left
MAX_ROUNDS = 8  # borders alternate between two axes; each round starts from the last
# A region's lines may use only their cheapest arcs at the plan search's prices (and the plan's),
# so regions can be 8 times bigger: from the same 10,000 x 50 plan (97,402) and 25 s, regions
# of 125 orders on every arc reached 97,242; of 1,000 orders on 6 arcs per line 96,840 (and
# 97,067 with 500, 96,800 with 2,000, 96,848 with 8 arcs, 96,840 with 4 at 2,000: README)
REGION_ARCS_PER_LINE = 6
REGION_ORDERS = 1000
# Independent components are merged into parts of up to this many orders, solved exactly
PART_ORDERS = 125
JOINT_LP_UP_TO_ARCS = 60_000  # given no duals, the joint LP runs alongside up to here
LOCAL_WORKERS = max(1, min(os.cpu_count() or 1, 4))
HIGHS_UP_TO_ARCS = 20_000  # a part beyond this is solved by lp_fix, like the whole (solve.py)
_RANK: dict[Status, int] = {"infeasible": 0, "time_limit": 1, "feasible": 2, "optimal": 3}
LAGRANGE_SHARE = 0.97  # of the split's time the bound's subgradient loop may use
# Of the split's time, the plan search (Lagrangian repairs) may use this from zero; from an
# LP's duals the first repair is the one that counts (10,000 x 50: 97,924, the next five
# steps' 98,114-99,332), so it stops soon and leaves the rest to the regions.
PLAN_SHARE = 0.6
WARM_PLAN_SHARE = 0.1
FOCUS_MIN_UNITS = 0.01  # an arc "in the support" of an interior LP solution carries more
FOCUS_UP_TO_ARCS = 8_000  # a focused whole-batch MIP beyond this does not move in seconds
FOCUS_SHARE = 0.95  # of the time left, what the focused re-solve may use (regions get the rest)
PLAN_PATIENCE = 0.7  # the first repair and the order-by-order answer are awaited until here


@dataclass(frozen=True, eq=False)
class PartTask:
    """What a worker needs: a slice's problem and weights, the knobs, its own time limit."""

    problem: Problem
    weights: Weights
    params: Params
    time_limit_s: float
    start: IntArray | None = None  # a feasible answer on this part's share (the plan)
    # rank the part's answer fill first, as solve() does a whole batch (fill_first): an
    # independent part's status is the answer's; a region's answer is only a step of the plan
    hold: bool = False


@dataclass(frozen=True)
class PartAnswer:
    """A part's answer in its own arc indices: units (or LP units), status, bound."""

    status: Status
    units: FloatArray | IntArray | None
    bound: float | None
    message: str = ""


@dataclass
class SplitReport:
    """How the split went: for the result message and the benchmark."""

    parts: int = 0
    exact: bool = True
    solve_ms: float = 0.0
    missing: int = 0
    rounds: int = 0
    part_status: list[str] = field(default_factory=list)
    lagrangian: lagrange.Improvement | None = None
    plan: lagrangian_plan.PlanSearch | None = None
    focus_arcs: int = 0  # arcs of the focused whole-batch re-solve (0: none)


def solve_part(task: PartTask) -> PartAnswer:
    """One part's MIP (HiGHS, or lp_fix when big), warm-started, under its own deadline."""
    from optimizer.backends import get_backend
    from optimizer.backends.exact import sequential_ms, sequential_units

    started = time.perf_counter()
    p, w, params = task.problem, task.weights, task.params
    start = greedy_units(p, w.max_shipments, w.allow_split)
    start_score = evaluate(p, w, start).objective
    if task.start is not None:
        plan_score = evaluate(p, w, task.start).objective
        if plan_score <= start_score:
            start, start_score = task.start, plan_score
    if sequential_ms(p) <= 400.0 * task.time_limit_s:  # 40% of the part's limit
        seq = sequential_units(p, w)
        seq_score = evaluate(p, w, seq).objective
        if seq_score < start_score:
            start, start_score = seq, seq_score
    remaining = max(task.time_limit_s - (time.perf_counter() - started), 0.01)
    name = "highs" if p.n_arcs <= HIGHS_UP_TO_ARCS else "lp_fix"
    ctx = SolveContext(p, params, w, time_limit_s=remaining * 0.9, start=start)
    backend = get_backend(name)

    def work(token: CancelToken) -> BackendAnswer:
        ctx.token = token
        return fill_first.solve_ranked(name, backend, ctx) if task.hold else backend.solve(ctx)

    outcome = run_with_deadline(work, remaining, min(0.25 * remaining, 1.0))
    answer = outcome.value
    if answer is None or answer.arc_units is None:
        return PartAnswer("time_limit", start, None, f"{name}: no answer in time")
    units = answer.arc_units
    if better(w, evaluate(p, w, start), evaluate(p, w, units)):  # ranked, fill first
        units = start
    return PartAnswer(answer.status, units, answer.bound, answer.message)


_POOL: ProcessPoolExecutor | None = None


def local_executor() -> Executor:
    """A process pool kept for the life of the process (workers import the solver once)."""
    global _POOL
    if _POOL is None:
        context = multiprocessing.get_context("forkserver")
        _POOL = ProcessPoolExecutor(LOCAL_WORKERS, mp_context=context)
        atexit.register(_POOL.shutdown, wait=False, cancel_futures=True)
    return _POOL


def _gather(
    executor: Executor,
    fn: object,
    tasks: list[PartTask],
    deadline: float,
) -> list[PartAnswer | None]:
    """Submit every task, wait until ``deadline``; a late or failed part is None.

    An executor that refuses work (a broken process pool, a closed cluster) gives all None: the
    caller keeps its plan, and a broken local pool is replaced for the next call.

    A single task for this machine's pool is solved here instead: one part gains nothing from
    another process, and a pool still starting (each worker imports the solvers before its
    first task) took longer than a 2 s limit on a loaded machine, so a two-order batch came
    back as its floor. The part keeps its own deadline (``solve_part``).
    """
    global _POOL
    if len(tasks) == 1 and executor is _POOL:
        try:
            return [fn(tasks[0])]  # type: ignore[operator]
        except Exception:  # as a failed future would be: the caller keeps its plan
            log.exception("split: the part failed")
            return [None]
    try:
        futures: list[Future[PartAnswer]] = [
            executor.submit(fn, t) for t in tasks  # type: ignore[arg-type]
        ]
    except Exception:
        if executor is _POOL:
            _POOL = None
        return [None] * len(tasks)
    wait(futures, timeout=max(deadline - time.perf_counter(), 0.0))
    out: list[PartAnswer | None] = []
    for future in futures:
        if future.done() and not future.cancelled() and future.exception() is None:
            out.append(future.result())
        else:
            future.cancel()
            out.append(None)
    return out


def _part_limit(n_parts: int, workers: int, deadline: float) -> float:
    """Each part's time limit: what is left until ``deadline``, shared by the waves of
    ``workers`` parts that run at once."""
    waves = max(1, -(-n_parts // workers))
    return max(deadline - time.perf_counter(), 0.05) * 0.85 / waves


def _takes_every_core(executor: Executor) -> bool:
    """Whether the executor is this machine's pool with a worker per core."""
    return executor is _POOL and (os.cpu_count() or 1) <= LOCAL_WORKERS


def _weakest(statuses: list[Status]) -> Status:
    return min(statuses, key=lambda s: _RANK[s]) if statuses else "optimal"


def _workers(executor: Executor | None) -> int:
    if executor is None or executor is _POOL:
        return LOCAL_WORKERS
    return max(1, int(getattr(executor, "_max_workers", 0) or LOCAL_WORKERS))


def solve_split(
    problem: Problem,
    weights: Weights,
    params: Params,
    time_limit_s: float,
    executor: Executor | None = None,
    workers: int | None = None,
    part_orders: int = PART_ORDERS,
    split: Split | None = None,
    plan: IntArray | None = None,
    bound: float | None = None,
    duals: lagrange.Duals | None = None,
    lagrangian: bool = True,
    pending: dict[Future[IntArray], str] | None = None,
    support: FloatArray | None = None,
    region_orders: int | None = None,
) -> tuple[BackendAnswer, SplitReport]:
    """Split, solve the parts in parallel, stitch; always returns a feasible answer.

    ``workers`` is how many parts run at once (a local pool's size by default; pass a Dask
    cluster's worker count): parts come in multiples of it and each gets the time of one wave.
    ``plan`` is a feasible joint answer to improve on (greedy if None); ``bound`` a valid lower
    bound already known (else the joint LP is solved alongside when small enough); ``duals``
    stock duals to start from (an LP's, even an unfinished interior point's: any duals >= 0
    give a valid Lagrangian bound). With ``lagrangian`` the first :data:`PLAN_SHARE` of the
    time (:data:`WARM_PLAN_SHARE` from duals) searches a better plan
    (:mod:`optimizer.lagrangian_plan`: subgradient steps from ``duals`` or zero, per-order
    plans repaired on the workers, and the ``pending`` answers already computing there, e.g.
    order by order), and the bound goes on improving in a thread (stopped when the regions take
    every core of the local pool). ``support``: units per arc of an optimal interior LP
    solution; when its arcs and the plan's are few enough, the whole batch is re-solved on them
    first (:func:`_focused`) before the regions. Regions have up to ``region_orders`` orders
    (``part_orders`` if not given) and use each line's cheapest arcs (:func:`cheapest_arcs`).
    """
    started = time.perf_counter()
    deadline = started + time_limit_s
    workers = workers or _workers(executor)
    executor = executor or local_executor()
    split = split or split_orders(problem, part_orders, weights.allow_split, workers)
    report = SplitReport(parts=len(split.parts), exact=split.exact)
    if split.exact:
        return _solve_exact(problem, weights, params, executor, workers, split, deadline, report)
    region_orders = region_orders or part_orders
    if region_orders != part_orders:
        split = split_orders(problem, region_orders, weights.allow_split, workers)
        report.parts = len(split.parts)

    joint: Future[LpAnswer | None] | None = None
    if bound is None and duals is None and problem.n_arcs <= JOINT_LP_UP_TO_ARCS:
        # in a thread of this process: HiGHS releases the GIL while it solves
        lp_thread = ThreadPoolExecutor(1, thread_name_prefix="optimizer-joint-lp")
        model = build_model(problem, weights)
        joint = lp_thread.submit(solve_lp, problem, model, 0.8 * time_limit_s)
        lp_thread.shutdown(wait=False)
    if plan is None:
        plan = greedy_units(problem, weights.max_shipments, weights.allow_split)
    units = plan
    progress = None
    if lagrangian:
        stage_s = (WARM_PLAN_SHARE if duals is not None else PLAN_SHARE) * time_limit_s
        found = lagrangian_plan.search(
            problem,
            weights,
            duals or lagrange.Duals.zeros(problem),
            started + stage_s,
            executor,
            workers,
            {"plan": plan},
            lagrange.WARM_THETA if duals is not None else lagrange.LOOSE_THETA,
            pending,
            patience=started + PLAN_PATIENCE * time_limit_s,
        )
        units, report.plan = found.units, found
        lagrange_deadline = started + LAGRANGE_SHARE * time_limit_s
        progress = _start_lagrangian(
            problem, weights, found.improvement, lagrange_deadline, found.objective,
            warm=duals is not None,
        )
    statuses: list[Status] = []
    if support is not None:
        units = _focused(problem, weights, params, executor, support, units, deadline, report)
    if progress is not None and _takes_every_core(executor):
        # the regions take every core here: the bound's steps would only slow them down
        # (10,000 x 50: +0.05% on the bound, against 1 round of regions instead of 4)
        progress.stop.set()
    cheap = None
    if REGION_ARCS_PER_LINE:
        prices = report.plan.improvement.duals if report.plan is not None else duals
        cheap = cheapest_arcs(problem, weights, prices or lagrange.Duals.zeros(problem))
    rotation = 0
    reserve = min(RESERVE_SHARE * time_limit_s, MAX_RESERVE_S)  # stitching, the bound's last wait
    while deadline - time.perf_counter() > reserve:
        round_started = time.perf_counter()
        if rotation:
            split = split_orders(problem, region_orders, weights.allow_split, workers, rotation)
        missing_before = report.missing
        mask = None if cheap is None else cheap | (units > 0)  # the plan's arcs stay usable
        units, statuses = _region_round(
            problem, weights, params, executor, workers, split, units, deadline, report, mask
        )
        report.rounds += 1
        spent = time.perf_counter() - round_started
        rotation += 1
        no_answers = report.missing - missing_before == len(split.parts)
        # a shorter last round still helps: its parts share the time left, a late one keeps its plan
        left = deadline - time.perf_counter()
        if no_answers or rotation >= MAX_ROUNDS or left < LAST_ROUND_SHARE * spent:
            break
    report.solve_ms = (time.perf_counter() - started) * 1000.0

    if joint is not None:
        joint_wait = max(deadline - time.perf_counter(), 0.0)
        wait([joint], timeout=joint_wait)
        lp = joint.result() if joint.done() and joint.exception() is None else None
        if lp is not None and lp.converged:
            bound = lp.objective  # simplex, solved: a lower bound
        else:
            joint.cancel()
    source = "joint LP" if bound is not None else ""
    if progress is not None:
        progress.stop.set()  # the answer is ready: finish the evaluation under way, no more
        progress.done.wait(max(deadline - time.perf_counter(), 0.0))
        found_bound = max(progress.bound, progress.prior)  # every value met is a valid bound
        if np.isfinite(found_bound) and (bound is None or found_bound > bound):
            bound, source = found_bound, _lagrangian_label(progress)
        report.lagrangian = progress
    objective = evaluate(problem, weights, units).objective
    # no region round finished in the limit: the plan stands unimproved because time ran out
    status = _weakest(statuses) if statuses else "time_limit"
    status = "feasible" if status == "optimal" else status
    if bound is not None and objective - bound <= BATCH_GAP * max(abs(objective), 1.0) \
            and fill_first.settles(problem, weights, units):
        status = "optimal"
    plan_note = (
        f"plan: {report.plan.source}"
        + (f" ({report.plan.repairs} Lagrangian repairs)" if report.plan.repairs else "")
        + "; "
        if report.plan is not None
        else ""
    )
    focus_note = f"focused on {report.focus_arcs} arcs; " if report.focus_arcs else ""
    message = (
        plan_note
        + focus_note
        + f"split: {report.parts} regions x {report.rounds} rounds"
        + (f", {report.missing} part answers missing" if report.missing else "")
        + (f"; bound = {source}" if bound is not None else "; no bound in time")
    )
    return BackendAnswer(status, units, bound, message), report


@dataclass
class LagrangianProgress(lagrange.Improvement):
    """The subgradient loop's best so far, and whether it has stopped."""

    done: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    warm: bool = False
    prior: float = -np.inf  # the best bound of the steps taken before (the plan search)
    prior_steps: int = 0
    prior_seconds: float = 0.0


def _start_lagrangian(
    problem: Problem,
    weights: Weights,
    before: lagrange.Improvement,
    deadline: float,
    target: float,
    warm: bool,
) -> LagrangianProgress:
    """Go on improving the Lagrangian bound from ``before`` in a daemon thread until
    ``deadline``.

    The regions run in other processes, so this thread competes for a core, not for the GIL
    with anything but the waiting main thread. Its progress object is read at the end whether
    or not the loop has stopped: every value it holds is a valid bound.
    """
    progress = LagrangianProgress(-np.inf, before.duals, -np.inf, 0, 0.0, warm=warm)
    progress.prior, progress.prior_steps = before.bound, before.steps + 1
    progress.prior_seconds = before.seconds

    def run() -> None:
        try:
            lagrange.improve_bound(
                problem,
                weights,
                before.duals,
                deadline,
                target,
                theta=before.theta,
                progress=progress,
                stop=progress.stop.is_set,
            )
        except Exception:  # a bound is optional: the answer never depends on it
            progress.bound = -np.inf
        finally:
            progress.done.set()

    threading.Thread(target=run, name="optimizer-lagrangian", daemon=True).start()
    return progress


def _lagrangian_label(p: LagrangianProgress) -> str:
    start = "LP duals" if p.warm else "zero"
    steps = p.steps + p.prior_steps
    return (
        f"Lagrangian ({steps} subgradient steps from {start}, {p.prior_steps} of them in "
        f"{p.prior_seconds:.1f} s while searching the plan, {p.seconds:.1f} s with the regions)"
    )


def _focused(
    problem: Problem,
    weights: Weights,
    params: Params,
    executor: Executor,
    support: FloatArray,
    plan: IntArray,
    deadline: float,
    report: SplitReport,
) -> IntArray:
    """The whole batch re-solved on the arcs an optimal LP solution or the plan uses.

    An interior-point LP solution is positive on every arc some optimal LP solution uses and
    on no other, so this keeps the arcs the relaxation finds worth anything: 2,000 x 30 has
    ~4,000 of 30,000, a MIP HiGHS nearly proves in 6 s; its answer was 1% below the repaired
    plan's (benchmarks/README.md, "Lagrangian plan"). Restricted, so heuristic: never reported
    as a bound, and kept only if better than the plan.
    """
    focus = (support > FOCUS_MIN_UNITS) | (plan > 0)
    if int(focus.sum()) > FOCUS_UP_TO_ARCS:
        return plan
    part = take(problem, weights, arc_mask=focus)
    limit = max(deadline - time.perf_counter(), 0.0) * FOCUS_SHARE
    task = PartTask(part.problem, part.weights, params, limit, start=plan[part.arcs])
    answer = _gather(executor, solve_part, [task], time.perf_counter() + limit * 1.1)[0]
    report.focus_arcs = part.problem.n_arcs
    if answer is None or answer.units is None:
        return plan
    lifted = part.lift(np.asarray(answer.units, dtype=np.int64), problem.n_arcs)
    units = complete(problem, weights, lifted)
    before = evaluate(problem, weights, plan).objective
    return units if evaluate(problem, weights, units).objective < before else plan


def cheapest_arcs(
    problem: Problem, weights: Weights, duals: lagrange.Duals
) -> npt.NDArray[np.bool_]:
    """Each line's :data:`REGION_ARCS_PER_LINE` cheapest arcs at the multipliers' prices (unit
    cost, stock price, its package spread over the line's units)."""
    p = problem
    price = (
        weights.arc_unit
        + duals.stock[p.arc_loc, p.arc_sku]
        + weights.pair_cost[p.arc_pair] / p.line_qty[p.arc_line]
    )
    order = np.lexsort((price, p.arc_line))
    line = p.arc_line[order]
    rank = np.arange(line.size) - np.searchsorted(line, line)
    keep = np.zeros(p.n_arcs, dtype=bool)
    keep[order[rank < REGION_ARCS_PER_LINE]] = True
    return keep


def _stitch(
    problem: Problem,
    slices: list[Slice],
    answers: list[PartAnswer | None],
    fallback: IntArray | None,
    report: SplitReport,
) -> tuple[IntArray, list[Status], list[float | None]]:
    """The parts' units in the whole problem's arcs, their statuses and bounds; a part without
    an answer keeps ``fallback``'s units (none if None) and counts as missing."""
    units = np.zeros(problem.n_arcs, dtype=np.int64)
    statuses: list[Status] = []
    bounds: list[float | None] = []
    for part, answer in zip(slices, answers, strict=True):
        if answer is None or answer.units is None:
            report.missing += 1
            statuses.append("time_limit")
            bounds.append(None)
            if fallback is not None:
                units[part.arcs] = fallback[part.arcs]
            continue
        units[part.arcs] = np.asarray(answer.units, dtype=np.int64)
        statuses.append(answer.status)
        bounds.append(answer.bound)
    report.part_status = [str(x) for x in statuses]
    return units, statuses, bounds


def _region_round(
    problem: Problem,
    weights: Weights,
    params: Params,
    executor: Executor,
    workers: int,
    split: Split,
    plan: IntArray,
    deadline: float,
    report: SplitReport,
    arc_mask: npt.NDArray[np.bool_] | None = None,
) -> tuple[IntArray, list[Status]]:
    """Re-solve every region on its share of the plan's stock; never worse than ``plan``.

    ``arc_mask``: the arcs a region may use (the plan's must be among them)."""
    owner = split.part_of(problem.n_orders)[problem.arc_order]
    usage = [np.where(owner == k, plan, 0).astype(float) for k in range(len(split.parts))]
    stock, capacity = apportion(problem, split, usage)
    slices = [
        take(problem, weights, orders, arc_mask=arc_mask, stock=st, capacity=cap)
        for orders, st, cap in zip(split.parts, stock, capacity, strict=True)
    ]
    part_limit = _part_limit(len(slices), workers, deadline)
    tasks = [
        PartTask(s.problem, s.weights, params, part_limit, start=plan[s.arcs]) for s in slices
    ]
    remaining = deadline - time.perf_counter()
    answers = _gather(executor, solve_part, tasks, deadline - 0.05 * remaining)
    units, statuses, _ = _stitch(problem, slices, answers, plan, report)
    # coordination: what a region could not fill may come from stock nobody used
    units = complete(problem, weights, units)
    if evaluate(problem, weights, units).objective > evaluate(problem, weights, plan).objective:
        return plan, statuses
    return units, statuses


def _solve_exact(
    problem: Problem,
    weights: Weights,
    params: Params,
    executor: Executor,
    workers: int,
    split: Split,
    deadline: float,
    report: SplitReport,
) -> tuple[BackendAnswer, SplitReport]:
    """Independent parts with all the stock: optimum and bound are sums."""
    slices = [take(problem, weights, orders) for orders in split.parts]
    part_limit = _part_limit(len(slices), workers, deadline)
    tasks = [PartTask(s.problem, s.weights, params, part_limit, hold=True) for s in slices]
    answers = _gather(executor, solve_part, tasks, deadline)
    units, statuses, bounds = _stitch(problem, slices, answers, None, report)
    report.rounds = 1
    units = complete(problem, weights, units)
    known = [b for b in bounds if b is not None]
    bound = float(sum(known)) if len(known) == len(bounds) else None
    objective = evaluate(problem, weights, units).objective
    status = _weakest(statuses)
    # the parts' statuses already say whether each held its fill (solve_part); the bound alone
    # proves it only when nothing reachable is short
    if bound is not None and objective - bound <= BATCH_GAP * max(abs(objective), 1.0) \
            and (status == "optimal" or fill_first.settles(problem, weights, units)):
        status = "optimal"
    message = f"split: {report.parts} independent parts" + (
        f", {report.missing} without an answer in time" if report.missing else ""
    )
    return BackendAnswer(status, units, bound, message), report
