"""The parameters a location is sourced by, validated once for every way a location comes in.

The HTTP API (``PUT /v1/locations/{id}``) and the planners' scenario files describe locations
with the same costs, speeds and limits; both inherit these fields so a bound changed here holds
everywhere, and ``parameters()`` hands them to the domain ``Location`` or the optimizer's
``LocationSpec`` (whose fields carry the same names).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, StrictBool

from models.strict_input import StrictInput


class LocationParameters(StrictInput):
    """Unknown fields and true/false for numbers are refused."""

    shipment_cost: float = Field(default=0.0, ge=0, le=1e6)
    cost_per_km: float = Field(default=0.0, ge=0, le=1e4)
    unit_cost: float = Field(default=0.0, ge=0, le=1e6)
    unit_cost_per_km: float = Field(default=0.0, ge=0, le=1e4)
    processing_days: int = Field(default=0, ge=0, le=365)
    km_per_day: float = Field(default=800.0, ge=1, le=1e5)  # slower: a typo, not a promise
    capacity_units_per_day: int | None = Field(default=None, ge=0, le=10**9)
    priority: int = Field(default=0, ge=-1000, le=1000)
    active: StrictBool = True  # "no" or 0 is refused: a typo must not close a location

    def parameters(self) -> dict[str, Any]:
        """These fields only, by name (not those a subclass adds)."""
        return {name: getattr(self, name) for name in LocationParameters.model_fields}
