"""The order's status derived from its fulfillments (what the customer and staff see).

The fulfillments carry the state tables; the order's status is a function of them and of
what is still waiting for stock. Holds and cancellation are commands, not derived.
"""

from __future__ import annotations

from collections.abc import Sequence

from models.fulfillments import Fulfillment, FulfillmentStatus, FulfillmentType
from models.order_status import OrderStatus
from models.orders import Order

S = FulfillmentStatus
DEAD = frozenset({S.CANCELLED, S.REJECTED})
DEPARTED = frozenset({S.SHIPPED, S.OUT_FOR_DELIVERY, S.DELIVERED, S.PICKED_UP})
HANDED_OVER = frozenset({S.DELIVERED, S.PICKED_UP})
WORKING = frozenset({S.ACCEPTED, S.PICKED, S.PACKED, S.READY_FOR_PICKUP})
COMMANDED = frozenset({OrderStatus.CANCELLED, OrderStatus.ON_HOLD})




def uncovered_units(order: Order, fulfillments: Sequence[Fulfillment]) -> dict[str, int]:
    """Units of each product line that no live fulfillment covers (waiting for stock).

    Units cancelled by a partial cancel count as covered: nothing waits for them.
    """
    covered: dict[str, int] = dict(order.cancelled_units)
    for fulfillment in fulfillments:
        if fulfillment.status in DEAD or fulfillment.type is FulfillmentType.SERVICE:
            continue
        for line in fulfillment.lines:
            covered[line.line_id] = covered.get(line.line_id, 0) + line.qty
    left = {line.line_id: line.qty - covered.get(line.line_id, 0) for line in order.product_lines}
    return {line_id: qty for line_id, qty in left.items() if qty > 0}


def derive_status(order: Order, fulfillments: Sequence[Fulfillment]) -> OrderStatus:
    """The status the fulfillments say; holds and cancellation (commands) stand as they are."""
    if order.status in COMMANDED:
        return order.status
    return _from_fulfillments(order, fulfillments) or order.status


def resume_status(order: Order, fulfillments: Sequence[Fulfillment]) -> OrderStatus | None:
    """Where a held order goes back to when released: what its fulfillments say it reached.

    None when it was never sourced (no fulfillment yet): the command picks the pre-sourcing
    status (received or payment confirmed) and sourcing follows.
    """
    if not fulfillments:
        return None
    return _from_fulfillments(order, fulfillments)


def _services_done(order: Order, fulfillments: Sequence[Fulfillment]) -> bool:
    """Every live service registered (a service cancelled with what it covered is not owed)."""
    services = [f for f in fulfillments if f.type is FulfillmentType.SERVICE]
    live = [f for f in services if f.status not in DEAD]
    return all(f.status is S.REGISTERED for f in live) and \
        (not order.service_lines or bool(services))


def _from_fulfillments(order: Order, fulfillments: Sequence[Fulfillment]) -> OrderStatus | None:
    goods = [f for f in fulfillments
             if f.type is not FulfillmentType.SERVICE and f.status not in DEAD]
    waiting = bool(uncovered_units(order, fulfillments))
    services_done = _services_done(order, fulfillments)
    if not goods:
        if order.product_lines:
            return OrderStatus.BACKORDERED if fulfillments or waiting else None
        return OrderStatus.COMPLETED if services_done else None
    statuses = [f.status for f in goods]
    if not waiting and all(s in HANDED_OVER for s in statuses):
        if services_done:
            return OrderStatus.COMPLETED
        return OrderStatus.DELIVERED if S.DELIVERED in statuses else OrderStatus.PICKED_UP
    if any(s in DEPARTED for s in statuses):
        if waiting or not all(s in DEPARTED for s in statuses):
            return OrderStatus.PARTIALLY_SHIPPED
        return OrderStatus.SHIPPED
    if not waiting and all(s is S.READY_FOR_PICKUP for s in statuses):
        return OrderStatus.READY_FOR_PICKUP
    if any(s in WORKING for s in statuses):
        return OrderStatus.IN_FULFILLMENT
    return OrderStatus.PARTIALLY_ALLOCATED if waiting else OrderStatus.ALLOCATED

