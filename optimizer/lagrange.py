"""A lower bound for batches from the Lagrangian relaxation of the constraints orders share.

Orders interact only through stock rows (location, SKU) and capacity rows (location). Price
them (λ >= 0 per unit of stock, μ >= 0 per unit of capacity) and the rest falls apart by order:

    L(λ, μ) = Σ_o z_o(λ, μ) - Σ λ[n, s]·stock[n, s] - Σ μ[n]·capacity[n]

where z_o is order o's own optimum (its lines, shipment limit, split rule, per-arc caps
x <= min(q, stock), packages, penalties, time) with every unit at (n, s) costing λ[n, s] + μ[n]
more. L is a lower bound of the MIP for ANY λ, μ >= 0 (weak duality), and unlike the LP it keeps
each order's integrality: packages are paid whole. With the LP's duals it is >= the LP bound.

Each z_o must be an exact optimum, or a value proven below it; a heuristic value would make the
bound wrong. Most orders are settled by arrays: the best of "ship nothing" and "one location"
against a lower bound of every set of two or more locations. The rest go to the exact subset
search (:mod:`optimizer.backends.subsets`) on modified unit costs; an order it gives up on (or
one past the deadline) counts with that lower bound instead, so the bound stays valid.

:func:`improve_bound` runs a subgradient loop (Polyak steps towards the best known objective)
and keeps the best bound it met.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from optimizer.backends import subsets
from optimizer.objective import Weights
from optimizer.problem import FloatArray, IntArray, Problem, shipment_limits

BoolArray = npt.NDArray[np.bool_]
SEARCH_LIMIT = 200_000  # subsets one order's search may score before it gives up
SEARCH_TOL = 1e-9  # the search prunes sets within this (relative) of its incumbent
THETA = 1.0  # first Polyak step multiplier from zero multipliers
# towards a loose target (greedy's objective, ~26% above the best answer) the step θ·gap is too
# long: 10,000 x 50 from zero in 12 s reached 86,319 with θ = 1 and 92,466 with θ = 0.3
LOOSE_THETA = 0.3
WARM_THETA = 0.2  # from the LP's duals: 20,284 vs 20,238 (θ = 1) in 4 s on 2,000 x 30
PATIENCE = 2  # steps without a better bound before the multiplier is halved


@dataclass(frozen=True)
class Duals:
    """Multipliers: λ per (location, SKU) unit of stock, μ per unit of location capacity."""

    stock: FloatArray  # (n_locations, n_skus), >= 0
    capacity: FloatArray  # (n_locations,), >= 0; ignored where capacity is unlimited

    @staticmethod
    def zeros(problem: Problem) -> Duals:
        return Duals(np.zeros(problem.stock.shape), np.zeros(problem.n_locations))

    @staticmethod
    def from_keys(problem: Problem, prices: dict[tuple[str, str], float]) -> Duals:
        """Stock duals keyed by (location_id, sku), e.g. lp_fix's opportunity costs."""
        duals = Duals.zeros(problem)
        duals.stock[:] = np.maximum(problem.by_location_sku(prices), 0.0)
        return duals


@dataclass(frozen=True, eq=False)
class Evaluation:
    """L at one point, each order's value, and the subgradient (use - supply)."""

    bound: float
    order_value: FloatArray  # z_o, or a value proven below it where ``exact`` is False
    exact: BoolArray
    stock_slack: FloatArray  # units used - stock, per (location, SKU)
    capacity_slack: FloatArray  # units used - capacity, per location (0 where unlimited)
    searched: int  # orders handed to the subset search
    seconds: float
    units: FloatArray  # each order's own optimal units per arc at these prices (a plan that
    # may overdraw shared stock; where ``exact`` is False, its best single location's units)


@dataclass
class Improvement:
    """What the subgradient loop found: its best bound, where, and how long it took."""

    bound: float
    duals: Duals
    start_bound: float
    steps: int  # evaluations after the first
    seconds: float
    history: list[float] = field(default_factory=list)
    theta: float = THETA  # the step multiplier reached: where a later loop may go on
    target: float = np.inf  # the objective the steps aimed at


