"""Timers: promises that pass unkept become events, and scheduled releases happen.

``check`` is what ``POST /v1/sla/check`` and the server's background checker run. A missed
ship-by raises ``fulfillment.delayed`` exactly once per fulfillment however often it runs: the
flag is written with the fulfillment's version check, so two checkers (two workers) racing on
the same fulfillment cannot both raise it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from lifecycle.rules import save_order
from lifecycle.uow import UnitOfWork, UowFactory
from models import ConcurrentUpdate, OrderStatus
from models.fulfillments import Fulfillment, FulfillmentStatus
from models.orders import Order

NOT_SHIPPED = [FulfillmentStatus.RELEASED.value, FulfillmentStatus.ACCEPTED.value,
               FulfillmentStatus.PICKED.value, FulfillmentStatus.PACKED.value]


@dataclass
class CheckOutcome:
    checked: int = 0
    delays_raised: int = 0
    released: int = 0


def _ship_by(fulfillment: Fulfillment) -> date | None:
    raw = fulfillment.attributes.get("ship_by")
    return date.fromisoformat(str(raw)) if raw else None


def _raise_delay(uow: UnitOfWork, order: Order, fulfillment: Fulfillment, ship_by: date,
                 now: datetime) -> None:
    fulfillment.attributes = {**fulfillment.attributes, "sla_delay_raised": now.isoformat()}
    uow.fulfillments.save(fulfillment)
    location = uow.locations.get(str(fulfillment.location_id))
    where = location.name if location else str(fulfillment.location_id)
    order.record("fulfillment.delayed",
                 f"Delayed at {where}: not shipped by {ship_by.isoformat()}",
                 fulfillment_id=fulfillment.id, location_id=fulfillment.location_id,
                 reason=f"not shipped by {ship_by.isoformat()}", eta="to be confirmed",
                 source="sla_check")
    save_order(uow, order)


def _release(uow: UnitOfWork, order: Order, fulfillment: Fulfillment, now: datetime) -> None:
    fulfillment.status = FulfillmentStatus.RELEASED
    fulfillment.released_at = now
    uow.fulfillments.save(fulfillment)
    location = uow.locations.get(str(fulfillment.location_id))
    order.record("fulfillment.released",
                 f"Released to {location.name if location else fulfillment.location_id}",
                 fulfillment_id=fulfillment.id, location_id=fulfillment.location_id,
                 type=fulfillment.type.value, units=fulfillment.units)
    save_order(uow, order)


def check(factory: UowFactory, now: datetime | None = None) -> CheckOutcome:
    """Release what is due and turn every missed ship-by into one delay event."""
    now = now or datetime.now(UTC)
    outcome = CheckOutcome()
    with factory() as uow:
        due = [f.id for f in uow.fulfillments.with_status([FulfillmentStatus.ALLOCATED.value])
               if f.release_at is not None and f.release_at <= now]
        late = [f.id for f in uow.fulfillments.with_status(NOT_SHIPPED)
                if not f.attributes.get("sla_delay_raised")
                and (_ship_by(f) or now.date()) < now.date()]
        outcome.checked = len(due) + len(late)
    for fulfillment_id in due:
        outcome.released += _one(factory, fulfillment_id, now, release=True)
    for fulfillment_id in late:
        outcome.delays_raised += _one(factory, fulfillment_id, now, release=False)
    return outcome


def _one(make: UowFactory, fulfillment_id: str, now: datetime, *, release: bool) -> int:
    for _ in range(3):
        try:
            with make() as uow:
                fulfillment = uow.fulfillments.get(fulfillment_id)
                if fulfillment is None:
                    return 0
                order = uow.orders.get(fulfillment.order_id)
                if order is None or order.status in (OrderStatus.CANCELLED, OrderStatus.ON_HOLD):
                    return 0
                if release:
                    if fulfillment.status is not FulfillmentStatus.ALLOCATED:
                        return 0
                    _release(uow, order, fulfillment, now)
                else:
                    ship_by = _ship_by(fulfillment)
                    if fulfillment.status.value not in NOT_SHIPPED or ship_by is None or \
                            fulfillment.attributes.get("sla_delay_raised"):
                        return 0
                    _raise_delay(uow, order, fulfillment, ship_by, now)
                uow.commit()
                return 1
        except ConcurrentUpdate:
            continue
    return 0
