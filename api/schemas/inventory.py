"""Stock positions, adjustments, imports and network availability."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.schemas.common import Strict
from api.schemas.reallocation import ReallocationOut
from lifecycle.inventory import Adjusted, PositionSet
from models import Position


class PositionIn(Strict):
    on_hand: int = Field(ge=0, le=10**9)
    safety_stock: int | None = Field(
        default=None, ge=0, le=10**9,
        description="Units held back from sourcing; left out, the current value is kept.")


class PositionOut(BaseModel):
    location_id: str
    sku: str
    on_hand: int
    reserved: int
    safety_stock: int
    available: int

    @classmethod
    def of(cls, p: Position) -> PositionOut:
        return cls(location_id=p.location_id, sku=p.sku, on_hand=p.on_hand, reserved=p.reserved,
                   safety_stock=p.safety_stock, available=p.available)


class PositionSetOut(PositionOut):
    reallocation: ReallocationOut

    @classmethod
    def of_set(cls, written: PositionSet) -> PositionSetOut:
        return cls(**PositionOut.of(written.position).model_dump(),
                   reallocation=ReallocationOut.of(written.reconciled))


class AdjustmentIn(Strict):
    location_id: str = Field(min_length=1, max_length=64)
    sku: str = Field(min_length=1, max_length=64)
    delta: int = Field(ge=-(10**9), le=10**9, description="Units added (positive) or removed.")
    reason: str = Field(min_length=1, max_length=200)


class AdjustmentOut(BaseModel):
    adjustment_id: str
    location_id: str
    sku: str
    delta: int
    reason: str
    on_hand_after: int
    at: datetime
    reallocation: ReallocationOut

    @classmethod
    def of(cls, adjusted: Adjusted) -> AdjustmentOut:
        a = adjusted.adjustment
        return cls(adjustment_id=a.id, location_id=a.location_id, sku=a.sku, delta=a.delta,
                   reason=a.reason, on_hand_after=a.on_hand_after, at=a.at,
                   reallocation=ReallocationOut.of(adjusted.reconciled))


class AvailabilityOut(BaseModel):
    sku: str
    available: int
    positions: list[PositionOut]


class ImportOut(BaseModel):
    rows: int
    positions_created: int
    positions_updated: int
    reallocation: ReallocationOut
