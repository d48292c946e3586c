"""When the shelf or the network changes under allocations: give back, source again, escalate.

A cycle count, a supplier's feed or a damage adjustment can leave a location with fewer units
than are reserved there; closing a location (``active: false``), changing its type or taking
away the capability a fulfillment needs leaves allocations nobody will ship. Counts are the
truth, so they are never refused for it; instead, in the same transaction:

- allocations not yet released to the location give their units back (for a shortage, the
  lowest-priority order and the newest allocation first, until the shelf covers the rest; for
  a closed location, all of them), and their orders are sourced again together (one joint
  solve, after every unit is back), so the promises and the shelf agree when the change
  commits. An order that cannot be filled elsewhere is backordered
  (and its customer told, by the packaged rules), even under ``backorder: reject``: that policy
  refuses new orders, it does not take back one already accepted;
- work already released cannot be taken back quietly (the location may have picked it): each
  order holding it records ``fulfillment.at_risk`` (once per shortfall: the same count again
  adds nothing) and the packaged rules open an escalation, so a person checks the shelf before
  the pick comes up short;
- a pickup order whose own store closes (or stops pickups) is not sourced again, since no other
  location may hand it over: ``order.pickup_unavailable`` tells the customer and operations.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lifecycle.batch import WAITING, source_together, sourceable
from lifecycle.escalations import close_settled
from lifecycle.fulfillment_events import settle_status
from lifecycle.network import earliest_release
from lifecycle.pickup import is_own_pickup_store, tell_pickup_unavailable
from lifecycle.rules import save_order
from lifecycle.sourcing import take_back
from lifecycle.uow import UnitOfWork
from models import Location, Order
from models.fulfillments import Fulfillment, FulfillmentStatus, FulfillmentType
from models.inventory import ReservationStatus
from models.order_progress import uncovered_units
from models.order_status import OrderStatus

# Released and still at the location: what a count or a closure puts at risk.
AT_LOCATION = frozenset({FulfillmentStatus.RELEASED, FulfillmentStatus.ACCEPTED,
                         FulfillmentStatus.PICKED, FulfillmentStatus.PACKED,
                         FulfillmentStatus.READY_FOR_PICKUP})
_PAGE = 500
# fulfillment attribute: what it was last flagged at risk for, per topic (a shelf
# "location/sku", or "location" for a change of the location itself)
AT_RISK_KEY = "at_risk_key"


@dataclass
class Reconciled:
    """What one change did to the allocations it touched (each id once)."""

    withdrawn: list[str] = field(default_factory=list)  # fulfillment ids given back
    resourced: list[str] = field(default_factory=list)  # order ids sourced again
    at_risk: list[str] = field(default_factory=list)  # released fulfillment ids escalated

    def merge(self, other: Reconciled) -> None:
        for mine, theirs in ((self.withdrawn, other.withdrawn),
                             (self.resourced, other.resourced), (self.at_risk, other.at_risk)):
            mine.extend(x for x in theirs if x not in mine)


def shortage(uow: UnitOfWork, positions: Mapping[str, Iterable[str]], cause: str,
             now: datetime | None = None) -> Reconciled:
    """Bring the reservations back within on-hand at each location for the SKUs given.

    ``positions``: location id -> SKUs whose count changed. ``cause`` says what changed the
    count, for the timeline ("stock count", "adjustment (damaged)"). All the allocations to
    give back are chosen first, so an order that loses several is sourced again once.
    """
    now = now or datetime.now(UTC)
    chosen: dict[str, tuple[Fulfillment, str]] = {}  # fulfillment id -> (it, why)
    # (id, shelf) -> (it, note, shelf, shortfall): work short on two SKUs is at risk twice
    risky: dict[tuple[str, str], tuple[Fulfillment, str, str, str]] = {}
    covered: list[tuple[str, str]] = []  # shelves the count covers (again)
    for location_id, skus in sorted(positions.items()):
        location = uow.locations.get(location_id)
        where = location.name if location else location_id
        for sku in sorted(set(skus)):
            position = uow.ledger.position(location_id, sku)
            if position is None:
                continue
            if position.reserved <= position.on_hand:
                if position.reserved:  # only held units can have been flagged short
                    covered.append((location_id, sku))
                continue
            held = _holders(uow, location_id, sku)
            over = position.reserved - position.on_hand - sum(
                h.units for h in held if h.fulfillment.id in chosen)
            reason = (f"{cause} at {where} left {position.on_hand} unit(s) of {sku} for "
                      f"{position.reserved} reserved")
            # The lowest-priority order gives first; among equals, the newest promise.
            for holder in sorted(
                    (h for h in held if h.fulfillment.status is FulfillmentStatus.ALLOCATED
                     and h.fulfillment.id not in chosen),
                    key=lambda h: (h.order.priority, -h.fulfillment.created_at.timestamp(),
                                   h.fulfillment.id)):
                if over <= 0:
                    break
                chosen[holder.fulfillment.id] = (holder.fulfillment, reason)
                over -= holder.units
            if over > 0:  # said without the reserved total, which the withdrawals change:
                # the same count again is then the same shortfall, flagged once
                # whichever write reported it (a count, a feed, an adjustment), the same
                # shelf short by the same units is one shortfall
                shelf = _shelf(location_id, sku)
                shortfall = f"{shelf}: {position.on_hand} on hand, {over} short"
                note = (f"{cause} at {where} left {position.on_hand} unit(s) of {sku}; released "
                        f"work there holds {over} unit(s) more than the shelf: check before "
                        "picking")
                for holder in held:
                    if holder.fulfillment.status in AT_LOCATION:
                        risky.setdefault((holder.fulfillment.id, shelf),
                                         (holder.fulfillment, note, shelf, shortfall))
    outcome = _withdraw(uow, list(chosen.values()), "stock_count", now)
    outcome.merge(_flag(uow, list(risky.values()), "stock_count"))
    _clear_covered(uow, covered, now)
    return outcome


def _shelf(location_id: str, sku: str) -> str:
    """The at-risk topic of one position (see ``AT_RISK_KEY``)."""
    return f"{location_id}/{sku}"


def _clear_covered(uow: UnitOfWork, shelves: list[tuple[str, str]], now: datetime) -> None:
    """Released work flagged at risk on a shelf a later count covers again (the units were
    found): that shelf's flag goes, and with the last of its flags the escalation closes.
    Only the fulfillments holding the shelf are read; an order only when one closes."""
    for location_id, sku in shelves:
        shelf = _shelf(location_id, sku)
        for fulfillment_id in _held_units(uow, location_id, sku):
            fulfillment = uow.fulfillments.get(fulfillment_id)  # read again: saved one by one
            flagged = fulfillment.attributes.get(AT_RISK_KEY) if fulfillment else None
            if fulfillment is None or not isinstance(flagged, dict) or shelf not in flagged:
                continue
            left = {topic: same for topic, same in flagged.items() if topic != shelf}
            fulfillment.attributes = {**fulfillment.attributes, AT_RISK_KEY: left} if left \
                else {k: v for k, v in fulfillment.attributes.items()
                      if k not in (AT_RISK_KEY, "at_risk")}
            uow.fulfillments.save(fulfillment)
            order = None if left else uow.orders.get(fulfillment.order_id)
            if order is not None:
                close_settled(uow, order, (fulfillment.id,), ("fulfillment_at_risk",),
                              f"closed by itself: a count at {location_id} covers {sku} again",
                              now)
                save_order(uow, order)


def location_changed(uow: UnitOfWork, before: Location | None, after: Location,
                     now: datetime | None = None) -> Reconciled:
    """Give back what ``after`` can no longer fulfill; flag released work there.

    A pickup order of a store that stops handing over is told once, whatever it has there:
    goods set aside, an allocation withdrawn, units still waiting, or all of these.
    """
    now = now or datetime.now(UTC)
    if before is None:
        return Reconciled()
    open_work = _open_at(uow, after.id)
    lost = [f for f in open_work if before.serves(f.type.value) and not after.serves(f.type.value)]
    released_pickups = [f for f in lost if f.status in AT_LOCATION
                        and f.type is FulfillmentType.PICKUP]
    told_with_goods = {f.order_id for f in released_pickups}
    if before.serves("pickup") and not after.serves("pickup"):
        _tell_waiting_pickups(uow, after, skip=told_with_goods)
    if not lost:
        return Reconciled()
    reason = (f"{after.name} is closed" if not after.active else
              f"{after.name} no longer handles {', '.join(sorted({f.type.value for f in lost}))}"
              " fulfillments")
    outcome = _withdraw(uow, [(f, reason) for f in lost
                              if f.status is FulfillmentStatus.ALLOCATED],
                        "location_changed", now, closed=after, told_later=told_with_goods)
    outcome.merge(_flag(uow, [(f, f"{reason}, and this work was already released to it",
                               "location", reason)
                              for f in lost if f.status in AT_LOCATION], "location_changed"))
    _tell_released_pickups(uow, after, released_pickups)
    return outcome


def _tell_released_pickups(uow: UnitOfWork, store: Location,
                           fulfillments: list[Fulfillment]) -> None:
    """Goods set aside for pickup (or being picked) at a store that no longer hands over: the
    customer is told and operations agree another store or shipping with them. The notice
    counts the order's units still waiting too (they were not told apart)."""
    units: dict[str, int] = defaultdict(int)
    for fulfillment in fulfillments:
        units[fulfillment.order_id] += fulfillment.units
    for order_id, count in sorted(units.items()):
        order = uow.orders.get(order_id)
        assert order is not None
        waiting = uncovered_units(order, uow.fulfillments.for_order(order_id))
        tell_pickup_unavailable(order, store, waiting, set_aside=count)
        save_order(uow, order)


