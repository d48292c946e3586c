"""A known answer as the floor of a new solve, so solving again never does worse than keeping it.

A re-optimization run re-solves allocations already made, and a run that restored or refused
some orders solves again on a little less stock. Both hold an answer that nearly fits the new
problem: the placements the orders hold, the previous round's answer. Handed to ``solve`` as
``start``, it is mapped onto the new problem's arcs, made feasible (an order whose plan breaks
a rule of this problem is sourced again, plans that no longer fit the stock are repaired:
:mod:`optimizer.repair`) and competes with greedy for the floor: the backends warm-start from
it and the answer is never worse by the objective. A round left with little of the time limit
therefore still answers at least as well as the answer it started from, in milliseconds.
"""

from __future__ import annotations

import numpy as np

from optimizer.objective import Weights, order_objectives
from optimizer.problem import IntArray, Problem, shipment_limits
from optimizer.repair import repair
from optimizer.result import Placements


def start_units(problem: Problem, placements: Placements) -> IntArray:
    """Units per arc of ``placements``. One the problem has no arc for (an order or a line it
    does not source, a location no longer eligible or without that SKU) is left out: those
    units are sourced again."""
    units = np.zeros(problem.n_arcs, dtype=np.int64)
    if not placements or problem.n_arcs == 0:
        return units
    arc_bounds = np.searchsorted(problem.arc_line, np.arange(problem.n_lines + 1))
    for (order_id, line_id, location_id), qty in placements.items():
        line = problem.line_index.get((order_id, line_id))
        n = problem.location_index.get(location_id)
        if line is None or n is None or qty <= 0:
            continue
        a0, a1 = int(arc_bounds[line]), int(arc_bounds[line + 1])
        hit = np.nonzero(problem.arc_loc[a0:a1] == n)[0]
        if hit.size:
            units[a0 + int(hit[0])] += int(qty)
    return units


def rule_breakers(problem: Problem, weights: Weights, units: IntArray) -> IntArray:
    """Orders whose units break a rule of this problem whatever the stock: more units on a
    line than it asks for, more packages than the order may get now, or, while splits are
    off, a line from two locations or only part of it (a policy changed since the start was
    made, or the line's quantity did)."""
    filled = np.bincount(problem.arc_line, units, minlength=problem.n_lines)
    bad = np.zeros(problem.n_orders, dtype=bool)
    bad[problem.line_order[filled > problem.line_qty]] = True
    used = np.bincount(problem.arc_pair, units > 0, minlength=problem.n_pairs) > 0
    packages = np.bincount(problem.pair_order[used], minlength=problem.n_orders)
    bad |= packages > shipment_limits(problem, weights.max_shipments)
    if not weights.allow_split:
        places = np.bincount(problem.arc_line, units > 0, minlength=problem.n_lines)
        bad[problem.line_order[places > 1]] = True
        part = (units > 0) & (units != problem.line_qty[problem.arc_line])
        bad[problem.arc_order[part]] = True
    return np.nonzero(bad)[0]


def start_floor(
    problem: Problem, weights: Weights, units: IntArray, deadline: float | None = None
) -> IntArray:
    """A feasible answer keeping as much of ``units`` as this problem allows.

    An arc is first cut to what its location holds; then rule breakers lose their whole plan
    (the part that breaks no rule need not be what the order would choose), every plan that
    still fits with the others is kept, and the rest are sourced again, order by order until
    ``deadline``, greedily after it.
    """
    # no arc carries more than the location holds (a start made before stock went down)
    plans = np.clip(units, 0, problem.arc_stock).astype(np.int64)
    broken = rule_breakers(problem, weights, plans)
    if broken.size:
        plans[np.isin(problem.arc_order, broken)] = 0
    return repair(problem, weights, plans, deadline=deadline)


def mixed(
    problem: Problem,
    weights: Weights,
    start: IntArray,
    answer: IntArray,
    deadline: float | None = None,
) -> IntArray | None:
    """The start with each order's plan from ``answer`` where that plan alone serves the order
    better, made feasible; None when ``answer`` serves no order better, or every one (the
    mix would be one of the two). The caller keeps it only if it beats what it has.

    A backend's answer that loses to the start as a whole may still serve many orders better
    (a batch stopped at the limit improves some orders and leaves others worse), and taking the
    whole start would discard those improvements; taking the whole answer would keep the
    losses. Where the orders' better plans compete for stock the repair decides
    (:func:`~optimizer.repair.repair`).
    """
    ours, theirs = (order_objectives(problem, weights, u) for u in (start, answer))
    takes = theirs < ours - 1e-9 * np.maximum(1.0, np.abs(ours))
    if not takes.any() or takes.all():
        return None
    plans = np.where(takes[problem.arc_order], answer, start)
    return repair(problem, weights, plans, deadline=deadline)
