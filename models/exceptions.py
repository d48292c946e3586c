"""Exceptions handled without a person watching: escalations for staff, notifications for
customers. Rules open them in reaction to events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class Escalation:
    id: str
    order_id: str
    kind: str
    severity: str
    reason: str
    status: str
    opened_at: datetime
    dedupe_key: str
    fulfillment_id: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolution: str | None = None


@dataclass(frozen=True)
class Notification:
    id: str
    order_id: str
    customer_id: str
    channel: str
    recipient: str | None
    template: str
    subject: str
    body: str
    sent_at: datetime
    event_id: str | None = None
