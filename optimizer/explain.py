"""Runner-up locations for each shipment and each short line, and the reason each one lost.

A person asks "why not the warehouse next door?". For every chosen package we price the same
lines at every other location and rank them by the objective's own measure; for every line left
short we price the missing units the same way. Each runner-up gets a reason code:
``ineligible:<rule>``, ``no_stock`` (none of the units these lines need is left there),
``insufficient_stock`` (some, not all: a package's lines need all their units at one place, and
so does a short line when lines may not split), ``over_capacity`` (judged on what the answer
leaves there), then ``slower`` / ``dearer`` against the chosen package,
``held_for_later_orders`` when only lookahead opportunity costs made it dearer (or tied it with
a location it was cheaper than), ``lower_priority`` on an exact tie;
``joint_constraints`` when a better runner-up lost only to the batch as a whole (shipment
limits, the split rule, other orders), ``not_optimized`` when the answer was not proven optimal
and the runner-up is simply better. A short line's runner-up that had the stock and the room
gets ``dearer`` when the line was left short on purpose (a finite unfilled cost),
``max_shipments`` when it would have been one package too many for the order, else
``joint_constraints`` / ``not_optimized``.

Which locations make the short list (``TOP`` per package or short line), in this order:

1. the best *rival*: eligible, with the stock and the room, so it lost on the objective alone.
   It always gets a slot, because it is the answer to "what else could we have done?";
2. locations that would have been better (or, for a short line, any location) but lost on a
   rule, stock or capacity, those that hold the SKU first: they answer "why not the obvious
   one?" (the near store out of stock, the warehouse at capacity, the one beyond the distance);
3. the remaining rivals, then holders that lost on a rule and were no better anyway.

A location holding none of the package's SKUs is listed only when its landed cost is a real
price (above zero) and it would have been better. The caller's stock carries only positive
availability, so "sold out" and "never stocks it" look alike here; an unpriced location (a
store or supplier with no shipping cost set) without the SKU would otherwise rank first under
``cost`` and crowd out the real competitors with ``cost 0.0, no_stock`` lines that tell a
planner nothing. Every cost shown is the location's own landed cost for these units (package
plus units, from the dense order x location matrices), never a placeholder.
"""

from __future__ import annotations

import time

import numpy as np
import numpy.typing as npt

from optimizer.objective import location_tie_per_unit, opportunity_matrix
from optimizer.params import Params
from optimizer.problem import REASONS, FloatArray, IntArray, Problem
from optimizer.result import Alternative, OrderAssignment

TOP = 3
EPS = 1e-6

BoolArray = npt.NDArray[np.bool_]


def add_alternatives(
    problem: Problem,
    params: Params,
    arc_units: IntArray,
    assignments: list[OrderAssignment],
    proven: bool,
    deadline: float | None = None,
) -> int:
    """Fill ``alternatives`` of each assignment in place: per shipment, then per short line.

    Orders are explained in turn until ``deadline`` (``time.perf_counter()``), the first one
    always: the time limit covers the whole call, and at ~0.2 ms an order a big batch's
    explanations would overrun a short limit by hundreds of milliseconds, while one order's
    cost nothing next to its solve. Returns how many orders were explained.
    """
    if problem.n_locations == 0:
        return len(assignments)
    left = _Leftovers(problem, arc_units)
    opportunity = opportunity_matrix(problem, params)
    tie = location_tie_per_unit(problem)  # once: every package's runner-ups use it
    loc_index = {loc.id: n for n, loc in enumerate(problem.locations)}
    sku_index = {s: i for i, s in enumerate(problem.skus)}
    for o, assignment in enumerate(assignments):
        if o and deadline is not None and time.perf_counter() > deadline:
            return o
        # the order's own other packages that could not take these lines are part of the same
        # answer (a split line's other halves), not rivals that "had no stock"; one that could
        # (all from B instead of A and B) stays a rival
        own = np.zeros(problem.n_locations, dtype=bool)
        own[[loc_index[s.location_id] for s in assignment.shipments]] = True
        for shipment in assignment.shipments:
            skus = np.array([sku_index[sku] for _, sku, _ in shipment.lines], dtype=np.int64)
            qty = np.array([q for _, _, q in shipment.lines], dtype=np.int64)
            # the order arrives with its slowest package: a rival faster than the order's
            # other packages (these, and those made earlier: Problem.arrival_days) would not
            # bring it sooner, so it is judged by that day
            others = [s.delivery_days for s in assignment.shipments if s is not shipment]
            ctx = _Candidates(problem, params, o, skus, qty, opportunity, tie,
                              arrival_floor=max(others, default=0))
            ctx.chosen = loc_index[shipment.location_id]
            ctx.own = own
            line_ids = [line_id for line_id, _, _ in shipment.lines]
            assignment.alternatives.extend(ctx.alternatives(line_ids, left, proven))
        line_sku = {ln.line_id: sku_index[ln.sku] for ln in problem.orders[o].lines}
        for short in assignment.unallocated:
            skus = np.array([line_sku[short.line_id]], dtype=np.int64)
            qty = np.array([short.qty], dtype=np.int64)
            ctx = _Candidates(problem, params, o, skus, qty, opportunity, tie)
            # (the order's own locations that ran out stay listed: they say why it is short)
            ctx.left_short_on_purpose = short.reason == "dearer_than_unfilled"
            ctx.one_package_too_many = (~own) if short.reason == "max_shipments" else None
            assignment.alternatives.extend(ctx.alternatives([short.line_id], left, proven))
    return len(assignments)