class Relaxation:
    """The per-order parts of a problem that do not depend on the multipliers, computed once."""

    def __init__(self, problem: Problem, weights: Weights) -> None:
        p, w = problem, weights
        self.problem, self.weights = p, w
        self.split = w.allow_split
        self.top = shipment_limits(p, int(w.max_shipments))  # per order
        qty = p.line_qty[p.arc_line]
        cap = p.arc_stock
        self.qty = qty.astype(float)
        self.avail = np.where(cap >= qty, qty, cap if self.split else 0).astype(float)
        self.arc_penalty = w.line_penalty[p.arc_line]
        self.order_penalty = np.bincount(
            p.line_order, w.line_penalty * p.line_qty, minlength=p.n_orders
        ).astype(float)
        self.pair_fixed = w.pair_cost + w.time_weight * p.pair_days
        self.finite = np.isfinite(p.loc_capacity)
        self.capacity = np.where(self.finite, p.loc_capacity, 0.0)
        self.pair_start = np.searchsorted(p.pair_order, np.arange(p.n_orders + 1))
        self.arc_start = np.searchsorted(p.arc_order, np.arange(p.n_orders + 1))
        self.line_start = np.searchsorted(p.line_order, np.arange(p.n_orders + 1))
        # lower bounds of any two distinct pairs' packages (the two smallest, inf with fewer
        # than two pairs) and slowest days (the second smallest)
        self.two_packages = _two_smallest_sum(p.pair_order, w.pair_cost, p.n_orders)
        self.second_days = _second_smallest(p.pair_order, p.pair_days.astype(float), p.n_orders)

    def evaluate(self, duals: Duals, deadline: float = np.inf) -> Evaluation:
        """L(λ, μ): exact per-order optima where found in time, proven lower values elsewhere."""
        started = time.perf_counter()
        p, w = self.problem, self.weights
        lam = np.maximum(duals.stock, 0.0)
        mu = np.where(self.finite, np.maximum(duals.capacity, 0.0), 0.0)
        price = w.arc_unit + lam[p.arc_loc, p.arc_sku] + mu[p.arc_loc]
        useful = (self.avail > 0) & (price < self.arc_penalty)
        avail = np.where(useful, self.avail, 0.0)
        saving = avail * (price - self.arc_penalty)  # <= 0: filling instead of leaving unfilled

        # nothing, or one location (each line takes what that location holds)
        none = self.order_penalty
        pair_value = (
            self.pair_fixed
            + np.bincount(p.arc_pair, saving, minlength=p.n_pairs)
            + none[p.pair_order]
        )
        pair_useful = np.bincount(p.arc_pair, useful, minlength=p.n_pairs) > 0
        pair_value = np.where(pair_useful, pair_value, np.inf)
        best_pair = _segment_argmin(pair_value, self.pair_start)
        padded = np.append(pair_value, np.inf)  # index -1: no pair
        one = padded[best_pair]
        best = np.minimum(none, one)

        # any set of >= 2 locations: two packages, the second fastest days, each line at its
        # cheapest units anywhere
        line_best = self._line_best(price, avail)
        order_best = np.bincount(p.line_order, line_best, minlength=p.n_orders)
        useful_pairs = np.bincount(p.pair_order[pair_useful], minlength=p.n_orders)
        many = np.where(
            (useful_pairs >= 2) & (self.top >= 2),
            none + order_best + self.two_packages + w.time_weight * self.second_days,
            np.inf,
        )
        exact = best <= many
        value = np.where(exact, best, np.minimum(best, many))
        choice = np.where(one < none, best_pair, -1)  # the pair each settled order uses

        units = np.zeros(p.n_arcs)
        chosen = choice[p.arc_order]
        settled = (chosen >= 0) & (p.arc_pair == chosen)
        units[settled] = avail[settled]
        searched = 0
        for o in np.nonzero(~exact)[0].tolist():
            if time.perf_counter() > deadline:
                break
            searched += 1
            found = self._search(o, price, avail, choice[o], deadline)
            if found is None:
                continue  # keeps the best single location's units for the subgradient
            v, arc_units = found
            value[o] = min(v, none[o])
            exact[o] = True
            units[self._arcs(o)] = arc_units if v < none[o] else 0.0
        bound = (
            float(value.sum())
            - float((lam * p.stock).sum())
            - float((mu * self.capacity).sum())
        )
        stock_use = np.zeros(p.stock.shape)
        np.add.at(stock_use, (p.arc_loc, p.arc_sku), units)
        cap_use = np.bincount(p.arc_loc, units, minlength=p.n_locations)
        return Evaluation(
            bound=bound,
            order_value=value,
            exact=exact,
            stock_slack=stock_use - p.stock,
            capacity_slack=np.where(self.finite, cap_use - self.capacity, 0.0),
            searched=searched,
            seconds=time.perf_counter() - started,
            units=units,
        )

    def _arcs(self, o: int) -> IntArray:
        return np.arange(self.arc_start[o], self.arc_start[o + 1])

    def _line_best(self, price: FloatArray, avail: FloatArray) -> FloatArray:
        """Each line's least saving-adjusted cost from all its arcs (no packages, no limit)."""
        p = self.problem
        saving = price - self.arc_penalty
        if not self.split:
            best = np.zeros(p.n_lines)
            np.minimum.at(best, p.arc_line, np.where(avail > 0, self.qty * saving, 0.0))
            return best
        order = np.lexsort((price, p.arc_line))
        line = p.arc_line[order]
        a = avail[order]
        cum = np.cumsum(a)
        line_first = np.searchsorted(line, line)
        before = cum - a - (cum[line_first] - a[line_first])
        take = np.clip(self.qty[order] - before, 0.0, a)
        return np.bincount(line, take * saving[order], minlength=p.n_lines).astype(float)

    def _search(
        self, o: int, price: FloatArray, avail: FloatArray, start: int, deadline: float
    ) -> tuple[float, FloatArray] | None:
        """Order o's exact optimum over non-empty sets (value, units on its arcs), or None."""
        p, w = self.problem, self.weights
        p0, p1 = int(self.pair_start[o]), int(self.pair_start[o + 1])
        l0, l1 = int(self.line_start[o]), int(self.line_start[o + 1])
        arcs = self._arcs(o)
        row, col = p.arc_line[arcs] - l0, p.arc_pair[arcs] - p0
        shape = (l1 - l0, p1 - p0)
        unit, av = np.zeros(shape), np.zeros(shape)
        unit[row, col] = price[arcs]
        av[row, col] = avail[arcs]
        view = subsets.View(
            unit=unit,
            avail=av,
            qty=p.line_qty[l0:l1].astype(float),
            penalty=w.line_penalty[l0:l1],
            package=w.pair_cost[p0:p1],
            days=p.pair_days[p0:p1].astype(float),
        )
        incumbent = np.array([start - p0], dtype=np.int64) if start >= 0 else None
        combo = subsets.best_subset(
            view, w.time_weight, int(self.top[o]), self.split, incumbent, SEARCH_LIMIT, deadline
        )
        if combo is None or combo.size == 0:
            return None
        rank = subsets.unit_rank(view)
        v = float(subsets.score(view, combo[None, :], rank, w.time_weight, self.split)[0])
        v -= SEARCH_TOL * max(1.0, abs(v))  # sets within the search's tolerance were skipped
        return v, subsets.fill(view, combo, self.split)[row, col]


