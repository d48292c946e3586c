"""Plain input records the service layer fills in.

They are frozen dataclasses rather than domain models so the optimizer stays pure: the caller
translates its own orders, locations and stock into these, and nothing here knows where they came
from (a database, a scenario file, a benchmark generator).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

LOCATION_TYPES = frozenset({"warehouse", "store", "supplier"})
CAPABILITIES = frozenset({"ship", "pickup", "dropship"})
METHODS = frozenset({"ship", "pickup"})


@dataclass(frozen=True, slots=True)
class LocationSpec:
    """A place that can fulfil units: costs, speed, remaining capacity, tie-break priority."""

    id: str
    type: str  # warehouse | store | supplier
    lat: float
    lon: float
    capabilities: frozenset[str] = field(default_factory=lambda: frozenset({"ship"}))
    shipment_cost: float = 0.0  # per package
    cost_per_km: float = 0.0  # per package per km
    unit_cost: float = 0.0  # per unit
    unit_cost_per_km: float = 0.0  # per unit per km
    processing_days: int = 0
    km_per_day: float = 800.0
    capacity_units_per_day: int | None = None  # remaining capacity; None = unlimited
    priority: int = 0  # higher wins exact ties
    active: bool = True

    def __post_init__(self) -> None:
        if self.type not in LOCATION_TYPES:
            raise ValueError(f"Location {self.id!r}: type must be one of {sorted(LOCATION_TYPES)}.")
        unknown = set(self.capabilities) - CAPABILITIES
        if unknown:
            raise ValueError(f"Location {self.id!r}: unknown capabilities {sorted(unknown)}.")
        numbers = {"lat": self.lat, "lon": self.lon, "km_per_day": self.km_per_day,
                   "shipment_cost": self.shipment_cost, "cost_per_km": self.cost_per_km,
                   "unit_cost": self.unit_cost, "unit_cost_per_km": self.unit_cost_per_km}
        for name, value in numbers.items():  # NaN passes every comparison below
            if not math.isfinite(value):
                raise ValueError(f"Location {self.id!r}: {name} must be a finite number.")
        if self.km_per_day <= 0:
            raise ValueError(f"Location {self.id!r}: expected km_per_day > 0.")
        if self.processing_days < 0:
            raise ValueError(f"Location {self.id!r}: expected processing_days >= 0.")
        if self.capacity_units_per_day is not None and self.capacity_units_per_day < 0:
            raise ValueError(f"Location {self.id!r}: expected capacity_units_per_day >= 0.")
        costs = (self.shipment_cost, self.cost_per_km, self.unit_cost, self.unit_cost_per_km)
        if min(costs) < 0:
            raise ValueError(f"Location {self.id!r}: costs must be >= 0.")


@dataclass(frozen=True, slots=True)
class LineSpec:
    """One physical product line; services never reach the optimizer."""

    line_id: str
    sku: str
    qty: int
    # units of this line that allocations this decision re-solves cover (re-optimization):
    # a line held whole costs more to leave short than an order of the same priority
    # (objective.HELD_RANK), so only an order of higher priority takes its units
    held: int = 0

    def __post_init__(self) -> None:
        if self.qty <= 0:
            raise ValueError(f"Line {self.line_id!r}: expected qty >= 1, got {self.qty}.")
        if not 0 <= self.held <= self.qty:
            raise ValueError(f"Line {self.line_id!r}: expected 0 <= held <= qty ({self.qty}), "
                             f"got {self.held}.")


@dataclass(frozen=True, slots=True)
class OrderSpec:
    """An order to source: where it goes, how, how important it is and by when."""

    order_id: str
    lat: float
    lon: float
    lines: tuple[LineSpec, ...]
    method: str = "ship"  # ship | pickup
    pickup_location_id: str | None = None
    priority: int = 0  # higher wins scarce stock
    # days from the day work starts to the delivery deadline; negative once it has passed
    # (an order backordered past it, or held back by a release delay): no location can make it
    deadline_days: int | None = None
    excluded_location_ids: tuple[str, ...] = ()  # never source this order from these
    # packages earlier decisions already made for it (sourcing its backordered rest): they
    # count against max_shipments_per_order, though one more is always allowed
    shipments_made: int = 0
    # days until the slowest of those packages still on its way arrives (from the same day as
    # deadline_days): a new package that would arrive sooner does not bring the order sooner,
    # so the time objective weighs it at this many days
    days_made: int = 0
    # (location id, SKU) where the order holds units this decision may move (re-optimization
    # re-solves allocations not yet released): on an exact tie the order keeps them there,
    # so a run moves an allocation only for a saving (objective.keep_held_per_unit)
    held: tuple[tuple[str, str], ...] = ()
    # packages those allocations make, one per location: re-solving them allows at least as many
    # (problem.shipment_limits). An order that got one more package for its backorder may
    # hold more than the policy's limit; re-sourced within the limit it could keep neither
    # plan, and a re-optimization would move or restore it only because the limit shrank.
    shipments_held: int = 0

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"Order {self.order_id!r}: method must be one of {sorted(METHODS)}.")
        if not (math.isfinite(self.lat) and math.isfinite(self.lon)):
            raise ValueError(f"Order {self.order_id!r}: lat and lon must be finite numbers.")
        if self.method == "pickup" and not self.pickup_location_id:
            raise ValueError(f"Order {self.order_id!r}: a pickup order needs pickup_location_id.")
        ids = [line.line_id for line in self.lines]
        if len(set(ids)) != len(ids):
            raise ValueError(f"Order {self.order_id!r}: line ids must be unique.")
        if self.days_made < 0:
            raise ValueError(f"Order {self.order_id!r}: expected days_made >= 0.")
        if self.shipments_made < 0:
            raise ValueError(f"Order {self.order_id!r}: expected shipments_made >= 0.")
        if self.shipments_held < 0:
            raise ValueError(f"Order {self.order_id!r}: expected shipments_held >= 0.")
