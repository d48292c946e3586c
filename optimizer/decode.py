"""Units per arc -> per-order shipments, unfilled lines and their reasons."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from optimizer.objective import Weights
from optimizer.problem import REASON_CODES, FloatArray, IntArray, Problem, shipment_limits
from optimizer.result import OrderAssignment, Shipment, Unallocated


def line_refs(problem: Problem) -> list[tuple[str, str]]:
    """(line_id, sku) of every line index."""
    return [(ln.line_id, ln.sku) for order in problem.orders for ln in order.lines]


def assignments_from_units(
    problem: Problem, weights: Weights, arc_units: IntArray
) -> list[OrderAssignment]:
    """Group the allocated arcs into packages per (order, location) and report the rest.

    Sums and groupings are array operations over every package at once; the loop over orders
    only builds the answer's objects (at 10,000 orders a loop of small dot products and
    per-order searches took a second after the solver had stopped)."""
    refs = line_refs(problem)
    arcs = np.nonzero(arc_units > 0)[0]
    n_loc = max(problem.n_locations, 1)
    key = problem.arc_order[arcs] * n_loc + problem.arc_loc[arcs]
    ranked = np.argsort(key, kind="stable")  # arcs of a package stay in arc order
    arcs, key = arcs[ranked], key[ranked]
    package_keys, package_of_arc = np.unique(key, return_inverse=True)
    units = arc_units[arcs]
    package_order, package_loc = package_keys // n_loc, package_keys % n_loc
    plain = problem.package_cost[package_order, package_loc] + np.bincount(
        package_of_arc, units * weights.arc_plain[arcs], minlength=package_keys.size)
    extra = np.bincount(package_of_arc, units * weights.arc_opportunity[arcs],
                        minlength=package_keys.size)
    days = problem.days[package_order, package_loc]
    line_of_arc = problem.arc_line[arcs].tolist()
    units_of_arc = units.tolist()
    arc_start = np.searchsorted(package_of_arc, np.arange(package_keys.size + 1)).tolist()
    package_start = np.searchsorted(package_order, np.arange(problem.n_orders + 1)).tolist()

    filled = np.bincount(problem.arc_line, arc_units, minlength=problem.n_lines)
    reasons = unfilled_reasons(problem, weights, arc_units)
    short_lines = np.nonzero(filled < problem.line_qty)[0]
    short_start = np.searchsorted(problem.line_order[short_lines],
                                  np.arange(problem.n_orders + 1)).tolist()
    missing = (problem.line_qty - filled).tolist()
    short_list = short_lines.tolist()

    result = []
    for o, order in enumerate(problem.orders):
        shipments = []
        for k in range(package_start[o], package_start[o + 1]):
            lines = [(*refs[line_of_arc[i]], units_of_arc[i])
                     for i in range(arc_start[k], arc_start[k + 1])]
            shipments.append(Shipment(problem.locations[int(package_loc[k])].id, lines,
                                      float(plain[k]), int(days[k]), float(extra[k])))
        opportunity = float(extra[package_start[o]:package_start[o + 1]].sum())
        unallocated = [
            Unallocated(refs[line][0], int(missing[line]), reasons[line])
            for line in short_list[short_start[o]:short_start[o + 1]]
        ]
        cost = sum(s.cost for s in shipments)
        result.append(
            OrderAssignment(
                order_id=order.order_id,
                shipments=shipments,
                unallocated=unallocated,
                cost=cost + opportunity,
                plain_cost=cost,
                opportunity_cost=opportunity,
                delivery_days=max((s.delivery_days for s in shipments), default=None),
            )
        )
    return result


def unfilled_reasons(problem: Problem, weights: Weights, arc_units: IntArray) -> dict[int, str]:
    """Why each short line is short.

    ``no_stock``: nobody holds the SKU; ``no_eligible_location``: only ineligible locations do;
    ``insufficient_stock``: the eligible ones hold too little; ``no_single_location``: splits are
    off and no one location holds the whole line; ``dearer_than_unfilled`` (only with a finite
    ``unfilled_cost_factor``): an eligible location still had the stock and the room, and the
    order could still ship from it, but sending the units cost more than leaving them unfilled;
    ``max_shipments``: a location the order does not ship from still had the stock and the
    room, but the order already has as many packages as it may; ``over_capacity``: the eligible
    locations holding it had the units but not the room for them (their capacity, less what
    earlier allocations hold, before this answer took any); ``constrained``: the stock or
    the room went to other orders; ``deadline``: instead of the first two, when a location that
    holds the SKU is ruled out only by the order's delivery deadline: the promise, not the
    network, is what stands in the way.
    """
    filled = np.bincount(problem.arc_line, arc_units, minlength=problem.n_lines)
    reachable = np.bincount(problem.arc_line, problem.arc_stock, minlength=problem.n_lines)
    best_single = np.zeros(problem.n_lines, dtype=np.int64)
    np.maximum.at(best_single, problem.arc_line, problem.arc_stock)
    # units each arc could carry with the room its location had before this answer
    room = np.floor(np.minimum(problem.arc_stock, problem.loc_capacity[problem.arc_loc]))
    roomy: FloatArray = np.zeros(problem.n_lines)
    if weights.allow_split:
        roomy = np.bincount(problem.arc_line, room, minlength=problem.n_lines).astype(float)
    else:  # the whole line at one location
        np.maximum.at(roomy, problem.arc_line, room)
    anywhere = problem.stock.sum(axis=0) if problem.stock.size else np.zeros(0, np.int64)
    reasons: dict[int, str] = {}
    for line in np.nonzero(filled < problem.line_qty)[0].tolist():
        qty = int(problem.line_qty[line])
        if reachable[line] == 0:
            held = anywhere.size and anywhere[problem.line_sku[line]] > 0
            reasons[line] = "no_eligible_location" if held else "no_stock"
        elif reachable[line] < qty:
            reasons[line] = "insufficient_stock"
        elif not weights.allow_split and best_single[line] < qty:
            reasons[line] = "no_single_location"
        elif roomy[line] < qty:
            reasons[line] = "over_capacity"
        else:
            reasons[line] = "constrained"
        if reasons[line] in ("no_eligible_location", "insufficient_stock") and _too_late(
            problem, line
        ):
            reasons[line] = "deadline"
    if "constrained" in reasons.values():
        left = _ArcsLeft(problem, weights, arc_units, filled)
        on_purpose = left.left_on_purpose()  # could still have been sent: not the limit
        for line in left.stopped_by_shipment_limit() - on_purpose:
            if reasons.get(line) == "constrained":
                reasons[line] = "max_shipments"
        if not weights.fill_first:
            for line in on_purpose:
                if reasons.get(line) == "constrained":
                    reasons[line] = "dearer_than_unfilled"
    return reasons


def _too_late(problem: Problem, line: int) -> bool:
    """Some location holding the line's SKU is ineligible for its order by the deadline alone
    (eligibility rules overwrite one another, the most fundamental last, so the code says the
    deadline is the only rule that pair breaks)."""
    order, sku = problem.line_order[line], problem.line_sku[line]
    late = problem.reason[order] == REASON_CODES["deadline"]
    return bool((late & (problem.stock[:, sku] > 0)).any())


class _ArcsLeft:
    """Per arc, what the answer leaves for its line's missing units: could the arc's location
    still send them (stock, capacity and the split rule allowing), and may the order still ship
    from there (a package it already has, or one under its shipment limit)."""

    def __init__(
        self, problem: Problem, weights: Weights, arc_units: IntArray, filled: IntArray
    ) -> None:
        p = problem
        self.line = p.arc_line
        self.short = (p.line_qty - filled)[p.arc_line]
        used_stock = np.zeros(p.stock.shape, dtype=np.int64)
        np.add.at(used_stock, (p.arc_loc, p.arc_sku), arc_units)
        stock_left = (p.stock - used_stock)[p.arc_loc, p.arc_sku]
        cap_left = (p.loc_capacity - np.bincount(p.arc_loc, arc_units, minlength=p.n_locations))[
            p.arc_loc
        ]
        room = np.minimum(stock_left, cap_left)
        self.enough = room >= (
            self.short if not weights.allow_split else np.minimum(self.short, 1)
        )
        if not weights.allow_split:
            self.enough &= filled[p.arc_line] == 0
        pair_used = np.bincount(p.arc_pair, arc_units > 0, minlength=p.n_pairs) > 0
        packages = np.bincount(p.pair_order[pair_used], minlength=p.n_orders)
        limit = shipment_limits(p, weights.max_shipments)[p.arc_order]
        self.own_package = pair_used[p.arc_pair]
        self.under_limit = packages[p.arc_order] < limit

    def _lines(self, hit: npt.NDArray[np.bool_]) -> set[int]:
        return set(np.unique(self.line[(self.short > 0) & self.enough & hit]).tolist())

    def left_on_purpose(self) -> set[int]:
        """Short lines one of whose arcs could still have sent the missing units (stock,
        capacity, split rule and shipment limit all allowing): left short by choice."""
        return self._lines(self.own_package | self.under_limit)

    def stopped_by_shipment_limit(self) -> set[int]:
        """Short lines a location outside the order's packages could have filled, had the
        order not used all its packages (some may also be :meth:`left_on_purpose`)."""
        return self._lines(~self.own_package & ~self.under_limit)
