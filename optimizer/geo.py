"""Great-circle distances, vectorized: one call gives the whole order x location matrix."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_KM = 6371.0088

FloatArray = npt.NDArray[np.float64]


def haversine_km(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> FloatArray:
    """Distance in km between points; inputs broadcast like numpy arrays."""
    p1, l1 = np.radians(np.asarray(lat1, float)), np.radians(np.asarray(lon1, float))
    p2, l2 = np.radians(np.asarray(lat2, float)), np.radians(np.asarray(lon2, float))
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))), float)


def distance_matrix(
    from_lat: FloatArray, from_lon: FloatArray, to_lat: FloatArray, to_lon: FloatArray
) -> FloatArray:
    """Rows = ``from`` points, columns = ``to`` points."""
    return haversine_km(from_lat[:, None], from_lon[:, None], to_lat[None, :], to_lon[None, :])
