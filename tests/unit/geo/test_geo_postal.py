"""ZIP codes become coordinates offline; anything else fails with a message a person can use."""

from __future__ import annotations

import pytest

from geo import UnknownPostalCode, geocode_postal_code
from geo.postal import _lookup


@pytest.mark.parametrize(
    ("postal_code", "lat", "lon"),
    [
        ("10001", 40.75, -73.99),  # New York, Chelsea
        ("94105", 37.79, -122.39),  # San Francisco, SoMa
        ("60601", 41.89, -87.62),  # Chicago, Loop
        ("02134", 42.35, -71.11),  # Boston: the leading zero is kept
    ],
)
def test_known_zip_codes_resolve_to_their_city(postal_code: str, lat: float, lon: float) -> None:
    got_lat, got_lon = geocode_postal_code(postal_code)
    assert got_lat == pytest.approx(lat, abs=0.05)
    assert got_lon == pytest.approx(lon, abs=0.05)


@pytest.mark.parametrize("variant", ["10001-1234", "100011234", " 10001 ", "10001\n"])
def test_zip_plus_four_and_whitespace_resolve_like_the_plain_zip(variant: str) -> None:
    assert geocode_postal_code(variant) == geocode_postal_code("10001")


@pytest.mark.parametrize("country", ["US", "us", " USA "])
def test_us_country_spellings_are_accepted(country: str) -> None:
    assert geocode_postal_code("10001", country) == geocode_postal_code("10001")


def test_returns_plain_floats() -> None:
    lat, lon = geocode_postal_code("60601")
    assert type(lat) is float and type(lon) is float


def test_unknown_zip_names_the_code() -> None:
    with pytest.raises(UnknownPostalCode, match=r"postal code '99999' is not a known US ZIP code"):
        geocode_postal_code("99999")


@pytest.mark.parametrize("bad", ["", "1234", "123456", "ABCDE", "10001-12", "SW1A 1AA", "٣٣٣٣٣"])
def test_malformed_codes_explain_the_expected_format(bad: str) -> None:
    with pytest.raises(UnknownPostalCode, match="5 digits"):
        geocode_postal_code(bad)


def test_non_string_code_is_an_unknown_postal_code_not_a_type_error() -> None:
    with pytest.raises(UnknownPostalCode, match="must be a string"):
        geocode_postal_code(10001)  # type: ignore[arg-type]


@pytest.mark.parametrize("country", ["GB", "DE", "CA", "", "United States"])
def test_non_us_countries_are_refused(country: str) -> None:
    with pytest.raises(UnknownPostalCode, match="only be geocoded for the US"):
        geocode_postal_code("10001", country)


def test_territory_zip_resolves_with_its_own_country_code() -> None:
    lat, lon = geocode_postal_code("00901", "PR")  # San Juan
    assert lat == pytest.approx(18.46, abs=0.1)
    assert lon == pytest.approx(-66.1, abs=0.1)


def test_territory_country_with_a_mainland_zip_is_refused() -> None:
    with pytest.raises(UnknownPostalCode, match="belongs to NY"):
        geocode_postal_code("10001", "PR")


def test_unknown_postal_code_is_a_value_error() -> None:
    assert issubclass(UnknownPostalCode, ValueError)


def test_lookups_are_cached_per_five_digit_zip() -> None:
    _lookup.cache_clear()
    geocode_postal_code("94105")
    geocode_postal_code("94105-1804")
    info = _lookup.cache_info()
    assert info.misses == 1
    assert info.hits == 1


@pytest.mark.parametrize("postal_code", ["09001", "96201", "20588", "56908"])
def test_a_zip_the_list_has_no_position_for_is_refused_not_put_at_zero_zero(
        postal_code: str) -> None:
    """Military APO/FPO codes and some single-organisation ZIPs are listed at (0, 0): taken as
    they are, a Washington DC order was 'shipped' from the Gulf of Guinea (11 days, 90 dollars)."""
    assert _lookup(postal_code) is not None  # known to the list...
    with pytest.raises(UnknownPostalCode, match="send lat/lon instead") as refused:
        geocode_postal_code(postal_code)  # ...but without a position
    assert postal_code in str(refused.value)