def _tell_waiting_pickups(uow: UnitOfWork, store: Location, skip: set[str]) -> None:
    """Pickup orders waiting for stock at a store that no longer hands over: nothing can fill
    them there, so they are told (``order.pickup_unavailable``) instead of waiting forever;
    held ones too (a hold does not stop the store closing). Those with work at the store are
    told when it is withdrawn (:func:`_withdraw`) or flagged (``skip``)."""
    for order in uow.orders.with_statuses([*WAITING, OrderStatus.ON_HOLD.value]):
        if not is_own_pickup_store(order, store.id) or order.id in skip:
            continue
        fulfillments = uow.fulfillments.for_order(order.id)
        if any(f.location_id == store.id and f.status is FulfillmentStatus.ALLOCATED
               for f in fulfillments):
            continue  # withdrawn below, and told there
        waiting = uncovered_units(order, fulfillments)
        if waiting:
            tell_pickup_unavailable(order, store, waiting)
            save_order(uow, order)


def _open_at(uow: UnitOfWork, location_id: str) -> list[Fulfillment]:
    statuses = [s.value for s in (FulfillmentStatus.ALLOCATED, *AT_LOCATION)]
    found: list[Fulfillment] = []
    after: str | None = None
    while True:
        page = uow.fulfillments.for_location(location_id, statuses=statuses, after=after,
                                             limit=_PAGE)
        found += page
        if len(page) < _PAGE:
            return found
        after = page[-1].id


