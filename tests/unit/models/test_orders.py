"""The order aggregate: payment and cancel moves follow the state tables, and every change
records its event."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
from models.order_status import ORDER_MOVES, PAYMENT_MOVES, check_order_move


def make_order(payment: PaymentStatus = PaymentStatus.AUTHORIZED) -> Order:
    return Order(id="ord_1", channel=Channel.WEB, channel_order_id="W-1",
                 customer=Customer(id="C-1"),
                 lines=[OrderLine("1", "LAPTOP", 1, 999.0),
                        OrderLine("2", "WARRANTY", 1, 99.0, covers_line_id="1", is_service=True)],
                 delivery=Delivery(), ship_to=None, tracking_token="t",
                 created_at=datetime.now(UTC), payment_status=payment)


def types(order: Order) -> list[str]:
    return [e.type for e in order.events]


def test_a_received_order_records_where_it_came_from() -> None:
    order = make_order()
    order.receive()
    assert types(order) == ["order.received"]
    assert order.events[0].message == "Order received from web"
    assert order.total == 1098.0
    assert [line.line_id for line in order.service_lines] == ["2"]


def test_confirming_payment_moves_a_received_order_to_payment_confirmed() -> None:
    order = make_order()
    assert order.confirm_payment()
    assert order.status is OrderStatus.PAYMENT_CONFIRMED
    assert types(order) == ["payment.confirmed", "order.status_changed"]
    assert order.events[1].data == {"from": "received", "to": "payment_confirmed"}


def test_a_repeated_payment_confirmation_changes_nothing() -> None:
    order = make_order()
    order.confirm_payment()
    order.events.clear()
    assert not order.confirm_payment()
    assert order.events == []


def test_a_failed_payment_holds_the_order_until_payment_is_confirmed() -> None:
    order = make_order(PaymentStatus.PENDING)
    order.fail_payment("card declined")
    assert (order.status, order.hold_reason) == (OrderStatus.ON_HOLD, "payment_failed")
    assert types(order) == ["payment.failed", "order.status_changed", "order.on_hold"]
    order.confirm_payment()
    assert order.status is OrderStatus.PAYMENT_CONFIRMED
    assert order.hold_reason is None
    assert "order.released" in types(order)


def test_an_authorized_payment_lets_a_pending_order_be_sourced_once() -> None:
    order = make_order(PaymentStatus.PENDING)
    order.receive()
    assert not order.payment_settled
    assert order.authorize_payment()
    assert (order.payment_status, order.status) == (PaymentStatus.AUTHORIZED,
                                                     OrderStatus.RECEIVED)
    assert order.payment_settled and types(order)[-1] == "payment.authorized"
    assert not order.authorize_payment()  # repeated: nothing new
    order.confirm_payment()
    assert not order.authorize_payment()  # captured already


def test_an_authorized_payment_releases_a_failed_payment_hold() -> None:
    order = make_order(PaymentStatus.PENDING)
    order.receive()
    order.fail_payment("card declined")
    assert order.authorize_payment()
    assert (order.status, order.hold_reason) == (OrderStatus.RECEIVED, None)
    assert types(order)[-2:] == ["order.released", "order.status_changed"]


def test_a_confirmed_payment_cannot_fail_afterwards() -> None:
    order = make_order()
    order.confirm_payment()
    with pytest.raises(TransitionNotAllowed, match="confirmed cannot become failed"):
        order.fail_payment()


def test_cancel_is_final_and_cannot_be_repeated() -> None:
    order = make_order()
    order.cancel("customer asked")
    assert order.status is OrderStatus.CANCELLED
    with pytest.raises(TransitionNotAllowed):
        order.cancel()
    with pytest.raises(TransitionNotAllowed, match="cancelled"):
        order.confirm_payment()


@pytest.mark.parametrize("status", [OrderStatus.SHIPPED, OrderStatus.DELIVERED,
                                    OrderStatus.PICKED_UP, OrderStatus.COMPLETED])
def test_an_order_that_left_the_building_cannot_be_cancelled(status: OrderStatus) -> None:
    order = make_order()
    order.status = status
    with pytest.raises(TransitionNotAllowed):
        order.cancel()
    assert order.status is status


@given(current=st.sampled_from(list(OrderStatus)), new=st.sampled_from(list(OrderStatus)))
def test_the_order_table_is_the_only_judge_of_a_move(current: OrderStatus,
                                                     new: OrderStatus) -> None:
    order = make_order()
    order.status = current
    if new is current:
        order.set_status(new)
        assert order.events == []
    elif new in ORDER_MOVES[current]:
        order.set_status(new)
        assert order.status is new and types(order) == ["order.status_changed"]
    else:
        with pytest.raises(TransitionNotAllowed):
            check_order_move(current, new)
        with pytest.raises(TransitionNotAllowed):
            order.set_status(new)
        assert order.status is current and order.events == []


def test_final_states_have_no_way_out() -> None:
    assert ORDER_MOVES[OrderStatus.CANCELLED] == frozenset()
    assert ORDER_MOVES[OrderStatus.COMPLETED] == frozenset()
    assert PAYMENT_MOVES[PaymentStatus.CONFIRMED] == frozenset()


def test_a_cancelled_order_waits_for_nothing() -> None:
    order = make_order()
    order.attributes = {"backordered_units": {"1": 1}, "source": "web"}
    order.cancel("not picked up")
    assert order.attributes == {"source": "web"}
