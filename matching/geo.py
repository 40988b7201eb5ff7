"""Great-circle geometry on unit vectors.

Points are stored as unit vectors; the straight-line (chord) distance c between two of them gives the
great-circle distance exactly, d = 2R·asin(c/2), so "within r km" is the trig-free test c² ≤ (2·sin(r/2R))².
The radius is geopy's great_circle mean Earth radius, so results agree with geopy.
"""

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

EARTH_RADIUS_KM = 6371.009


def unit_vectors(lat_deg: ArrayLike, lon_deg: ArrayLike) -> NDArray[np.float64]:
    lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
    lon = np.radians(np.asarray(lon_deg, dtype=np.float64))
    cos_lat = np.cos(lat)
    return np.stack([cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)], axis=-1)


def chord2_within(radius_km: ArrayLike) -> NDArray[np.float64]:
    """Squared chord length of a great-circle distance (capped at the antipode)."""
    angle = np.minimum(np.asarray(radius_km, dtype=np.float64) / EARTH_RADIUS_KM, math.pi)
    return (2.0 * np.sin(angle / 2.0)) ** 2


def km_from_chord2(chord2: ArrayLike) -> NDArray[np.float64]:
    half_chord = np.sqrt(np.asarray(chord2, dtype=np.float64)) / 2.0
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(half_chord, 1.0))


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance between two points in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi = (phi2 - phi1) / 2.0
    half_dlambda = math.radians(lon2 - lon1) / 2.0
    h = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    return 2.0 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def normalise_outcode(outcode: str) -> str:
    return "".join(outcode.split()).upper()
