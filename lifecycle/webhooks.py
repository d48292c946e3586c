"""Webhooks: subscriptions to order events, delivered signed, retried, in order per order.

This module holds the rules (which events a subscription wants, how a delivery is signed, when
a failed one is tried again) and the subscription service; ``webhook_guard`` refuses private
destinations and ``webhook_dispatch`` moves events from the outbox to the subscribers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from lifecycle.outbox import FanoutCursor as FanoutCursor  # shared with the NATS relay
from lifecycle.outbox import OutboxEvent as OutboxEvent
from models import InvalidInput, NotFound, new_id
from models.event_types import EVENT_TYPES, closest
from models.events import Event

if TYPE_CHECKING:
    from lifecycle.uow import UowFactory

FIRST_RETRY = timedelta(seconds=5)
MAX_RETRY_DELAY = timedelta(minutes=10)
GIVE_UP_AFTER = timedelta(days=3)
SECRET_MIN, SECRET_MAX = 16, 256
MAX_PATTERNS = 50

# What the timeline's event types start with (api.md, "Event types")
EVENT_FAMILIES = frozenset({"order", "payment", "fulfillment", "service", "escalation",
                            "notification"})
_PATTERN = re.compile(r"^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$")


@dataclass
class Subscription:
    url: str
    events: list[str]
    secret: str
    after_position: int
    created_at: datetime
    id: str = field(default_factory=lambda: new_id("whk"))
    active: bool = True

    def wants(self, event_type: str) -> bool:
        return matches(self.events, event_type)


@dataclass(frozen=True)
class DeliveryJob:
    """One claimed delivery: where to send which event, and how often it was tried."""

    delivery_id: str
    url: str
    secret: str
    event: Event
    attempts: int
    created_at: datetime


# --- which events a subscription wants ---------------------------------------------------------


def check_patterns(patterns: Sequence[str]) -> list[str]:
    """Valid patterns, without repeats: ``*``, an exact type, or ``prefix.*``."""
    if not patterns:
        raise InvalidInput("events must name at least one event type or pattern, e.g. order.*",
                           loc=("body", "events"))
    if len(patterns) > MAX_PATTERNS:
        raise InvalidInput(f"at most {MAX_PATTERNS} event patterns", loc=("body", "events"))
    for index, pattern in enumerate(patterns):
        if not _PATTERN.match(pattern):
            raise InvalidInput(f"{pattern!r} is not an event pattern: use an event type "
                               "(order.received), a prefix with .* (fulfillment.*) or *",
                               loc=("body", "events", index))
        if not any(matches((pattern,), event_type) for event_type in EVENT_TYPES):
            # a subscription nothing could ever match would wait for events silently forever
            close = closest(pattern)
            hint = f"did you mean {close!r}? " if close else ""
            raise InvalidInput(f"{pattern!r} names no event dom sends: {hint}event types start "
                               f"with {', '.join(f'{f}.' for f in sorted(EVENT_FAMILIES))} "
                               "(the README lists every event type)",
                               loc=("body", "events", index))
    return list(dict.fromkeys(patterns))


def matches(patterns: Sequence[str], event_type: str) -> bool:
    """True when one pattern names ``event_type`` exactly, is its ``prefix.*``, or is ``*``."""
    for pattern in patterns:
        if pattern == "*" or pattern == event_type:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


# --- signing (Standard Webhooks) ----------------------------------------------------------------


def body_of(event: Event) -> str:
    """The JSON body sent for ``event``: the same bytes are signed and posted."""
    payload: dict[str, Any] = event.as_payload()
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """``v1,<base64 HMAC-SHA256(secret, "{id}.{timestamp}.{body}")>``."""
    signed = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers_for(secret: str, message_id: str, timestamp: int, body: str) -> dict[str, str]:
    return {"content-type": "application/json", "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, message_id, timestamp, body)}


# --- retries ------------------------------------------------------------------------------------


def retry_delay(failures: int) -> timedelta:
    """The wait after the n-th failed attempt: 5 s, then doubling, at most 10 minutes."""
    if failures < 1:
        raise ValueError("Expected failures >= 1.")
    seconds = FIRST_RETRY.total_seconds() * 2 ** min(failures - 1, 20)
    return min(timedelta(seconds=seconds), MAX_RETRY_DELAY)


def next_attempt(created_at: datetime, failures: int, now: datetime) -> datetime | None:
    """When to try again after ``failures`` failed attempts, or None once 3 days are over."""
    at = now + retry_delay(failures)
    return at if at <= created_at + GIVE_UP_AFTER else None


# --- the subscription service -------------------------------------------------------------------


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def check_secret(secret: str) -> str:
    if not SECRET_MIN <= len(secret) <= SECRET_MAX:
        raise InvalidInput(f"secret must be {SECRET_MIN} to {SECRET_MAX} characters "
                           "(or leave it out and one is generated)", loc=("body", "secret"))
    return secret


def subscribe(uow_factory: UowFactory, url: str, patterns: Sequence[str], secret: str,
              now: datetime) -> Subscription:
    """Store a subscription; it receives the events stored after this moment."""
    wanted = check_patterns(patterns)
    with uow_factory() as uow:
        uow.webhooks.hold_fanout()  # no fan-out reads past its start without seeing it
        subscription = Subscription(url=url, events=wanted, secret=check_secret(secret),
                                    after_position=uow.webhooks.last_position(),
                                    created_at=now)
        uow.webhooks.add(subscription)
        uow.commit()
    return subscription


def get(uow_factory: UowFactory, subscription_id: str) -> Subscription:
    with uow_factory() as uow:
        found = uow.webhooks.get(subscription_id)
    if found is None:
        raise NotFound(f"webhook {subscription_id!r} does not exist")
    return found


def unsubscribe(uow_factory: UowFactory, subscription_id: str) -> None:
    """Remove the subscription and the deliveries it still owed."""
    with uow_factory() as uow:
        if not uow.webhooks.delete(subscription_id):
            raise NotFound(f"webhook {subscription_id!r} does not exist")
        uow.commit()
