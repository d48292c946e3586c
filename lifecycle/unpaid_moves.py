"""Re-optimization moves an allocation only when the move pays.

The joint model already keeps what an order holds on an exact tie (``OrderSpec.held``), but
only an answer proven optimal honours a tie-break: a batch stops at a 0.1% gap, and the
heuristics (greedy, lp_fix, split) prove nothing, so an answer could move an order to a place
no better for it: the same money and a later promise, or even dearer (greedy sends it to the
nearest stock whatever the objective). After the solve, an order the answer only relocates
(the same units of each line, elsewhere) keeps what it held when that serves it at least as
well by the run's objective and the stock and room it held are still free in the answer.
Keeping it frees the units the answer gave it instead; no other order's answer changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from models.fulfillments import Fulfillment
from optimizer import Params, Problem, Result, Shipment

TOLERANCE = 1e-6  # money and days are compared up to float sums; a real saving is a cent


def keep_unpaid_moves(problem: Problem, params: Params, result: Result,
                      taken: Mapping[str, Sequence[Fulfillment]]) -> list[str]:
    """Put back, in ``result``, the held allocations of orders the answer moved for nothing;
    returns their ids. ``taken``: per order, the unreleased allocations the run re-solved."""
    usage = _Usage(problem, result)
    kept = []
    for o, spec in enumerate(problem.orders):
        fulfillments = taken.get(spec.order_id)
        if not fulfillments:
            continue
        assignment = result.assignment(spec.order_id)
        held = _held_shipments(problem, o, fulfillments)
        if held is None or not _relocates(assignment.shipments, held):
            continue
        if _better(problem, params, o, assignment.shipments, held):
            continue
        if not usage.swap(assignment.shipments, held):
            continue  # another order now has what it held
        cost = sum(s.cost for s in held)
        result.replace_assignment(replace(
            assignment, shipments=held, plain_cost=cost, opportunity_cost=0.0, cost=cost,
            delivery_days=max(s.delivery_days for s in held), alternatives=[]))
        kept.append(spec.order_id)
    return kept


class _Usage:
    """Stock and room the answer uses at each location, kept current as orders swap back."""

    def __init__(self, problem: Problem, result: Result) -> None:
        self.problem = problem
        self.stock = np.zeros(problem.stock.shape, dtype=np.int64)
        self.room = np.zeros(problem.n_locations, dtype=np.int64)
        for assignment in result.assignments:
            self._add(assignment.shipments, 1)

    def swap(self, out: Sequence[Shipment], back: Sequence[Shipment]) -> bool:
        """Trade ``out`` for ``back`` when the stock and room ``back`` needs are free."""
        self._add(out, -1)
        self._add(back, 1)
        fits = bool(np.all(self.stock <= self.problem.stock)
                    and np.all(self.room <= self.problem.loc_capacity))
        if not fits:
            self._add(back, -1)
            self._add(out, 1)
        return fits

    def _add(self, shipments: Sequence[Shipment], sign: int) -> None:
        for shipment in shipments:
            n = self.problem.location_index[shipment.location_id]
            for _, sku, qty in shipment.lines:
                self.stock[n, self.problem.sku_index[sku]] += sign * qty
                self.room[n] += sign * qty


def _held_shipments(problem: Problem, o: int,
                    fulfillments: Sequence[Fulfillment]) -> list[Shipment] | None:
    """The held allocations as packages priced on today's terms; None when one of them is no
    longer possible (its location closed, left the order's reach, or the SKU is unknown)."""
    held = []
    for fulfillment in fulfillments:
        n = problem.location_index.get(str(fulfillment.location_id))
        if n is None or problem.reason[o, n] != 0 or any(
                line.sku not in problem.sku_index for line in fulfillment.lines):
            return None
        units = fulfillment.units
        cost = float(problem.package_cost[o, n] + units * problem.unit_cost[o, n])
        held.append(Shipment(str(fulfillment.location_id),
                             [(line.line_id, line.sku, line.qty) for line in fulfillment.lines],
                             cost, int(problem.days[o, n])))
    return held or None


def _relocates(new: Sequence[Shipment], held: Sequence[Shipment]) -> bool:
    """Whether ``new`` sends exactly the units ``held`` did, line by line, from elsewhere."""
    def units(shipments: Sequence[Shipment]) -> Counter[tuple[str, str]]:
        counts: Counter[tuple[str, str]] = Counter()
        for shipment in shipments:
            for line_id, sku, qty in shipment.lines:
                counts[(line_id, sku)] += qty
        return counts

    def places(shipments: Sequence[Shipment]) -> list[tuple[str, tuple[tuple[str, str, int], ...]]]:
        return sorted((s.location_id, tuple(sorted(s.lines))) for s in shipments)

    return units(new) == units(held) and places(new) != places(held)


def _better(problem: Problem, params: Params, o: int, new: Sequence[Shipment],
            held: Sequence[Shipment]) -> bool:
    """Whether ``new`` serves order ``o`` strictly better than ``held`` by the objective:
    money (``cost``), the day the order arrives then money (``time``), or money plus
    ``cost_per_day`` per day (``balanced``). Days count as the objective counts them, from
    the order's packages made earlier too (``Problem.arrival_days``)."""
    def measure(shipments: Sequence[Shipment]) -> tuple[float, float]:
        money = sum(s.cost for s in shipments)
        days = max(float(problem.arrival_days[o, problem.location_index[s.location_id]])
                   for s in shipments)
        return days, money

    new_days, new_money = measure(new)
    held_days, held_money = measure(held)
    if params.objective == "time":
        if new_days != held_days:
            return new_days < held_days
        return new_money < held_money - TOLERANCE
    if params.objective == "balanced":
        per_day = params.cost_per_day
        return new_money + per_day * new_days < held_money + per_day * held_days - TOLERANCE
    return new_money < held_money - TOLERANCE
