"""What locations, suppliers and carriers report about a fulfillment, and what follows.

Each report moves the fulfillment by its state table (``models.fulfillment_flow``), and in the
same transaction: shipping consumes the reservations; a rejection or a short pick gives the
units back and sends the missing quantity to sourcing again (never to the same location, but
for a pickup order's own store after a short pick; a pickup store's rejection is told as
``order.pickup_unavailable``, :mod:`lifecycle.pickup`); delivery registers the services that
cover what arrived; the order's status is derived again; rules react to the new events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from lifecycle import pipelines
from lifecycle.escalations import close_settled
from lifecycle.pickup import is_own_pickup_store, tell_pickup_unavailable
from lifecycle.rules import save_order
from lifecycle.services import register_covering
from lifecycle.sourcing import MAX_STOCK_RETRIES, commit
from lifecycle.uow import UnitOfWork, UowFactory
from models import (
    Conflict,
    InsufficientStock,
    InvalidInput,
    NotFound,
    Order,
    OrderStatus,
    ReservationStatus,
    TransitionNotAllowed,
)
from models.clock import CLOCK_SKEW, as_utc
from models.events import PARTNER_NAMES
from models.fulfillment_flow import DEPARTED, EVENT_TARGETS, FINAL, target_of
from models.fulfillments import (
    Fulfillment,
    FulfillmentLine,
    FulfillmentStatus,
    FulfillmentType,
)
from models.locations import LocationType
from models.order_progress import derive_status, uncovered_units


@dataclass(frozen=True)
class Report:
    type: str
    at: datetime | None = None
    tracking_number: str | None = None
    carrier: str | None = None
    reason: str | None = None
    eta: datetime | None = None
    lines: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Reporter:
    """Who reports: partners (supplier, location) may touch only their own fulfillments."""

    role: str
    subject: str | None = None

    def may_touch(self, fulfillment: Fulfillment) -> bool:
        """Staff touch any; a partner its own, once released to it (held back by
        release_delay_minutes, or taken back before release, it does not exist for them)."""
        if self.role in ("supplier", "location"):
            return fulfillment.location_id is not None \
                and fulfillment.location_id == self.subject and fulfillment.released_at is not None
        return True


# Reports that move goods (or hand them over at the counter): a hold stops them. Parcels
# already with the carrier are not stopped: their later reports are always taken.
GOODS_MOVES = frozenset(EVENT_TARGETS) - {"accepted"}

MESSAGES = {
    "accepted": "Accepted by {where}",
    "picked": "Picked at {where}",
    "packed": "Packed at {where}",
    "shipped": "Shipped from {where}",
    "out_for_delivery": "Out for delivery",
    "delivered": "Delivered",
    "ready_for_pickup": "Ready for pickup at {where}",
    "picked_up": "Picked up at {where}",
}


def _short_pick(uow: UnitOfWork, fulfillment: Fulfillment,
                report: Report) -> list[dict[str, object]]:
    """Give back the missing units, count them off the shelf (those a count has not already
    taken off), shrink the fulfillment."""
    held = {line.line_id: line for line in fulfillment.lines}
    missing = dict(report.lines) if report.lines else {k: v.qty for k, v in held.items()}
    for line_id, qty in missing.items():
        if line_id not in held:
            raise InvalidInput(f"line {line_id!r} is not part of fulfillment {fulfillment.id}",
                               loc=("body", "lines"))
        if not 0 < qty <= held[line_id].qty:
            raise InvalidInput(f"line {line_id}: missing qty must be 1..{held[line_id].qty}",
                               loc=("body", "lines"))
    gone = []
    for line_id, qty in missing.items():
        line = held[line_id]
        before = uow.ledger.position(str(fulfillment.location_id), line.sku)
        # units a count already took off the shelf while they stayed reserved (the work was
        # flagged at risk): this pick is where they went missing, so they are not counted
        # off a second time
        counted_off = max(0, before.reserved - before.on_hand) if before else 0
        left = qty
        for reservation in uow.ledger.reservations(fulfillment_id=fulfillment.id,
                                                   status=ReservationStatus.ACTIVE):
            if reservation.line_id != line_id or left == 0:
                continue
            left -= uow.ledger.release(reservation.id, min(left, reservation.qty))
        # releasing moves reserved only: the shelf is still what was read above
        shrink = min(max(0, qty - counted_off), before.on_hand if before else 0)
        if shrink:
            uow.ledger.adjust(str(fulfillment.location_id), line.sku, -shrink,
                              f"short pick on {fulfillment.id}")
        gone.append({"line_id": line_id, "sku": line.sku, "qty": qty})
    still = [FulfillmentLine(x.line_id, x.sku, x.qty - missing.get(x.line_id, 0))
             for x in fulfillment.lines if x.qty > missing.get(x.line_id, 0)]
    if still:
        fulfillment.lines = still
    else:  # nothing of it goes: cancelled, its lines kept to say what it held
        fulfillment.status = FulfillmentStatus.CANCELLED
    return gone


def _recount_if_short(uow: UnitOfWork, fulfillment: Fulfillment) -> None:
    """Goods that left prove they were there: when a count put fewer units on the shelf than
    this fulfillment holds (it was flagged ``fulfillment.at_risk``), the shelf is corrected
    up by the difference, as an adjustment that says why, before the units are consumed. A
    location's shipment is never refused for a count that was wrong."""
    held: dict[str, int] = {}
    for reservation in uow.ledger.reservations(fulfillment_id=fulfillment.id,
                                               status=ReservationStatus.ACTIVE):
        held[reservation.sku] = held.get(reservation.sku, 0) + reservation.qty
    location_id = str(fulfillment.location_id)
    for sku, units in sorted(held.items()):
        position = uow.ledger.position(location_id, sku)
        on_hand = position.on_hand if position else 0
        if on_hand < units:
            uow.ledger.adjust(location_id, sku, units - on_hand,
                              f"{fulfillment.id} left with {units} unit(s) of {sku} where the "
                              f"shelf was counted at {on_hand}: count corrected")


