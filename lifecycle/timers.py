"""Timers: promises that pass unkept become events, and scheduled work happens.

``check`` is what ``POST /v1/sla/check`` and the server's background checker run:
- allocations held back by ``release_delay_minutes`` are released when due;
- a fulfillment not shipped by its deadline raises ``fulfillment.delayed`` exactly once per
  deadline, however often the check runs (rules then notify the customer and escalate). The
  deadline is the ship-by date, or the later estimate a ``delayed`` report gave: a missed new
  estimate is a new delay, and escalates again if staff resolved the first one;
- a pickup not collected by its pickup-by date expires and gives its stock back.
Each action is its own transaction guarded by the fulfillment's version, so two checkers (two
workers) racing on the same fulfillment cannot both act. One order the domain refuses to move
is logged and skipped; it never stops the pass for the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from lifecycle.escalations import WATCHING, close_settled
from lifecycle.fulfillment_events import settle_status
from lifecycle.rules import save_order
from lifecycle.services import cancel_services, revoke_paid_services
from lifecycle.uow import UnitOfWork, UowFactory
from models import ConcurrentUpdate, DomainError, OrderStatus
from models.fulfillments import Fulfillment, FulfillmentStatus
from models.order_progress import DEAD
from models.orders import Order

S = FulfillmentStatus
# Work that can still miss its ship-by date; an allocation still held back by the release
# delay counts too (it is late all the same, and one pass judges it before or after releasing).
NOT_SHIPPED = [S.ALLOCATED.value, S.RELEASED.value, S.ACCEPTED.value, S.PICKED.value,
               S.PACKED.value]
Action = Callable[[UnitOfWork, Order, Fulfillment, datetime], bool]
log = logging.getLogger("dom.timers")


@dataclass
class CheckOutcome:
    checked: int = 0
    delays_raised: int = 0
    released: int = 0
    pickups_expired: int = 0


def _date(fulfillment: Fulfillment, key: str) -> date | None:
    raw = fulfillment.attributes.get(key)
    return date.fromisoformat(str(raw)) if raw else None


def _estimate(fulfillment: Fulfillment) -> date | None:
    """The day of the latest estimate a ``delayed`` report gave (an ISO timestamp), if any."""
    raw = fulfillment.attributes.get("eta")
    try:
        return datetime.fromisoformat(str(raw)).date() if raw else None
    except ValueError:
        return None


def _deadline(fulfillment: Fulfillment) -> date | None:
    """The day it must ship by: its ship-by date, pushed back by a later estimate."""
    days = [d for d in (_date(fulfillment, "ship_by"), _estimate(fulfillment)) if d]
    return max(days) if days else None


def _raised_for(fulfillment: Fulfillment) -> date | None:
    """The deadline whose miss was already raised. Fulfillments flagged before deadlines were
    remembered carry only ``sla_delay_raised``: that was their ship-by date."""
    if fulfillment.attributes.get("sla_delay_raised_for"):
        return _date(fulfillment, "sla_delay_raised_for")
    return _date(fulfillment, "ship_by") if fulfillment.attributes.get("sla_delay_raised") \
        else None


def _missed(fulfillment: Fulfillment, today: date) -> date | None:
    """The deadline it has missed and nobody was told about yet, if any."""
    deadline, raised = _deadline(fulfillment), _raised_for(fulfillment)
    if fulfillment.status.value not in NOT_SHIPPED or deadline is None or deadline >= today:
        return None
    return deadline if raised is None or raised < deadline else None


def _where(uow: UnitOfWork, fulfillment: Fulfillment) -> str:
    location = uow.locations.get(str(fulfillment.location_id))
    return location.name if location else str(fulfillment.location_id)


def _release(uow: UnitOfWork, order: Order, fulfillment: Fulfillment, now: datetime) -> bool:
    if fulfillment.status is not S.ALLOCATED:
        return False
    fulfillment.status = S.RELEASED
    fulfillment.released_at = now
    uow.fulfillments.save(fulfillment)
    order.record("fulfillment.released", f"Released to {_where(uow, fulfillment)}",
                 fulfillment_id=fulfillment.id, location_id=fulfillment.location_id,
                 type=fulfillment.type.value, units=fulfillment.units)
    return True


def _raise_delay(uow: UnitOfWork, order: Order, fulfillment: Fulfillment, now: datetime) -> bool:
    deadline = _missed(fulfillment, now.date())
    if deadline is None:
        return False
    fulfillment.attributes = {**fulfillment.attributes, "sla_delay_raised": now.isoformat(),
                              "sla_delay_raised_for": deadline.isoformat()}
    uow.fulfillments.save(fulfillment)
    order.record("fulfillment.delayed",
                 f"Delayed at {_where(uow, fulfillment)}: not shipped by {deadline.isoformat()}",
                 fulfillment_id=fulfillment.id, location_id=fulfillment.location_id,
                 reason=f"not shipped by {deadline.isoformat()}", eta="to be confirmed",
                 source="sla_check")
    return True


def _expire_pickup(uow: UnitOfWork, order: Order, fulfillment: Fulfillment,
                   now: datetime) -> bool:
    pickup_by = _date(fulfillment, "pickup_by")
    if fulfillment.status is not S.READY_FOR_PICKUP or pickup_by is None or \
            pickup_by >= now.date():
        return False
    uow.ledger.release_fulfillment(fulfillment.id)
    fulfillment.status = S.CANCELLED
    fulfillment.attributes = {**fulfillment.attributes, "expired_at": now.isoformat()}
    uow.fulfillments.save(fulfillment)
    order.record("fulfillment.expired",
                 f"Not picked up at {_where(uow, fulfillment)} by {pickup_by.isoformat()}; "
                 "the items went back to stock", fulfillment_id=fulfillment.id,
                 location_id=fulfillment.location_id)
    goods = [f for f in uow.fulfillments.for_order(order.id)
             if f.location_id is not None and f.status not in DEAD]
    # nothing of this pickup is left to watch (nothing of the order, when it was all)
    close_settled(uow, order, (fulfillment.id,) if goods else None, WATCHING,
                  "closed by itself: not picked up in time, the items went back to stock", now)
    units: dict[str, int] = {}
    for line in fulfillment.lines:
        units[line.line_id] = units.get(line.line_id, 0) + line.qty
    # the services covering what was not collected go with it (with the whole order: all
    # that are not on the customer's account yet)
    everything = {line.line_id: line.qty for line in order.product_lines}
    dropped = cancel_services(uow, order, units if goods else everything,
                              standalone=not goods)
    if not goods:
        order.cancel("not picked up")
        # as a cancel before anything left: services paid for on their own go too (read
        # again: cancel_services may have just settled the service fulfillment)
        revoked, _ = revoke_paid_services(uow, order, uow.fulfillments.for_order(order.id))
        if dropped or revoked:
            order.events[-1].data.update(services_cancelled=sorted({*dropped, *revoked}))
    else:
        # the rest of the order goes on; these units are no longer wanted (nothing must source
        # them again: the backorder sweep would put them back on the store's shelf each time)
        order.cancel_remainder({**units, **dropped}, reason="not picked up",
                               services_cancelled=sorted(dropped) or None)
    return True


def _run_once(make: UowFactory, fulfillment_id: str, now: datetime, action: Action) -> int:
    with make() as uow:
        fulfillment = uow.fulfillments.get(fulfillment_id)
        order = uow.orders.get(fulfillment.order_id) if fulfillment else None
        if fulfillment is None or order is None or \
                order.status in (OrderStatus.CANCELLED, OrderStatus.ON_HOLD):
            return 0
        if not action(uow, order, fulfillment, now):
            return 0
        settle_status(uow, order)
        save_order(uow, order)
        uow.commit()
        return 1


def _run(make: UowFactory, fulfillment_id: str, now: datetime, action: Action) -> int:
    """Run one timer action in its own transaction; 1 if it acted.

    A race is retried. Any other refusal of the domain (a move the state table forbids, an
    order in a state nobody foresaw) concerns this order only: its transaction rolls back,
    the refusal is logged, and the pass goes on, so one order cannot stop pickups expiring or
    delays being raised for every other order. The next pass tries it again.
    """
    for _ in range(3):
        try:
            return _run_once(make, fulfillment_id, now, action)
        except ConcurrentUpdate:
            continue
        except DomainError as error:
            log.warning("timer %s skipped fulfillment %s: %s",
                        getattr(action, "__name__", action), fulfillment_id, error.detail)
            return 0
    return 0


def check(factory: UowFactory, now: datetime | None = None) -> CheckOutcome:
    """Evaluate every timer as of ``now`` (default: the clock)."""
    now = now or datetime.now(UTC)
    today = now.date()
    with factory() as uow:
        due = [f.id for f in uow.fulfillments.with_status([S.ALLOCATED.value])
               if f.release_at is not None and f.release_at <= now]
        late = [f.id for f in uow.fulfillments.with_status(NOT_SHIPPED) if _missed(f, today)]
        expired = [f.id for f in uow.fulfillments.with_status([S.READY_FOR_PICKUP.value])
                   if (_date(f, "pickup_by") or today) < today]
    outcome = CheckOutcome(checked=len(due) + len(late) + len(expired))
    outcome.released = sum(_run(factory, f, now, _release) for f in due)
    outcome.delays_raised = sum(_run(factory, f, now, _raise_delay) for f in late)
    outcome.pickups_expired = sum(_run(factory, f, now, _expire_pickup) for f in expired)
    return outcome
