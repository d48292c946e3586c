"""Offline geography: US ZIP codes to coordinates, and distances between coordinates."""

from geo.distance import EARTH_RADIUS_KM, haversine_km
from geo.postal import SUPPORTED_COUNTRIES, UnknownPostalCode, geocode_postal_code

__all__ = [
    "EARTH_RADIUS_KM",
    "SUPPORTED_COUNTRIES",
    "UnknownPostalCode",
    "geocode_postal_code",
    "haversine_km",
]
