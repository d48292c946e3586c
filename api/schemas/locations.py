"""Locations: warehouses, stores and drop-ship suppliers."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from api.schemas.common import Name, Strict
from api.schemas.reallocation import ReallocationOut
from lifecycle.catalog import LocationPut
from lifecycle.location_parameters import LocationParameters
from models import Capability, Location, LocationType

Lat = Field(default=None, ge=-90, le=90)
Lon = Field(default=None, ge=-180, le=180)


class LocationIn(Strict, LocationParameters):
    name: Name
    type: LocationType
    lat: float | None = Lat
    lon: float | None = Lon
    postal_code: str | None = Field(default=None, min_length=3, max_length=12)
    capabilities: list[Capability] = Field(min_length=1, max_length=3)

    @model_validator(mode="after")
    def _has_position(self) -> LocationIn:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither (and a postal_code)")
        if self.lat is None and not self.postal_code:
            raise ValueError("a location needs lat and lon, or a US postal_code")
        return self


    def to_location(self, location_id: str, lat: float, lon: float) -> Location:
        """The domain location, at coordinates already resolved (given or geocoded)."""
        return Location(
            id=location_id, name=self.name, type=self.type, lat=lat, lon=lon,
            postal_code=self.postal_code, capabilities=frozenset(self.capabilities),
            **self.parameters())


class LocationOut(BaseModel):
    id: str
    name: str
    type: LocationType
    lat: float
    lon: float
    postal_code: str | None
    capabilities: list[Capability]
    shipment_cost: float
    cost_per_km: float
    unit_cost: float
    unit_cost_per_km: float
    processing_days: int
    km_per_day: float
    capacity_units_per_day: int | None
    priority: int
    active: bool

    @classmethod
    def of(cls, location: Location) -> LocationOut:
        return cls(
            id=location.id, name=location.name, type=location.type, lat=location.lat,
            lon=location.lon, postal_code=location.postal_code,
            capabilities=sorted(location.capabilities), shipment_cost=location.shipment_cost,
            cost_per_km=location.cost_per_km, unit_cost=location.unit_cost,
            unit_cost_per_km=location.unit_cost_per_km,
            processing_days=location.processing_days, km_per_day=location.km_per_day,
            capacity_units_per_day=location.capacity_units_per_day, priority=location.priority,
            active=location.active,
        )


class LocationPutOut(LocationOut):
    reallocation: ReallocationOut

    @classmethod
    def of_put(cls, location: Location, put: LocationPut) -> LocationPutOut:
        return cls(**LocationOut.of(location).model_dump(),
                   reallocation=ReallocationOut.of(put.reconciled))
