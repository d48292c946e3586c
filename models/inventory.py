"""Stock positions and the reservations held against them.

A position's ``reserved`` always equals the sum of its active reservations; ``available`` is
what sourcing may still take and is never reported below zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


@dataclass
class Position:
    location_id: str
    sku: str
    on_hand: int = 0
    reserved: int = 0
    safety_stock: int = 0

    @property
    def available(self) -> int:
        return max(0, self.on_hand - self.reserved - self.safety_stock)


class ReservationStatus(StrEnum):
    ACTIVE = "active"
    RELEASED = "released"
    CONSUMED = "consumed"


@dataclass(frozen=True)
class ReservationRequest:
    """One piece of a sourcing plan: ``qty`` units of an order line from a location."""

    order_id: str
    line_id: str
    location_id: str
    sku: str
    qty: int
    fulfillment_id: str | None = None
    # how the units leave (ship, pickup, dropship): the ledger refuses the plan when the
    # location, locked, no longer serves that (closed or changed since the plan was solved)
    kind: str | None = None

    def __post_init__(self) -> None:
        if self.qty <= 0:
            raise ValueError(f"reservation quantity must be positive, got {self.qty}")


@dataclass
class Reservation:
    id: str
    order_id: str
    line_id: str
    location_id: str
    sku: str
    qty: int
    status: ReservationStatus
    created_at: datetime
    fulfillment_id: str | None = None
    closed_at: datetime | None = None


@dataclass(frozen=True)
class Adjustment:
    """A change of on-hand with the reason a person gave (cycle count, damage, receipt)."""

    id: str
    location_id: str
    sku: str
    delta: int
    reason: str
    on_hand_after: int
    at: datetime
