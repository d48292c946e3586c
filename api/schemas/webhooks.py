"""Webhooks: what an admin posts to subscribe, and what comes back (never the secret)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.schemas.common import Strict
from lifecycle.webhooks import MAX_PATTERNS, SECRET_MAX, SECRET_MIN, Subscription


class WebhookIn(Strict):
    url: str = Field(min_length=1, max_length=2000,
                     description="http(s) URL on a public address; events are POSTed to it.",
                     examples=["https://hooks.example.com/dom"])
    events: list[str] = Field(min_length=1, max_length=MAX_PATTERNS,
                              description="Event types or patterns: order.received, "
                                          "fulfillment.*, * for all.",
                              examples=[["order.*", "fulfillment.*"]])
    secret: str | None = Field(default=None, min_length=SECRET_MIN, max_length=SECRET_MAX,
                               description="Signs every delivery (HMAC-SHA256). Leave it out "
                                           "and dom generates one, returned once.")


class WebhookOut(BaseModel):
    webhook_id: str
    url: str
    events: list[str]
    created_at: datetime
    active: bool

    @classmethod
    def of(cls, subscription: Subscription) -> WebhookOut:
        return cls(webhook_id=subscription.id, url=subscription.url,
                   events=subscription.events, created_at=subscription.created_at,
                   active=subscription.active)


class WebhookCreated(WebhookOut):
    secret: str | None = Field(default=None,
                               description="Only when dom generated the secret: shown this "
                                           "once, keep it to verify signatures.")
