"""Rules react to events in the transaction that raised them: notify the customer, open an
escalation for staff, put the order on hold.

Every write path of the lifecycle saves orders through ``save_order``, so no event escapes the
rules and everything a rule does is committed (or rolled back) with the change that caused it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from lifecycle.pipelines import Pipelines, current
from lifecycle.uow import UnitOfWork
from models import Event, Order, new_id
from models.exceptions import Escalation, Notification

log = logging.getLogger("dom.rules")

# Events rules never react to: their own output, so rules cannot loop.
RULE_OUTPUT = frozenset({"notification.sent", "escalation.opened", "escalation.resolved"})


class _Defaults(defaultdict[str, str]):
    def __missing__(self, key: str) -> str:
        return "unknown"


def _render(template: str, order: Order, event: Event) -> str:
    values = _Defaults(str, {"channel_order_id": order.channel_order_id, "order_id": order.id,
                             "customer_name": order.customer.name or "customer"})
    values.update({k: str(v) for k, v in event.data.items() if v is not None})
    return template.format_map(values)


def _notify(uow: UnitOfWork, order: Order, event: Event, template_name: str,
            config: Pipelines, now: datetime) -> None:
    template = config.templates[template_name]
    channel, recipient = (("email", order.customer.email) if order.customer.email else
                          ("sms", order.customer.phone) if order.customer.phone else
                          ("account", order.customer.id))
    notification = Notification(
        id=new_id("ntf"), order_id=order.id, customer_id=order.customer.id, channel=channel,
        recipient=recipient, template=template_name,
        subject=_render(template["subject"], order, event),
        body=_render(template["body"], order, event), sent_at=now, event_id=event.id)
    uow.notifications.add(notification)
    order.record("notification.sent", f"Customer notified by {channel}: {notification.subject}",
                 fulfillment_id=event.fulfillment_id, notification_id=notification.id,
                 channel=channel, template=template_name, subject=notification.subject)


def _escalate(uow: UnitOfWork, order: Order, event: Event, spec: dict[str, Any],
              now: datetime) -> None:
    kind = str(spec.get("kind", event.type.replace(".", "_")))
    key = f"{kind}:{order.id}:{event.fulfillment_id or '-'}"
    escalation = Escalation(
        id=new_id("esc"), order_id=order.id, kind=kind,
        severity=str(spec.get("severity", "medium")), reason=event.message, status="open",
        opened_at=now, dedupe_key=key, fulfillment_id=event.fulfillment_id)
    if uow.escalations.open(escalation):
        order.record("escalation.opened",
                     f"Escalated to operations ({escalation.severity}): {event.message}",
                     fulfillment_id=event.fulfillment_id, escalation_id=escalation.id,
                     kind=kind, severity=escalation.severity)


def apply_rules(uow: UnitOfWork, order: Order, config: Pipelines | None = None,
                now: datetime | None = None) -> None:
    """Run the configured rules over the events ``order`` recorded in this unit of work."""
    config = config or current()
    now = now or datetime.now(UTC)
    index = 0
    while index < len(order.events):
        event = order.events[index]
        index += 1
        if event.type in RULE_OUTPUT:
            continue
        for rule in config.rules_for(event.type):
            for kind, arg in rule.actions:
                if kind == "notify":
                    _notify(uow, order, event, str(arg), config, now)
                elif kind == "escalate":
                    _escalate(uow, order, event, arg if isinstance(arg, dict) else {}, now)
                elif kind == "hold" and order.hold_reason is None:
                    order.hold(str(arg))


def save_order(uow: UnitOfWork, order: Order, *, new: bool = False) -> None:
    """Apply the rules to the order's new events, then write the order and every event."""
    apply_rules(uow, order)
    if new:
        uow.orders.add(order)
    else:
        uow.orders.save(order)
