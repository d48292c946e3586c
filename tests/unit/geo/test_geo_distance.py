"""Scalar great-circle distance, checked against distances everyone can look up."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo import EARTH_RADIUS_KM, haversine_km

NYC = (40.7128, -74.0060)
LA = (34.0522, -118.2437)

lats = st.floats(min_value=-90, max_value=90)
lons = st.floats(min_value=-180, max_value=180)


def test_new_york_to_los_angeles_is_about_3936_km() -> None:
    assert haversine_km(*NYC, *LA) == pytest.approx(3936, rel=0.01)


def test_same_point_is_zero() -> None:
    assert haversine_km(*NYC, *NYC) == 0.0


def test_antipodes_are_half_the_circumference() -> None:
    assert haversine_km(0.0, 0.0, 0.0, 180.0) == pytest.approx(20015.1, rel=1e-4)


def test_one_degree_of_latitude_is_about_111_km() -> None:
    assert haversine_km(0.0, 0.0, 1.0, 0.0) == pytest.approx(111.2, abs=0.1)


@given(lats, lons, lats, lons)
def test_symmetric_non_negative_and_bounded(a: float, b: float, c: float, d: float) -> None:
    forward = haversine_km(a, b, c, d)
    assert forward == pytest.approx(haversine_km(c, d, a, b), abs=1e-6)
    assert 0.0 <= forward <= math.pi * EARTH_RADIUS_KM + 1e-6
