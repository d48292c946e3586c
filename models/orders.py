"""The order aggregate: one canonical shape for every channel's orders.

Status moves are declared in ``models.order_status``; the aggregate records an event for every
change it makes and never talks to storage itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from models.catalog import ServiceTerms
from models.errors import TransitionNotAllowed
from models.events import Event
from models.ids import new_id
from models.order_status import (
    ORDER_MOVES,
    OrderStatus,
    PaymentStatus,
    check_order_move,
    check_payment_move,
)

# Order attribute: units per line still waiting, as sourcing last saw them (its timeline
# announces a backorder only when a line waits for more than this).
BACKORDERED_UNITS = "backordered_units"


class Channel(StrEnum):
    WEB = "web"
    STORE = "store"
    CALL_CENTER = "call_center"
    MARKETPLACE = "marketplace"


class DeliveryMethod(StrEnum):
    SHIP = "ship"
    PICKUP = "pickup"


@dataclass(frozen=True)
class Customer:
    id: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class ShipTo:
    """Where the parcel goes; always resolved to coordinates at intake (postal codes geocoded)."""

    lat: float
    lon: float
    postal_code: str | None = None
    country: str | None = None
    name: str | None = None
    address1: str | None = None
    city: str | None = None


@dataclass(frozen=True)
class Delivery:
    """How the order reaches the customer, and by when.

    ``deliver_by``: the last day (UTC) the channel promised the parcel arrives, or a pickup is
    ready; None when the channel set no deadline. Sourcing makes every location that cannot
    make it (``delivery_days`` past it, counted like ``promised_date``) ineligible.
    """

    method: DeliveryMethod = DeliveryMethod.SHIP
    location_id: str | None = None
    deliver_by: date | None = None


@dataclass
class OrderLine:
    line_id: str
    sku: str
    qty: int
    unit_price: float = 0.0
    covers_line_id: str | None = None
    is_service: bool = False
    service: ServiceTerms | None = None  # a service line's terms as sold

    @property
    def amount(self) -> float:
        return round(self.qty * self.unit_price, 2)


@dataclass
class Order:
    id: str
    channel: Channel
    channel_order_id: str
    customer: Customer
    lines: list[OrderLine]
    delivery: Delivery
    ship_to: ShipTo | None
    tracking_token: str
    created_at: datetime
    source: str | None = None
    priority: int = 0
    currency: str = "USD"
    payment_status: PaymentStatus = PaymentStatus.AUTHORIZED
    status: OrderStatus = OrderStatus.RECEIVED
    hold_reason: str | None = None
    placed_at: datetime | None = None
    updated_at: datetime | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    version: int = 0
    events: list[Event] = field(default_factory=list, repr=False, compare=False)

    # -- queries -------------------------------------------------------------------------
    @property
    def total(self) -> float:
        return round(sum(line.amount for line in self.lines), 2)

    def line(self, line_id: str) -> OrderLine:
        for line in self.lines:
            if line.line_id == line_id:
                return line
        raise KeyError(line_id)

    @property
    def product_lines(self) -> list[OrderLine]:
        return [line for line in self.lines if not line.is_service]

    @property
    def service_lines(self) -> list[OrderLine]:
        return [line for line in self.lines if line.is_service]

    @property
    def payment_settled(self) -> bool:
        """Authorized or confirmed: sourcing may start."""
        return self.payment_status in (PaymentStatus.AUTHORIZED, PaymentStatus.CONFIRMED)

    @property
    def cancelled_units(self) -> dict[str, int]:
        """Units of each line cancelled while the rest of the order went on (partial cancel).

        Sourcing and the status derivation treat them as no longer wanted, so nothing waits
        for them and nobody sources them again.
        """
        stored = self.attributes.get("cancelled_units") or {}
        return {str(line_id): int(qty) for line_id, qty in stored.items()}

    @property
    def can_hold(self) -> bool:
        """Whether the state table still lets a hold stop work (nothing has left yet)."""
        return self.status is OrderStatus.ON_HOLD or OrderStatus.ON_HOLD in ORDER_MOVES[self.status]

    # -- commands ------------------------------------------------------------------------
    def receive(self) -> None:
        """Record that the order entered the repository (the first event of every order)."""
        via = f" via {self.source}" if self.source else ""
        self.record(
            "order.received",
            f"Order received from {self.channel.value.replace('_', ' ')}{via}",
            channel=self.channel.value,
            channel_order_id=self.channel_order_id,
            source=self.source,
            lines=len(self.lines),
            total=self.total,
        )

    def set_status(self, new: OrderStatus, reason: str | None = None) -> None:
        """Move to ``new`` if the state table allows it, recording ``order.status_changed``."""
        if new is self.status:
            return
        check_order_move(self.status, new)
        old = self.status
        self.status = new
        data: dict[str, Any] = {"from": old.value, "to": new.value}
        if reason:
            data["reason"] = reason
        self.record("order.status_changed", f"Status changed to {new.value.replace('_', ' ')}",
                     **data)

    def confirm_payment(self, resume: OrderStatus | None = None) -> bool:
        """Payment captured. Returns False when it already was (a repeated notification).

        ``resume``: the status the order's fulfillments say it has reached (None when it was
        never sourced). A released payment hold goes back there, not to ``payment_confirmed``:
        an allocated or shipped order must not move backwards because money arrived.
        """
        if self.payment_status is PaymentStatus.CONFIRMED:
            return False
        self._settle_payment(PaymentStatus.CONFIRMED)
        if self.status in (OrderStatus.RECEIVED, OrderStatus.ON_HOLD) and self.hold_reason is None:
            self._resume(resume or OrderStatus.PAYMENT_CONFIRMED)
        return True

    def take_missing_prices(self, sent: Mapping[str, tuple[str, float]]) -> dict[str, float]:
        """Prices a channel sends after the order (line id -> (sku, unit price)), taken only by
        lines that had none and are the same SKU; records ``order.priced`` when any was.
        Returns the prices taken."""
        taken: dict[str, float] = {}
        for line in self.lines:
            sku, price = sent.get(line.line_id, (None, 0.0))
            if sku == line.sku and line.unit_price == 0 < price:
                line.unit_price = taken[line.line_id] = price
        if taken:
            self.record("order.priced", f"Prices received: total {self.total:.2f} "
                        f"{self.currency}", total=self.total, unit_prices=taken)
        return taken

    def authorize_payment(self, resume: OrderStatus | None = None) -> bool:
        """The channel reports the payment authorized for an order it sent while the payment
        was pending: sourcing may start. False when it already was (or was captured).
        ``resume`` as for :meth:`confirm_payment`."""
        if self.payment_status in (PaymentStatus.AUTHORIZED, PaymentStatus.CONFIRMED):
            return False
        if self._settle_payment(PaymentStatus.AUTHORIZED):
            self._resume(resume or OrderStatus.RECEIVED)
        return True

    def _settle_payment(self, status: PaymentStatus) -> bool:
        """Move the payment to ``status`` (authorized or confirmed), recording it; True when
        that released a hold a failed payment had put on the order."""
        self._guard_open(f"{'confirm' if status is PaymentStatus.CONFIRMED else 'authorize'} "
                         "payment of")
        check_payment_move(self.payment_status, status)
        self.payment_status = status
        self.record(f"payment.{status.value}", f"Payment {status.value}")
        self._drop_flag("payment_failed")
        if self.status is OrderStatus.ON_HOLD and self.hold_reason == "payment_failed":
            self.hold_reason = None
            self.record("order.released", f"Released from hold: payment {status.value}")
            return True
        return False

    def fail_payment(self, reason: str | None = None) -> bool:
        """Payment declined: the order waits on hold until payment is confirmed or cancelled.

        A decline can arrive after goods left (a late capture, a chargeback). The failure is
        still a fact to record (rules notify on it); the order is held only while a hold can
        stop something, otherwise it is flagged for a person to follow up.
        """
        if self.payment_status is PaymentStatus.FAILED:
            return False
        self._guard_open("fail payment of")
        check_payment_move(self.payment_status, PaymentStatus.FAILED)
        self.payment_status = PaymentStatus.FAILED
        self.record("payment.failed", "Payment failed" + (f": {reason}" if reason else ""),
                     reason=reason)
        if self.status is OrderStatus.ON_HOLD:
            pass  # held already (a review): it stays held, and no release before a payment
        elif self.can_hold:
            self.hold("payment_failed")
        else:
            self.flag("payment_failed")
        return True

    def hold(self, reason: str) -> None:
        self.hold_reason = reason
        self.set_status(OrderStatus.ON_HOLD, reason)
        self.record("order.on_hold", f"On hold: {reason.replace('_', ' ')}", reason=reason)

    def flag(self, reason: str) -> None:
        """Mark an order a hold can no longer stop (it has shipped) for a person to follow up."""
        flags = [str(f) for f in self.attributes.get("flags") or []]
        if reason not in flags:
            self.attributes = {**self.attributes, "flags": [*flags, reason]}
        status = self.status.value.replace("_", " ")
        self.record("order.flagged", f"Flagged: {reason.replace('_', ' ')} (the order is "
                    f"{status}, too late to hold)", reason=reason, status=self.status.value)

    def _drop_flag(self, reason: str) -> None:
        flags = [str(f) for f in self.attributes.get("flags") or []]
        if reason in flags:
            self.attributes = {**self.attributes,
                               "flags": [f for f in flags if f != reason]}

    def release_hold(self, by: str | None = None, resume: OrderStatus | None = None) -> None:
        """A person lets a held order continue (after a review, or a fixed payment).

        ``resume``: the status its fulfillments say it reached (None when never sourced); a
        held allocated order goes back to allocated, not back to the start.
        """
        if self.status is not OrderStatus.ON_HOLD:
            raise TransitionNotAllowed(f"order {self.id} is not on hold")
        if self.payment_status is PaymentStatus.FAILED:  # whatever it was first held for
            raise TransitionNotAllowed("the payment failed: confirm a payment to release it")
        reason, self.hold_reason = self.hold_reason, None
        self.record("order.released", "Released from hold" + (f" by {by}" if by else ""),
                    reason=reason, by=by)
        self._resume(resume or (OrderStatus.PAYMENT_CONFIRMED
                                if self.payment_status is PaymentStatus.CONFIRMED
                                else OrderStatus.RECEIVED))

    def _resume(self, status: OrderStatus) -> None:
        """Leave a hold for ``status``: a table move, or a status derived from fulfillments."""
        if status in ORDER_MOVES[self.status]:
            self.set_status(status)
        else:
            self.apply_derived_status(status)

    def apply_derived_status(self, new: OrderStatus) -> None:
        """Take the status derived from the fulfillments (which carry their own tables)."""
        if new is self.status:
            return
        old, self.status = self.status, new
        data: dict[str, Any] = {"from": old.value, "to": new.value}
        self.record("order.status_changed", f"Status changed to {new.value.replace('_', ' ')}",
                    **data)
        if new is OrderStatus.COMPLETED:
            self.record("order.completed", "Order completed")

    def cancel(self, reason: str | None = None) -> None:
        """Cancel the order; the caller releases its stock through the ledger, same transaction."""
        if self.status is OrderStatus.CANCELLED:
            raise TransitionNotAllowed(f"order {self.id} is already cancelled")
        check_order_move(self.status, OrderStatus.CANCELLED)
        self.hold_reason = None
        self.set_status(OrderStatus.CANCELLED, reason)
        self.forget_waiting()
        self.record("order.cancelled", "Order cancelled" + (f": {reason}" if reason else ""),
                     reason=reason)

    def forget_waiting(self) -> None:
        """Nothing waits any more (what was announced as backordered is cancelled)."""
        self.attributes = {k: v for k, v in self.attributes.items() if k != BACKORDERED_UNITS}

    def cancel_remainder(self, units: dict[str, int], reason: str | None = None,
                         **details: Any) -> None:
        """Cancel what has not shipped while the shipped part goes on to the customer.

        ``units``: line -> units no longer wanted (unshipped, or never sourced). The order's
        status is derived again from what remains by the caller.
        """
        if self.status is OrderStatus.CANCELLED:
            raise TransitionNotAllowed(f"order {self.id} is already cancelled")
        wanted = {line_id: qty for line_id, qty in units.items() if qty > 0}
        if not wanted:
            raise TransitionNotAllowed(f"order {self.id} has shipped in full; nothing is left "
                                       "to cancel")
        merged = self.cancelled_units
        for line_id, qty in wanted.items():
            merged[line_id] = merged.get(line_id, 0) + qty
        self.hold_reason = None
        self.attributes = {**self.attributes, "cancelled_units": merged}
        services = sum(qty for line_id, qty in wanted.items() if self.line(line_id).is_service)
        goods = sum(wanted.values()) - services
        self.record("order.partially_cancelled",
                    f"Cancelled {goods} unit(s) that had not shipped"
                    + (f" and {services} service unit(s) covering them" if services else "")
                    + (f": {reason}" if reason else "") + "; the rest of the order goes on",
                    reason=reason, lines=wanted, **details)

    def _guard_open(self, action: str) -> None:
        if self.status is OrderStatus.CANCELLED:
            raise TransitionNotAllowed(f"cannot {action} order {self.id}: it is cancelled")

    def record(self, type_: str, message: str, *, fulfillment_id: str | None = None,
               location_id: str | None = None, at: datetime | None = None,
               **data: Any) -> None:
        """Append an event about this order; storage writes it with the order's next seq.

        ``at``: when it happened, if a reporter said so (a carrier scan); otherwise storage
        stamps the time it is written.
        """
        self.events.append(Event(id=new_id("evt"), type=type_, order_id=self.id, message=message,
                                 data={k: v for k, v in data.items() if v is not None},
                                 fulfillment_id=fulfillment_id, location_id=location_id, at=at))
