"""Order states at the edges: late payment news, holds released into progress, partial cancels
and services-only orders, on the aggregate and the status derivation alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from models import (
    Channel,
    Customer,
    Delivery,
    Order,
    OrderLine,
    OrderStatus,
    PaymentStatus,
    TransitionNotAllowed,
)
from models.fulfillments import Fulfillment, FulfillmentLine, FulfillmentStatus, FulfillmentType
from models.order_progress import derive_status, resume_status, uncovered_units

S = FulfillmentStatus
NOW = datetime(2026, 1, 5, tzinfo=UTC)


def make_order(*lines: OrderLine, status: OrderStatus = OrderStatus.RECEIVED,
               payment: PaymentStatus = PaymentStatus.AUTHORIZED) -> Order:
    return Order(id="ord_1", channel=Channel.WEB, channel_order_id="W-1",
                 customer=Customer(id="C-1"),
                 lines=list(lines) or [OrderLine("1", "LAPTOP", 1, 999.0),
                                       OrderLine("2", "WARRANTY", 1, 99.0, covers_line_id="1",
                                                 is_service=True),
                                       OrderLine("3", "BAG", 1, 40.0)],
                 delivery=Delivery(), ship_to=None, tracking_token="t", created_at=NOW,
                 status=status, payment_status=payment)


def ful(id_: str, status: S, *lines: tuple[str, int],
        kind: FulfillmentType = FulfillmentType.SHIP) -> Fulfillment:
    return Fulfillment(id=id_, order_id="ord_1", type=kind,
                       location_id=None if kind is FulfillmentType.SERVICE else "WH",
                       status=status, lines=[FulfillmentLine(line_id, "X", qty)
                                             for line_id, qty in lines], created_at=NOW)


def types(order: Order) -> list[str]:
    return [e.type for e in order.events]


# -- late payment news --------------------------------------------------------------------
@pytest.mark.parametrize("status", [OrderStatus.SHIPPED, OrderStatus.PARTIALLY_SHIPPED,
                                    OrderStatus.DELIVERED, OrderStatus.COMPLETED])
def test_a_payment_failing_after_shipping_is_recorded_and_flagged_not_held(
        status: OrderStatus) -> None:
    order = make_order(status=status)
    assert order.fail_payment("chargeback") is True
    assert order.payment_status is PaymentStatus.FAILED
    assert order.status is status and order.hold_reason is None
    assert types(order) == ["payment.failed", "order.flagged"]
    assert order.attributes["flags"] == ["payment_failed"]


def test_a_payment_failing_before_shipping_still_holds() -> None:
    order = make_order(status=OrderStatus.ALLOCATED)
    order.fail_payment()
    assert (order.status, order.hold_reason) == (OrderStatus.ON_HOLD, "payment_failed")


def test_a_later_confirmation_clears_the_payment_flag() -> None:
    order = make_order(status=OrderStatus.SHIPPED)
    order.fail_payment()
    order.confirm_payment()
    assert order.attributes["flags"] == [] and order.status is OrderStatus.SHIPPED


# -- holds released into the progress the fulfillments made ------------------------------
def test_confirming_a_failed_payment_resumes_where_the_fulfillments_are() -> None:
    order = make_order(status=OrderStatus.ALLOCATED)
    order.fail_payment()
    order.confirm_payment(resume=OrderStatus.ALLOCATED)
    assert (order.status, order.hold_reason) == (OrderStatus.ALLOCATED, None)
    assert order.events[-1].data == {"from": "on_hold", "to": "allocated"}


def test_releasing_a_review_hold_resumes_where_the_fulfillments_are() -> None:
    order = make_order(status=OrderStatus.IN_FULFILLMENT)
    order.hold("review")
    order.release_hold("ops", resume=OrderStatus.IN_FULFILLMENT)
    assert order.status is OrderStatus.IN_FULFILLMENT


def test_a_payment_failing_during_a_review_keeps_the_review_hold() -> None:
    order = make_order(status=OrderStatus.RECEIVED)
    order.hold("review")
    order.fail_payment("declined")
    assert (order.status, order.hold_reason) == (OrderStatus.ON_HOLD, "review")
    with pytest.raises(TransitionNotAllowed, match="confirm a payment"):
        order.release_hold("ops")
    order.confirm_payment()
    assert (order.status, order.hold_reason) == (OrderStatus.ON_HOLD, "review")
    order.release_hold("ops")
    assert (order.status, order.hold_reason) == (OrderStatus.PAYMENT_CONFIRMED, None)


def test_releasing_an_unsourced_order_goes_back_before_sourcing() -> None:
    order = make_order(payment=PaymentStatus.CONFIRMED)
    order.hold("review")
    order.release_hold("ops")
    assert order.status is OrderStatus.PAYMENT_CONFIRMED


def test_resume_status_is_none_for_an_order_never_sourced() -> None:
    assert resume_status(make_order(), []) is None
    held = make_order(status=OrderStatus.ON_HOLD)
    assert resume_status(held, [ful("f1", S.RELEASED, ("1", 1), ("3", 1))]) \
        is OrderStatus.ALLOCATED


# -- partial cancel ------------------------------------------------------------------------
def test_cancelling_the_remainder_stops_waiting_for_it() -> None:
    order = make_order(status=OrderStatus.PARTIALLY_SHIPPED)
    shipped = ful("f1", S.SHIPPED, ("1", 1))
    bag = ful("f2", S.CANCELLED, ("3", 1))
    service = ful("f3", S.PENDING, ("2", 1), kind=FulfillmentType.SERVICE)
    assert uncovered_units(order, [shipped, bag, service]) == {"3": 1}
    order.cancel_remainder({"3": 1}, "changed mind")
    assert uncovered_units(order, [shipped, bag, service]) == {}
    assert order.events[-1].type == "order.partially_cancelled"
    assert derive_status(order, [shipped, bag, service]) is OrderStatus.SHIPPED
    shipped.status, service.status = S.DELIVERED, S.REGISTERED
    assert derive_status(order, [shipped, bag, service]) is OrderStatus.COMPLETED


def test_a_cancelled_service_is_not_owed_for_completion() -> None:
    order = make_order(status=OrderStatus.SHIPPED)
    order.cancel_remainder({"3": 1})
    fulfillments = [ful("f1", S.DELIVERED, ("1", 1)),
                    ful("f3", S.CANCELLED, ("2", 1), kind=FulfillmentType.SERVICE)]
    assert derive_status(order, fulfillments) is OrderStatus.COMPLETED


def test_nothing_left_to_cancel_is_refused() -> None:
    order = make_order(status=OrderStatus.SHIPPED)
    with pytest.raises(TransitionNotAllowed, match="shipped in full"):
        order.cancel_remainder({})
    assert order.events == []


# -- services-only orders --------------------------------------------------------------------
def test_a_services_only_order_completes_when_its_service_registers() -> None:
    order = make_order(OrderLine("1", "WARRANTY", 1, 99.0, is_service=True),
                       status=OrderStatus.PAYMENT_CONFIRMED)
    pending = ful("f1", S.PENDING, ("1", 1), kind=FulfillmentType.SERVICE)
    assert derive_status(order, [pending]) is OrderStatus.PAYMENT_CONFIRMED
    pending.status = S.REGISTERED
    assert derive_status(order, [pending]) is OrderStatus.COMPLETED


def test_an_event_keeps_the_time_it_happened() -> None:
    order = make_order()
    order.record("fulfillment.shipped", "Shipped", at=NOW)
    assert order.events[-1].at == NOW and "at" not in order.events[-1].data
