"""Objective coefficients shared by every backend, and the one function that scores an answer.

Every backend minimises the same thing, so answers are comparable: a MIP, the enumerator, greedy
and lp_fix are all scored by :func:`evaluate`. The order of concerns is lexicographic in effect:

1. fill units (an unfilled unit costs more than any whole order could, times the priority rank;
   a line an order holds whole ranks half a step higher, ``HELD_RANK``);
2. the objective's own measure (cost, days, or cost + cost_per_day * days);
3. cost as a tie-break under ``time`` (a day weighs more than any order's whole cost);
4. keeping what an order holds (re-optimization, ``OrderSpec.held``): an epsilon per unit
   moved off it, at most 1e-3 per order and more than location priority can add to a unit;
5. location priority (an epsilon per unit, at most 1e-3 per order).

With ``Params.unfilled_cost_factor`` set, concern 1 is no longer lexicographic: an unfilled
unit has a finite price (see :func:`build_weights`) and is traded against the others.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from optimizer.params import Params
from optimizer.problem import FloatArray, IntArray, Problem

TIE_BUDGET = 1e-3  # the most each tie-break (keeping, location priority) adds to one order
# What holding a line whole adds to its priority rank (re-optimization, ``LineSpec.held``):
# leaving a unit of it short costs more than leaving an order of the same priority short and
# less than leaving one of the next priority short, so the model hands those units to a
# higher-priority order only, as the run's restore rule says (lifecycle.batch); without it,
# units moved between equal-priority orders for a shipping saving and the run restored them
# in another solve, round after round. A line held only in part keeps its rank: the bonus is
# per line, and its waiting units must not go before an equal-priority order's (the restore
# rule still guards its held ones).
HELD_RANK = 0.5


@dataclass(frozen=True, eq=False)
class Weights:
    """Per-variable objective coefficients (units, packages, days, unfilled units)."""

    arc_plain: FloatArray  # money per unit on each arc
    arc_opportunity: FloatArray  # lookahead cost per unit on each arc
    arc_unit: FloatArray  # objective per unit: plain + opportunity + keep and priority epsilons
    pair_cost: FloatArray  # money per package on each pair
    time_weight: float  # objective per day of an order's delivery (its slowest package)
    line_penalty: FloatArray  # objective per unfilled unit of each line
    max_shipments: int
    allow_split: bool
    # True: line_penalty exceeds any order's whole objective, so filling always wins; False: a
    # finite unfilled_cost_factor, an answer may leave a unit unfilled because it is cheaper
    fill_first: bool = True
    # under objective "time" with fill-first: fewer order-days beat any cost (fill_first.py)
    days_first: bool = False


def location_tie_per_unit(problem: Problem) -> FloatArray:
    """What a unit from each location adds to the objective to break ties by location priority
    (higher priority adds less); one order's whole tie-break stays within ``TIE_BUDGET``."""
    loc_rank = _dense_rank(problem.loc_priority)
    n_ranks = int(loc_rank.max()) + 1 if loc_rank.size else 1
    tie_unit = TIE_BUDGET / (_max_order_units(problem) * n_ranks) if n_ranks > 1 else 0.0
    return np.asarray(tie_unit * (n_ranks - 1 - loc_rank), dtype=float)


def keep_held_per_unit(problem: Problem) -> float:
    """What a unit adds to the objective when it moves an order off what it holds: more than
    location priority can add to a unit (``TIE_BUDGET`` over the units of the largest order,
    which location priority splits over its ranks), so on an exact tie an allocation stays
    where it is however the locations rank; at most ``TIE_BUDGET`` over one order, so a real
    saving always moves it. Re-optimizing with nothing new then changes nothing, and a tie
    never moves a customer's promise."""
    return TIE_BUDGET / _max_order_units(problem)


def moves_off_held(problem: Problem, o: int) -> npt.NDArray[np.bool_]:
    """Location x SKU: whether a unit from there moves order ``o`` off what it holds (a SKU it
    holds somewhere, from a location where it does not hold it); all False when it holds
    nothing (a first sourcing, a quote)."""
    moves = np.zeros(problem.stock.shape, dtype=bool)
    held = _held_indices(problem, problem.orders[o].held)
    if held:
        locs, skus = np.array(held, dtype=np.int64).T
        moves[:, skus] = True
        moves[locs, skus] = False
    return moves


def arc_moves_off_held(problem: Problem) -> npt.NDArray[np.bool_]:
    """Per arc, :func:`moves_off_held` of its order: vectorised over the orders that hold any."""
    rows = [(o, n, s) for o, spec in enumerate(problem.orders) if spec.held
            for n, s in _held_indices(problem, spec.held)]
    if not rows:
        return np.zeros(problem.n_arcs, dtype=bool)
    o, n, s = np.array(rows, dtype=np.int64).T
    n_loc, n_sku = problem.stock.shape
    holds_sku = np.isin(problem.arc_order * n_sku + problem.arc_sku, o * n_sku + s)
    held_here = np.isin((problem.arc_order * n_loc + problem.arc_loc) * n_sku + problem.arc_sku,
                        (o * n_loc + n) * n_sku + s)
    return np.asarray(holds_sku & ~held_here)


