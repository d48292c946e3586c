"""Fulfillments: the pieces of an order a location (or the service desk) carries out.

Sourcing creates them, one per shipping location (plus one for the order's services); the
lifecycle then moves each through the state table of its type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class FulfillmentType(StrEnum):
    SHIP = "ship"
    PICKUP = "pickup"
    DROPSHIP = "dropship"
    SERVICE = "service"


class FulfillmentStatus(StrEnum):
    ALLOCATED = "allocated"  # reserved, waiting for its release time
    RELEASED = "released"  # sent to the location's work queue
    ACCEPTED = "accepted"
    PICKED = "picked"
    PACKED = "packed"
    SHIPPED = "shipped"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    READY_FOR_PICKUP = "ready_for_pickup"
    PICKED_UP = "picked_up"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    PENDING = "pending"  # a service waiting for its trigger
    REGISTERED = "registered"  # a service on the customer's account


@dataclass(frozen=True)
class FulfillmentLine:
    line_id: str
    sku: str
    qty: int


@dataclass
class Fulfillment:
    id: str
    order_id: str
    type: FulfillmentType
    location_id: str | None
    status: FulfillmentStatus
    lines: list[FulfillmentLine]
    created_at: datetime
    promised_date: date | None = None
    delivery_days: int | None = None
    cost: float | None = None
    release_at: datetime | None = None
    released_at: datetime | None = None
    updated_at: datetime | None = None
    attributes: dict[str, object] = field(default_factory=dict)
    version: int = 0

    @property
    def units(self) -> int:
        return sum(line.qty for line in self.lines)

    @property
    def is_released(self) -> bool:
        return self.status not in (FulfillmentStatus.ALLOCATED, FulfillmentStatus.CANCELLED,
                                   FulfillmentStatus.PENDING)
