"""Offline geocoding of US ZIP codes.

Orders and locations may give a postal code instead of coordinates; sourcing needs coordinates.
The ``zipcodes`` package ships the USPS ZIP list inside its wheel, so this works with no network
and no API key, and answers the same way in a request, a scenario run or a test.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import zipcodes

__all__ = ["SUPPORTED_COUNTRIES", "UnknownPostalCode", "geocode_postal_code"]

# Countries whose postal codes are US ZIP codes: the US itself and the territories USPS serves.
# For a territory the ZIP must belong to it (a Puerto Rico address cannot carry a Texas ZIP).
_US_ALIASES = frozenset({"US", "USA"})
_TERRITORIES = frozenset({"PR", "VI", "GU", "AS", "MP"})
SUPPORTED_COUNTRIES = _US_ALIASES | _TERRITORIES

# ASCII digits only: ``\d`` would admit other scripts' digits, which crash the zipcodes backend.
_ZIP_RE = re.compile(r"([0-9]{5})(?:-?[0-9]{4})?", re.ASCII)


class UnknownPostalCode(ValueError):
    """A postal code that cannot be turned into coordinates; the message says what to fix."""


def geocode_postal_code(postal_code: str, country: str = "US") -> tuple[float, float]:
    """Return ``(lat, lon)`` of a US ZIP code ("10001", "10001-1234", " 10001 ").

    Raises ``UnknownPostalCode`` for a malformed or unknown ZIP and for countries outside the
    US ZIP system, so the caller can answer 4xx with the message as it is.
    """
    country_code = _normalize_country(country)
    zip5 = _zip5(postal_code)
    found = _lookup(zip5)
    if found is None:
        raise UnknownPostalCode(
            f"postal code {postal_code.strip()!r} is not a known US ZIP code; "
            "check the digits or send lat/lon instead"
        )
    lat, lon, state = found
    if lat == 0.0 and lon == 0.0:
        # the list has no position for it (military APO/FPO codes, some unique ZIPs of one
        # organisation): (0, 0) is a point in the Gulf of Guinea, not the address
        raise UnknownPostalCode(
            f"postal code {postal_code.strip()!r} has no known position (a military or "
            "single-organisation ZIP); send lat/lon instead"
        )
    if country_code in _TERRITORIES and state != country_code:
        raise UnknownPostalCode(
            f"postal code {postal_code.strip()!r} belongs to {state}, not to country "
            f"{country_code!r}; check the country code"
        )
    return lat, lon


def _normalize_country(country: object) -> str:
    code = country.strip().upper() if isinstance(country, str) else ""
    if code in _US_ALIASES:
        return "US"
    if code in _TERRITORIES:
        return code
    raise UnknownPostalCode(
        f"postal codes can only be geocoded for the US (and its territories), not for country "
        f"{country!r}; send lat/lon for addresses elsewhere"
    )


def _zip5(postal_code: object) -> str:
    if not isinstance(postal_code, str):
        raise UnknownPostalCode(
            f"postal code must be a string like '10001', got {type(postal_code).__name__}"
        )
    match = _ZIP_RE.fullmatch(postal_code.strip())
    if match is None:
        raise UnknownPostalCode(
            f"postal code {postal_code.strip()!r} is not a US ZIP code: use 5 digits "
            "('02134') or ZIP+4 ('02134-1234')"
        )
    return match.group(1)


@lru_cache(maxsize=2**17)  # keys are 5-digit strings: every possible ZIP fits
def _lookup(zip5: str) -> tuple[float, float, str] | None:
    """Scan the ZIP list once per ZIP; ``zipcodes.matching`` is a linear search."""
    # zipcodes ships no type hints; it returns a list of dicts with string fields.
    matches: list[dict[str, Any]] = zipcodes.matching(zip5)  # type: ignore[no-untyped-call]
    if not matches:
        return None
    entry = matches[0]
    return float(entry["lat"]), float(entry["long"]), str(entry["state"])