def _held_indices(problem: Problem, held: tuple[tuple[str, str], ...]) -> list[tuple[int, int]]:
    """(location, SKU) indices of ``held`` pairs this problem knows (a closed location, a SKU
    no line needs any more, is no place to keep units at)."""
    loc_index, sku_index = problem.location_index, problem.sku_index
    return [(loc_index[loc], sku_index[sku]) for loc, sku in held
            if loc in loc_index and sku in sku_index]


def _max_order_units(problem: Problem) -> float:
    """Units of the largest order, at least 1: the tie-breaks' budgets are spread over them."""
    order_units = np.bincount(problem.line_order, problem.line_qty, problem.n_orders)
    return max(float(order_units.max()) if order_units.size else 1.0, 1.0)


def opportunity_matrix(problem: Problem, params: Params) -> FloatArray:
    """Location x SKU opportunity cost per unit from ``params.opportunity_costs``."""
    return problem.by_location_sku(params.opportunity_costs or {})


def _dense_rank(values: IntArray) -> IntArray:
    """0 for the lowest value, counting distinct values (so priorities 0, 5, 100 -> 0, 1, 2)."""
    if values.size == 0:
        return values.astype(np.int64)
    return np.unique(values, return_inverse=True)[1].astype(np.int64).reshape(values.shape)


def build_weights(problem: Problem, params: Params) -> Weights:
    """Coefficients computed from the data so that each concern truly dominates the next.

    ``params.unfilled_cost_factor`` = f replaces the fill-first penalty: an unfilled unit of
    line l costs ``f * max over l's arcs a of (arc_unit[a] + pair_cost[p] + time_weight *
    pair_days[p])`` (p = a's (order, location) pair), times ``1 + the order's dense priority
    rank`` as the fill-first penalty is, so higher-priority orders are still left short last.
    The bracket is the objective's own value of shipping one unit of l alone from a: under
    ``cost`` (time_weight 0) its landed cost, the literature's "an unfilled item costs f times
    the farthest shipment"; under ``balanced`` cost + cost_per_day x days; under ``time`` the
    days at their (dominating) weight plus cost. Leaving the days out under ``time`` would
    price a unit below one day, so any fill that adds a day would be refused; with them the
    penalty stays in the objective's units under every objective. With f >= 1 no single arc
    is dearer than its line's penalty, so units go unfilled only where orders compete for
    stock or a shipment limit binds; with f < 1 a source whose units cost more than the
    penalty is refused. A line without any candidate arc (unfilled whatever the answer) keeps
    the fill-first penalty: the value is a constant of the objective and changes no decision
    (it does inflate the reported objective, as it does today, which shrinks relative gaps).
    """
    arc_plain = problem.arc_unit_cost
    arc_opp = opportunity_matrix(problem, params)[problem.arc_loc, problem.arc_sku]

    arc_tie = location_tie_per_unit(problem)[problem.arc_loc]
    arc_keep = keep_held_per_unit(problem) * arc_moves_off_held(problem)
    arc_unit = arc_plain + arc_opp + arc_tie + arc_keep
    pair_cost = problem.pair_package_cost

    worst = _worst_order_cost(problem, arc_unit, pair_cost, params.max_shipments_per_order)
    max_days = float(problem.pair_days.max()) if problem.n_pairs else 0.0
    if params.objective == "cost":
        time_weight = 0.0
    elif params.objective == "balanced":
        time_weight = params.cost_per_day
    else:
        time_weight = float(worst.max()) + 1.0 if worst.size else 1.0
    fill_base = (float(worst.max()) if worst.size else 0.0) + time_weight * max_days + 1.0
    held_whole = problem.line_held_whole
    line_rank = _dense_rank(problem.order_priority)[problem.line_order] + HELD_RANK * held_whole
    # (1 + rank) per unit, and on an exact tie of those the answer leaving fewer units short
    # wins: a tie-break per unit of step * fill_base / (all units + 1), so that all of them
    # together stay below the smallest step of the rule (sums of ranks differ by a whole rank,
    # or by HELD_RANK once a line is held whole; a constant +1 per unit did not: with
    # fill_base 11, 25 priority-0 units outweighed 13 priority-1 ones, 300 to 299, against the
    # rule's 25 < 26)
    step = min(1.0, HELD_RANK) if HELD_RANK > 0 and held_whole.any() else 1.0
    fewer_units = step / (float(problem.line_qty.sum()) + 1.0)
    line_penalty = fill_base * (1.0 + line_rank + fewer_units)
    factor = params.priced_unfilled_factor
    if factor is not None:
        shipment = arc_unit + pair_cost[problem.arc_pair]
        shipment = shipment + time_weight * problem.pair_days[problem.arc_pair]
        dearest = np.full(problem.n_lines, -np.inf)
        np.maximum.at(dearest, problem.arc_line, shipment)
        priced = factor * dearest * (1.0 + line_rank)
        line_penalty = np.where(np.isfinite(dearest), priced, line_penalty)
    return Weights(
        arc_plain=arc_plain,
        arc_opportunity=arc_opp,
        arc_unit=arc_unit,
        pair_cost=pair_cost,
        time_weight=time_weight,
        line_penalty=line_penalty.astype(float),
        max_shipments=params.max_shipments_per_order,
        allow_split=params.allow_line_split,
        fill_first=factor is None,
        # with a finite unfilled price, leaving a unit short also saves days: no ranking
        days_first=params.objective == "time" and factor is None,
    )


