"""Where stock sits and where packages leave from: warehouses, stores, drop-ship suppliers."""

from __future__ import annotations

from collections.abc import Collection
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


# What each type of location may do; a supplier ships to customers only as a drop-ship.
CAPABILITIES_BY_TYPE = {
    LocationType.WAREHOUSE: frozenset({Capability.SHIP, Capability.PICKUP}),
    LocationType.STORE: frozenset({Capability.SHIP, Capability.PICKUP}),
    LocationType.SUPPLIER: frozenset({Capability.DROPSHIP, Capability.SHIP}),
}


def capability_problem(type_: LocationType, capabilities: Collection[Capability]) -> str | None:
    """Why these capabilities do not fit a location of this type (None: they do). One rule for
    the live network (``PUT /v1/locations``) and a planner's scenario locations."""
    if not capabilities:
        return "a location needs at least one capability (ship, pickup or dropship)"
    allowed = CAPABILITIES_BY_TYPE[type_]
    wrong = sorted(c.value for c in set(capabilities) - allowed)
    if wrong:
        return (f"a {type_.value} cannot have capability {', '.join(wrong)}; "
                f"allowed: {', '.join(sorted(c.value for c in allowed))}")
    if type_ is LocationType.SUPPLIER and Capability.SHIP in capabilities \
            and Capability.DROPSHIP not in capabilities:
        # "ship" alone would be taken and then never source anything
        return ("a supplier ships to customers by drop-ship: give it capability dropship "
                "(ship alone never sources from it)")
    return None


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

    def serves(self, kind: str) -> bool:
        """Whether, as configured now, it can carry a fulfillment of ``kind``."""
        return serves(kind, self.type.value, self.capabilities, self.active)

    @property
    def can_pickup(self) -> bool:
        return self.active and Capability.PICKUP in self.capabilities


def serves(kind: str, location_type: str, capabilities: Collection[str], active: bool) -> bool:
    """Whether a location of ``location_type`` with ``capabilities`` can carry a fulfillment
    of ``kind`` (ship, pickup, dropship; a service needs no location): a closed one carries
    nothing, a supplier drop-ships and never ships from stock of its own, a warehouse or a
    store ships (and a store may hand over pickups)."""
    if not active:
        return False
    supplier = location_type == LocationType.SUPPLIER.value
    if kind == "pickup":
        return Capability.PICKUP.value in capabilities
    if kind == "dropship":
        return supplier and Capability.DROPSHIP.value in capabilities
    if kind == "ship":
        return not supplier and Capability.SHIP.value in capabilities
    return True