@dataclass(frozen=True)
class _Holder:
    fulfillment: Fulfillment
    order: Order
    units: int  # of the SKU in question


def _held_units(uow: UnitOfWork, location_id: str, sku: str) -> dict[str, int]:
    """Units of ``sku`` each fulfillment holds there (its active reservations)."""
    units: dict[str, int] = defaultdict(int)
    for reservation in uow.ledger.reservations(location_id=location_id, sku=sku,
                                               status=ReservationStatus.ACTIVE):
        if reservation.fulfillment_id is not None:
            units[reservation.fulfillment_id] += reservation.qty
    return units


def _holders(uow: UnitOfWork, location_id: str, sku: str) -> list[_Holder]:
    """The fulfillments holding active reservations of ``sku`` there, with order and units."""
    held: list[_Holder] = []
    for fulfillment_id, qty in _held_units(uow, location_id, sku).items():
        fulfillment = uow.fulfillments.get(fulfillment_id)
        order = uow.orders.get(fulfillment.order_id) if fulfillment else None
        if fulfillment is not None and order is not None:
            held.append(_Holder(fulfillment, order, qty))
    return held


def _withdraw(uow: UnitOfWork, fulfillments: list[tuple[Fulfillment, str]], cause: str,
              now: datetime, closed: Location | None = None,
              told_later: Collection[str] = ()) -> Reconciled:
    """Cancel unreleased allocations, give their stock back, and source their orders again.

    A pickup order whose own store ``closed`` (or stopped handing over) is not sourced again:
    no other location may hand it over. It records ``order.pickup_unavailable`` (the packaged
    rules tell the customer and open an escalation to agree another store or shipping),
    instead of a backorder notice for stock that would never come; unless it is
    ``told_later``, with the goods it has set aside there.
    """
    outcome = Reconciled()
    by_order: dict[str, list[tuple[Fulfillment, str]]] = defaultdict(list)
    for fulfillment, reason in fulfillments:
        by_order[fulfillment.order_id].append((fulfillment, reason))
    orders: list[Order] = []
    due: dict[str, datetime | None] = {}  # per order: when what it loses was due for release
    for order_id, taken in sorted(by_order.items()):  # every unit back before any is taken
        order = uow.orders.get(order_id)
        assert order is not None
        for fulfillment, reason in taken:
            take_back(uow, order, fulfillment, cause, f"Allocation taken back: {reason}")
            outcome.withdrawn.append(fulfillment.id)
        due[order_id] = earliest_release(f for f, _ in taken)
        orders.append(order)
    again = []
    for order in orders:
        if closed is not None and is_own_pickup_store(order, closed.id):
            if order.id not in told_later:
                waiting = uncovered_units(order, uow.fulfillments.for_order(order.id))
                tell_pickup_unavailable(order, closed, waiting)
        elif sourceable(order):
            again.append(order)
            outcome.resourced.append(order.id)
    source_together(uow, again, now, due)  # what is left goes where the joint model says
    for order in orders:
        settle_status(uow, order)
        save_order(uow, order)
    return outcome


