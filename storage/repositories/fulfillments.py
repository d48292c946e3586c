"""Fulfillments: what each location (or the service desk) has to do for an order."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select, update

from models import ConcurrentUpdate
from models.fulfillments import Fulfillment, FulfillmentLine, FulfillmentStatus, FulfillmentType
from storage.clock import utcnow
from storage.tables import fulfillments as F


def _to_fulfillment(row: RowMapping) -> Fulfillment:
    return Fulfillment(
        id=row["id"], order_id=row["order_id"], type=FulfillmentType(row["type"]),
        location_id=row["location_id"], status=FulfillmentStatus(row["status"]),
        lines=[FulfillmentLine(**line) for line in row["lines"]], created_at=row["created_at"],
        promised_date=date.fromisoformat(row["promised_date"]) if row["promised_date"] else None,
        delivery_days=row["delivery_days"], cost=row["cost"], release_at=row["release_at"],
        released_at=row["released_at"], updated_at=row["updated_at"],
        attributes=row["attributes"] or {}, version=row["version"])


def _values(f: Fulfillment) -> dict[str, Any]:
    return {"status": f.status.value,
            "lines": [{"line_id": x.line_id, "sku": x.sku, "qty": x.qty} for x in f.lines],
            "promised_date": f.promised_date.isoformat() if f.promised_date else None,
            "delivery_days": f.delivery_days, "cost": f.cost, "release_at": f.release_at,
            "released_at": f.released_at, "attributes": f.attributes}


class SqlFulfillmentRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, fulfillment: Fulfillment) -> None:
        now = utcnow()
        fulfillment.updated_at = now
        self._c.execute(insert(F).values(
            id=fulfillment.id, order_id=fulfillment.order_id, type=fulfillment.type.value,
            location_id=fulfillment.location_id, created_at=fulfillment.created_at,
            updated_at=now, version=fulfillment.version, **_values(fulfillment)))

    def save(self, fulfillment: Fulfillment) -> None:
        now = utcnow()
        result = self._c.execute(
            update(F).where(F.c.id == fulfillment.id, F.c.version == fulfillment.version)
            .values(updated_at=now, version=fulfillment.version + 1, **_values(fulfillment)))
        if not result.rowcount:
            raise ConcurrentUpdate(f"fulfillment {fulfillment.id} was changed concurrently")
        fulfillment.version += 1
        fulfillment.updated_at = now

    def get(self, fulfillment_id: str) -> Fulfillment | None:
        row = self._c.execute(select(F).where(F.c.id == fulfillment_id)).mappings().first()
        return _to_fulfillment(row) if row else None

    def for_order(self, order_id: str) -> list[Fulfillment]:
        rows = self._c.execute(select(F).where(F.c.order_id == order_id)
                               .order_by(F.c.created_at, F.c.id)).mappings()
        return [_to_fulfillment(r) for r in rows]

    def for_orders(self, order_ids: list[str]) -> dict[str, list[Fulfillment]]:
        found: dict[str, list[Fulfillment]] = {i: [] for i in order_ids}
        if order_ids:
            rows = self._c.execute(select(F).where(F.c.order_id.in_(order_ids))
                                   .order_by(F.c.created_at, F.c.id)).mappings()
            for row in rows:
                found[row["order_id"]].append(_to_fulfillment(row))
        return found

    def for_location(self, location_id: str, *, statuses: list[str] | None = None,
                     after: str | None = None, limit: int = 50,
                     released_only: bool = False) -> list[Fulfillment]:
        """``released_only``: what was ever released to the location (what it may see)."""
        query = select(F).where(F.c.location_id == location_id).order_by(F.c.id).limit(limit)
        if released_only:
            query = query.where(F.c.released_at.is_not(None))
        if statuses:
            query = query.where(F.c.status.in_(statuses))
        if after:
            query = query.where(F.c.id > after)
        return [_to_fulfillment(r) for r in self._c.execute(query).mappings()]

    def with_status(self, statuses: list[str]) -> list[Fulfillment]:
        rows = self._c.execute(select(F).where(F.c.status.in_(statuses))
                               .order_by(F.c.id)).mappings()
        return [_to_fulfillment(r) for r in rows]
