"""Locations: the network sourcing chooses from."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from api.auth import Admin, Principal, Reader
from api.deps import ContainerDep, Cursor, Limit, decode_cursor, encode_cursor, run
from api.schemas.common import PROBLEM_RESPONSES, Page
from api.schemas.locations import LocationIn, LocationOut, LocationPutOut
from lifecycle.catalog import put_location
from lifecycle.coordinates import resolve_coordinates
from models import NotFound

router = APIRouter(prefix="/v1/locations", tags=["locations"], responses=PROBLEM_RESPONSES)

LocationId = Annotated[str, Path(min_length=1, max_length=64,
                                 pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]


def _visible(principal: Principal, location_id: str) -> bool:
    return not principal.is_partner or principal.owns(location_id)


@router.put("/{location_id}", response_model=LocationPutOut, status_code=200,
            responses={201: {"model": LocationPutOut, "description": "Created"}})
def upsert_location(location_id: LocationId, body: LocationIn, _: Admin,
                    container: ContainerDep, response: Response) -> LocationPutOut:
    """Create or replace a warehouse, store or drop-ship supplier (201 when new).

    Closing a location (``active: false``), changing its type or taking away a capability its
    open work needs gives its unreleased allocations back to sourcing, and flags work already
    released there (``reallocation`` says which).
    """
    lat, lon = resolve_coordinates(body.lat, body.lon, body.postal_code)
    location = body.to_location(location_id, lat, lon)
    put = run(lambda: put_location(container.uow(), location))
    if put.created:
        response.status_code = 201
    return LocationPutOut.of_put(location, put)


@router.get("", response_model=Page[LocationOut])
def list_locations(principal: Reader, container: ContainerDep, limit: Limit = 50,
                   cursor: Cursor = None) -> Page[LocationOut]:
    """List locations (a supplier or location key sees only its own)."""
    after = decode_cursor(cursor)
    with container.uow(write=False) as uow:
        if principal.is_partner:
            own = uow.locations.get(str(principal.subject))
            found = [own] if own is not None and (after is None or own.id > after) else []
        else:
            found = uow.locations.page(after=after, limit=limit + 1)
    more = len(found) > limit
    items = found[:limit]
    return Page(items=[LocationOut.of(loc) for loc in items],
                next_cursor=encode_cursor(items[-1].id) if more else None)


@router.get("/{location_id}", response_model=LocationOut)
def get_location(location_id: LocationId, principal: Reader,
                 container: ContainerDep) -> LocationOut:
    """One location."""
    with container.uow(write=False) as uow:
        location = uow.locations.get(location_id)
    if location is None or not _visible(principal, location_id):
        raise NotFound(f"location {location_id!r} does not exist")
    return LocationOut.of(location)