class _Leftovers:
    """Stock and capacity the answer leaves at each location: what a runner-up could still use."""

    def __init__(self, problem: Problem, arc_units: IntArray) -> None:
        used_stock = np.zeros(problem.stock.shape, dtype=np.int64)
        np.add.at(used_stock, (problem.arc_loc, problem.arc_sku), arc_units)
        self.stock: IntArray = problem.stock - used_stock
        self.capacity: FloatArray = problem.loc_capacity - np.bincount(
            problem.arc_loc, arc_units, minlength=problem.n_locations
        )


class _Candidates:
    """Every location priced for one package's lines (or one short line's missing units).

    ``chosen`` is the package's location; None for a short line, which has no winner to beat.
    """

    def __init__(
        self,
        problem: Problem,
        params: Params,
        o: int,
        skus: IntArray,
        qty: IntArray,
        opportunity: FloatArray,
        tie_per_unit: FloatArray,
        arrival_floor: int = 0,
    ) -> None:
        self.problem, self.params, self.o = problem, params, o
        self.skus, self.qty = skus, qty
        # units per distinct SKU: two lines of one SKU need both their units at one location
        distinct, inverse = np.unique(skus, return_inverse=True)
        self.need_skus: IntArray = distinct
        self.need_qty: IntArray = np.bincount(inverse, weights=qty).astype(np.int64)
        self.chosen: int | None = None
        self.own: BoolArray | None = None  # not listed when blocked (see add_alternatives)
        self.left_short_on_purpose = False
        # a short line the order's package count stopped: the locations a package would be new at
        self.one_package_too_many: BoolArray | None = None
        self.cost: FloatArray = problem.package_cost[o] + float(qty.sum()) * problem.unit_cost[o]
        self.extra: FloatArray = opportunity[:, skus] @ qty
        self.days: IntArray = problem.days[o]
        # the day the order would arrive with this location (what time and balanced weigh)
        self.arrival: IntArray = np.maximum(problem.arrival_days[o], arrival_floor)
        self.tie: FloatArray = tie_per_unit * float(qty.sum())
        self.score: FloatArray = self._score()

    def _score(self) -> FloatArray:
        """The objective's own measure per location, computed once: ranking and reasons share it."""
        total = self.cost + self.extra
        if self.params.objective == "time":
            return np.asarray(self.arrival * 1e9 + total, dtype=float)
        if self.params.objective == "balanced":
            return np.asarray(total + self.params.cost_per_day * self.arrival, dtype=float)
        return total

    def alternatives(
        self, line_ids: list[str], left: _Leftovers, proven: bool
    ) -> list[Alternative]:
        """The short list for these lines, each with its landed cost, days and reason."""
        return [
            Alternative(
                line_ids=list(line_ids),
                location_id=self.problem.locations[n].id,
                cost=float(self.cost[n]),
                delivery_days=int(self.days[n]),
                why_not=self.why_not(n, left, proven),
                instead_of=None if self.chosen is None else self.problem.locations[self.chosen].id,
            )
            for n in self.ranked(TOP, left)
        ]

    def _short_of_stock(self, stock: IntArray) -> npt.NDArray[np.bool_]:
        """Whether each location's leftover ``stock`` (locations x needed SKUs) keeps it out.

        A package's lines need all their units at one place; a short line's missing units may
        come a few from here and a few from there when lines may split, so a location holding
        some of them could have sent those (it lost on something else, said after this).
        """
        if self.chosen is None and self.params.allow_line_split:
            return np.asarray(np.all(stock <= 0, axis=-1))
        return np.asarray(np.any(stock < self.need_qty, axis=-1))

    def blocked(self, left: _Leftovers) -> BoolArray:
        """Locations a rule, missing stock or missing capacity kept out (whatever the price)."""
        ineligible = self.problem.reason[self.o] != 0
        no_stock = self._short_of_stock(left.stock[:, self.need_skus])
        return np.asarray(ineligible | no_stock | (left.capacity < self.qty.sum()), dtype=bool)

    def ranked(self, top: int, left: _Leftovers) -> list[int]:
        """The ``top`` runner-ups: best rival, better locations that lost on a rule, the rest.

        Vectorised over locations (a list comprehension over 200 of them costs more); see the
        module docstring for why unpriced locations without the SKU are left out.
        """
        score = self.score
        order = np.lexsort((-self.problem.loc_priority, self.problem.km[self.o], score))
        if self.chosen is not None:
            order = order[order != self.chosen]
        blocked_here = self.blocked(left)
        if self.own is not None:
            order = order[~(self.own[order] & blocked_here[order])]
        bar = np.inf if self.chosen is None else score[self.chosen] - EPS
        better = score[order] < bar
        holds = np.any(self.problem.stock[:, self.skus][order] > 0, axis=1)
        shown = holds | (better & (self.cost[order] > EPS))
        blocked = blocked_here[order]
        rivals = order[shown & ~blocked]
        lost = shown & blocked & better
        picks = np.concatenate(
            (
                rivals[:1],
                order[lost & holds],
                order[lost & ~holds],
                rivals[1:],
                order[shown & blocked & ~better],
            )
        )
        return picks[:top].tolist()  # type: ignore[no-any-return]

    def why_not(self, n: int, left: _Leftovers, proven: bool) -> str:
        code = int(self.problem.reason[self.o, n])
        if code:
            return f"ineligible:{REASONS[code]}"
        stock = left.stock[n, self.need_skus]
        if self._short_of_stock(stock):
            # some of what these lines need is there, not all of it: "no stock" would be false
            return "insufficient_stock" if stock.clip(min=0).sum() > 0 else "no_stock"
        if left.capacity[n] < self.qty.sum():
            return "over_capacity"
        if self.chosen is None:
            if self.left_short_on_purpose:
                return "dearer"
            if self.one_package_too_many is not None and self.one_package_too_many[n]:
                return "max_shipments"
            return "joint_constraints" if proven else "not_optimized"
        return self._lost_to_chosen(n, self.chosen, proven)

    def _lost_to_chosen(self, n: int, c: int, proven: bool) -> str:
        """Why a location with the stock and the room lost to the chosen package ``c``."""
        score = self.score
        priority = self.problem.loc_priority
        tie = self.tie  # what location priority adds to each location's score in the objective
        if priority[c] > priority[n] and score[n] < score[c] - EPS \
                and score[n] + tie[n] >= score[c] + tie[c] - EPS:
            # cheaper only by less than the priority tie-break the objective adds
            return "lower_priority"
        tied_but_preferred = score[n] <= score[c] + EPS and priority[n] > priority[c]
        if score[n] < score[c] - EPS or tied_but_preferred:  # the objective prefers n
            return "joint_constraints" if proven else "not_optimized"
        d_days = int(self.arrival[n] - self.arrival[c])
        d_plain = float(self.cost[n] - self.cost[c])
        d_total = d_plain + float(self.extra[n] - self.extra[c])
        objective = self.params.objective
        if objective == "time" and d_days > 0:
            return "slower"
        if objective == "balanced" and d_days > 0 and self.params.cost_per_day * d_days >= d_total:
            return "slower"
        if d_plain > EPS:
            return "dearer"
        if d_total > EPS:
            return "held_for_later_orders"
        if objective == "balanced" and d_days > 0:
            return "slower"
        if priority[n] >= priority[c] and float(self.extra[n] - self.extra[c]) > EPS:
            # a tie only because lookahead priced its stock: cheaper in money, kept for later
            return "held_for_later_orders"
        return "lower_priority"
