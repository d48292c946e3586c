"""Exact enumeration of location subsets for one order: an optimum in about a millisecond.

A single order rarely ships from more than a few of its eligible locations. Fix the set S of
locations that send a package: the best use of S is then separable by line (each line takes its
units from the cheapest members of S), so the optimum is the best S of size <= max shipments.
A branch-and-bound (:mod:`optimizer.backends.subsets`) skips the subsets that cannot win.

It applies only when lines do not compete with each other inside S: every SKU appears once in
the order and no location's remaining capacity could bind. Otherwise it declines (returns no
answer) and :func:`optimizer.solve.solve` uses a MIP. Run order by order on the stock that
earlier orders left, it is also the "sequential" baseline and a MIP start for batches.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from optimizer.backends import subsets
from optimizer.backends.base import BackendAnswer, SolveContext
from optimizer.backends.greedy import greedy_units
from optimizer.objective import Weights
from optimizer.problem import FloatArray, IntArray, Problem, shipment_limits

MAX_COMBOS = 500_000  # subsets scored or kept in a frontier; beyond this a MIP is faster
SEARCH_SHARE = 0.25  # of the time limit the search may take inline before it gives up


@dataclass(frozen=True, eq=False)
class _OrderData:
    """Dense line x candidate-location view of one order."""

    unit: FloatArray  # objective per unit (L, J)
    avail: FloatArray  # usable units (L, J); 0 = cannot serve
    arc: IntArray  # global arc index (L, J); -1 = none
    qty: FloatArray  # (L,)
    penalty: FloatArray  # (L,)
    package: FloatArray  # (J,)
    days: FloatArray  # (J,)
    fill_first: bool = True  # False: sending nothing may beat every set (finite penalties)


def applicable(problem: Problem) -> bool:
    """One order, every SKU once, and no capacity that its units could exceed."""
    if problem.n_orders != 1:
        return False
    if np.unique(problem.line_sku).size != problem.n_lines:
        return False
    total = float(problem.line_qty.sum())
    return bool(np.all(problem.loc_capacity[problem.pair_loc] >= total))


def order_data(
    problem: Problem, weights: Weights, o: int, stock_left: IntArray | None = None
) -> _OrderData:
    """Order ``o``'s lines x candidate locations, from the contiguous slices of the arrays."""
    lines = problem.order_lines(o)
    p0, p1 = np.searchsorted(problem.pair_order, [o, o + 1])
    a0, a1 = np.searchsorted(problem.arc_order, [o, o + 1])
    arc = np.arange(a0, a1)
    row, col = problem.arc_line[arc] - lines.start, problem.arc_pair[arc] - p0
    shape = (len(lines), int(p1 - p0))
    unit, avail = np.zeros(shape), np.zeros(shape)
    arc_of = np.full(shape, -1, dtype=np.int64)
    stock = problem.stock if stock_left is None else stock_left
    unit[row, col] = weights.arc_unit[arc]
    qty_of_arc = problem.line_qty[problem.arc_line[arc]]
    avail[row, col] = np.minimum(qty_of_arc, stock[problem.arc_loc[arc], problem.arc_sku[arc]])
    arc_of[row, col] = arc
    qty = problem.line_qty[lines.start : lines.stop].astype(float)
    avail = np.maximum(avail, 0.0)
    if not weights.allow_split:
        avail = np.where(avail >= qty[:, None], avail, 0.0)
    penalty = weights.line_penalty[lines.start : lines.stop]
    if not weights.fill_first:  # a unit dearer than leaving it unfilled is never sent
        avail = np.where(unit <= penalty[:, None], avail, 0.0)
    return _OrderData(
        unit=unit,
        avail=avail,
        arc=arc_of,
        qty=qty,
        penalty=penalty,
        package=weights.pair_cost[p0:p1],
        days=problem.pair_days[p0:p1].astype(float),
        fill_first=weights.fill_first,
    )


def best_subset(
    d: _OrderData,
    time_weight: float,
    max_shipments: int,
    split: bool,
    incumbent: IntArray | None = None,
    deadline: float = np.inf,
) -> IntArray | None:
    """The optimal set of candidate columns for one order, or None if too many subsets remain.

    The search itself (bounds, bitsets) lives in :mod:`optimizer.backends.subsets`; it looks at
    non-empty sets only. Under fill-first penalties a set that fills anything beats sending
    nothing; with a finite ``unfilled_cost_factor`` sending nothing (every unit unfilled) can be
    the optimum, so it is compared here and an empty set is returned when it is strictly better.
    """
    combo = subsets.best_subset(
        d, time_weight, max_shipments, split, incumbent, MAX_COMBOS, deadline
    )
    if combo is None or combo.size == 0 or d.fill_first:
        return combo
    nothing = float(d.qty @ d.penalty)
    rank = subsets.unit_rank(d) if split and combo.size > 1 else np.zeros((0, 0), np.int64)
    value = float(subsets.score(d, combo[None, :], rank, time_weight, split)[0])
    if nothing < value:
        return np.zeros(0, dtype=np.int64)
    return combo