# fulfillment attribute: when its latest step happened, as its reporter said
LAST_STEP_AT = "last_step_at"


def reported_time(report: Report, now: datetime, order: Order,
                  fulfillment: Fulfillment) -> datetime | None:
    """The time the reporter gives (UTC), refused when it cannot be true.

    A carrier scan may reach dom late, so a past time is kept as the event's time; but not one
    in the future (a wrong clock or a typo, which would start a warranty or a pickup window too
    late), before the order was placed, or before the fulfillment's previous step (a parcel is
    not delivered before it shipped): those would put the timeline out of order and start a
    warranty that has already run out.
    """
    if report.at is None:
        return None
    at = as_utc(report.at)
    if at > now + CLOCK_SKEW:
        raise InvalidInput(f"at {at.isoformat()} is in the future (now is "
                           f"{now.astimezone(UTC).isoformat(timespec='seconds')}); report when "
                           "it happened, or leave at out for now", loc=("body", "at"))
    placed = min(as_utc(order.placed_at or order.created_at), as_utc(order.created_at))
    if at < placed - CLOCK_SKEW:
        raise InvalidInput(f"at {at.isoformat()} is before order {order.id} was placed "
                           f"({placed.isoformat(timespec='seconds')})", loc=("body", "at"))
    last = fulfillment.attributes.get(LAST_STEP_AT)
    if isinstance(last, str) and at < datetime.fromisoformat(last) - CLOCK_SKEW:
        raise InvalidInput(f"at {at.isoformat()} is before this fulfillment's previous step "
                           f"({last}); steps are reported in the order they happened",
                           loc=("body", "at"))
    return at


def check_not_held(order: Order, fulfillment: Fulfillment, report: Report) -> None:
    """A held order's goods stay where they are until the hold is released.

    The hold (a failed payment, a review, a rule) exists to stop the goods; reports about a
    parcel already with the carrier are still taken, since the carrier does not stop.
    """
    if order.status is not OrderStatus.ON_HOLD or report.type not in GOODS_MOVES \
            or fulfillment.status in DEPARTED:
        return
    reason = (order.hold_reason or "hold").replace("_", " ")
    raise TransitionNotAllowed(f"order {order.id} is on hold ({reason}); its goods must stay "
                               f"put, so a {report.type.replace('_', ' ')} report is refused "
                               "until the order is released")


def _repeated_delay(fulfillment: Fulfillment, report: Report, at: datetime | None) -> bool:
    """The same delay reported again (a client retry): it is recorded once."""
    delays = fulfillment.attributes.get("delays") or []
    if not isinstance(delays, list) or not delays:
        return False
    last = delays[-1]
    eta = report.eta.isoformat() if report.eta else None
    same = last.get("reason") == report.reason and last.get("eta") == eta
    return same and (at is None or last.get("at") == at.isoformat())


