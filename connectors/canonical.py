"""Pieces of the canonical order body (the ``POST /v1/orders`` JSON) that every connector builds.

Connectors differ in how they read a channel's payload, not in what they produce; building the
shared parts here keeps the output identical in shape whichever channel an order came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from connectors.errors import ConnectorError

__all__ = [
    "CENT",
    "DEFAULT_CURRENCY",
    "LinePaths",
    "customer",
    "line",
    "pickup",
    "ship",
    "unique_line_ids",
    "unit_price",
]

DEFAULT_CURRENCY = "USD"
CENT = Decimal("0.01")
MILLIONTH = Decimal("0.000001")


def customer(
    customer_id: str, name: str | None, email: str | None, phone: str | None = None
) -> dict[str, Any]:
    """The customer object; unknown details are left out rather than sent as null."""
    body: dict[str, Any] = {"id": customer_id}
    for key, value in (("name", name), ("email", email), ("phone", phone)):
        if value:
            body[key] = value
    return body


def ship() -> dict[str, Any]:
    return {"method": "ship"}


def pickup(location_id: str) -> dict[str, Any]:
    return {"method": "pickup", "location_id": location_id}


def unit_price(amount: Decimal, qty: int) -> float:
    """Price of one unit from a line total, to a millionth (rounded half-up): to the cent it
    would lose money on big quantities (10.00 for 100,000 units is 0.0001 each, not 0.00),
    and a currency without cents has no cent to round to (1,000 JPY for 3 units)."""
    return float((amount / qty).quantize(MILLIONTH, rounding=ROUND_HALF_UP))


def line(line_id: str, sku: str, qty: int, price: float) -> dict[str, Any]:
    return {"line_id": line_id, "sku": sku, "qty": qty, "unit_price": price}


def unique_line_ids(lines: list[dict[str, Any]], id_field: str) -> None:
    """Refuse an order that names two lines alike: fulfilment events address lines by id."""
    seen: set[str] = set()
    for body in lines:
        if body["line_id"] in seen:
            raise ConnectorError(
                f"two lines share {id_field} {body['line_id']!r}; each line needs its own id",
                path=id_field,
            )
        seen.add(body["line_id"])


def note_source(sources: list[int] | None, index: int) -> None:
    """Record which of the payload's items a canonical line came from (when asked)."""
    if sources is not None:
        sources.append(index)


@dataclass(frozen=True)
class LinePaths:
    """Where a channel keeps its lines, so a refusal of a canonical line's field (an unknown
    SKU, found only when the order is taken in) can name the field the channel sent:
    ``OrderItems[2].SellerSKU`` rather than ``lines[1].sku``. The mappers say which item each
    line came from (``sources``): items they skip (a quantity of 0) shift the numbering, and
    a skipped item may even share an id with a kept one."""

    items: str  # the payload's list of lines
    fields: Mapping[str, str]  # canonical line field -> the channel's

    def path(self, item: int, field: str | None) -> str:
        known = self.fields.get(field) if field is not None else None
        where = f"{self.items}[{item}]"
        return f"{where}.{known}" if known else where