def lagrangian_bound(
    problem: Problem,
    weights: Weights,
    stock_duals: FloatArray,
    capacity_duals: FloatArray,
    deadline: float = np.inf,
) -> Evaluation:
    """L(λ, μ) for λ = ``stock_duals`` (location x SKU) and μ = ``capacity_duals`` (location).

    Valid for any λ, μ (negative entries count as 0). ``deadline`` (``time.perf_counter()``)
    stops the exact searches; orders left count with a proven lower value, so it stays valid.
    """
    relaxation = Relaxation(problem, weights)
    return relaxation.evaluate(Duals(stock_duals, capacity_duals), deadline)


def improve_bound(
    problem: Problem,
    weights: Weights,
    start: Duals,
    deadline: float,
    target: float,
    max_steps: int = 1_000,
    theta: float = THETA,
    progress: Improvement | None = None,
    stop: Callable[[], bool] | None = None,
    on_evaluation: Callable[[Duals, Evaluation], float | None] | None = None,
) -> Improvement:
    """Subgradient steps from ``start`` until ``deadline``; the best bound met, never below the
    start's.

    ``target`` is the best known objective (an upper bound): the Polyak step
    θ·(target - L)/|g|² aims there, θ halves when the bound stops improving. From good duals
    (the LP's) a small ``theta`` (0.2) keeps the first steps from throwing them away; from zeros
    1.0 climbs fastest (2,000 x 30, benchmarks/README.md). ``progress``, if given, is updated
    in place after every evaluation, so a caller that cannot wait reads the best bound so far;
    ``stop`` is asked between evaluations (the caller's answer is ready: stop early);
    ``on_evaluation`` sees every point and its evaluation (the per-order plans a primal
    heuristic repairs) and may return a better objective found meanwhile: the new target.
    """
    started = time.perf_counter()
    relaxation = Relaxation(problem, weights)
    duals = Duals(np.maximum(start.stock, 0.0), np.maximum(start.capacity, 0.0))
    ev = relaxation.evaluate(duals, deadline)
    best = progress or Improvement(ev.bound, duals, ev.bound, 0, 0.0)
    best.bound, best.duals, best.start_bound, best.history = ev.bound, duals, ev.bound, [ev.bound]
    best.seconds = time.perf_counter() - started
    best.theta, best.target = theta, target
    stale = 0
    while best.steps < max_steps:
        if on_evaluation is not None:
            found = on_evaluation(duals, ev)
            if found is not None and found < target:
                target = best.target = found
        g_stock = np.where((duals.stock > 0) | (ev.stock_slack > 0), ev.stock_slack, 0.0)
        g_cap = np.where((duals.capacity > 0) | (ev.capacity_slack > 0), ev.capacity_slack, 0.0)
        norm = float((g_stock**2).sum() + (g_cap**2).sum())
        gap = target - ev.bound
        if norm <= 0 or gap <= 0:
            break  # the per-order optima fit together: L is the optimum (or the target is)
        if time.perf_counter() + ev.seconds > deadline or (stop is not None and stop()):
            break
        step = theta * gap / norm
        duals = Duals(
            np.maximum(duals.stock + step * g_stock, 0.0),
            np.maximum(duals.capacity + step * g_cap, 0.0),
        )
        ev = relaxation.evaluate(duals, deadline)
        best.steps += 1
        best.history.append(ev.bound)
        best.seconds = time.perf_counter() - started
        if ev.bound > best.bound:
            best.bound, best.duals, stale = ev.bound, duals, 0
        else:
            stale += 1
            if stale >= PATIENCE:
                theta, stale = theta / 2, 0
                best.theta = theta
    best.seconds = time.perf_counter() - started
    return best