def _apply(uow: UnitOfWork, order: Order, fulfillment: Fulfillment, report: Report,
           now: datetime) -> None:
    target = target_of(fulfillment.type, fulfillment.status, report.type)
    check_not_held(order, fulfillment, report)
    reported = reported_time(report, now, order, fulfillment)
    location = uow.locations.get(fulfillment.location_id) if fulfillment.location_id else None
    where = location.name if location else "the service desk"
    at = reported or now
    common: dict[str, Any] = {"fulfillment_id": fulfillment.id,
                              "location_id": fulfillment.location_id, "at": reported}
    if location is not None and location.type is LocationType.SUPPLIER:
        common[PARTNER_NAMES] = [location.name]
    if report.type == "delayed":
        if _repeated_delay(fulfillment, report, reported):
            return
        # a day's slack: an estimate for "today" sent without a zone late in a UTC- evening
        # is the same local day; a date in 2001 is not an estimate
        if report.eta is not None and as_utc(report.eta) < at - timedelta(hours=36):
            raise InvalidInput(f"eta {as_utc(report.eta).isoformat()} is before the delay "
                               f"itself ({at.isoformat(timespec='seconds')}); send the new "
                               "estimate, or leave eta out while it is not known",
                               loc=("body", "eta"))
        eta = report.eta.isoformat() if report.eta else None
        delays = list(fulfillment.attributes.get("delays") or [])  # type: ignore[call-overload]
        delays.append({"reason": report.reason, "eta": eta, "at": at.isoformat()})
        fulfillment.attributes = {**fulfillment.attributes, "delays": delays, "eta": eta}
        text = f"Delayed at {where}" + (f": {report.reason}" if report.reason else "") + \
            (f"; new estimate {report.eta.date().isoformat()}" if report.eta else "")
        order.record("fulfillment.delayed", text, reason=report.reason or "unspecified",
                     eta=eta or "to be confirmed", **common)
        return
    own_store = is_own_pickup_store(order, fulfillment.location_id)
    if report.type == "rejected" or (report.type == "short_picked" and not own_store):
        # It said no (or its stock count is in doubt): do not ask it again for this order. A
        # pickup order's own store stays asked after a short pick: nowhere else may hand it
        # over, and its shelf was counted down, so the missing units wait for its next stock.
        excluded = list(order.attributes.get("excluded_locations") or [])
        excluded.append(str(fulfillment.location_id))
        order.attributes = {**order.attributes, "excluded_locations": sorted(set(excluded))}
    if report.type == "rejected":
        released = uow.ledger.release_fulfillment(fulfillment.id)
        fulfillment.status = FulfillmentStatus.REJECTED
        fulfillment.attributes = {**fulfillment.attributes, "rejected_reason": report.reason}
        order.record("fulfillment.rejected", f"Rejected by {where}" +
                     (f": {report.reason}" if report.reason else ""),
                     reason=report.reason, units_released=released, **common)
        if own_store and location is not None:
            waiting = uncovered_units(order, _as_now(uow, order, fulfillment))
            tell_pickup_unavailable(order, location, waiting,
                                    why=f"it refused the order: {report.reason}"
                                    if report.reason else "it refused the order")
        close_settled(uow, order, (fulfillment.id,),
                      ("fulfillment_delayed", "fulfillment_at_risk"), "closed by itself: rejected",
                      now)
        return
    if report.type == "short_picked":
        gone = _short_pick(uow, fulfillment, report)
        units = sum(int(str(g["qty"])) for g in gone)
        whole = fulfillment.status is FulfillmentStatus.CANCELLED
        order.record("fulfillment.short_picked",
                     f"Short pick at {where}: {units} unit(s) missing, sourcing them again"
                     + ("; nothing of this fulfillment goes" if whole else ""),
                     lines=gone, reason=report.reason, fulfillment_cancelled=whole or None,
                     **common)
        # nothing of a wholly short-picked fulfillment goes: its delay is over with it
        settled = ("fulfillment_delayed", "fulfillment_at_risk") if whole \
            else ("fulfillment_at_risk",)
        close_settled(uow, order, (fulfillment.id,), settled,
                      "closed by itself: the shortfall was reported (short pick)", now)
        return
    assert target is not None
    departed_before = fulfillment.status in DEPARTED
    fulfillment.status = target
    if reported is not None:  # only a time the reporter gave: dom's own clock may be late
        fulfillment.attributes = {**fulfillment.attributes, LAST_STEP_AT: reported.isoformat()}
    if report.tracking_number:
        fulfillment.attributes = {**fulfillment.attributes,
                                  "tracking_number": report.tracking_number,
                                  "carrier": report.carrier}
    leaving = target in DEPARTED and not departed_before
    if leaving:
        _recount_if_short(uow, fulfillment)
    consumed = uow.ledger.consume_fulfillment(fulfillment.id) if leaving else 0
    message = MESSAGES[report.type].format(where=where)
    if report.tracking_number and report.type == "shipped":
        message += f" (tracking {report.tracking_number})"
    order.record(f"fulfillment.{report.type}", message, tracking_number=report.tracking_number,
                 carrier=report.carrier, units_consumed=consumed or None, **common)
    if target is FulfillmentStatus.READY_FOR_PICKUP:
        pickup_by = (at + timedelta(days=pipelines.current().pickup_hold_days)).date()
        fulfillment.attributes = {**fulfillment.attributes, "pickup_by": pickup_by.isoformat()}
    if target in (FulfillmentStatus.DELIVERED, FulfillmentStatus.PICKED_UP):
        register_covering(uow, order, fulfillment, now, delivered_at=at)
        close_settled(uow, order, (fulfillment.id,),
                      ("fulfillment_delayed", "fulfillment_at_risk"),
                      f"closed by itself: {report.type.replace('_', ' ')}", now)
        if target is FulfillmentStatus.PICKED_UP and not _pickups_left(uow, order, fulfillment):
            # the store handed it all over after all: nothing waits for a pickup any more
            close_settled(uow, order, None, ("pickup_unavailable",),
                          "closed by itself: picked up", now)
    elif leaving:
        close_settled(uow, order, (fulfillment.id,), ("fulfillment_at_risk",),
                      f"closed by itself: the goods left ({report.type.replace('_', ' ')})",
                      now)


