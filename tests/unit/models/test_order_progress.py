"""The order's status derived from its fulfillments."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from models import Channel, Customer, Delivery, Order, OrderLine, OrderStatus
from models.fulfillments import Fulfillment, FulfillmentLine
from models.fulfillments import FulfillmentStatus as S
from models.fulfillments import FulfillmentType as T
from models.order_progress import derive_status, uncovered_units

NOW = datetime(2026, 11, 27, tzinfo=UTC)


def order(with_service: bool = False) -> Order:
    lines = [OrderLine("1", "LAPTOP", 2), OrderLine("2", "BAG", 1)]
    if with_service:
        lines.append(OrderLine("3", "WARRANTY", 1, covers_line_id="1", is_service=True))
    return Order(id="ord_1", channel=Channel.WEB, channel_order_id="W", customer=Customer("C"),
                 lines=lines, delivery=Delivery(), ship_to=None, tracking_token="t",
                 created_at=NOW, status=OrderStatus.ALLOCATED)


def ful(status: S, *lines: tuple[str, int], kind: T = T.SHIP) -> Fulfillment:
    return Fulfillment(id=f"f{status.value}{lines}", order_id="ord_1", type=kind,
                       location_id="WH" if kind is not T.SERVICE else None, status=status,
                       lines=[FulfillmentLine(line_id, "X", qty) for line_id, qty in lines],
                       created_at=NOW)


@pytest.mark.parametrize(("fulfillments", "expected"), [
    ([ful(S.RELEASED, ("1", 2), ("2", 1))], OrderStatus.ALLOCATED),
    ([ful(S.RELEASED, ("1", 1))], OrderStatus.PARTIALLY_ALLOCATED),
    ([ful(S.REJECTED, ("1", 2), ("2", 1))], OrderStatus.BACKORDERED),
    ([ful(S.PICKED, ("1", 2)), ful(S.RELEASED, ("2", 1))], OrderStatus.IN_FULFILLMENT),
    ([ful(S.SHIPPED, ("1", 2)), ful(S.RELEASED, ("2", 1))], OrderStatus.PARTIALLY_SHIPPED),
    ([ful(S.SHIPPED, ("1", 2)), ful(S.OUT_FOR_DELIVERY, ("2", 1))], OrderStatus.SHIPPED),
    ([ful(S.DELIVERED, ("1", 2)), ful(S.SHIPPED, ("2", 1))], OrderStatus.SHIPPED),
    ([ful(S.DELIVERED, ("1", 2), ("2", 1))], OrderStatus.COMPLETED),
    ([ful(S.DELIVERED, ("1", 1))], OrderStatus.PARTIALLY_SHIPPED),
    ([ful(S.READY_FOR_PICKUP, ("1", 2), ("2", 1), kind=T.PICKUP)],
     OrderStatus.READY_FOR_PICKUP),
])
def test_status_follows_the_fulfillments(fulfillments: list[Fulfillment],
                                         expected: OrderStatus) -> None:
    assert derive_status(order(), fulfillments) is expected


def test_an_order_with_a_service_completes_only_when_the_service_is_registered() -> None:
    delivered = ful(S.DELIVERED, ("1", 2), ("2", 1))
    pending = ful(S.PENDING, ("3", 1), kind=T.SERVICE)
    assert derive_status(order(True), [delivered, pending]) is OrderStatus.DELIVERED
    registered = ful(S.REGISTERED, ("3", 1), kind=T.SERVICE)
    assert derive_status(order(True), [delivered, registered]) is OrderStatus.COMPLETED


def test_holds_and_cancellation_are_commands_not_derived() -> None:
    held = order()
    held.status = OrderStatus.ON_HOLD
    assert derive_status(held, [ful(S.SHIPPED, ("1", 2), ("2", 1))]) is OrderStatus.ON_HOLD


def test_uncovered_units_ignore_dead_fulfillments_and_services() -> None:
    left = uncovered_units(order(True), [ful(S.REJECTED, ("1", 2)), ful(S.RELEASED, ("1", 1)),
                                         ful(S.PENDING, ("3", 1), kind=T.SERVICE)])
    assert left == {"1": 1, "2": 1}