def _flag(uow: UnitOfWork, fulfillments: list[tuple[Fulfillment, str, str, str]],
          cause: str) -> Reconciled:
    """Record released work at risk once per shortfall: each item is (the work, why, its
    topic: the shelf or the location, and what makes two reports on that topic the same).
    The same count repeated (a nightly feed with the same number), or reported again by
    another write, says nothing new and flags nothing again; work short on two shelves is
    flagged for each, each once."""
    outcome = Reconciled()
    # one copy of each fulfillment, changed and saved once (two shelves of one write each
    # loaded it: saving both copies would look like a concurrent change)
    by_id: dict[str, tuple[Fulfillment, list[tuple[str, str, str]]]] = {}
    for fulfillment, reason, topic, same in fulfillments:
        by_id.setdefault(fulfillment.id, (fulfillment, []))[1].append((reason, topic, same))
    for fulfillment, reports in by_id.values():
        outcome.at_risk.append(fulfillment.id)
        flagged = fulfillment.attributes.get(AT_RISK_KEY)
        # (a single value: flagged before topics were kept apart; taken as no topic yet)
        known = dict(flagged) if isinstance(flagged, dict) else {}
        news = [(reason, topic, same) for reason, topic, same in reports
                if known.get(topic) != same]
        if not news:
            continue
        known.update({topic: same for _, topic, same in news})
        fulfillment.attributes = {**fulfillment.attributes, "at_risk": news[-1][0],
                                  AT_RISK_KEY: known}
        uow.fulfillments.save(fulfillment)
        order = uow.orders.get(fulfillment.order_id)
        assert order is not None
        for reason, _, _ in news:
            order.record("fulfillment.at_risk", f"At risk: {reason}",
                         fulfillment_id=fulfillment.id, location_id=fulfillment.location_id,
                         reason=cause)
        save_order(uow, order)
    return outcome
