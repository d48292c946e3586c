"""Services on a customer's account: an extended warranty registered when its laptop arrives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class CustomerService:
    """``qty`` units of one service line, registered together: the units covering products
    delivered in one parcel (``source``: that fulfillment's id; ``paid`` for a standalone
    service), so each starts the day its own product arrived."""

    id: str
    customer_id: str
    order_id: str
    line_id: str
    sku: str
    name: str
    starts: date
    registered_at: datetime
    ends: date | None = None
    service_type: str | None = None
    covers_line_id: str | None = None
    covers_sku: str | None = None
    status: str = "active"
    qty: int = 1
    source: str = ""


def add_months(start: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's end (Jan 31 + 1 month = Feb 28)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    for day in (start.day, 30, 29, 28):
        try:
            return date(year, month, min(start.day, day))
        except ValueError:
            continue
    raise AssertionError("unreachable")
