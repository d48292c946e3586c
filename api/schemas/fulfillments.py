"""Fulfillment events, work queues, escalations, notifications, services, SLA checks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from api.schemas.common import ClientTime, Strict
from models.exceptions import Escalation, Notification
from models.fulfillments import Fulfillment, FulfillmentType
from models.orders import Order
from models.services import CustomerService

EventType = Literal["accepted", "picked", "packed", "shipped", "out_for_delivery", "delivered",
                    "ready_for_pickup", "picked_up", "delayed", "rejected", "short_picked"]


class MissingLine(Strict):
    line_id: str = Field(min_length=1, max_length=64)
    qty: int = Field(ge=1, le=100_000)


class FulfillmentEventIn(Strict):
    type: EventType
    at: ClientTime | None = None
    tracking_number: str | None = Field(default=None, max_length=100)
    carrier: str | None = Field(default=None, max_length=100)
    reason: str | None = Field(default=None, max_length=500)
    eta: ClientTime | None = Field(default=None, description="For delayed: the new estimate.")
    lines: list[MissingLine] | None = Field(
        default=None, max_length=500,
        description="For short_picked: what is missing (left out: everything), each line once.")

    @field_validator("eta")
    @classmethod
    def _eta_of_a_delay(cls, eta: datetime | None, info: ValidationInfo) -> datetime | None:
        """An estimate on another step would be dropped without a word: refused instead."""
        if eta is not None and info.data.get("type", "delayed") != "delayed":
            raise ValueError(f"eta is the new estimate of a delay; a {info.data['type']} "
                             "report takes none")
        return eta

    @field_validator("lines")
    @classmethod
    def _each_line_once(cls, lines: list[MissingLine] | None,
                        info: ValidationInfo) -> list[MissingLine] | None:
        """Only a short pick names lines: a shipped or rejected report with lines would move
        the whole fulfillment while the caller meant part of it."""
        if lines is not None and info.data.get("type", "short_picked") != "short_picked":
            raise ValueError(f"lines say what a short pick is missing; a {info.data['type']} "
                             "report applies to the whole fulfillment and takes none")
        seen: set[str] = set()
        for line in lines or []:
            if line.line_id in seen:
                raise ValueError(f"line {line.line_id!r} is listed twice; give its missing "
                                 "units once")
            seen.add(line.line_id)
        return lines


class DeliverTo(BaseModel):
    """Who gets the goods and where: what a location or a drop-ship supplier needs to ship
    (the address) or to hand over (the customer's name, for a pickup)."""

    name: str | None = None
    phone: str | None = None
    address1: str | None = None
    city: str | None = None
    postal_code: str | None = None
    country: str | None = None
    lat: float | None = Field(default=None,
                              description="Where the parcel goes, as the order resolved it "
                                          "(an order may give only coordinates).")
    lon: float | None = None

    @classmethod
    def of(cls, order: Order, kind: FulfillmentType) -> DeliverTo | None:
        customer = order.customer
        if kind is FulfillmentType.SERVICE:
            return None
        if kind is FulfillmentType.PICKUP or order.ship_to is None:
            return cls(name=customer.name, phone=customer.phone)
        to = order.ship_to
        return cls(name=to.name or customer.name, phone=customer.phone, address1=to.address1,
                   city=to.city, postal_code=to.postal_code, country=to.country,
                   lat=to.lat, lon=to.lon)


class FulfillmentDetail(BaseModel):
    fulfillment_id: str
    order_id: str
    type: str
    location_id: str | None
    status: str
    lines: list[dict[str, Any]]
    promised_date: date | None
    ship_by: str | None
    delivery_days: int | None
    cost: float | None
    tracking_number: str | None
    released_at: datetime | None
    created_at: datetime
    updated_at: datetime | None
    deliver_to: DeliverTo | None = Field(
        None, description="The recipient and the address to ship to (a pickup: who collects); "
                          "null for a service.")

    @classmethod
    def of(cls, f: Fulfillment, order: Order | None = None, *,
           partner: bool = False) -> FulfillmentDetail:
        """``partner``: seen by the location or supplier doing the work, which is not shown
        dom's cost estimate (an internal figure)."""
        tracking = f.attributes.get("tracking_number")
        ship_by = f.attributes.get("ship_by")
        return cls(fulfillment_id=f.id, order_id=f.order_id, type=f.type.value,
                   location_id=f.location_id, status=f.status.value,
                   lines=[{"line_id": x.line_id, "sku": x.sku, "qty": x.qty} for x in f.lines],
                   promised_date=f.promised_date, ship_by=str(ship_by) if ship_by else None,
                   delivery_days=f.delivery_days, cost=None if partner else f.cost,
                   tracking_number=str(tracking) if tracking else None,
                   released_at=f.released_at, created_at=f.created_at, updated_at=f.updated_at,
                   deliver_to=DeliverTo.of(order, f.type) if order is not None else None)


class EscalationOut(BaseModel):
    escalation_id: str
    order_id: str
    fulfillment_id: str | None
    kind: str
    severity: str
    reason: str
    status: str
    opened_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str | None

    @classmethod
    def of(cls, e: Escalation) -> EscalationOut:
        return cls(escalation_id=e.id, order_id=e.order_id, fulfillment_id=e.fulfillment_id,
                   kind=e.kind, severity=e.severity, reason=e.reason, status=e.status,
                   opened_at=e.opened_at, resolved_at=e.resolved_at, resolved_by=e.resolved_by,
                   resolution=e.resolution)


class ResolveIn(Strict):
    resolution: str | None = Field(default=None, max_length=1000)
    by: str | None = Field(default=None, max_length=100)


class NotificationOut(BaseModel):
    notification_id: str
    order_id: str
    customer_id: str
    channel: str
    recipient: str | None
    template: str
    subject: str
    body: str
    sent_at: datetime

    @classmethod
    def of(cls, n: Notification) -> NotificationOut:
        return cls(notification_id=n.id, order_id=n.order_id, customer_id=n.customer_id,
                   channel=n.channel, recipient=n.recipient, template=n.template,
                   subject=n.subject, body=n.body, sent_at=n.sent_at)


class ServiceOut(BaseModel):
    service_id: str
    sku: str
    name: str
    service_type: str | None
    covers_sku: str | None
    covers_line_id: str | None
    order_id: str
    line_id: str
    starts: date
    ends: date | None
    status: str
    qty: int = Field(description="Units of the service this registration covers (one per "
                                 "covered product unit delivered in one parcel).")

    @classmethod
    def of(cls, s: CustomerService) -> ServiceOut:
        return cls(service_id=s.id, sku=s.sku, name=s.name, service_type=s.service_type,
                   covers_sku=s.covers_sku, covers_line_id=s.covers_line_id, order_id=s.order_id,
                   line_id=s.line_id, starts=s.starts, ends=s.ends, status=s.status, qty=s.qty)


class SlaCheckIn(Strict):
    now: ClientTime | None = None


class SlaCheckOut(BaseModel):
    checked: int
    delays_raised: int
    released: int
    pickups_expired: int
