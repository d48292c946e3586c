"""Commands: what a caller asks the lifecycle to do, already parsed but not yet checked
against the catalog, the network or the stock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from models.order_status import PaymentStatus
from models.orders import Channel, Customer, DeliveryMethod


@dataclass(frozen=True)
class Destination:
    """Where an order ships: coordinates, or a postal code geocoded at intake."""

    lat: float | None = None
    lon: float | None = None
    postal_code: str | None = None
    country: str = "US"
    name: str | None = None
    address1: str | None = None
    city: str | None = None


@dataclass(frozen=True)
class LineInput:
    line_id: str
    sku: str
    qty: int
    unit_price: float = 0.0
    covers_line_id: str | None = None


@dataclass(frozen=True)
class CreateOrder:
    channel: Channel
    channel_order_id: str
    customer: Customer
    lines: tuple[LineInput, ...]
    ship_to: Destination | None = None
    delivery_method: DeliveryMethod = DeliveryMethod.SHIP
    pickup_location_id: str | None = None
    deliver_by: date | None = None
    priority: int = 0
    payment_status: PaymentStatus = PaymentStatus.AUTHORIZED
    currency: str = "USD"
    source: str | None = None
    placed_at: datetime | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PositionInput:
    """One row of a stock feed or CSV import."""

    location_id: str
    sku: str
    on_hand: int
    safety_stock: int | None = None
