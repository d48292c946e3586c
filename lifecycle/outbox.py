"""Reading the outbox (the ``events`` table) in global ``position`` order, behind a cursor.

Two readers share this: the webhook fan-out and the NATS relay. Each keeps its own cursor,
held by one process at a time under a lease, so both read every event once per pass.

Why gaps: PostgreSQL hands out a position when the row is inserted, not when its transaction
commits, so a reader can see position 12 while 11 is still invisible. Skipping 11 would lose
it, waiting for it would stall every reader behind one slow (or rolled back) transaction. So
the cursor keeps each missing position as a gap, reads it again on every pass and drops it
after ``gap_timeout`` (a rolled-back insert never appears).

A gap never reorders one order's events: an order's next event is written by a transaction
that has read the previous one committed, so it has a higher position and is never visible
while the previous one is not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from models.events import Event

MAX_GAPS = 1000


@dataclass(frozen=True)
class OutboxEvent:
    """An event as the outbox holds it: its global position and the event itself."""

    position: int
    event: Event


@dataclass
class FanoutCursor:
    """How far a reader has read the outbox: every position up to ``position`` is done
    except ``gaps``, positions not yet visible (a transaction still open) and when first seen."""

    position: int
    gaps: dict[int, datetime] = field(default_factory=dict)


class OutboxSource(Protocol):
    """Where the events come from (a repository bound to one transaction)."""

    def outbox_after(self, position: int, limit: int) -> list[OutboxEvent]: ...
    def outbox_at(self, positions: Sequence[int]) -> list[OutboxEvent]: ...


@dataclass(frozen=True)
class OutboxBatch:
    """The events one pass read, oldest first, and where the cursor goes once they are done.

    ``start`` is the position the fresh events were read after: events at or below it are
    gaps that have just appeared. ``seen`` remembers when each of those gaps was first seen,
    so a gap handed back (``cursor_after``) keeps its age and still times out.
    """

    start: int
    events: list[OutboxEvent]
    end: FanoutCursor
    seen: dict[int, datetime] = field(default_factory=dict)

    def cursor_after(self, handled: int) -> FanoutCursor:
        """The cursor once the first ``handled`` events are done and the rest are not.

        The rest are read again on the next pass: a filled gap left undone stays a gap, and
        the cursor stops just before the first fresh event left undone.
        """
        if handled >= len(self.events):
            return self.end
        undone = self.events[handled:]
        first_fresh = next((e.position for e in undone if e.position > self.start), None)
        position = first_fresh - 1 if first_fresh is not None else self.end.position
        gaps = {p: at for p, at in self.end.gaps.items() if p <= position}
        for item in undone:
            if item.position <= self.start:
                gaps[item.position] = self.seen[item.position]
        return FanoutCursor(position, gaps)


def read_outbox(source: OutboxSource, cursor: FanoutCursor, now: datetime, *, limit: int,
                gap_timeout: timedelta, floor: int | None = None) -> OutboxBatch:
    """The events after ``cursor`` and in its gaps, oldest first, and the cursor after them.

    ``floor``: positions at or below it are of no interest (the webhook fan-out passes the
    oldest subscription's start); by default every position is.
    """
    low = 0 if floor is None else floor
    gaps = {p: at for p, at in cursor.gaps.items() if p > low and now - at < gap_timeout}
    seen = dict(gaps)
    filled = source.outbox_at(sorted(gaps)) if gaps else []
    for found in filled:
        gaps.pop(found.position, None)
    start = max(cursor.position, low)
    fresh = source.outbox_after(start, limit)
    end = fresh[-1].position if fresh else start
    visible = {e.position for e in fresh}
    missing = [p for p in range(start + 1, end) if p not in visible][-MAX_GAPS:]
    gaps.update(dict.fromkeys(missing, now))
    events = sorted(filled + fresh, key=lambda e: e.position)
    return OutboxBatch(start=start, events=events, end=FanoutCursor(end, gaps), seen=seen)
