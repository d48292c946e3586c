"""Orders: the canonical body every channel posts, and what readers get back."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from api.schemas.common import ClientTime, Strict
from models import Channel, Customer, DeliveryMethod, Event, Order, PaymentStatus
from models.commands import CreateOrder, Destination, LineInput
from models.fulfillments import Fulfillment
from models.strict_input import calendar_date_only

Id = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/#-]*$")


class CustomerIn(Strict):
    id: str = Field(min_length=1, max_length=100)
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    phone: str | None = Field(default=None, max_length=40)


class ShipToIn(Strict):
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    postal_code: str | None = Field(default=None, min_length=3, max_length=12)
    country: str = Field(default="US", min_length=2, max_length=2)
    name: str | None = Field(default=None, max_length=200)
    address1: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _has_position(self) -> ShipToIn:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither (and a postal_code)")
        if self.lat is None and not self.postal_code:
            raise ValueError("ship_to needs lat and lon, or a postal_code")
        return self


class DeliveryIn(Strict):
    """How the order reaches the customer, and by when.

    ``deliver_by`` sits here, next to ``method`` and ``location_id``, rather than at the top of
    the order: it qualifies the delivery (for ``ship`` the day the parcel must arrive, for
    ``pickup`` the day it must be ready at the store), it is what ``promised_date`` on each
    fulfillment answers, and keeping it inside the optional ``delivery`` object means a body
    without it is exactly the body the API took before. It is a calendar date (UTC), not a
    time, because delivery promises are whole days (``delivery_days`` / ``promised_date``).
    """

    method: DeliveryMethod = DeliveryMethod.SHIP
    location_id: str | None = Field(default=None, min_length=1, max_length=64,
                                    description="The store to pick up at (method pickup).")
    deliver_by: date | None = Field(
        default=None,
        description="Optional delivery deadline, an ISO date (YYYY-MM-DD, UTC): the last day "
                    "the parcel may arrive (ship) or be ready (pickup). Locations that cannot "
                    "make it are not used; if none can, the order is backordered (or refused "
                    "under a reject policy). Today or later.")

    @field_validator("location_id")
    @classmethod
    def _store_of_a_pickup(cls, value: str | None, info: ValidationInfo) -> str | None:
        """A store on a shipped order would be dropped without a word (the optimizer chooses
        where a parcel ships from): refused, so a client meaning "pickup" finds out."""
        if value is not None and info.data.get("method", DeliveryMethod.PICKUP) \
                is not DeliveryMethod.PICKUP:
            raise ValueError("location_id is the store a pickup order is collected at; a "
                             "shipped order takes none (dom chooses where it ships from)")
        return value

    @field_validator("deliver_by", mode="before")
    @classmethod
    def _iso_date_only(cls, value: object) -> object:
        return calendar_date_only(value, "deliver_by")


class PaymentIn(Strict):
    status: Literal["authorized", "pending", "confirmed"] = "authorized"


class LineIn(Strict):
    line_id: str = Id
    sku: str = Field(min_length=1, max_length=64)
    qty: int = Field(ge=1, le=100_000, description="Units ordered; at least 1.")
    unit_price: float = Field(default=0.0, ge=0, le=1e9)
    covers_line_id: str | None = Field(
        default=None, min_length=1, max_length=64,
        description="For a service line: the product line it covers (a warranty's laptop).")


class OrderIn(Strict):
    channel: Channel
    channel_order_id: str = Field(min_length=1, max_length=100)
    source: str | None = Field(default=None, min_length=1, max_length=50)
    channel_reference: str | None = Field(default=None, max_length=100)
    customer: CustomerIn
    ship_to: ShipToIn | None = None
    delivery: DeliveryIn = DeliveryIn()
    priority: int = Field(default=0, ge=-100, le=100, description="Higher wins scarce stock.")
    payment: PaymentIn = PaymentIn()
    currency: str = Field(default="USD", pattern=r"^[A-Za-z]{3}$")
    placed_at: ClientTime | None = None
    lines: list[LineIn] = Field(min_length=1, max_length=500)

    def to_command(self) -> CreateOrder:
        dest = None
        if self.ship_to is not None:
            dest = Destination(lat=self.ship_to.lat, lon=self.ship_to.lon,
                               postal_code=self.ship_to.postal_code,
                               country=self.ship_to.country.upper(), name=self.ship_to.name,
                               address1=self.ship_to.address1, city=self.ship_to.city)
        attributes: dict[str, Any] = {}
        if self.channel_reference:
            attributes["channel_reference"] = self.channel_reference
        return CreateOrder(
            channel=self.channel, channel_order_id=self.channel_order_id,
            customer=Customer(id=self.customer.id, name=self.customer.name,
                              email=self.customer.email, phone=self.customer.phone),
            lines=tuple(LineInput(line_id=line.line_id, sku=line.sku, qty=line.qty,
                                  unit_price=line.unit_price, covers_line_id=line.covers_line_id)
                        for line in self.lines),
            ship_to=dest, delivery_method=self.delivery.method,
            pickup_location_id=self.delivery.location_id,
            deliver_by=self.delivery.deliver_by, priority=self.priority,
            payment_status=PaymentStatus(self.payment.status), currency=self.currency,
            source=self.source, placed_at=self.placed_at, attributes=attributes,
        )


class PaymentUpdateIn(Strict):
    status: Literal["confirmed", "failed"]
    reason: str | None = Field(default=None, max_length=200)


class CancelIn(Strict):
    reason: str | None = Field(default=None, max_length=200)


class TimelineItem(BaseModel):
    id: str
    order_id: str
    seq: int
    at: datetime
    type: str
    message: str
    fulfillment_id: str | None = None
    location_id: str | None = None
    data: dict[str, Any] = {}

    @classmethod
    def of(cls, event: Event) -> TimelineItem:
        assert event.seq is not None and event.at is not None
        assert event.id is not None
        return cls(id=event.id, order_id=event.order_id, seq=event.seq, at=event.at,
                   type=event.type, message=event.message,
                   fulfillment_id=event.fulfillment_id, location_id=event.location_id,
                   data=event.data)


class ServiceTermsOut(BaseModel):
    """A service line's terms as sold (the catalog's at intake): what is registered."""

    name: str
    service_type: str | None = None
    term_months: int | None = None


class LineOut(BaseModel):
    line_id: str
    sku: str
    qty: int
    unit_price: float
    kind: Literal["product", "service"]
    covers_line_id: str | None = None
    cancelled_qty: int = Field(default=0, description="Units of this line cancelled while the "
                               "rest of the order went on (a partial cancel, a pickup not "
                               "collected); an order cancelled whole cancels every line")
    service: ServiceTermsOut | None = None


class FulfillmentOut(BaseModel):
    fulfillment_id: str
    type: str
    location_id: str | None
    status: str
    lines: list[dict[str, Any]]
    promised_date: str | None = None
    delivery_days: int | None = None
    cost: float | None = None

    @classmethod
    def of(cls, f: Fulfillment) -> FulfillmentOut:
        return cls(fulfillment_id=f.id, type=f.type.value, location_id=f.location_id,
                   status=f.status.value,
                   lines=[{"line_id": x.line_id, "sku": x.sku, "qty": x.qty} for x in f.lines],
                   promised_date=f.promised_date.isoformat() if f.promised_date else None,
                   delivery_days=f.delivery_days, cost=f.cost)


def delivery_json(order: Order) -> dict[str, Any]:
    """The order's ``delivery`` as it was posted: method, pickup store, deadline when set."""
    delivery = order.delivery
    return {"method": delivery.method.value,
            **({"location_id": delivery.location_id} if delivery.location_id else {}),
            **({"deliver_by": delivery.deliver_by.isoformat()} if delivery.deliver_by else {})}


