"""Pure edges of planner.scenario: the demand limit and replay over scaled demand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import planner.scenario as scenario
from models import Channel, Customer, Delivery, InvalidInput, Order, OrderLine
from models.fulfillments import Fulfillment, FulfillmentLine, FulfillmentStatus, FulfillmentType
from optimizer import LineSpec, OrderSpec, Result
from optimizer.result import OrderAssignment, Shipment
from planner.base import Decision, _lines_left


def order(order_id: str) -> OrderSpec:
    return OrderSpec(order_id=order_id, lat=0.0, lon=0.0, lines=(LineSpec("1", "SKU", 1),))


def test_scaled_demand_beyond_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scenario, "MAX_SCENARIO_ORDERS", 10)
    assert len(scenario.scale_demand([order("A"), order("B")], 5, 0)) == 10
    with pytest.raises(InvalidInput, match="demand_multiplier"):
        scenario.scale_demand([order("A"), order("B")], 5.5, 0)


def assignment(order_id: str, location: str, cost: float, days: int) -> OrderAssignment:
    return OrderAssignment(order_id=order_id, shipments=[Shipment(location, [("1", "SKU", 1)],
                                                                  cost, days)],
                           unallocated=[], cost=cost, plain_cost=cost, opportunity_cost=0.0,
                           delivery_days=days)


def test_replay_compares_only_orders_both_sides_have() -> None:
    decided = {"A": Decision(cost=10.0, delivery_days=1, units={("1", "WH-A"): 1}),
               "B": Decision(cost=20.0, delivery_days=3, units={("1", "WH-B"): 1})}
    result = Result(status="optimal", solver="x", objective=0.0, bound=None, gap=None,
                    build_ms=0.0, solve_ms=0.0,
                    assignments=[assignment("A", "WH-A", 10.0, 1),
                                 assignment("A#2", "WH-B", 99.0, 5)])  # B sampled away
    replay = scenario.replay_comparison(decided, result)
    assert replay["orders"] == 1
    assert (replay["decided_cost"], replay["replay_cost"], replay["cost_difference"]) == \
        (10.0, 10.0, 0.0)
    assert replay["decided_mean_delivery_days"] == replay["replay_mean_delivery_days"] == 1.0
    assert replay["same_location_rate"] == 1.0


def test_the_current_base_leaves_out_units_departed_or_cancelled() -> None:
    laptop = Order(id="ord_1", channel=Channel.WEB, channel_order_id="W-1",
                   customer=Customer(id="C-1"), lines=[OrderLine("1", "LAPTOP", 4, 999.0)],
                   delivery=Delivery(), ship_to=None, tracking_token="t",
                   created_at=datetime.now(UTC))
    laptop.attributes = {"cancelled_units": {"1": 1}}  # an expired pickup, say
    shipped = Fulfillment(id="ful_1", order_id="ord_1", type=FulfillmentType.SHIP,
                          location_id="WH", status=FulfillmentStatus.SHIPPED,
                          lines=[FulfillmentLine("1", "LAPTOP", 2)], created_at=datetime.now(UTC))
    assert _lines_left(laptop, [shipped]) == [LineSpec("1", "LAPTOP", 1)]
    laptop.attributes = {"cancelled_units": {"1": 2}}
    assert _lines_left(laptop, [shipped]) == []
