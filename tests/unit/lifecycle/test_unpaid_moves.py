"""Re-optimization puts back what an unproven answer moved for nothing (lifecycle.unpaid_moves).

Greedy sends each order to its nearest stock whatever the objective: a fast way to get answers
that move held units for no saving, the case a batch stopped at its gap can also produce.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lifecycle.unpaid_moves import keep_unpaid_moves
from models.fulfillments import Fulfillment, FulfillmentLine, FulfillmentStatus, FulfillmentType
from optimizer import LineSpec, LocationSpec, OrderSpec, Params, build_problem, solve

SHIP = frozenset({"ship"})
NEAR = LocationSpec("NEAR", "warehouse", 40.01, -90.0, SHIP, shipment_cost=15.0)
FAR = LocationSpec("FAR", "warehouse", 48.0, -90.0, SHIP, shipment_cost=3.0)


def _order(order_id: str, qty: int = 1) -> OrderSpec:
    return OrderSpec(order_id, 40.0, -90.0, (LineSpec("1", "S", qty),),
                     held=(("FAR", "S"),))


def _held(order_id: str, location_id: str = "FAR", qty: int = 1) -> Fulfillment:
    return Fulfillment(f"F-{order_id}", order_id, FulfillmentType.SHIP, location_id,
                       FulfillmentStatus.ALLOCATED, [FulfillmentLine("1", "S", qty)],
                       datetime.now(UTC), cost=3.0)


def _greedy(orders: list[OrderSpec], stock: dict[tuple[str, str], int],
            objective: str = "cost"):  # type: ignore[no-untyped-def]
    params = Params(solver="greedy", objective=objective)  # type: ignore[arg-type]
    problem = build_problem(orders, [NEAR, FAR], stock, params)
    return problem, params, solve(problem, params)


def _where(result: object, order_id: str) -> list[str]:
    return [s.location_id for s in result.assignment(order_id).shipments]  # type: ignore[attr-defined]


def test_a_dearer_move_is_put_back() -> None:
    problem, params, result = _greedy([_order("a")], {("NEAR", "S"): 5, ("FAR", "S"): 1})
    assert _where(result, "a") == ["NEAR"]  # greedy: nearest, at 15 against 3
    assert keep_unpaid_moves(problem, params, result, {"a": [_held("a")]}) == ["a"]
    assignment = result.assignment("a")
    assert _where(result, "a") == ["FAR"]
    assert assignment.plain_cost == pytest.approx(3.0) and assignment.delivery_days == 2


def test_a_faster_move_pays_under_time() -> None:
    problem, params, result = _greedy([_order("a")], {("NEAR", "S"): 5, ("FAR", "S"): 1},
                                      objective="time")
    assert keep_unpaid_moves(problem, params, result, {"a": [_held("a")]}) == []
    assert _where(result, "a") == ["NEAR"]


def test_balanced_weighs_the_days_saved_against_the_money() -> None:
    stock = {("NEAR", "S"): 5, ("FAR", "S"): 1}
    for per_day, moved in ((11.0, False), (13.0, True)):  # one day saved for 12 more
        problem, _, result = _greedy([_order("a")], stock)
        params = Params(objective="balanced", cost_per_day=per_day)
        kept = keep_unpaid_moves(problem, params, result, {"a": [_held("a")]})
        assert kept == ([] if moved else ["a"])


def test_units_another_order_now_has_are_not_taken_back() -> None:
    """Two orders held FAR's one unit in turn; the answer gives it to one, so the other's
    move stands, however much dearer."""
    orders = [_order("a"), OrderSpec("b", 48.0, -90.0, (LineSpec("1", "S", 1),))]
    problem, params, result = _greedy(orders, {("NEAR", "S"): 5, ("FAR", "S"): 1})
    assert _where(result, "b") == ["FAR"]  # b sits next to FAR: greedy gives it the unit
    assert keep_unpaid_moves(problem, params, result, {"a": [_held("a")]}) == []
    assert _where(result, "a") == ["NEAR"]


def test_an_answer_that_fills_more_than_it_held_is_not_a_move() -> None:
    problem, params, result = _greedy([_order("a", qty=2)], {("NEAR", "S"): 5, ("FAR", "S"): 1})
    assert keep_unpaid_moves(problem, params, result, {"a": [_held("a")]}) == []
    assert _where(result, "a") == ["NEAR"]


def test_a_location_the_order_may_no_longer_use_is_not_kept() -> None:
    params = Params(solver="greedy", max_distance_km=500)  # FAR is 890 km away
    problem = build_problem([_order("a")], [NEAR, FAR], {("NEAR", "S"): 5, ("FAR", "S"): 1},
                            params)
    result = solve(problem, params)
    assert keep_unpaid_moves(problem, params, result, {"a": [_held("a")]}) == []
    assert keep_unpaid_moves(problem, params, result, {"a": [_held("a", "GONE")]}) == []
    assert _where(result, "a") == ["NEAR"]
