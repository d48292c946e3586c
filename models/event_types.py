"""Every event type dom records on an order's timeline.

Webhook subscriptions and pipeline rules name event types; one that names none of these would
wait silently forever (a typo such as ``order.recieved``), so both are checked against this
list. A unit test reads the code for the types it records and keeps the list complete.
"""

from __future__ import annotations

from difflib import get_close_matches

from models.fulfillment_flow import EVENT_TYPES as FULFILLMENT_REPORTS

ORDER_EVENTS = frozenset({
    "order.received", "order.priced", "order.on_hold", "order.released", "order.flagged",
    "order.allocated", "order.backordered", "order.pickup_unavailable",
    "order.partially_cancelled", "order.cancelled", "order.completed", "order.status_changed",
})
PAYMENT_EVENTS = frozenset({"payment.authorized", "payment.confirmed", "payment.failed"})
# what locations, suppliers and carriers report, and what dom itself does to a fulfillment
FULFILLMENT_EVENTS = frozenset({f"fulfillment.{report}" for report in FULFILLMENT_REPORTS}) \
    | frozenset({"fulfillment.released", "fulfillment.cancelled", "fulfillment.expired",
                 "fulfillment.at_risk"})
OTHER_EVENTS = frozenset({"service.registered", "escalation.opened", "escalation.resolved",
                          "notification.sent"})

EVENT_TYPES = ORDER_EVENTS | PAYMENT_EVENTS | FULFILLMENT_EVENTS | OTHER_EVENTS


def closest(name: str) -> str | None:
    """The event type ``name`` most resembles (a typo's likely meaning), if any is close."""
    found = get_close_matches(name, sorted(EVENT_TYPES), n=1)
    return found[0] if found else None
