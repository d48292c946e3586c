"""The customer's view: where the order is, behind the token from creation, no API key."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import ContainerDep
from api.schemas.common import PROBLEM_RESPONSES
from api.schemas.orders import ParcelOut, ParcelStage, TimelineItem, TrackingOut
from models import Event, NotFound
from models.events import PARTNER_NAMES
from models.fulfillments import Fulfillment, FulfillmentStatus
from models.locations import LocationType

router = APIRouter(prefix="/v1/track", tags=["tracking"], responses=PROBLEM_RESPONSES)

# Internal bookkeeping a customer has no use for (escalations are for staff only).
# A partner's rejection or short pick is re-sourced internally; its reason is the partner's.
# An allocation moved by re-optimization, a stock count or a closed location, and work put at
# risk, are the network's business: the customer sees the new allocation or the backorder.
CUSTOMER_EVENTS_HIDDEN = frozenset({"order.status_changed", "escalation.opened",
                                    "escalation.resolved", "fulfillment.released",
                                    "fulfillment.rejected", "fulfillment.short_picked",
                                    "fulfillment.cancelled", "fulfillment.at_risk",
                                    "order.priced", "order.flagged"})
# Why an order was held (a review, a fraud rule) and who released it are staff matters, as are
# a cancel's reason and a flag (a payment failing after shipping) for operations to follow up.
CUSTOMER_MESSAGES = {"order.on_hold": "On hold", "order.released": "Released from hold",
                     "order.cancelled": "Order cancelled",
                     "order.partially_cancelled": "Part of your order was cancelled; the rest "
                                                  "is on its way",
                     "order.pickup_unavailable": "Your pickup store can no longer hand this "
                                                 "order over: we will contact you about "
                                                 "another store or delivery"}


@router.get("/{order_id}", response_model=TrackingOut)
def track(order_id: Annotated[str, Path(min_length=1, max_length=40)],
          token: Annotated[str, Query(min_length=1, max_length=100)],
          container: ContainerDep) -> TrackingOut:
    """Status and timeline for the customer; a wrong token is indistinguishable from no order."""
    with container.uow(write=False) as uow:
        order = uow.orders.get(order_id)
        if order is None or not hmac.compare_digest(order.tracking_token.encode(),
                                                    token.encode()):
            raise NotFound("no order matches this tracking link")
        events = uow.events.for_order(order_id)
        fulfillments = uow.fulfillments.for_order(order_id)
        at = {f.location_id for f in fulfillments if f.location_id}
        partners = {loc.id: loc.name for loc in uow.locations.get_many(sorted(at)).values()
                    if loc.type is LocationType.SUPPLIER}
    return TrackingOut(
        order_id=order.id, status=order.status.value,
        delivery={"method": order.delivery.method.value,
                  **({"location_id": order.delivery.location_id}
                     if order.delivery.location_id else {})},
        lines=[{"line_id": line.line_id, "sku": line.sku, "qty": line.qty,
                "cancelled_qty": order.cancelled_units.get(line.line_id, 0)}
               for line in order.lines],
        parcels=[_parcel(f) for f in fulfillments if f.status in PARCEL_STAGES],
        timeline=_customer_timeline(events, partners),
    )


# A parcel's status in the customer's words: the steps before it leaves are one to them.
# Cancelled, rejected (replaced by another allocation) and service fulfillments (pending,
# registered) are no parcel.
PARCEL_STAGES: dict[FulfillmentStatus, ParcelStage] = {
    FulfillmentStatus.ALLOCATED: "preparing", FulfillmentStatus.RELEASED: "preparing",
    FulfillmentStatus.ACCEPTED: "preparing", FulfillmentStatus.PICKED: "preparing",
    FulfillmentStatus.PACKED: "preparing", FulfillmentStatus.SHIPPED: "shipped",
    FulfillmentStatus.OUT_FOR_DELIVERY: "out_for_delivery",
    FulfillmentStatus.DELIVERED: "delivered",
    FulfillmentStatus.READY_FOR_PICKUP: "ready_for_pickup",
    FulfillmentStatus.PICKED_UP: "picked_up",
}


def _parcel(fulfillment: Fulfillment) -> ParcelOut:
    """No location: a drop-ship supplier stays unnamed, and the timeline says where else."""
    carrier = fulfillment.attributes.get("carrier")
    tracking = fulfillment.attributes.get("tracking_number")
    return ParcelOut(
        fulfillment_id=fulfillment.id, stage=PARCEL_STAGES[fulfillment.status],
        lines=[{"line_id": x.line_id, "sku": x.sku, "qty": x.qty} for x in fulfillment.lines],
        promised_date=fulfillment.promised_date,
        carrier=str(carrier) if carrier else None,
        tracking_number=str(tracking) if tracking else None)


# Internal moves after which the next allocation replaces one the customer was told about
# (after a short pick the first parcel still goes, so the next allocation is an extra one,
# unless nothing of it was left: ``fulfillment_cancelled``).
MOVES = frozenset({"fulfillment.cancelled", "fulfillment.rejected"})


def _is_move(event: Event) -> bool:
    return event.type in MOVES or (event.type == "fulfillment.short_picked"
                                   and bool(event.data.get("fulfillment_cancelled")))


def _customer_message(event: Event, partners: dict[str, str]) -> str:
    """An event in the customer's words: no internal reasons (a payment's, a delay's: they are
    written for staff), and a drop-ship supplier is "our partner" (blind drop-ship)."""
    if event.type in CUSTOMER_MESSAGES:
        return CUSTOMER_MESSAGES[event.type]
    if event.type == "payment.failed":
        return "Payment failed: please update your payment details"
    if event.type == "fulfillment.delayed":
        eta = str(event.data.get("eta") or "")
        return "Running late" + (f"; new estimate {eta[:10]}" if eta[:1].isdigit() else "")
    message = event.message
    # the names it was written with (a supplier renamed since) and those it has now
    recorded = event.data.get(PARTNER_NAMES)
    names = set(partners.values()) | set(recorded if isinstance(recorded, list) else [])
    for name in sorted(names, key=len, reverse=True):  # "Acme Tools" before "Acme"
        message = message.replace(str(name), "our partner")
    return message


def _customer_timeline(events: list[Event], partners: dict[str, str]) -> list[TimelineItem]:
    """The events a customer may see, in their words. An allocation that follows a hidden move
    (a rejection, a count or a closed location) says it is an update: without
    that, two "Allocated" lines read like two parcels."""
    shown: list[TimelineItem] = []
    moved = False
    for event in events:
        if _is_move(event):
            moved = True
        if event.type in CUSTOMER_EVENTS_HIDDEN:
            continue
        message = _customer_message(event, partners)
        if event.type == "order.allocated":
            if moved and message.startswith("Allocated: "):
                message = "Updated: " + message.removeprefix("Allocated: ")
            moved = False
        hidden = {"location_id": None} if event.location_id in partners else {}
        shown.append(TimelineItem.of(event).model_copy(
            update={"data": {}, "message": message, **hidden}))
    return shown