class OrderOut(BaseModel):
    order_id: str
    channel: Channel
    source: str | None
    channel_order_id: str
    status: str
    hold_reason: str | None = None
    payment: dict[str, str]
    customer: dict[str, Any]
    ship_to: dict[str, Any] | None
    delivery: dict[str, Any]
    priority: int
    currency: str
    total: float
    tracking_token: str
    lines: list[LineOut]
    fulfillments: list[FulfillmentOut] = []
    timeline: list[TimelineItem] | None = None
    attributes: dict[str, Any] = {}
    placed_at: datetime | None = None
    created_at: datetime
    updated_at: datetime | None = None

    @classmethod
    def of(cls, order: Order, timeline: list[Event] | None = None,
           fulfillments: list[Fulfillment] | None = None) -> OrderOut:
        cancelled = order.cancelled_units
        return cls(
            order_id=order.id, channel=order.channel, source=order.source,
            channel_order_id=order.channel_order_id, status=order.status.value,
            hold_reason=order.hold_reason, payment={"status": order.payment_status.value},
            customer={k: v for k, v in vars(order.customer).items() if v is not None},
            ship_to=({k: v for k, v in vars(order.ship_to).items() if v is not None}
                     if order.ship_to else None),
            delivery=delivery_json(order),
            priority=order.priority, currency=order.currency, total=order.total,
            tracking_token=order.tracking_token,
            lines=[LineOut(line_id=line.line_id, sku=line.sku, qty=line.qty,
                           unit_price=line.unit_price,
                           kind="service" if line.is_service else "product",
                           covers_line_id=line.covers_line_id,
                           cancelled_qty=cancelled.get(line.line_id, 0),
                           service=ServiceTermsOut(**vars(line.service)) if line.service
                           else None) for line in order.lines],
            timeline=[TimelineItem.of(e) for e in timeline] if timeline is not None else None,
            fulfillments=[FulfillmentOut.of(f) for f in fulfillments or []],
            attributes=order.attributes, placed_at=order.placed_at, created_at=order.created_at,
            updated_at=order.updated_at,
        )


ParcelStage = Literal["preparing", "shipped", "out_for_delivery", "delivered",
                     "ready_for_pickup", "picked_up"]


class ParcelOut(BaseModel):
    """One parcel (or pickup) of the order as the customer follows it; the timeline's events
    about it carry its ``fulfillment_id``."""

    fulfillment_id: str
    stage: ParcelStage = Field(
        description="preparing: not left yet (allocated, accepted, picked or packed)")
    lines: list[dict[str, Any]]
    promised_date: date | None = None
    carrier: str | None = None
    tracking_number: str | None = None


class TrackingOut(BaseModel):
    """What a customer sees: no prices, no customer data, just where the order is."""

    order_id: str
    status: str
    delivery: dict[str, Any]
    lines: list[dict[str, Any]]
    parcels: list[ParcelOut] = Field(
        default=[], description="The parcels on their way or delivered (and pickups), in the "
                                "order they were made; none replaced or cancelled")
    timeline: list[TimelineItem]
