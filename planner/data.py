"""Scenario data from plain rows: order bodies, inventory rows, location bodies, or files.

Rows come inline (JSON, YAML) or from CSV/Parquet files read with pandas. Orders in a file are
one row per line: ``order_id, sku, qty`` plus ``lat, lon`` (or ``postal_code``) and optionally
``line_id, priority, method, pickup_location_id``; rows with the same ``order_id`` form one order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from lifecycle.coordinates import resolve_coordinates
from models import InvalidInput
from models.strict_input import calendar_date_only
from optimizer import LineSpec, LocationSpec, OrderSpec
from planner.definition import InventoryRow, LocationRow

_DEFAULT_CAPABILITIES = {"warehouse": ["ship"], "store": ["ship", "pickup"],
                         "supplier": ["dropship"]}


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Line(_Loose):
    line_id: str | None = None
    sku: str = Field(min_length=1, max_length=64)
    qty: int = Field(ge=1, le=1_000_000)
    covers_line_id: str | None = None


class _ShipTo(_Loose):
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    postal_code: str | None = None
    country: str = "US"


class _Delivery(_Loose):
    method: Literal["ship", "pickup"] = "ship"
    location_id: str | None = None
    deliver_by: date | None = None  # as in POST /v1/orders: a hard deadline, today or later

    @field_validator("deliver_by", mode="before")
    @classmethod
    def _calendar_date(cls, value: object) -> object:
        """An ISO date or a date; a file's midnight timestamp (a parquet date column) is its
        day. Anything else (a number, a time of day whose date depends on a zone) is refused,
        as live intake refuses it."""
        if isinstance(value, datetime):
            if value.tzinfo is None and value.time() == time(0):
                return value.date()
            raise ValueError("deliver_by must be a date (YYYY-MM-DD), not a time of day")
        return calendar_date_only(value.strip() if isinstance(value, str) else value,
                                  "deliver_by")


class _Order(_Loose):
    """An order body (``POST /v1/orders``); customer, payment and prices are not needed here."""

    order_id: str | None = None
    channel_order_id: str | None = None
    ship_to: _ShipTo | None = None
    delivery: _Delivery = _Delivery()
    priority: int = Field(default=0, ge=-100, le=100)
    lines: list[_Line] = Field(min_length=1)

    @model_validator(mode="after")
    def _has_destination(self) -> _Order:
        if self.delivery.method == "ship" and self.ship_to is None:
            raise ValueError("a shipped order needs ship_to (lat/lon or postal_code)")
        if self.delivery.method == "pickup" and not self.delivery.location_id:
            raise ValueError("a pickup order needs delivery.location_id")
        ids = [line.line_id or str(k + 1) for k, line in enumerate(self.lines)]
        for line in self.lines:  # a covering line is a service: it is not sourced, so a
            # dangling one would drop a line from the scenario silently (live intake: 422)
            if line.covers_line_id is not None and line.covers_line_id not in ids:
                raise ValueError(f"covers_line_id {line.covers_line_id!r} names no line of "
                                 f"this order (lines {', '.join(ids)})")
        return self


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return _clean(value.item())  # numpy scalars from pandas
    return value


def read_table(path: Path, what: str) -> list[dict[str, Any]]:
    """Rows of a CSV or Parquet file as plain dicts (empty cells become None)."""
    import pandas as pd

    if not path.is_file():
        raise InvalidInput(f"{what} file {str(path)!r} does not exist", loc=("files", what))
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, dtype={name: str for name in _IDENTIFIERS})
    except Exception as error:  # pandas raises many kinds; all mean "not a readable table"
        raise InvalidInput(f"{what} file {str(path)!r} cannot be read as "
                           f"{'Parquet' if path.suffix.lower() == '.parquet' else 'CSV'}: "
                           f"{error}", loc=("files", what)) from error
    return [{str(k): _identifier(v) if k in _IDENTIFIERS else _clean(v) for k, v in row.items()}
            for row in frame.to_dict(orient="records")]


# columns that name things: text whatever the file's column type (a CSV reads them as text; a
# Parquet file may store SKU 1001 or line 1 as numbers, which are the same names)
_IDENTIFIERS = ("order_id", "line_id", "sku", "location_id", "id", "postal_code")


def _identifier(value: Any) -> Any:
    value = _clean(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an integer column with a gap reads as floats
    return value if value is None or isinstance(value, str) else str(value)


def _invalid(error: ValidationError, where: tuple[str | int, ...]) -> InvalidInput:
    first = error.errors()[0]
    loc = (*where, *(str(p) for p in first.get("loc", ())))
    return InvalidInput(f"{'.'.join(str(p) for p in loc)}: {first.get('msg')}", loc=loc)


def flat_order_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per line (a file) to order bodies; rows that already are bodies pass through."""
    if not rows or "lines" in rows[0]:
        return [dict(r) for r in rows]
    grouped: dict[str, dict[str, Any]] = {}
    for n, row in enumerate(rows):
        order_id = row.get("order_id")
        if order_id is None:
            raise InvalidInput(f"orders row {n + 1}: order_id is empty", loc=("orders", n))
        order = grouped.setdefault(str(order_id), {
            "order_id": str(order_id),
            # validated with the order (a word or a fraction is an error, not a crash)
            "priority": 0 if row.get("priority") is None else row.get("priority"),
            "ship_to": {"lat": row.get("lat"), "lon": row.get("lon"),
                        "postal_code": row.get("postal_code"),
                        "country": row.get("country") or "US"},
            "delivery": {"method": row.get("method") or "ship",
                         "location_id": row.get("pickup_location_id"),
                         "deliver_by": row.get("deliver_by")},
            "lines": []})
        order["lines"].append({"line_id": row.get("line_id"), "sku": row.get("sku"),
                               "qty": row.get("qty")})
    return list(grouped.values())


