"""Handlers for stock: counts and supplier feeds, adjustments, CSV imports, availability.

Reservations are not here: sourcing and the lifecycle reserve through ``uow.ledger`` inside
their own transactions, so a plan and its reservations commit or fail together.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from lifecycle.uow import UnitOfWork
from models import Adjustment, InvalidInput, NotFound, Position
from models.commands import PositionInput

MAX_IMPORT_ROWS = 100_000


def _check_position_target(uow: UnitOfWork, location_id: str, sku: str) -> None:
    if uow.locations.get(location_id) is None:
        raise NotFound(f"location {location_id!r} does not exist")
    product = uow.products.get(sku)
    if product is None:
        raise InvalidInput(f"unknown SKU {sku!r}: create it with PUT /v1/products/{sku} first",
                           loc=("path", "sku"))
    if product.is_service:
        raise InvalidInput(f"{sku} is a service and holds no stock", loc=("path", "sku"))


def set_position(uow: UnitOfWork, entry: PositionInput) -> Position:
    with uow:
        _check_position_target(uow, entry.location_id, entry.sku)
        position = uow.ledger.set_position(entry.location_id, entry.sku, entry.on_hand,
                                           entry.safety_stock)
        uow.commit()
    return position


def adjust(uow: UnitOfWork, location_id: str, sku: str, delta: int, reason: str) -> Adjustment:
    with uow:
        _check_position_target(uow, location_id, sku)
        adjustment = uow.ledger.adjust(location_id, sku, delta, reason)
        uow.commit()
    return adjustment


@dataclass(frozen=True)
class ImportResult:
    rows: int
    positions_created: int
    positions_updated: int


def parse_positions_csv(text: str) -> list[PositionInput]:
    """Parse ``location_id,sku,on_hand[,safety_stock]``; every bad row is reported at once."""
    try:
        return _parse_positions(text)
    except csv.Error as error:
        raise InvalidInput(f"the CSV cannot be read: {error}", loc=("body",)) from error


def _parse_positions(text: str) -> list[PositionInput]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = {"location_id", "sku", "on_hand"} - set(header)
    if missing:
        raise InvalidInput(f"CSV header must have location_id,sku,on_hand[,safety_stock]; "
                           f"missing {', '.join(sorted(missing))}", loc=("body",))
    entries: list[PositionInput] = []
    problems: list[str] = []
    for number, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        if not any(row.values()):
            continue
        if len(entries) >= MAX_IMPORT_ROWS:
            raise InvalidInput(f"a CSV import takes at most {MAX_IMPORT_ROWS} rows; split it")
        try:
            on_hand = int(row["on_hand"])
            safety = int(row["safety_stock"]) if row.get("safety_stock") else None
        except ValueError:
            problems.append(f"line {number}: on_hand and safety_stock must be whole numbers")
            continue
        if not row["location_id"] or not row["sku"]:
            problems.append(f"line {number}: location_id and sku are required")
        elif on_hand < 0 or (safety is not None and safety < 0):
            problems.append(f"line {number}: quantities must be 0 or more")
        else:
            entries.append(PositionInput(row["location_id"], row["sku"], on_hand, safety))
    if problems:
        raise InvalidInput("CSV import refused, nothing written: " + "; ".join(problems[:20])
                           + ("; ..." if len(problems) > 20 else ""), loc=("body",))
    if not entries:
        raise InvalidInput("the CSV has no rows", loc=("body",))
    return entries


def import_positions(uow: UnitOfWork, entries: Sequence[PositionInput]) -> ImportResult:
    """Write every row in one transaction, or none if any row names something unknown."""
    with uow:
        known_locations = uow.locations.get_many(sorted({e.location_id for e in entries}))
        products = uow.products.get_many(e.sku for e in entries)
        problems = []
        for index, entry in enumerate(entries):
            if entry.location_id not in known_locations:
                problems.append(f"row {index + 1}: unknown location {entry.location_id!r}")
            elif entry.sku not in products:
                problems.append(f"row {index + 1}: unknown SKU {entry.sku!r}")
            elif products[entry.sku].is_service:
                problems.append(f"row {index + 1}: {entry.sku} is a service and holds no stock")
        if problems:
            raise InvalidInput("import refused, nothing written: " + "; ".join(problems[:20]))
        created = updated = 0
        for entry in sorted(entries, key=lambda e: (e.location_id, e.sku)):
            existed = uow.ledger.position(entry.location_id, entry.sku) is not None
            uow.ledger.set_position(entry.location_id, entry.sku, entry.on_hand,
                                    entry.safety_stock)
            updated += existed
            created += not existed
        uow.commit()
    return ImportResult(rows=len(entries), positions_created=created, positions_updated=updated)


@dataclass(frozen=True)
class Availability:
    sku: str
    is_service: bool
    positions: list[Position]

    @property
    def available(self) -> int:
        return sum(p.available for p in self.positions)


def availability(uow: UnitOfWork, sku: str, location_id: str | None = None) -> Availability:
    """Network availability of a SKU (a service answers with no positions)."""
    with uow:
        product = uow.products.get(sku)
        if product is None:
            raise NotFound(f"unknown SKU {sku!r}")
        positions = [] if product.is_service else uow.ledger.positions(sku=sku,
                                                                       location_id=location_id)
    return Availability(sku=sku, is_service=product.is_service, positions=positions)
