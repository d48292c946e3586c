"""What a planner asks: a scenario definition, validated once, in plain JSON-able shapes.

The same definition arrives as a JSON body (``POST /v1/scenarios``) or a YAML file (``dom
scenario run``); both go through :func:`parse_definition`, which turns every mistake into an
``InvalidInput`` that names the field and says how to fix it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, StrictBool, ValidationError, field_validator, model_validator

from lifecycle.location_parameters import LocationParameters
from models import Capability, InvalidInput, LocationType
from models.locations import capability_problem
from models.strict_input import StrictInput
from optimizer.params import SOLVERS

Base = Literal["current", "empty", "replay"]
# Policy fields a scenario may change (the sourcing policy's knobs that shape a solve).
POLICY_FIELDS = ("objective", "cost_per_day", "max_shipments_per_order", "allow_line_split",
                 "max_distance_km", "solver", "time_limit_ms", "unfilled_cost_factor")
# Numeric fields a sweep may vary.
SWEEPABLE = ("cost_per_day", "max_shipments_per_order", "max_distance_km", "time_limit_ms",
             "unfilled_cost_factor", "demand_multiplier")
MAX_DEMAND_MULTIPLIER = 100.0


class Strict(StrictInput):
    """Unknown fields and true/false for numbers are refused (:mod:`models.strict_input`)."""


class InventoryDelta(Strict):
    location_id: str = Field(min_length=1, max_length=64)
    sku: str = Field(min_length=1, max_length=64)
    delta: int = Field(ge=-10**9, le=10**9, description="Units added (negative: removed).")


class InventoryRow(Strict):
    location_id: str = Field(min_length=1, max_length=64)
    sku: str = Field(min_length=1, max_length=64)
    on_hand: int = Field(ge=0, le=10**9)
    safety_stock: int = Field(default=0, ge=0, le=10**9)


class LocationRow(Strict, LocationParameters):
    """A location body as for ``PUT /v1/locations/{id}``, with its ``id``."""

    id: str = Field(min_length=1, max_length=64)
    name: str | None = Field(default=None, max_length=200)
    type: Literal["warehouse", "store", "supplier"]
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    postal_code: str | None = Field(default=None, min_length=3, max_length=12)
    capabilities: list[Literal["ship", "pickup", "dropship"]] | None = None

    @field_validator("capabilities", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        """CSV cells hold capabilities as ``ship|pickup`` (or comma/space separated)."""
        if isinstance(value, str):
            return [p for p in value.replace("|", " ").replace(",", " ").split() if p]
        return value

    @model_validator(mode="after")
    def _capabilities_fit_the_type(self) -> LocationRow:
        """The live network's rule (left out: the type's usual ones, see planner.data)."""
        if self.capabilities is not None:
            problem = capability_problem(LocationType(self.type),
                                         [Capability(c) for c in self.capabilities])
            if problem:
                raise ValueError(problem)
        return self


class Changes(Strict):
    """What differs from the base: the policy, the network, the stock, the demand."""

    objective: Literal["cost", "time", "balanced"] | None = None
    cost_per_day: float | None = Field(default=None, ge=0, le=1e6)
    max_shipments_per_order: int | None = Field(default=None, ge=1, le=100)
    allow_line_split: StrictBool | None = None  # "yes" or 1 is refused, as on PUT /v1/policy
    max_distance_km: float | None = Field(default=None, gt=0, le=50_000)
    solver: str | None = None
    time_limit_ms: int | None = Field(default=None, ge=10, le=600_000)
    unfilled_cost_factor: float | None = Field(
        default=None, gt=0, le=1000,
        description="An unfilled unit costs this x its line's dearest one-unit shipment; "
                    "left out: the base policy's (null there: fill first).")
    close_locations: list[str] = Field(default_factory=list, max_length=10_000)
    inventory: list[InventoryDelta] = Field(default_factory=list, max_length=100_000)
    cost_multiplier: dict[str, float] = Field(default_factory=dict)
    capacity: dict[str, int | None] = Field(
        default_factory=dict,
        description="Units a day per location (what is already reserved there still counts "
                    "against it); null removes the limit.")
    demand_multiplier: float = Field(default=1.0, gt=0, le=MAX_DEMAND_MULTIPLIER)
    seed: int = Field(default=0, ge=0, description="Seeds the sampling of demand fractions.")

    @field_validator("solver")
    @classmethod
    def _known_solver(cls, value: str | None) -> str | None:
        if value is not None and value not in SOLVERS:
            raise ValueError(f"solver must be one of {', '.join(SOLVERS)}")
        return value

    @field_validator("cost_multiplier")
    @classmethod
    def _positive_multipliers(cls, value: dict[str, float]) -> dict[str, float]:
        bad = sorted(k for k, v in value.items() if not 0 <= v <= 1000)
        if bad:
            raise ValueError(f"cost multipliers must be between 0 and 1000 (check {bad[:5]})")
        return value

    @field_validator("capacity")
    @classmethod
    def _non_negative_capacity(cls, value: dict[str, int | None]) -> dict[str, int | None]:
        bad = sorted(k for k, v in value.items() if v is not None and not 0 <= v <= 10**9)
        if bad:
            raise ValueError("capacity must be 0 to 1,000,000,000 units a day, as on a "
                             f"location (check {bad[:5]})")
        return value

    def policy_overrides(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in POLICY_FIELDS if getattr(self, f) is not None}


class Files(Strict):
    """CSV or Parquet files (read with pandas) that replace parts of the base; CLI only."""

    orders: str | None = None
    inventory: str | None = None
    locations: str | None = None


class Sweep(Strict):
    """Vary one numeric field over ``values``; each value is one scenario."""

    field: Literal["cost_per_day", "max_shipments_per_order", "max_distance_km",
                   "time_limit_ms", "unfilled_cost_factor",
                   "demand_multiplier"] = "cost_per_day"
    values: list[float] = Field(min_length=1, max_length=200)


class ScenarioDefinition(Strict):
    name: str = Field(min_length=1, max_length=200)
    base: Base = "current"
    orders: list[dict[str, Any]] | None = Field(default=None, max_length=200_000)
    inventory: list[InventoryRow] | None = Field(default=None, max_length=1_000_000)
    locations: list[LocationRow] | None = Field(default=None, max_length=10_000)
    files: Files | None = None
    changes: Changes = Field(default_factory=Changes)
    sweep: Sweep | None = None

    def request(self) -> dict[str, Any]:
        """The definition as stored with the scenario (JSON)."""
        return self.model_dump(mode="json", exclude_none=True)


def _summary(error: ValidationError, prefix: tuple[str, ...]) -> InvalidInput:
    errors = error.errors()
    first = errors[0]
    loc = (*prefix, *(str(p) for p in first.get("loc", ())))
    parts = [f"{'.'.join(str(p) for p in e.get('loc', ())) or 'scenario'}: {e.get('msg')}"
             for e in errors[:5]]
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return InvalidInput("the scenario is invalid: " + "; ".join(parts) + more, loc=loc)


def parse_definition(raw: Mapping[str, Any], *, prefix: tuple[str, ...] = ()
                     ) -> ScenarioDefinition:
    """Validate a scenario definition; every problem is an ``InvalidInput`` a person can act on."""
    if not isinstance(raw, Mapping):
        raise InvalidInput("a scenario definition is a mapping with at least a name", loc=prefix)
    try:
        definition = ScenarioDefinition.model_validate(dict(raw))
    except ValidationError as error:
        raise _summary(error, prefix) from error
    if definition.sweep is not None:
        _check_sweep_values(definition, prefix)
    return definition


def _check_sweep_values(definition: ScenarioDefinition, prefix: tuple[str, ...]) -> None:
    """Each sweep value must be a value the changes accept (in the field's range, whole where
    the field counts; NaN and infinity are refused with every body's numbers), so a sweep never
    fails halfway."""
    assert definition.sweep is not None
    field = definition.sweep.field
    changes = definition.changes.model_dump()
    for n, value in enumerate(definition.sweep.values):
        whole = value == int(value) and field in ("max_shipments_per_order", "time_limit_ms")
        try:
            Changes.model_validate({**changes, field: int(value) if whole else value})
        except ValidationError as error:
            reason = error.errors()[0].get("msg", "out of range")
            raise InvalidInput(f"sweep.values[{n}] = {value:g} is not a valid {field}: {reason}",
                               loc=(*prefix, "sweep", "values", str(n))) from error
