"""Locations: the network of warehouses, stores and drop-ship suppliers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select, update

from models import Capability, Location, LocationType
from storage.clock import utcnow
from storage.tables import locations

_FIELDS = ("name", "lat", "lon", "postal_code", "shipment_cost", "cost_per_km", "unit_cost",
           "unit_cost_per_km", "processing_days", "km_per_day", "capacity_units_per_day",
           "priority", "active")


def _to_location(row: RowMapping) -> Location:
    return Location(
        id=row["id"],
        type=LocationType(row["type"]),
        capabilities=frozenset(Capability(c) for c in row["capabilities"]),
        **{name: row[name] for name in _FIELDS},
    )


def _to_row(location: Location) -> dict[str, Any]:
    row: dict[str, Any] = {name: getattr(location, name) for name in _FIELDS}
    row["type"] = location.type.value
    row["capabilities"] = sorted(c.value for c in location.capabilities)
    return row


class SqlLocationRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def get(self, location_id: str) -> Location | None:
        row = self._c.execute(select(locations).where(locations.c.id == location_id)).mappings()
        found = row.first()
        return _to_location(found) if found else None

    def get_many(self, location_ids: list[str]) -> dict[str, Location]:
        rows = self._c.execute(select(locations).where(locations.c.id.in_(location_ids)))
        return {r["id"]: _to_location(r) for r in rows.mappings()}

    def page(self, *, after: str | None = None, limit: int = 50,
             type_: str | None = None) -> list[Location]:
        query = select(locations).order_by(locations.c.id).limit(limit)
        if after:
            query = query.where(locations.c.id > after)
        if type_:
            query = query.where(locations.c.type == type_)
        return [_to_location(r) for r in self._c.execute(query).mappings()]

    def all(self) -> list[Location]:
        return [_to_location(r) for r in
                self._c.execute(select(locations).order_by(locations.c.id)).mappings()]

    def upsert(self, location: Location) -> bool:
        """Create or replace; returns True when the location is new."""
        now = utcnow()
        values = _to_row(location)
        result = self._c.execute(
            update(locations).where(locations.c.id == location.id).values(**values, updated_at=now)
        )
        if result.rowcount:
            return False
        self._c.execute(insert(locations).values(id=location.id, **values, created_at=now,
                                                 updated_at=now))
        return True
