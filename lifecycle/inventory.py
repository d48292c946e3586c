"""Handlers for stock: counts and supplier feeds, adjustments, CSV imports, availability.

Reservations are not here: sourcing and the lifecycle reserve through ``uow.ledger`` inside
their own transactions, so a plan and its reservations commit or fail together. A count below
what is reserved is accepted (the shelf is the truth) and reconciled in the same transaction
by ``lifecycle.stock_exceptions``: allocations are given back and sourced again.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from lifecycle.stock_exceptions import Reconciled, shortage
from lifecycle.uow import UnitOfWork
from models import Adjustment, InvalidInput, NotFound, Position
from models.commands import PositionInput

MAX_IMPORT_ROWS = 100_000
MAX_UNITS = 10**9  # the same bound as PUT /v1/inventory; keeps counts inside a 32-bit column
_WHOLE_NUMBER = re.compile(r"[0-9]+", re.ASCII)


def _check_position_target(uow: UnitOfWork, location_id: str, sku: str) -> None:
    if uow.locations.get(location_id) is None:
        raise NotFound(f"location {location_id!r} does not exist")
    product = uow.products.get(sku)
    if product is None:
        raise InvalidInput(f"unknown SKU {sku!r}: create it with PUT /v1/products/{sku} first",
                           loc=("path", "sku"))
    if product.is_service:
        raise InvalidInput(f"{sku} is a service and holds no stock", loc=("path", "sku"))


@dataclass(frozen=True)
class PositionSet:
    position: Position
    reconciled: Reconciled


def _forget_prices_where_stock_came_in(
        uow: UnitOfWork, changes: Sequence[tuple[Position | None, Position]]) -> None:
    """Drop lookahead's price on every (location, SKU) whose available stock went up.

    A price says how much later orders need a unit there, as the last joint run saw it; once
    stock comes in, it kept steering orders off units nobody waits for (a receipt of 50 with
    no order waiting left a price of 55 per unit, and the next order went to a dearer, slower
    location). The next joint run prices the location again if it is still scarce.
    """
    uow.policy.forget_opportunity_costs(
        (after.location_id, after.sku) for before, after in changes
        if after.available > (before.available if before is not None else 0))


def set_position(uow: UnitOfWork, entry: PositionInput) -> PositionSet:
    with uow:
        _check_position_target(uow, entry.location_id, entry.sku)
        before = uow.ledger.position(entry.location_id, entry.sku)
        uow.ledger.set_position(entry.location_id, entry.sku, entry.on_hand, entry.safety_stock)
        reconciled = shortage(uow, {entry.location_id: [entry.sku]}, "stock count")
        position = uow.ledger.position(entry.location_id, entry.sku)
        assert position is not None
        _forget_prices_where_stock_came_in(uow, [(before, position)])
        uow.commit()
    return PositionSet(position, reconciled)


@dataclass(frozen=True)
class Adjusted:
    adjustment: Adjustment
    reconciled: Reconciled


def adjust(uow: UnitOfWork, location_id: str, sku: str, delta: int, reason: str) -> Adjusted:
    with uow:
        _check_position_target(uow, location_id, sku)
        current = uow.ledger.position(location_id, sku)
        on_hand = current.on_hand if current else 0
        # the ledger refuses these too (its update is conditional: a concurrent adjustment
        # cannot take on-hand below zero); said here first, at the field to correct
        if delta == 0:
            raise InvalidInput("an adjustment needs a non-zero delta", loc=("body", "delta"))
        if not reason.strip():
            raise InvalidInput("an adjustment needs a reason (cycle count, damage, receipt...)",
                               loc=("body", "reason"))
        if on_hand + delta < 0:
            raise InvalidInput(f"cannot adjust {sku!r} at {location_id!r} by {delta}: only "
                               f"{on_hand} on hand", loc=("body", "delta"))
        if delta > 0 and on_hand + delta > MAX_UNITS:
            raise InvalidInput(f"cannot adjust {sku!r} at {location_id!r} by {delta}: on hand "
                               f"would be {on_hand + delta}, above the limit of {MAX_UNITS}",
                               loc=("body", "delta"))
        adjustment = uow.ledger.adjust(location_id, sku, delta, reason, ceiling=MAX_UNITS)
        reconciled = shortage(uow, {location_id: [sku]}, f"adjustment ({reason})")
        after = uow.ledger.position(location_id, sku)
        assert after is not None
        _forget_prices_where_stock_came_in(uow, [(current, after)])
        uow.commit()
    return Adjusted(adjustment, reconciled)


@dataclass(frozen=True)
class ImportResult:
    rows: int
    positions_created: int
    positions_updated: int
    reconciled: Reconciled


CSV_COLUMNS = ("location_id", "sku", "on_hand", "safety_stock")


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
    unknown = [h for h in header if h and h not in CSV_COLUMNS]  # blank: a trailing comma
    if unknown:  # "safety" for safety_stock would be dropped without a word, as JSON refuses
        raise InvalidInput(f"CSV columns are location_id,sku,on_hand[,safety_stock]; unknown "
                           f"{', '.join(map(repr, unknown))}", loc=("body",))
    twice = sorted({h for h in header if h and header.count(h) > 1})
    if twice:  # DictReader would keep the last one's cells and drop the first's in silence
        raise InvalidInput(f"CSV column(s) {', '.join(map(repr, twice))} given twice; give "
                           "each column once", loc=("body",))
    entries: list[PositionInput] = []
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    for number, raw in enumerate(reader, start=2):
        if None in raw:  # DictReader files surplus cells under the key None
            problems.append(f"line {number}: more cells than the header's {len(header)} columns")
            continue
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        if not any(row.values()):
            continue
        if len(entries) >= MAX_IMPORT_ROWS:
            raise InvalidInput(f"a CSV import takes at most {MAX_IMPORT_ROWS} rows; split it")
        problem = _row_problem(row)
        if problem:
            problems.append(f"line {number}: {problem}")
            continue
        key = (row["location_id"], row["sku"])
        if key in seen:
            problems.append(f"line {number}: {key[0]},{key[1]} is already on line {seen[key]}; "
                            "give each position once")
            continue
        seen[key] = number
        safety = int(row["safety_stock"]) if row.get("safety_stock") else None
        entries.append(PositionInput(key[0], key[1], int(row["on_hand"]), safety))
    if problems:
        raise InvalidInput("CSV import refused, nothing written: " + "; ".join(problems[:20])
                           + ("; ..." if len(problems) > 20 else ""), loc=("body",))
    if not entries:
        raise InvalidInput("the CSV has no rows", loc=("body",))
    return entries


def _row_problem(row: dict[str, str]) -> str | None:
    """What is wrong with one CSV row, or None."""
    if not row["location_id"] or not row["sku"]:
        return "location_id and sku are required"
    for column in ("on_hand", "safety_stock"):
        value = row.get(column, "")
        if column == "safety_stock" and not value:
            continue
        if not _WHOLE_NUMBER.fullmatch(value):
            return f"{column} must be a whole number of 0 or more, got {value[:20]!r}"
        if int(value) > MAX_UNITS:
            return f"{column} {value[:20]} is above the limit of {MAX_UNITS}"
    return None


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
        changes: list[tuple[Position | None, Position]] = []
        short: dict[str, set[str]] = {}
        for entry in sorted(entries, key=lambda e: (e.location_id, e.sku)):
            existed = uow.ledger.position(entry.location_id, entry.sku)
            position = uow.ledger.set_position(entry.location_id, entry.sku, entry.on_hand,
                                               entry.safety_stock)
            updated += existed is not None
            created += existed is None
            changes.append((existed, position))
            if position.reserved > position.on_hand:
                short.setdefault(entry.location_id, set()).add(entry.sku)
        reconciled = shortage(uow, short, "stock import")
        _forget_prices_where_stock_came_in(uow, changes)
        uow.commit()
    return ImportResult(rows=len(entries), positions_created=created, positions_updated=updated,
                        reconciled=reconciled)


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
        if location_id is not None and uow.locations.get(location_id) is None:
            raise NotFound(f"location {location_id!r} not found")  # as an unknown SKU is
        positions = [] if product.is_service else uow.ledger.positions(sku=sku,
                                                                       location_id=location_id)
    return Availability(sku=sku, is_service=product.is_service, positions=positions)
