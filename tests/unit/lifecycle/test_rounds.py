"""A run's joint solves share the policy's time limit and start from the answer before them
(lifecycle.batch.Rounds)."""

from __future__ import annotations

from datetime import UTC, datetime

from lifecycle.batch import MIN_ROUND_SHARE, Rounds, held_placements
from models.fulfillments import Fulfillment, FulfillmentLine, FulfillmentStatus, FulfillmentType
from optimizer import LineSpec, LocationSpec, OrderSpec, Params, solve_orders

SHIP = frozenset({"ship"})


def held(fid: str, order_id: str, location_id: str, *lines: FulfillmentLine) -> Fulfillment:
    return Fulfillment(fid, order_id, FulfillmentType.SHIP, location_id,
                       FulfillmentStatus.ALLOCATED, list(lines), datetime.now(UTC))


def test_each_round_gets_what_the_solves_before_it_left_of_the_limit() -> None:
    rounds = Rounds()
    rounds.attempt(2000, {})
    assert rounds.params(Params(time_limit_ms=2000)).time_limit_ms == 2000
    rounds.ms += 1500.0
    assert rounds.params(Params(time_limit_ms=2000)).time_limit_ms == 500
    rounds.ms += 450.0
    # what is left (50 ms) is less than the share a round always gets
    assert rounds.params(Params(time_limit_ms=2000)).time_limit_ms == \
        round(MIN_ROUND_SHARE * 2000) == 200
    rounds.ms += 60_000.0
    assert rounds.params(Params(time_limit_ms=2000)).time_limit_ms == 200


def test_the_rest_of_the_params_are_the_policys() -> None:
    params = Params(objective="time", max_shipments_per_order=2, time_limit_ms=2000)
    rounds = Rounds(ms=1000.0)
    rounds.attempt(2000, {})
    assert rounds.params(params) == Params(objective="time", max_shipments_per_order=2,
                                           time_limit_ms=1000)


def test_a_retry_shares_the_limit_but_plans_from_scratch() -> None:
    """A retry starts again from what the orders hold, not from the failed attempt's answer."""
    rounds = Rounds(ms=1200.0, count=1, start={("o1", "1", "NEAR"): 1})
    rounds.attempt(2000, {"o1": [held("F1", "o1", "FAR", FulfillmentLine("1", "S", 1))]})
    assert rounds.start == {("o1", "1", "FAR"): 1} and rounds.count == 1
    assert rounds.params(Params(time_limit_ms=2000)).time_limit_ms == 800


def test_a_solve_is_counted_and_its_answer_is_where_the_next_starts() -> None:
    far = LocationSpec("FAR", "warehouse", 48.0, -90.0, SHIP, shipment_cost=3.0)
    orders = [OrderSpec("a", 40.0, -90.0, (LineSpec("1", "S", 3), LineSpec("2", "T", 1)))]
    result = solve_orders(orders, [far], {("FAR", "S"): 3, ("FAR", "T"): 1})
    rounds = Rounds()
    rounds.attempt(2000, {})
    assert rounds.start is None  # nothing held: the first solve starts from nothing
    rounds.record(result, 12.5)
    rounds.record(result, 7.5)
    assert rounds.start == {("a", "1", "FAR"): 3, ("a", "2", "FAR"): 1}
    info = rounds.info(result)
    assert (info["solves"], info["solves_ms"], info["name"]) == (2, 20.0, result.solver)


def test_held_placements_add_up_per_order_line_and_location() -> None:
    taken = {"o1": [held("F1", "o1", "FAR", FulfillmentLine("1", "S", 2),
                         FulfillmentLine("2", "T", 1)),
                    held("F2", "o1", "FAR", FulfillmentLine("1", "S", 1))],
             "o2": [held("F3", "o2", "NEAR", FulfillmentLine("1", "S", 4))]}
    assert held_placements(taken) == {("o1", "1", "FAR"): 3, ("o1", "2", "FAR"): 1,
                                      ("o2", "1", "NEAR"): 4}
