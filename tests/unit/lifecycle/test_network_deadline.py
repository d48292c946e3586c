"""The bridge turns an order's ``deliver_by`` into the optimizer's ``deadline_days``."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lifecycle.network import deadline_days, order_spec
from models import Channel, Customer, Delivery, DeliveryMethod, Order, OrderLine, ShipTo
from optimizer import LineSpec, LocationSpec, Params, build_problem, solve

TODAY = date(2026, 11, 27)


def make_order(deliver_by: date | None, method: DeliveryMethod = DeliveryMethod.SHIP) -> Order:
    pickup = "ST-1" if method is DeliveryMethod.PICKUP else None
    return Order(id="ord_1", channel=Channel.WEB, channel_order_id="W-1",
                 customer=Customer(id="C-1"), lines=[OrderLine("1", "LAPTOP", 1, 999.0)],
                 delivery=Delivery(method, pickup, deliver_by),
                 ship_to=ShipTo(lat=40.71, lon=-74.0), tracking_token="t",
                 created_at=datetime.now(UTC))


LINES = [LineSpec("1", "LAPTOP", 1)]


@pytest.mark.parametrize(("deliver_by", "days"), [
    (None, None), (TODAY, 0), (date(2026, 11, 28), 1), (date(2026, 12, 3), 6),
    (date(2027, 1, 1), 35), (date(2026, 11, 20), -7),  # passed: not even a pickup makes it
])
def test_deadline_days_are_whole_days_from_today(deliver_by: date | None, days: int | None
                                                 ) -> None:
    assert deadline_days(make_order(deliver_by), TODAY) == days
    assert order_spec(make_order(deliver_by), LINES, TODAY).deadline_days == days


def test_order_spec_keeps_the_rest_of_the_order() -> None:
    spec = order_spec(make_order(date(2026, 12, 1), DeliveryMethod.PICKUP), LINES, TODAY)
    assert (spec.method, spec.pickup_location_id, spec.deadline_days) == ("pickup", "ST-1", 4)


def test_order_spec_dates_the_deadline_from_today_in_utc_by_default() -> None:
    today = datetime.now(UTC).date()
    assert order_spec(make_order(today), LINES).deadline_days == 0


NEAR = LocationSpec("NEAR", "warehouse", 40.73, -74.17, shipment_cost=12.0)
FAR = LocationSpec("FAR", "warehouse", 32.78, -96.80, shipment_cost=4.0)


def test_a_line_no_location_can_deliver_in_time_is_short_for_the_deadline() -> None:
    stock = {("NEAR", "LAPTOP"): 1, ("FAR", "LAPTOP"): 1}
    late = build_problem([order_spec(make_order(TODAY), LINES, TODAY)], [NEAR, FAR], stock,
                         Params())
    assert solve(late, Params()).assignment("ord_1").unallocated[0].reason == "deadline"
    sold_out = build_problem([order_spec(make_order(TODAY), LINES, TODAY)], [NEAR, FAR], {},
                             Params())
    # nobody holds it: the network, not the promise, is what is missing
    assert solve(sold_out, Params()).assignment("ord_1").unallocated[0].reason == "no_stock"


def test_the_near_warehouse_alone_meets_a_two_day_deadline() -> None:
    stock = {("NEAR", "LAPTOP"): 1, ("FAR", "LAPTOP"): 1}
    params = Params(objective="cost")
    loose = solve(build_problem([order_spec(make_order(None), LINES, TODAY)], [NEAR, FAR],
                                stock, params), params)
    assert [s.location_id for s in loose.assignment("ord_1").shipments] == ["FAR"]
    tight = solve(build_problem([order_spec(make_order(date(2026, 11, 29)), LINES, TODAY)],
                                [NEAR, FAR], stock, params), params)
    assert [s.location_id for s in tight.assignment("ord_1").shipments] == ["NEAR"]
