"""The event store and outbox: every event is written in the transaction of the change it describes.

Per-order sequence numbers come from a counter on the order row, incremented by an UPDATE, so
concurrent writers to one order queue on its row lock instead of racing for the same number.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, RowMapping, insert, select, update

from models import Event, NotFound, new_id
from storage.clock import utcnow
from storage.tables import events, orders


def _to_event(row: RowMapping) -> Event:
    return Event(id=row["id"], seq=row["seq"], at=row["at"], type=row["type"],
                 order_id=row["order_id"], message=row["message"], data=row["data"],
                 fulfillment_id=row["fulfillment_id"], location_id=row["location_id"])


class SqlEventStore:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def append(self, order_id: str, new_events: Sequence[Event]) -> list[Event]:
        """Number and store events of one order; fills in their id, seq and time."""
        if not new_events:
            return []
        bumped = self._c.execute(
            update(orders).where(orders.c.id == order_id)
            .values(event_seq=orders.c.event_seq + len(new_events))
        )
        if not bumped.rowcount:
            raise NotFound(f"order {order_id!r} does not exist")
        last = self._c.execute(
            select(orders.c.event_seq).where(orders.c.id == order_id)).scalar_one()
        first = last - len(new_events) + 1
        now = utcnow()
        for offset, event in enumerate(new_events):
            event.id = event.id or new_id("evt")
            event.seq = first + offset
            event.at = event.at or now
        self._c.execute(insert(events), [
            {"id": e.id, "order_id": order_id, "seq": e.seq, "type": e.type, "at": e.at,
             "message": e.message, "fulfillment_id": e.fulfillment_id,
             "location_id": e.location_id, "data": e.data} for e in new_events
        ])
        return list(new_events)

    def for_order(self, order_id: str, *, after_seq: int = 0, limit: int | None = None
                  ) -> list[Event]:
        query = (select(events).where(events.c.order_id == order_id, events.c.seq > after_seq)
                 .order_by(events.c.seq))
        if limit is not None:
            query = query.limit(limit)
        return [_to_event(r) for r in self._c.execute(query).mappings()]
