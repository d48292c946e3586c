"""Runner-up locations for each shipment, and the reason each one lost.

A person asks "why not the warehouse next door?". For every chosen package we price the same
lines at every other location, rank them by the objective's own measure, and give the top few
a reason code: ``ineligible:<rule>``, ``no_stock``, ``over_capacity`` (judged on what the answer
leaves there), then ``slower`` / ``dearer`` against the chosen package, ``held_for_later_orders``
when only lookahead opportunity costs made it dearer, ``lower_priority`` on an exact tie;
``joint_constraints`` when a better runner-up lost only to the batch as a whole (shipment
limits, other orders), ``not_optimized`` when the answer was not proven optimal and the
runner-up is simply better.
"""

from __future__ import annotations

import numpy as np

from optimizer.objective import opportunity_matrix
from optimizer.params import Params
from optimizer.problem import REASONS, FloatArray, IntArray, Problem
from optimizer.result import Alternative, OrderAssignment

TOP = 3
EPS = 1e-6


def add_alternatives(
    problem: Problem,
    params: Params,
    arc_units: IntArray,
    assignments: list[OrderAssignment],
    proven: bool,
) -> None:
    """Fill ``alternatives`` of each assignment in place."""
    if problem.n_locations < 2:
        return
    used_stock = np.zeros(problem.stock.shape, dtype=np.int64)
    np.add.at(used_stock, (problem.arc_loc, problem.arc_sku), arc_units)
    stock_left = problem.stock - used_stock
    cap_left = problem.loc_capacity - np.bincount(
        problem.arc_loc, arc_units, minlength=problem.n_locations
    )
    opportunity = opportunity_matrix(problem, params)
    loc_index = {loc.id: n for n, loc in enumerate(problem.locations)}
    sku_index = {s: i for i, s in enumerate(problem.skus)}
    for o, assignment in enumerate(assignments):
        for shipment in assignment.shipments:
            chosen = loc_index[shipment.location_id]
            skus = np.array([sku_index[sku] for _, sku, _ in shipment.lines], dtype=np.int64)
            qty = np.array([q for _, _, q in shipment.lines], dtype=np.int64)
            ctx = _Candidates(problem, params, o, chosen, skus, qty, opportunity)
            for n in ctx.ranked(TOP):
                why = ctx.why_not(n, stock_left, cap_left, proven)
                assignment.alternatives.append(
                    Alternative(
                        line_ids=[line_id for line_id, _, _ in shipment.lines],
                        location_id=problem.locations[n].id,
                        cost=float(ctx.cost[n]),
                        delivery_days=int(ctx.days[n]),
                        why_not=why,
                    )
                )


class _Candidates:
    """Every location priced for one package's lines."""

    def __init__(
        self,
        problem: Problem,
        params: Params,
        o: int,
        chosen: int,
        skus: IntArray,
        qty: IntArray,
        opportunity: FloatArray,
    ) -> None:
        self.problem, self.params, self.o, self.chosen = problem, params, o, chosen
        self.skus, self.qty = skus, qty
        self.cost: FloatArray = problem.package_cost[o] + float(qty.sum()) * problem.unit_cost[o]
        self.extra: FloatArray = opportunity[:, skus] @ qty
        self.days: IntArray = problem.days[o]

    def score(self) -> FloatArray:
        total = self.cost + self.extra
        if self.params.objective == "time":
            return np.asarray(self.days * 1e9 + total, dtype=float)
        if self.params.objective == "balanced":
            return np.asarray(total + self.params.cost_per_day * self.days, dtype=float)
        return total

    def ranked(self, top: int) -> list[int]:
        """The ``top`` best other locations (a list comprehension over 200 cost more)."""
        order = np.lexsort((-self.problem.loc_priority, self.problem.km[self.o], self.score()))
        return order[order != self.chosen][:top].tolist()  # type: ignore[no-any-return]

    def why_not(self, n: int, stock_left: IntArray, cap_left: FloatArray, proven: bool) -> str:
        code = int(self.problem.reason[self.o, n])
        if code:
            return f"ineligible:{REASONS[code]}"
        if np.any(stock_left[n, self.skus] < self.qty):
            return "no_stock"
        if cap_left[n] < self.qty.sum():
            return "over_capacity"
        c = self.chosen
        score = self.score()
        if score[n] < score[c] - EPS:
            return "joint_constraints" if proven else "not_optimized"
        d_days = int(self.days[n] - self.days[c])
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
        return "lower_priority"
