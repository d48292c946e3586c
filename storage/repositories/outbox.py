"""The outbox read by position, and the cursors its readers keep (webhook fan-out, NATS relay).

A cursor is one row: position, gaps and a lease. It is taken with a conditional UPDATE that
sets the lease only where it is free, expired or already ours, and saved only by the lease's
owner, so the row count says who won. That holds on SQLite (one writer at a time) and on
PostgreSQL (a concurrent UPDATE of the same row waits for the first to commit, then re-checks
the condition and matches nothing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import Connection, RowMapping, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from lifecycle.outbox import FanoutCursor, OutboxEvent
from models import Event
from storage.tables import events, outbox_cursors


def event_of(row: RowMapping) -> Event:
    return Event(id=row["id"], seq=row["seq"], at=row["at"], type=row["type"],
                 order_id=row["order_id"], message=row["message"], data=row["data"],
                 fulfillment_id=row["fulfillment_id"], location_id=row["location_id"])


def _outbox(row: RowMapping) -> OutboxEvent:
    return OutboxEvent(position=row["position"], event=event_of(row))


def outbox_after(connection: Connection, position: int, limit: int) -> list[OutboxEvent]:
    query = (select(events).where(events.c.position > position)
             .order_by(events.c.position).limit(limit))
    return [_outbox(r) for r in connection.execute(query).mappings()]


def outbox_at(connection: Connection, positions: Sequence[int]) -> list[OutboxEvent]:
    query = (select(events).where(events.c.position.in_(list(positions)))
             .order_by(events.c.position))
    return [_outbox(r) for r in connection.execute(query).mappings()]


def last_position(connection: Connection) -> int:
    return int(connection.execute(select(func.coalesce(func.max(events.c.position), 0)))
               .scalar_one())


def cursor_of(position: int, gaps: Mapping[str, str]) -> FanoutCursor:
    """A cursor as its row stores it (gaps as {"position": "first seen, ISO 8601"})."""
    return FanoutCursor(position=position,
                        gaps={int(p): datetime.fromisoformat(seen) for p, seen in gaps.items()})


class CursorRow:
    """One reader's row in ``outbox_cursors``, found by name; created at position 0 by
    whoever claims it first."""

    def __init__(self, connection: Connection, name: str) -> None:
        self._c = connection
        self._t = outbox_cursors
        self._key = outbox_cursors.c.name
        self._value = name

    def claim(self, owner: str, now: datetime, until: datetime) -> FanoutCursor | None:
        """Take the cursor's lease if it is free, expired or already ours; None if it is not."""
        t = self._t
        taken = self._c.execute(
            update(t)
            .where(self._key == self._value,
                   or_(t.c.lease_owner.is_(None), t.c.lease_expires_at < now,
                       t.c.lease_owner == owner))
            .values(lease_owner=owner, lease_expires_at=until))
        if not taken.rowcount:
            return self._create(owner, until)
        row = self._c.execute(select(t.c.position, t.c.gaps).where(self._key == self._value)).one()
        return cursor_of(row.position, row.gaps)

    def _create(self, owner: str, until: datetime) -> FanoutCursor | None:
        present = self._c.execute(select(self._key).where(self._key == self._value)).first()
        if present:
            return None
        try:
            with self._c.begin_nested():
                self._c.execute(insert(self._t).values(
                    {self._key.name: self._value, "position": 0, "gaps": {},
                     "lease_owner": owner, "lease_expires_at": until}))
        except IntegrityError:
            return None  # another reader created it first and holds it
        return FanoutCursor(position=0)

    def hold(self) -> None:
        """Lock the row until this transaction ends (no row yet: nothing has been read)."""
        self._c.execute(select(self._key).where(self._key == self._value).with_for_update())

    def save(self, owner: str, cursor: FanoutCursor) -> bool:
        """Move the cursor and free its lease, only if ``owner`` still holds it."""
        gaps = {str(p): seen.isoformat() for p, seen in cursor.gaps.items()}
        saved = self._c.execute(
            update(self._t).where(self._key == self._value, self._t.c.lease_owner == owner)
            .values(position=cursor.position, gaps=gaps, lease_owner=None,
                    lease_expires_at=None))
        return bool(saved.rowcount)


class SqlOutboxRepository:
    """The outbox for named readers (the NATS relay); the webhook fan-out's cursor is the row
    named ``webhooks``, used through the webhook repository."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def _cursor(self, name: str) -> CursorRow:
        return CursorRow(self._c, name)

    def last_position(self) -> int:
        return last_position(self._c)

    def claim_cursor(self, name: str, owner: str, now: datetime,
                     until: datetime) -> FanoutCursor | None:
        return self._cursor(name).claim(owner, now, until)

    def save_cursor(self, name: str, owner: str, cursor: FanoutCursor) -> bool:
        return self._cursor(name).save(owner, cursor)

    def peek_cursor(self, name: str) -> FanoutCursor | None:
        """The cursor as stored, without taking it (for status and tests)."""
        row = self._c.execute(select(outbox_cursors.c.position, outbox_cursors.c.gaps)
                              .where(outbox_cursors.c.name == name)).first()
        return None if row is None else cursor_of(row.position, row.gaps)

    def outbox_after(self, position: int, limit: int) -> list[OutboxEvent]:
        return outbox_after(self._c, position, limit)

    def outbox_at(self, positions: Sequence[int]) -> list[OutboxEvent]:
        return outbox_at(self._c, positions)
