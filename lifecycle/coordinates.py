"""Where a location or customer is: coordinates as given, or geocoded offline from a postal code.

Its own module because both the catalog (locations) and order intake (ship-to, pickup) need it,
and neither should import the other.
"""

from __future__ import annotations

from geo import UnknownPostalCode, geocode_postal_code
from models import InvalidInput


def resolve_coordinates(lat: float | None, lon: float | None,
                        postal_code: str | None, country: str = "US",
                        field: str = "location",
                        loc: tuple[str | int, ...] = ("body",)) -> tuple[float, float]:
    """Coordinates as given, or geocoded offline from a US postal code.

    ``field`` names the place in messages; ``loc`` is where it sits in the request (errors[].loc).
    """
    if lat is not None and lon is not None:
        return lat, lon
    if postal_code:
        try:
            return geocode_postal_code(postal_code, country)
        except UnknownPostalCode as error:
            raise InvalidInput(str(error), loc=(*loc, "postal_code")) from error
    raise InvalidInput(f"{field} needs lat and lon, or a postal_code", loc=loc)
