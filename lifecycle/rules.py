"""Rules react to events in the transaction that raised them: notify the customer, open an
escalation for staff, put the order on hold.

Every write path of the lifecycle saves orders through ``save_order``, so no event escapes the
rules and everything a rule does is committed (or rolled back) with the change that caused it.
A rule never makes that change fail: an action the order cannot take (a hold on an order that
has already shipped part of itself) is handed to a person as an escalation instead.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from lifecycle.pipelines import Pipelines, current
from lifecycle.uow import UnitOfWork
from models import Event, Order, OrderStatus, new_id
from models.exceptions import Escalation, Notification
from models.order_status import ORDER_MOVES

log = logging.getLogger("dom.rules")

# Events rules never react to: their own output, so rules cannot loop.
RULE_OUTPUT = frozenset({"notification.sent", "escalation.opened", "escalation.resolved"})


class _Defaults(defaultdict[str, str]):
    def __missing__(self, key: str) -> str:
        return "unknown"


# Event fields that carry a moment; customers read them as a day, not an ISO timestamp.
DATE_FIELDS = frozenset({"eta", "ship_by", "pickup_by", "deliver_by", "promised_date"})


def _for_a_person(value: str, now: datetime) -> str:
    """``2026-12-10T00:00:00+00:00`` reads "Thursday, December 10" (the year only when it is not
    this year's); anything that is not a date ("to be confirmed") is left as it is."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    day = f"{moment:%A}, {moment:%B} {moment.day}"
    return day if moment.year == now.year else f"{day}, {moment.year}"


def _render(template: str, order: Order, event: Event, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    values = _Defaults(str, {"channel_order_id": order.channel_order_id, "order_id": order.id,
                             "customer_name": order.customer.name or "customer"})
    values.update({k: _for_a_person(str(v), now) if k in DATE_FIELDS else str(v)
                   for k, v in event.data.items() if v is not None})
    return template.format_map(values)


def _notification_key(event: Event, template_name: str) -> str:
    """What makes two notifications the same message: the order, the kind of event, the
    fulfillment and everything the event says (a new estimate makes a new key)."""
    payload = json.dumps([event.order_id, event.type, event.fulfillment_id, template_name,
                          event.data], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def _is_repeat(uow: UnitOfWork, order: Order, event: Event, key: str) -> bool:
    """A client that repeats a report (a retry) must not mail the customer twice.

    A repeat is an event identical (type and payload) to the fulfillment's previous event,
    whose notification already went out: the order's timeline is the record, every
    notification leaving a ``notification.sent`` event with its key. Anything in between (the
    payment authorized again before failing again, a new estimate) makes the next one news.
    Two concurrent repeats cannot both pass and commit: both write the same order, and its
    version lets only one of them win.
    """
    pending = [e for e in order.events if e.seq is None]
    history = uow.events.for_order(order.id) + pending[:next(
        (n for n, e in enumerate(pending) if e is event), len(pending))]
    if not any(e.type == "notification.sent" and e.data.get("dedupe_key") == key
               for e in history):
        return False
    previous = [e for e in history
                if e.fulfillment_id == event.fulfillment_id and e.type not in RULE_OUTPUT]
    return bool(previous) and (previous[-1].type, previous[-1].data) == (event.type, event.data)


def _notify(uow: UnitOfWork, order: Order, event: Event, template_name: str,
            config: Pipelines, now: datetime) -> None:
    key = _notification_key(event, template_name)
    if _is_repeat(uow, order, event, key):
        log.info("notification %s for order %s already sent", template_name, order.id)
        return
    template = config.templates[template_name]
    channel, recipient = (("email", order.customer.email) if order.customer.email else
                          ("sms", order.customer.phone) if order.customer.phone else
                          ("account", order.customer.id))
    notification = Notification(
        id=new_id("ntf"), order_id=order.id, customer_id=order.customer.id, channel=channel,
        recipient=recipient, template=template_name,
        subject=_render(template["subject"], order, event, now),
        body=_render(template["body"], order, event, now), sent_at=now, event_id=event.id)
    uow.notifications.add(notification)
    order.record("notification.sent", f"Customer notified by {channel}: {notification.subject}",
                 fulfillment_id=event.fulfillment_id, notification_id=notification.id,
                 channel=channel, template=template_name, subject=notification.subject,
                 dedupe_key=key)


def _escalate(uow: UnitOfWork, order: Order, event: Event, spec: dict[str, Any],
              now: datetime, reason: str | None = None) -> None:
    """Open one escalation per (kind, order, fulfillment) at a time: while one is open a
    repeated trigger adds nothing; once staff resolved it, the next trigger opens a new one."""
    kind = str(spec.get("kind", event.type.replace(".", "_")))
    key = f"{kind}:{order.id}:{event.fulfillment_id or '-'}"
    reason = reason or event.message
    escalation = Escalation(
        id=new_id("esc"), order_id=order.id, kind=kind,
        severity=str(spec.get("severity", "medium")), reason=reason, status="open",
        opened_at=now, dedupe_key=key, fulfillment_id=event.fulfillment_id)
    if uow.escalations.open(escalation):
        order.record("escalation.opened",
                     f"Escalated to operations ({escalation.severity}): {reason}",
                     fulfillment_id=event.fulfillment_id, escalation_id=escalation.id,
                     kind=kind, severity=escalation.severity)


def _hold(uow: UnitOfWork, order: Order, event: Event, reason: str, rule: str,
          now: datetime) -> None:
    """Hold the order if its status allows it; otherwise tell operations.

    A hold exists to stop work before it happens. Once part of an order has left (partially
    shipped, shipped, handed over) or it is finished, the state table forbids the hold, and
    raising would throw away the event that triggered the rule (the delay itself, its
    notification, its escalation) and fail the report or the whole SLA pass. The closest
    action the rules have is an escalation: a person sees that the hold was wanted and why it
    was not applied, and decides what to do.
    """
    if order.hold_reason is not None or order.status is OrderStatus.ON_HOLD:
        return
    if OrderStatus.ON_HOLD in ORDER_MOVES[order.status]:
        order.hold(reason)
        return
    status = order.status.value.replace("_", " ")
    log.info("rule %r wanted order %s on hold (%s); it is %s", rule, order.id, reason, status)
    _escalate(uow, order, event, {"kind": "hold_skipped", "severity": "high"}, now,
              reason=f"Rule {rule!r} would hold the order ({reason}), but an order that is "
                     f"{status} cannot be held: {event.message}")


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
                elif kind == "hold":
                    _hold(uow, order, event, str(arg), rule.name, now)


def save_order(uow: UnitOfWork, order: Order, *, new: bool = False) -> None:
    """Apply the rules to the order's new events, then write the order and every event."""
    apply_rules(uow, order)
    if new:
        uow.orders.add(order)
    else:
        uow.orders.save(order)