def _segment_argmin(values: FloatArray, start: IntArray) -> IntArray:
    """Index of the smallest finite value in each segment [start[k], start[k+1]), else -1."""
    n = start.shape[0] - 1
    out = np.full(n, -1, dtype=np.int64)
    if values.size == 0:
        return out
    seg = np.repeat(np.arange(n), np.diff(start))
    order = np.lexsort((values, seg))
    first = start[:-1]
    has = np.diff(start) > 0
    pick = order[np.minimum(first, values.shape[0] - 1)]
    ok = has & np.isfinite(values[pick])
    out[ok] = pick[ok]
    return out


def _sorted_by_segment(seg: IntArray, values: FloatArray, n: int) -> tuple[FloatArray, IntArray]:
    order = np.lexsort((values, seg))
    start = np.searchsorted(seg[order], np.arange(n + 1))
    return values[order], start


def _two_smallest_sum(seg: IntArray, values: FloatArray, n: int) -> FloatArray:
    """Sum of the two smallest values of each segment (inf with fewer than two)."""
    v, start = _sorted_by_segment(seg, values, n)
    out = np.full(n, np.inf)
    ok = np.diff(start) >= 2
    out[ok] = v[start[:-1][ok]] + v[start[:-1][ok] + 1]
    return out


def _second_smallest(seg: IntArray, values: FloatArray, n: int) -> FloatArray:
    v, start = _sorted_by_segment(seg, values, n)
    out = np.zeros(n)  # callers use it only with two or more values
    ok = np.diff(start) >= 2
    out[ok] = v[start[:-1][ok] + 1]
    return out
