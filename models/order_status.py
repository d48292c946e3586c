"""Order and payment states, and the moves allowed between them, as tables.

The lifecycle reads these tables; nothing decides a move with nested ifs. A move the table
does not list raises ``TransitionNotAllowed`` with the reason.
"""

from __future__ import annotations

from enum import StrEnum

from models.errors import TransitionNotAllowed


class PaymentStatus(StrEnum):
    PENDING = "pending"
    AUTHORIZED = "authorized"
    CONFIRMED = "confirmed"
    FAILED = "failed"


class OrderStatus(StrEnum):
    RECEIVED = "received"
    ON_HOLD = "on_hold"
    PAYMENT_CONFIRMED = "payment_confirmed"
    ALLOCATED = "allocated"
    PARTIALLY_ALLOCATED = "partially_allocated"
    BACKORDERED = "backordered"
    IN_FULFILLMENT = "in_fulfillment"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    READY_FOR_PICKUP = "ready_for_pickup"
    PICKED_UP = "picked_up"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


PAYMENT_MOVES: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    PaymentStatus.PENDING: frozenset({PaymentStatus.AUTHORIZED, PaymentStatus.CONFIRMED,
                                      PaymentStatus.FAILED}),
    PaymentStatus.AUTHORIZED: frozenset({PaymentStatus.CONFIRMED, PaymentStatus.FAILED}),
    PaymentStatus.FAILED: frozenset({PaymentStatus.AUTHORIZED, PaymentStatus.CONFIRMED}),
    PaymentStatus.CONFIRMED: frozenset(),
}

_BEFORE_SHIPPING = frozenset({
    OrderStatus.RECEIVED, OrderStatus.ON_HOLD, OrderStatus.PAYMENT_CONFIRMED,
    OrderStatus.ALLOCATED, OrderStatus.PARTIALLY_ALLOCATED, OrderStatus.BACKORDERED,
    OrderStatus.IN_FULFILLMENT,
})
_SOURCING_RESULTS = frozenset({OrderStatus.ALLOCATED, OrderStatus.PARTIALLY_ALLOCATED,
                               OrderStatus.BACKORDERED})
_FULFILLING = frozenset({OrderStatus.IN_FULFILLMENT, OrderStatus.PARTIALLY_SHIPPED,
                         OrderStatus.SHIPPED, OrderStatus.DELIVERED,
                         OrderStatus.READY_FOR_PICKUP, OrderStatus.PICKED_UP,
                         OrderStatus.COMPLETED})

# Where an order may go from each status. Cancelling is allowed until something has shipped
# (or been handed over); a partially shipped order cancels only what has not shipped.
ORDER_MOVES: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.RECEIVED: frozenset({OrderStatus.ON_HOLD, OrderStatus.PAYMENT_CONFIRMED,
                                     OrderStatus.CANCELLED}) | _SOURCING_RESULTS,
    OrderStatus.ON_HOLD: frozenset({OrderStatus.RECEIVED, OrderStatus.PAYMENT_CONFIRMED,
                                    OrderStatus.CANCELLED}) | _SOURCING_RESULTS,
    OrderStatus.PAYMENT_CONFIRMED: frozenset({OrderStatus.ON_HOLD, OrderStatus.CANCELLED})
    | _SOURCING_RESULTS,
    OrderStatus.ALLOCATED: frozenset({OrderStatus.ON_HOLD, OrderStatus.CANCELLED})
    | _SOURCING_RESULTS | _FULFILLING,
    OrderStatus.PARTIALLY_ALLOCATED: frozenset({OrderStatus.ON_HOLD, OrderStatus.CANCELLED})
    | _SOURCING_RESULTS | _FULFILLING,
    OrderStatus.BACKORDERED: frozenset({OrderStatus.ON_HOLD, OrderStatus.CANCELLED})
    | _SOURCING_RESULTS | _FULFILLING,
    OrderStatus.IN_FULFILLMENT: frozenset({OrderStatus.ON_HOLD, OrderStatus.CANCELLED})
    | _SOURCING_RESULTS | _FULFILLING,
    OrderStatus.PARTIALLY_SHIPPED: _FULFILLING | frozenset({OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED, OrderStatus.COMPLETED,
                                    OrderStatus.PARTIALLY_SHIPPED}),
    # Goods waiting at the counter have not left: a hold (a failed payment) still stops them.
    OrderStatus.READY_FOR_PICKUP: frozenset({OrderStatus.PICKED_UP, OrderStatus.COMPLETED,
                                             OrderStatus.CANCELLED, OrderStatus.IN_FULFILLMENT,
                                             OrderStatus.ON_HOLD}),
    OrderStatus.DELIVERED: frozenset({OrderStatus.COMPLETED}),
    OrderStatus.PICKED_UP: frozenset({OrderStatus.COMPLETED}),
    OrderStatus.COMPLETED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}

FINAL_STATUSES = frozenset({OrderStatus.COMPLETED, OrderStatus.CANCELLED})
# Not sourced yet: no sourcing decision was ever written for the order (none, or refused whole).
NEVER_SOURCED = frozenset({OrderStatus.RECEIVED, OrderStatus.PAYMENT_CONFIRMED})
OPEN_BEFORE_SHIPPING = _BEFORE_SHIPPING


def check_order_move(current: OrderStatus, new: OrderStatus) -> None:
    if new not in ORDER_MOVES[current]:
        raise TransitionNotAllowed(
            f"an order that is {current.value.replace('_', ' ')} cannot become "
            f"{new.value.replace('_', ' ')}"
        )


def check_payment_move(current: PaymentStatus, new: PaymentStatus) -> None:
    if new not in PAYMENT_MOVES[current]:
        raise TransitionNotAllowed(f"payment that is {current.value} cannot become {new.value}")