def _worst_order_cost(
    problem: Problem, arc_unit: FloatArray, pair_cost: FloatArray, max_shipments: int
) -> FloatArray:
    """Upper bound on each order's cost: every unit at its dearest arc, the dearest packages."""
    worst_unit = np.zeros(problem.n_lines)
    np.maximum.at(worst_unit, problem.arc_line, arc_unit)
    units = np.bincount(
        problem.line_order, worst_unit * problem.line_qty, minlength=problem.n_orders
    )
    worst_pkg = np.zeros(problem.n_orders)
    np.maximum.at(worst_pkg, problem.pair_order, pair_cost)
    n_pairs = np.bincount(problem.pair_order, minlength=problem.n_orders)
    # an order may keep more packages than the policy's limit (shipment_limits)
    packages = worst_pkg * np.minimum(n_pairs, np.maximum(max_shipments,
                                                          problem.order_shipments_held))
    return np.asarray(units + packages, dtype=float)


@dataclass(frozen=True)
class Score:
    """An answer's objective and the parts a person reads."""

    objective: float
    plain_cost: float
    opportunity_cost: float
    unfilled_units: int
    shortfall: float  # the objective's unfilled-unit penalties
    order_days: float  # Σ over orders of their slowest package's days


def _shipped(
    problem: Problem, arc_units: IntArray
) -> tuple[npt.NDArray[np.bool_], FloatArray, IntArray]:
    """An answer's packages (pairs it uses), each order's slowest package's days and each
    line's unfilled units: what the objective charges beside the units themselves."""
    used = np.bincount(problem.arc_pair, arc_units > 0, minlength=problem.n_pairs) > 0
    slowest = np.zeros(problem.n_orders)
    np.maximum.at(slowest, problem.pair_order[used], problem.pair_days[used])
    unfilled = problem.line_qty - np.bincount(problem.arc_line, arc_units,
                                              minlength=problem.n_lines)
    return used, slowest, unfilled


def evaluate(problem: Problem, weights: Weights, arc_units: IntArray) -> Score:
    """Score units-per-arc exactly as the MIP objective would."""
    used, slowest, unfilled = _shipped(problem, arc_units)
    packages = float(weights.pair_cost[used].sum())
    shortfall = float(unfilled @ weights.line_penalty)
    objective = (
        float(arc_units @ weights.arc_unit)
        + packages
        + weights.time_weight * float(slowest.sum())
        + shortfall
    )
    return Score(
        objective=objective,
        plain_cost=float(arc_units @ weights.arc_plain) + packages,
        opportunity_cost=float(arc_units @ weights.arc_opportunity),
        unfilled_units=int(unfilled.sum()),
        shortfall=shortfall,
        order_days=float(slowest.sum()),
    )


def order_objectives(problem: Problem, weights: Weights, arc_units: IntArray) -> FloatArray:
    """Each order's share of :func:`evaluate`'s objective: its units, packages, slowest
    package's days and unfilled units (they sum to the objective)."""
    p = problem
    used, slowest, unfilled = _shipped(p, arc_units)
    own = np.bincount(p.arc_order, arc_units * weights.arc_unit, minlength=p.n_orders)
    own += np.bincount(p.pair_order[used], weights.pair_cost[used], minlength=p.n_orders)
    own += np.bincount(p.line_order, unfilled * weights.line_penalty, minlength=p.n_orders)
    return np.asarray(own + weights.time_weight * slowest, dtype=float)


def better(weights: Weights, a: Score, b: Score) -> bool:
    """Whether answer ``a`` beats ``b``: under fill-first the fuller one (weighted by priority,
    see optimizer.fill_first), then under ``time`` the one with fewer order-days, then the lower
    objective."""
    if weights.fill_first and not same(a.shortfall, b.shortfall):
        return a.shortfall < b.shortfall
    if weights.days_first and not same(a.order_days, b.order_days):
        return a.order_days < b.order_days
    return a.objective < b.objective


def ties(weights: Weights, a: Score, b: Score) -> bool:
    """Whether neither answer beats the other beyond the rounding of summing costs in another
    order (a relative 1e-12: summing 10,000 x 50 arcs' costs errs by about 1e-14)."""
    if better(weights, a, b) or better(weights, b, a):
        return abs(a.objective - b.objective) <= 1e-12 * max(1.0, abs(a.objective),
                                                             abs(b.objective))
    return True


def same(a: float, b: float) -> bool:
    """Two values of a level (shortfall, order-days) equal up to rounding: sums of float
    penalties, solver tolerances. Distinct fills can differ by less than one penalty (with
    priority ranks 5 units at 3.3 and 3 at 5.6 are 16.5 against 16.8)."""
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))
