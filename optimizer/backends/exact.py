"""Exact enumeration of location subsets for one order: an optimum in about a millisecond.

A single order rarely ships from more than a few of its eligible locations. Fix the set S of
locations that send a package: the best use of S is then separable by line (each line takes its
units from the cheapest members of S), so the optimum is the best S of size <= max shipments.
A submodularity bound prunes most subsets, and each size is scored as one numpy batch.

It applies only when lines do not compete with each other inside S: every SKU appears once in
the order and no location's remaining capacity could bind. Otherwise it declines (returns no
answer) and :func:`optimizer.solve.solve` uses a MIP. Run order by order on the stock that
earlier orders left, it is also the "sequential" baseline and a MIP start for batches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from optimizer.backends.base import BackendAnswer, SolveContext
from optimizer.backends.greedy import greedy_units
from optimizer.objective import Weights
from optimizer.problem import FloatArray, IntArray, Problem

MAX_COMBOS = 200_000  # subsets per level; beyond this a MIP is faster
LAZY_PAIR_GAINS = 2_000  # candidate triples above which the pair-gain table pays for itself


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
    return _OrderData(
        unit=unit,
        avail=avail,
        arc=arc_of,
        qty=qty,
        penalty=weights.line_penalty[lines.start : lines.stop],
        package=weights.pair_cost[p0:p1],
        days=problem.pair_days[p0:p1].astype(float),
    )


def _score(d: _OrderData, combos: IntArray, time_weight: float, split: bool) -> FloatArray:
    """Objective of each subset (rows of ``combos``), assuming all its members send a package."""
    total = d.package[combos].sum(axis=1) + time_weight * d.days[combos].max(axis=1)
    unit = d.unit[:, combos]  # (L, C, k)
    avail = d.avail[:, combos]
    qty = d.qty[:, None]
    if split:
        order = np.argsort(unit, axis=2, kind="stable")
        unit = np.take_along_axis(unit, order, axis=2)
        avail = np.take_along_axis(avail, order, axis=2)
        before = np.cumsum(avail, axis=2) - avail
        take = np.clip(qty[:, :, None] - before, 0.0, avail)
        filled = take.sum(axis=2)
        lines = (take * unit).sum(axis=2) + (qty - filled) * d.penalty[:, None]
    else:
        whole = np.where(avail > 0, qty[:, :, None] * unit, np.inf).min(axis=2)
        lines = np.minimum(whole, qty * d.penalty[:, None])
    return np.asarray(total + lines.sum(axis=0), dtype=float)


def best_subset(
    d: _OrderData, time_weight: float, max_shipments: int, split: bool
) -> IntArray | None:
    """The optimal set of candidate columns for one order, or None if too many subsets remain.

    Level k extends only the (k-1)-subsets that can still win. The line cost of a set of
    locations is a min-cost transportation value, whose savings are submodular: adding j to S
    saves at most what j saves alone, ``gain[j]``. So S + j (and anything grown from it) is
    worth scoring only if ``value(S) + package[j] - gain[j] + (best further savings) < best``.
    """
    n_pairs = d.package.shape[0]
    singles = np.arange(n_pairs, dtype=np.int64)[:, None]
    values = _score(d, singles, time_weight, split)
    empty = float((d.qty * d.penalty).sum())
    gain = empty - (values - d.package - time_weight * d.days)
    best = int(np.argmin(values))
    best_value, best_combo = float(values[best]), singles[best]
    level, level_values = singles, values
    top = min(max_shipments, n_pairs)
    helps = np.sort(np.minimum(d.package - gain, 0.0))  # most negative first
    pair_gain = None  # gain of j next to one member: tighter than gain[j] (submodularity again)
    for k in range(2, top + 1):
        later = float(helps[: top - k].sum())  # what further members could still save
        if pair_gain is None:
            step = d.package[None, :] - gain[None, :]
        else:
            step = d.package[None, :] - pair_gain[level].min(axis=1)
        reach = level_values[:, None] + step + later
        reach[np.arange(n_pairs)[None, :] <= level[:, -1:]] = np.inf  # extend in index order
        parent, child = np.nonzero(reach < best_value - 1e-9)
        if parent.size > LAZY_PAIR_GAINS and pair_gain is None and k == 3:
            # many candidates: worth the n^2 table of pair gains for the tighter bound
            pair_gain = _pair_gains(d, time_weight, split, values)
            step = d.package[None, :] - pair_gain[level].min(axis=1)
            reach = level_values[:, None] + step + later
            reach[np.arange(n_pairs)[None, :] <= level[:, -1:]] = np.inf
            parent, child = np.nonzero(reach < best_value - 1e-9)
        if parent.size == 0:
            break
        if parent.size > MAX_COMBOS:
            return None
        level = np.concatenate([level[parent], child[:, None]], axis=1)
        level_values = _score(d, level, time_weight, split)
        i = int(np.argmin(level_values))
        if level_values[i] < best_value - 1e-12:
            best_value, best_combo = float(level_values[i]), level[i]
    return np.asarray(best_combo, dtype=np.int64)


def _pair_gains(d: _OrderData, time_weight: float, split: bool, single: FloatArray) -> FloatArray:
    """gain[s, j]: what adding j to {s} saves on the lines (diagonal: nothing)."""
    n = d.package.shape[0]
    a, b = np.triu_indices(n, 1)
    combos = np.stack([a, b], axis=1)
    fixed = d.package[combos].sum(axis=1) + time_weight * d.days[combos].max(axis=1)
    lines_pair = _score(d, combos, time_weight, split) - fixed
    lines_single = single - d.package - time_weight * d.days
    gain = np.zeros((n, n))
    gain[a, b] = lines_single[a] - lines_pair
    gain[b, a] = lines_single[b] - lines_pair
    return gain


def _add_units(d: _OrderData, combo: IntArray, split: bool, units: IntArray) -> None:
    """Write the units the locations in ``combo`` send into ``units`` (global arc indices)."""
    for line in range(d.qty.shape[0]):
        need = d.qty[line]
        for j in sorted(combo.tolist(), key=lambda j: d.unit[line, j]):
            if d.avail[line, j] <= 0 or need <= 0:
                continue
            take = min(need, d.avail[line, j])
            if not split and take < need:
                continue
            units[d.arc[line, j]] = int(take)
            need -= take


def enumerate_order(ctx: SolveContext) -> IntArray | None:
    """Optimal units per arc for a one-order problem, or None if enumeration does not apply."""
    p, w = ctx.problem, ctx.weights
    if not applicable(p):
        return None
    units = np.zeros(p.n_arcs, dtype=np.int64)
    if p.n_pairs == 0:
        return units
    d = order_data(p, w, 0)
    combo = best_subset(d, w.time_weight, w.max_shipments, w.allow_split)
    if combo is None:
        return None
    _add_units(d, combo, w.allow_split, units)
    return units


def sequential_units(problem: Problem, weights: Weights) -> IntArray:
    """Order by order (higher priority first), each optimal on the stock the earlier ones left.

    What a DOM that sources each order as it arrives does; a strong MIP start, and optimal when
    orders do not compete. An order enumeration cannot handle (a SKU twice, a capacity that
    could bind, too many subsets) is completed greedily, nearest first, after the others.
    """
    units = np.zeros(problem.n_arcs, dtype=np.int64)
    stock = problem.stock.copy()
    capacity = problem.loc_capacity.copy()
    order_units = np.bincount(problem.line_order, problem.line_qty, problem.n_orders)
    skus_once = _orders_with_unique_skus(problem)
    leftover = np.zeros(problem.n_orders, dtype=bool)
    for o in np.argsort(-problem.order_priority, kind="stable").tolist():
        p0, p1 = np.searchsorted(problem.pair_order, [o, o + 1])
        a0, a1 = np.searchsorted(problem.arc_order, [o, o + 1])
        if p0 == p1:
            continue
        combo = None
        if skus_once[o] and np.all(capacity[problem.pair_loc[p0:p1]] >= order_units[o]):
            d = order_data(problem, weights, o, stock)
            combo = best_subset(d, weights.time_weight, weights.max_shipments, weights.allow_split)
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
    return units


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
