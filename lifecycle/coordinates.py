"""Where a location or customer is: coordinates as given, or geocoded offline from a postal code.

Its own module because both the catalog (locations) and order intake (ship-to, pickup) need it,
and neither should import the other.
"""

from __future__ import annotations

from geo import UnknownPostalCode, geocode_postal_code
from models import InvalidInput


def resolve_coordinates(lat: float | None, lon: float | None,
                        postal_code: str | None, country: str = "US",
                        loc: tuple[str | int, ...] = ("body",)) -> tuple[float, float]:
    """Coordinates as given, or geocoded offline from a US postal code.

    ``loc``: where the place sits in the request (errors[].loc); messages name it the same way
    (``ship_to``, ``locations.3``; a whole body is "the location").
    """
    if lat is not None and lon is not None:
        return lat, lon
    if postal_code:
        try:
            return geocode_postal_code(postal_code, country)
        except UnknownPostalCode as error:
            raise InvalidInput(str(error), loc=(*loc, "postal_code")) from error
    name = ".".join(str(part) for part in loc if part != "body") or "the location"
    raise InvalidInput(f"{name} needs lat and lon, or a postal_code", loc=loc)