def _add_units(d: _OrderData, combo: IntArray, split: bool, units: IntArray) -> None:
    """Write the units the locations in ``combo`` send into ``units`` (global arc indices)."""
    cells = subsets.fill(d, combo, split)
    sent = cells > 0
    units[d.arc[sent]] = cells[sent].astype(np.int64)


def enumerate_order(ctx: SolveContext) -> IntArray | None:
    """Optimal units per arc for a one-order problem, or None if enumeration does not apply."""
    p, w = ctx.problem, ctx.weights
    if not applicable(p):
        return None
    units = np.zeros(p.n_arcs, dtype=np.int64)
    if p.n_pairs == 0:
        return units
    d = order_data(p, w, 0)
    start = None
    if ctx.start is not None:  # the floor's locations: a first incumbent for the bound
        start = np.unique(p.arc_pair[ctx.start > 0]).astype(np.int64)
    deadline = time.perf_counter() + SEARCH_SHARE * ctx.time_limit_s
    limit = int(shipment_limits(p, w.max_shipments)[0])
    combo = best_subset(d, w.time_weight, limit, w.allow_split, start, deadline)
    if combo is None:
        return None
    _add_units(d, combo, w.allow_split, units)
    return units


# Order-by-order enumeration cost per order: callers use it to decide whether the
# order-by-order answer fits a limit. Measured 2026-11-28 (2 shared cores, after Problem began
# computing its derived arrays once): 0.42 ms per order at 30 locations (batch_2000x30), 0.38 ms
# at 50 (batch_10000x50); the estimate keeps about 1.5-2x of room for a loaded machine.
SEQUENTIAL_MS_PER_ORDER = 0.3
SEQUENTIAL_MS_PER_LOCATION = 0.01


def sequential_ms(problem: Problem) -> float:
    """Expected milliseconds of :func:`sequential_units` on ``problem``."""
    per_order = SEQUENTIAL_MS_PER_ORDER + SEQUENTIAL_MS_PER_LOCATION * problem.n_locations
    return problem.n_orders * per_order


def sequential_units(problem: Problem, weights: Weights) -> IntArray:
    """Order by order (higher priority first), each optimal on the stock the earlier ones left.

    What a DOM that sources each order as it arrives does; a strong MIP start, and optimal when
    orders do not compete. An order enumeration cannot handle (a SKU twice, a capacity that
    could bind, too many subsets) is completed greedily, nearest first, after the others.
    """
    return sequential_units_until(problem, weights, None)[0]


def sequential_units_until(
    problem: Problem, weights: Weights, deadline: float | None
) -> tuple[IntArray, bool]:
    """:func:`sequential_units`, stopping at ``deadline`` (``time.perf_counter()``): the orders
    not reached by then are completed greedily. True when it stopped early."""
    units = np.zeros(problem.n_arcs, dtype=np.int64)
    stock = problem.stock.copy()
    capacity = problem.loc_capacity.copy()
    order_units = np.bincount(problem.line_order, problem.line_qty, problem.n_orders)
    skus_once = _orders_with_unique_skus(problem)
    leftover = np.zeros(problem.n_orders, dtype=bool)
    limits = shipment_limits(problem, weights.max_shipments).tolist()
    cut = False
    by_priority = problem.sourcing_sequence.tolist()
    for done, o in enumerate(by_priority):
        if deadline is not None and done % 16 == 0 and time.perf_counter() > deadline:
            leftover[by_priority[done:]] = True  # greedy completes this one and every later one
            cut = True
            break
        p0, p1 = np.searchsorted(problem.pair_order, [o, o + 1])
        a0, a1 = np.searchsorted(problem.arc_order, [o, o + 1])
        if p0 == p1:
            continue
        combo = None
        if skus_once[o] and np.all(capacity[problem.pair_loc[p0:p1]] >= order_units[o]):
            d = order_data(problem, weights, o, stock)
            combo = best_subset(d, weights.time_weight, limits[o], weights.allow_split)
        if combo is None:
            leftover[o] = True
            continue
        _add_units(d, combo, weights.allow_split, units)
        taken = units[a0:a1]
        np.subtract.at(stock, (problem.arc_loc[a0:a1], problem.arc_sku[a0:a1]), taken)
        np.subtract.at(capacity, problem.arc_loc[a0:a1], taken)
    if leftover.any():
        units = greedy_units(
            problem, weights.max_shipments, weights.allow_split, initial=units, only=leftover
        )
    return units, cut


def _orders_with_unique_skus(problem: Problem) -> npt.NDArray[np.bool_]:
    key = problem.line_order * max(len(problem.skus), 1) + problem.line_sku
    first = np.unique(key, return_index=True)[1]
    distinct = np.bincount(problem.line_order[first], minlength=problem.n_orders)
    return np.asarray(distinct == np.bincount(problem.line_order, minlength=problem.n_orders))


class ExactBackend:
    """Enumerator for one order; its answers are optimal by construction."""

    name = "exact"

    def solve(self, ctx: SolveContext) -> BackendAnswer:
        units = enumerate_order(ctx)
        if units is None:
            return BackendAnswer(
                status="infeasible",
                arc_units=None,
                bound=None,
                message="exact enumeration does not apply",
            )
        return BackendAnswer(status="optimal", arc_units=units, bound=None)
