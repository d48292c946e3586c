"""Where stock sits and where packages leave from: warehouses, stores, drop-ship suppliers."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class LocationType(StrEnum):
    WAREHOUSE = "warehouse"
    STORE = "store"
    SUPPLIER = "supplier"


class Capability(StrEnum):
    SHIP = "ship"
    PICKUP = "pickup"
    DROPSHIP = "dropship"


@dataclass
class Location:
    """A node of the network with the parameters sourcing prices and times it by.

    One package costs ``shipment_cost + cost_per_km * km``; one unit ``unit_cost +
    unit_cost_per_km * km``; delivery takes ``processing_days + max(1, ceil(km / km_per_day))``.
    """

    id: str
    name: str
    type: LocationType
    lat: float
    lon: float
    capabilities: frozenset[Capability]
    postal_code: str | None = None
    shipment_cost: float = 0.0
    cost_per_km: float = 0.0
    unit_cost: float = 0.0
    unit_cost_per_km: float = 0.0
    processing_days: int = 0
    km_per_day: float = 800.0
    capacity_units_per_day: int | None = None
    priority: int = 0
    active: bool = True
    extra: dict[str, object] = field(default_factory=dict)

    def can(self, capability: Capability) -> bool:
        return capability in self.capabilities

    @property
    def can_pickup(self) -> bool:
        return self.active and Capability.PICKUP in self.capabilities
