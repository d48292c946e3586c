"""The stock ledger: positions, adjustments and reservations, decided in the database.

Every reservation is a conditional ``UPDATE ... WHERE on_hand - reserved - safety_stock >= q``
whose row count says whether the units were there. That holds on SQLite (which ignores
``SELECT ... FOR UPDATE``) and on PostgreSQL under READ COMMITTED (the UPDATE re-checks its
condition on the newest row version after waiting for a concurrent writer). Rows are touched in
(location_id, sku) order so two plans never deadlock on each other. A plan is all-or-nothing:
the first short position raises ``InsufficientStock`` after undoing what the same call already
took, so a caller may also carry on in the same transaction (the last sourcing attempt drops
that shipment and backorders its units instead of failing).

A location's ``capacity_units_per_day`` counts every unit reserved there, across SKUs, so no
single position row can guard it: the plan first locks the location rows it touches
(``SELECT ... FOR UPDATE``, in id order, before any position row) and then counts what is
reserved there. On PostgreSQL a second plan for the same location waits on that lock and, under
READ COMMITTED, counts again after the first one committed; on SQLite write transactions are
already serialized by ``BEGIN IMMEDIATE``. A full location raises ``CapacityExceeded``, an
``InsufficientStock``, so sourcing re-solves on what is left exactly as for a stock conflict.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Connection, RowMapping, and_, func, insert, select, update

from models import (
    Adjustment,
    ConcurrentUpdate,
    Conflict,
    InsufficientStock,
    InvalidInput,
    NotFound,
    Position,
    Reservation,
    ReservationRequest,
    ReservationStatus,
    new_id,
)
from models.locations import serves
from storage.clock import utcnow
from storage.tables import inventory_adjustments, inventory_positions, locations, reservations

P = inventory_positions
R = reservations
L = locations


class CapacityExceeded(InsufficientStock):
    """A plan would push a location past ``capacity_units_per_day`` (a capacity conflict).

    An ``InsufficientStock`` on purpose: every caller that re-solves after a stock conflict
    treats a full location the same way.
    """

    title = "Location capacity exceeded"

    def __init__(self, location_id: str, sku: str, requested: int, room: int) -> None:
        super().__init__(location_id, sku, requested, room)
        self.detail = (f"location {location_id!r} has room for {room} more unit(s) today, "
                       f"{requested} requested")
        self.args = (self.detail,)


def _to_position(row: RowMapping) -> Position:
    return Position(location_id=row["location_id"], sku=row["sku"], on_hand=row["on_hand"],
                    reserved=row["reserved"], safety_stock=row["safety_stock"])


def _to_reservation(row: RowMapping) -> Reservation:
    return Reservation(id=row["id"], order_id=row["order_id"], line_id=row["line_id"],
                       location_id=row["location_id"], sku=row["sku"], qty=row["qty"],
                       status=ReservationStatus(row["status"]), created_at=row["created_at"],
                       fulfillment_id=row["fulfillment_id"], closed_at=row["closed_at"])


class SqlStockLedger:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    # -- positions ----------------------------------------------------------------------
    def position(self, location_id: str, sku: str) -> Position | None:
        row = self._c.execute(
            select(P).where(P.c.location_id == location_id, P.c.sku == sku)
        ).mappings().first()
        return _to_position(row) if row else None

    def positions(self, *, sku: str | None = None, location_id: str | None = None,
                  skus: Iterable[str] | None = None) -> list[Position]:
        query = select(P).order_by(P.c.location_id, P.c.sku)
        if sku is not None:
            query = query.where(P.c.sku == sku)
        if location_id is not None:
            query = query.where(P.c.location_id == location_id)
        if skus is not None:
            query = query.where(P.c.sku.in_(sorted(set(skus))))
        return [_to_position(r) for r in self._c.execute(query).mappings()]

    def set_position(self, location_id: str, sku: str, on_hand: int,
                     safety_stock: int | None = None) -> Position:
        """Set on-hand (a count or a supplier feed) and optionally safety stock; keeps reserved."""
        if on_hand < 0:
            raise InvalidInput(f"on_hand must be 0 or more, got {on_hand}")
        if safety_stock is not None and safety_stock < 0:
            raise InvalidInput(f"safety_stock must be 0 or more, got {safety_stock}")
        values: dict[str, object] = {"on_hand": on_hand, "updated_at": utcnow()}
        if safety_stock is not None:
            values["safety_stock"] = safety_stock
        updated = self._c.execute(
            update(P).where(P.c.location_id == location_id, P.c.sku == sku).values(**values)
        )
        if not updated.rowcount:
            self._c.execute(insert(P).values(location_id=location_id, sku=sku, reserved=0,
                                             safety_stock=safety_stock or 0, on_hand=on_hand,
                                             updated_at=values["updated_at"]))
        position = self.position(location_id, sku)
        assert position is not None
        return position

    def adjust(self, location_id: str, sku: str, delta: int, reason: str,
               ceiling: int | None = None) -> Adjustment:
        """Change on-hand by ``delta`` with a reason, journaled; refuses to go below zero or
        (given ``ceiling``) above it, in the update itself: two concurrent receipts cannot
        both pass a check made before either wrote."""
        if delta == 0:
            raise InvalidInput("an adjustment needs a non-zero delta")
        if not reason.strip():
            raise InvalidInput("an adjustment needs a reason (cycle count, damage, receipt...)")
        now = utcnow()
        fits = [P.c.location_id == location_id, P.c.sku == sku, P.c.on_hand + delta >= 0]
        if ceiling is not None:
            fits.append(P.c.on_hand + delta <= ceiling)
        result = self._c.execute(
            update(P).where(*fits).values(on_hand=P.c.on_hand + delta, updated_at=now))
        if not result.rowcount:
            current = self.position(location_id, sku)
            after = (current.on_hand if current else 0) + delta
            if ceiling is not None and after > ceiling:
                raise InvalidInput(
                    f"cannot adjust {sku!r} at {location_id!r} by {delta}: on hand would be "
                    f"{after}, above the limit of {ceiling}")
            if current is None and delta > 0:
                self._c.execute(insert(P).values(location_id=location_id, sku=sku, on_hand=delta,
                                                 reserved=0, safety_stock=0, updated_at=now))
            else:
                on_hand = current.on_hand if current else 0
                raise InvalidInput(
                    f"cannot adjust {sku!r} at {location_id!r} by {delta}: only {on_hand} on hand"
                )
        position = self.position(location_id, sku)
        assert position is not None
        adjustment = Adjustment(id=new_id("adj"), location_id=location_id, sku=sku, delta=delta,
                                reason=reason.strip(), on_hand_after=position.on_hand, at=now)
        self._c.execute(insert(inventory_adjustments).values(
            id=adjustment.id, location_id=location_id, sku=sku, delta=delta,
            reason=adjustment.reason, on_hand_after=adjustment.on_hand_after, at=now))
        return adjustment

    # -- reservations -------------------------------------------------------------------
    def reserve(self, requests: Sequence[ReservationRequest]) -> list[Reservation]:
        """Reserve a whole plan or nothing: raises ``InsufficientStock`` at the first short row.

        Capacity first (location locks), then stock (position rows), always in key order, so
        two plans take their locks in the same order and never deadlock on each other.
        """
        if not requests:
            return []
        needed: dict[tuple[str, str], int] = defaultdict(int)
        kinds: dict[str, set[str]] = defaultdict(set)
        for request in requests:
            needed[(request.location_id, request.sku)] += request.qty
            if request.kind is not None:
                kinds[request.location_id].add(request.kind)
        self._check_capacity(needed, kinds)
        now = utcnow()
        self._take_stock(needed, now)
        made = [
            Reservation(id=new_id("res"), order_id=r.order_id, line_id=r.line_id,
                        location_id=r.location_id, sku=r.sku, qty=r.qty,
                        status=ReservationStatus.ACTIVE, created_at=now,
                        fulfillment_id=r.fulfillment_id)
            for r in requests
        ]
        self._c.execute(insert(R), [
            {"id": m.id, "order_id": m.order_id, "line_id": m.line_id,
             "location_id": m.location_id, "sku": m.sku, "qty": m.qty, "status": m.status.value,
             "fulfillment_id": m.fulfillment_id, "created_at": now} for m in made
        ])
        return made

    def _check_capacity(self, needed: dict[tuple[str, str], int],
                        kinds: dict[str, set[str]]) -> None:
        """Lock each location of the plan and refuse units beyond its capacity for the day, or
        at a location that no longer serves the plan (closed, or its type or capabilities
        changed since the plan was solved: the caller solves again on what is current)."""
        per_location: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for (location_id, sku), qty in sorted(needed.items()):
            per_location[location_id].append((sku, qty))
        for location_id, wanted in sorted(per_location.items()):
            capacity, serving = self._locked_location(location_id, kinds.get(location_id, set()))
            if not serving:
                raise InsufficientStock(location_id, wanted[0][0],
                                        sum(qty for _, qty in wanted), 0)
            if capacity is None:
                continue
            reserved = self._c.execute(
                select(func.coalesce(func.sum(P.c.reserved), 0))
                .where(P.c.location_id == location_id)
            ).scalar_one()
            room = max(0, int(capacity) - int(reserved))
            total = sum(qty for _, qty in wanted)
            if total > room:
                raise CapacityExceeded(location_id, wanted[0][0], total, room)

    def _locked_location(self, location_id: str, kinds: set[str]) -> tuple[int | None, bool]:
        """The location's capacity, and whether it still carries every one of ``kinds``, its
        row locked so neither can change under us (a close or an edit waits for this
        transaction, or this one reads what the close committed).

        A location without a limit (the common case) is only share-locked: plans reserving
        there at the same time do not queue behind one another, while a change to the location
        waits for them. One with a limit is locked for update, so two plans count its reserved
        units one after the other. The lock is chosen from an unlocked read *before* it is
        taken: two plans that both held the share lock and then both asked to upgrade it
        would wait for each other (a deadlock on every concurrent pair on PostgreSQL). Only a
        limit set between that read and the lock still upgrades, and a deadlock there is
        retried like any other (``storage.retry``).
        """
        query = select(L.c.capacity_units_per_day, L.c.type, L.c.capabilities,
                       L.c.active).where(L.c.id == location_id)
        limited = self._c.execute(
            select(L.c.capacity_units_per_day).where(L.c.id == location_id)
        ).scalar() is not None
        row = self._c.execute(query.with_for_update(read=not limited)).first()
        if row is None:
            return None, not kinds
        if row.capacity_units_per_day is not None and not limited:
            row = self._c.execute(query.with_for_update()).first()  # a limit set just now
            assert row is not None
        capacity = None if row.capacity_units_per_day is None else int(row.capacity_units_per_day)
        serving = all(serves(kind, str(row.type), list(row.capabilities), bool(row.active))
                      for kind in kinds)
        return capacity, serving

    def _take_stock(self, needed: dict[tuple[str, str], int], now: datetime) -> None:
        """Conditional updates in key order; a short row undoes the rows this call took."""
        taken: list[tuple[str, str, int]] = []
        for (location_id, sku), qty in sorted(needed.items()):
            done = self._c.execute(
                update(P)
                .where(P.c.location_id == location_id, P.c.sku == sku,
                       P.c.on_hand - P.c.reserved - P.c.safety_stock >= qty)
                .values(reserved=P.c.reserved + qty, updated_at=now)
            )
            if done.rowcount != 1:
                self._untake(taken, now)
                current = self.position(location_id, sku)
                raise InsufficientStock(location_id, sku, qty,
                                        current.available if current else 0)
            taken.append((location_id, sku, qty))

    def _untake(self, taken: list[tuple[str, str, int]], now: datetime) -> None:
        """Give back what a refused plan took; exact, since this transaction holds those rows."""
        for location_id, sku, qty in taken:
            self._c.execute(
                update(P).where(P.c.location_id == location_id, P.c.sku == sku)
                .values(reserved=P.c.reserved - qty, updated_at=now))

    def reservation(self, reservation_id: str) -> Reservation:
        row = self._c.execute(select(R).where(R.c.id == reservation_id)).mappings().first()
        if row is None:
            raise NotFound(f"reservation {reservation_id!r} does not exist")
        return _to_reservation(row)

    def reservations(self, *, order_id: str | None = None, status: ReservationStatus | None = None,
                     fulfillment_id: str | None = None, location_id: str | None = None,
                     sku: str | None = None) -> list[Reservation]:
        query = select(R).order_by(R.c.location_id, R.c.sku, R.c.id)
        if location_id is not None:
            query = query.where(R.c.location_id == location_id)
        if sku is not None:
            query = query.where(R.c.sku == sku)
        if order_id is not None:
            query = query.where(R.c.order_id == order_id)
        if fulfillment_id is not None:
            query = query.where(R.c.fulfillment_id == fulfillment_id)
        if status is not None:
            query = query.where(R.c.status == status.value)
        return [_to_reservation(r) for r in self._c.execute(query).mappings()]

    def release(self, reservation_id: str, qty: int | None = None) -> int:
        """Give units back to available; returns how many were released (0 if already closed)."""
        return self._close(reservation_id, qty, ReservationStatus.RELEASED)

    def consume(self, reservation_id: str, qty: int | None = None) -> int:
        """Units leave the building: on-hand and reserved both drop; returns units consumed."""
        return self._close(reservation_id, qty, ReservationStatus.CONSUMED)

    def release_order(self, order_id: str) -> int:
        """Release every active reservation of an order (cancel); returns units released."""
        active = self.reservations(order_id=order_id, status=ReservationStatus.ACTIVE)
        return sum(self.release(r.id) for r in active)

    def release_fulfillment(self, fulfillment_id: str) -> int:
        """Give back everything a fulfillment still holds (rejected, expired, moved)."""
        active = self.reservations(fulfillment_id=fulfillment_id, status=ReservationStatus.ACTIVE)
        return sum(self.release(r.id) for r in active)

    def consume_fulfillment(self, fulfillment_id: str) -> int:
        """Everything a fulfillment holds leaves the building (shipped, picked up)."""
        active = self.reservations(fulfillment_id=fulfillment_id, status=ReservationStatus.ACTIVE)
        return sum(self.consume(r.id) for r in active)

    def _close(self, reservation_id: str, qty: int | None, to: ReservationStatus) -> int:
        held = self.reservation(reservation_id)
        if held.status is not ReservationStatus.ACTIVE:
            return 0
        amount = held.qty if qty is None else qty
        if amount <= 0 or amount > held.qty:
            verb = "release" if to is ReservationStatus.RELEASED else "consume"
            raise InvalidInput(f"cannot {verb} {amount} unit(s) of reservation {reservation_id}, "
                               f"which holds {held.qty}")
        now = utcnow()
        if amount == held.qty:
            closed = self._c.execute(
                update(R).where(R.c.id == reservation_id, R.c.status == "active")
                .values(status=to.value, closed_at=now))
        else:
            closed = self._c.execute(
                update(R).where(R.c.id == reservation_id, R.c.status == "active",
                                R.c.qty == held.qty)
                .values(qty=held.qty - amount))
            if closed.rowcount:
                self._c.execute(insert(R).values(
                    id=new_id("res"), order_id=held.order_id, line_id=held.line_id,
                    location_id=held.location_id, sku=held.sku, qty=amount, status=to.value,
                    fulfillment_id=held.fulfillment_id, created_at=held.created_at,
                    closed_at=now))
        if not closed.rowcount:  # another transaction closed or split it since we read it
            raise ConcurrentUpdate(f"reservation {reservation_id} changed concurrently; retry")
        values: dict[str, object] = {"reserved": P.c.reserved - amount, "updated_at": now}
        condition = [P.c.location_id == held.location_id, P.c.sku == held.sku,
                     P.c.reserved >= amount]
        if to is ReservationStatus.CONSUMED:
            values["on_hand"] = P.c.on_hand - amount
            condition.append(P.c.on_hand >= amount)
        moved = self._c.execute(update(P).where(and_(*condition)).values(**values))
        if not moved.rowcount:
            if to is ReservationStatus.CONSUMED:
                # callers correct the shelf up first (goods that left were there), so a count
                # committed since then lowered it: run the whole transaction again
                raise ConcurrentUpdate(f"{held.sku!r} at {held.location_id!r} was counted "
                                       "while its units left; retry")
            raise Conflict(f"cannot close {amount} unit(s) of {held.sku!r} at "
                           f"{held.location_id!r}: "
                           "on hand is below what is reserved; count the stock and adjust")
        return amount

    def reserved_units_by_location(self) -> dict[str, int]:
        """Units held by active reservations per location: what already uses its capacity.

        Read from the positions' ``reserved`` counters, which the ledger keeps equal to the
        active reservations (its invariant), so the cost follows the number of positions, not
        of reservations, which grows with every order ever sourced.
        """
        rows = self._c.execute(select(P.c.location_id, func.sum(P.c.reserved))
                               .where(P.c.reserved > 0).group_by(P.c.location_id)).all()
        return {location_id: int(total) for location_id, total in rows}

    # -- audit --------------------------------------------------------------------------
    def invariant_violations(self) -> list[str]:
        """What breaks the ledger's invariants (empty when it balances). Used by tests and ops."""
        active = (
            select(R.c.location_id, R.c.sku, func.sum(R.c.qty).label("held"))
            .where(R.c.status == "active").group_by(R.c.location_id, R.c.sku).subquery()
        )
        rows = self._c.execute(
            select(P.c.location_id, P.c.sku, P.c.on_hand, P.c.reserved, P.c.safety_stock,
                   func.coalesce(active.c.held, 0).label("held"))
            .select_from(P.outerjoin(active, and_(active.c.location_id == P.c.location_id,
                                                  active.c.sku == P.c.sku)))
        ).mappings()
        problems = []
        for row in rows:
            where = f"{row['location_id']}/{row['sku']}"
            if row["reserved"] != row["held"]:
                problems.append(f"{where}: reserved {row['reserved']} != active {row['held']}")
            for name in ("on_hand", "reserved", "safety_stock"):
                if row[name] < 0:
                    problems.append(f"{where}: {name} is negative ({row[name]})")
        orphans = self._c.execute(
            select(R.c.location_id, R.c.sku).where(R.c.status == "active")
            .except_(select(P.c.location_id, P.c.sku))
        ).all()
        problems.extend(f"{o[0]}/{o[1]}: active reservation without a position" for o in orphans)
        return problems