def location_specs(rows: Iterable[Mapping[str, Any]]) -> tuple[list[LocationSpec],
                                                                dict[str, str]]:
    """Location bodies (with ``id``) to specs, and each location's name."""
    specs: list[LocationSpec] = []
    names: dict[str, str] = {}
    for n, raw in enumerate(rows):
        try:
            row = raw if isinstance(raw, LocationRow) else LocationRow.model_validate(dict(raw))
        except ValidationError as error:
            raise _invalid(error, ("locations", n)) from error
        if row.id in names:
            raise InvalidInput(f"location {row.id!r} is listed twice", loc=("locations", n, "id"))
        lat, lon = resolve_coordinates(row.lat, row.lon, row.postal_code,
                                       loc=("locations", n))
        capabilities = _DEFAULT_CAPABILITIES[row.type] if row.capabilities is None \
            else row.capabilities
        try:
            specs.append(LocationSpec(
                id=row.id, type=row.type, lat=lat, lon=lon, capabilities=frozenset(capabilities),
                **row.parameters()))
        except ValueError as error:
            raise InvalidInput(str(error), loc=("locations", n)) from error
        names[row.id] = row.name or row.id
    return specs, names


def inventory_stock(rows: Iterable[Mapping[str, Any] | InventoryRow]) -> dict[tuple[str, str],
                                                                            int]:
    """Inventory rows to stock a scenario may use: on_hand - safety_stock, per location and SKU."""
    stock: dict[tuple[str, str], int] = {}
    for n, raw in enumerate(rows):
        try:
            row = raw if isinstance(raw, InventoryRow) else InventoryRow.model_validate(dict(raw))
        except ValidationError as error:
            raise _invalid(error, ("inventory", n)) from error
        key = (row.location_id, row.sku)
        stock[key] = stock.get(key, 0) + max(0, row.on_hand - row.safety_stock)
    return stock


def order_specs(bodies: Sequence[Mapping[str, Any]], locations: Mapping[str, LocationSpec],
                service_skus: frozenset[str] = frozenset(),
                today: date | None = None) -> list[OrderSpec]:
    """Order bodies to specs; service lines (they cover another line) never reach sourcing.

    A ``deliver_by`` counts in whole days from ``today`` (UTC, default now), as live sourcing
    counts an order's deadline; one before ``today`` is refused, as live intake refuses it.
    """
    today = today or datetime.now(UTC).date()
    specs: list[OrderSpec] = []
    seen: set[str] = set()
    for n, body in enumerate(flat_order_rows(bodies)):
        try:
            order = _Order.model_validate(body)
        except ValidationError as error:
            raise _invalid(error, ("orders", n)) from error
        order_id = order.order_id or order.channel_order_id or f"O-{n + 1}"
        if order_id in seen:
            raise InvalidInput(f"orders.{n}: order id {order_id!r} is used twice",
                               loc=("orders", n))
        seen.add(order_id)
        specs.append(_order_spec(order, order_id, n, locations, service_skus, today))
    return [s for s in specs if s.lines]


def _order_spec(order: _Order, order_id: str, n: int, locations: Mapping[str, LocationSpec],
                service_skus: frozenset[str], today: date) -> OrderSpec:
    where = f"orders.{n}"
    deadline = order.delivery.deliver_by
    if deadline is not None and deadline < today:
        raise InvalidInput(f"{where}: deliver_by {deadline.isoformat()} is before today "
                           f"({today.isoformat()}, UTC)",
                           loc=("orders", n, "delivery", "deliver_by"))
    if order.delivery.method == "pickup":
        store = locations.get(order.delivery.location_id or "")
        if store is None:
            raise InvalidInput(f"{where}: pickup location {order.delivery.location_id!r} is not "
                               "in the scenario's locations", loc=("orders", n, "delivery"))
        if store.type == "supplier" or "pickup" not in store.capabilities:
            raise InvalidInput(f"{where}: {store.id} cannot hand over pickups (capabilities: "
                               f"{', '.join(sorted(store.capabilities)) or 'none'})",
                               loc=("orders", n, "delivery"))
        lat, lon = store.lat, store.lon
    else:
        assert order.ship_to is not None
        lat, lon = resolve_coordinates(order.ship_to.lat, order.ship_to.lon,
                                       order.ship_to.postal_code, order.ship_to.country,
                                       loc=("orders", n, "ship_to"))
    lines = [LineSpec(line_id=line.line_id or str(k + 1), sku=line.sku, qty=line.qty)
             for k, line in enumerate(order.lines)
             if line.covers_line_id is None and line.sku not in service_skus]
    try:
        return OrderSpec(order_id=order_id, lat=lat, lon=lon, lines=tuple(lines),
                         method=order.delivery.method,
                         pickup_location_id=order.delivery.location_id
                         if order.delivery.method == "pickup" else None,
                         priority=order.priority,
                         deadline_days=None if deadline is None else (deadline - today).days)
    except ValueError as error:
        raise InvalidInput(f"{where}: {error}", loc=("orders", n)) from error