def _as_now(uow: UnitOfWork, order: Order, changed: Fulfillment) -> list[Fulfillment]:
    """The order's fulfillments with ``changed`` as this report left it (not saved yet)."""
    return [changed if f.id == changed.id else f for f in uow.fulfillments.for_order(order.id)]


def _pickups_left(uow: UnitOfWork, order: Order, done: Fulfillment) -> bool:
    """Whether any of the order's units still wait for a pickup besides ``done``'s, just
    handed over: in another fulfillment not yet collected, or not allocated at all."""
    fulfillments = _as_now(uow, order, done)
    waiting = any(f.id != done.id and f.type is not FulfillmentType.SERVICE
                  and f.status not in FINAL for f in fulfillments)
    return waiting or bool(uncovered_units(order, fulfillments))


def report_event(uow_factory: UowFactory, fulfillment_id: str, report: Report,
                 reporter: Reporter, now: datetime | None = None) -> Fulfillment:
    """Apply one report in one transaction; re-sourcing retries if stock moved meanwhile."""
    for _ in range(MAX_STOCK_RETRIES):
        try:
            return _report_once(uow_factory, fulfillment_id, report, reporter,
                                now or datetime.now(UTC))
        except InsufficientStock:
            continue
    raise Conflict("stock kept changing while re-sourcing; retry the report")


def _report_once(uow_factory: UowFactory, fulfillment_id: str, report: Report,
                 reporter: Reporter, now: datetime) -> Fulfillment:
    with uow_factory() as uow:
        fulfillment = uow.fulfillments.get(fulfillment_id)
        if fulfillment is None or not reporter.may_touch(fulfillment):
            raise NotFound(f"fulfillment {fulfillment_id!r} does not exist")
        order = uow.orders.get(fulfillment.order_id)
        assert order is not None
        if order.status is OrderStatus.CANCELLED:
            raise Conflict(f"order {order.id} is cancelled; nothing more to report")
        _apply(uow, order, fulfillment, report, now)
        uow.fulfillments.save(fulfillment)
        if report.type in ("rejected", "short_picked") and order.status is not \
                OrderStatus.ON_HOLD:
            commit(uow, order, uow.policy.get().for_accepted_order(), now=now)
        settle_status(uow, order)
        save_order(uow, order)
        uow.commit()
        return fulfillment


def settle_status(uow: UnitOfWork, order: Order) -> None:
    """Derive the order's status from its fulfillments and record the change, if any."""
    order.apply_derived_status(derive_status(order, uow.fulfillments.for_order(order.id)))
