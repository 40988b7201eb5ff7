"""Areas to draw when no boundary file is loaded: each ward (or any code the postcodes carry) drawn from its
postcode points alone, as the union of the Voronoi cells of its postcodes, clipped to the land the postcodes
cover (every point buffered by `reach_m`). The cells of different postcodes share only edges, so the areas
never overlap, every postcode lies in its own area, and the codes are the postcode file's own.

Computed in a local flat projection (metres east and north of the points' mean) and returned in WGS84
longitude/latitude. Several postcodes at one point (a block of flats) give one cell, drawn in the area most
of them belong to. Pure: shapely and numpy, no database."""

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

METRES_PER_DEGREE = 111_320.0
DEFAULT_REACH_M = 800.0
COORDINATE_DECIMALS = 6


@dataclass(frozen=True)
class PostcodePoint:
    postcode: str
    lat: float
    lon: float
    code: str  # the area it belongs to: an ONS ward or district code


@dataclass(frozen=True)
class _Flat:
    """An equirectangular projection about a point: good to a few metres across a county."""

    lat0: float
    lon0: float

    @property
    def scale(self) -> float:
        return METRES_PER_DEGREE * float(np.cos(np.radians(self.lat0)))

    def forward(self, lons: np.ndarray, lats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (lons - self.lon0) * self.scale, (lats - self.lat0) * METRES_PER_DEGREE

    def inverse(self, geometry: BaseGeometry) -> BaseGeometry:
        def back(coordinates: np.ndarray) -> np.ndarray:
            lons = coordinates[:, 0] / self.scale + self.lon0
            lats = coordinates[:, 1] / METRES_PER_DEGREE + self.lat0
            return np.round(np.column_stack([lons, lats]), COORDINATE_DECIMALS)

        return shapely.transform(geometry, back)


def voronoi_areas(
    points: Iterable[PostcodePoint], reach_m: float = DEFAULT_REACH_M
) -> dict[str, BaseGeometry]:
    """Code → its area (a Polygon or MultiPolygon in lon/lat), for every code among the points."""
    by_place: defaultdict[tuple[float, float], Counter] = defaultdict(Counter)
    for point in points:
        by_place[(point.lon, point.lat)][point.code] += 1
    if not by_place:
        return {}
    places = list(by_place)
    codes = [_majority(by_place[place]) for place in places]
    lons = np.array([lon for lon, _lat in places])
    lats = np.array([lat for _lon, lat in places])
    flat = _Flat(float(lats.mean()), float(lons.mean()))
    xs, ys = flat.forward(lons, lats)
    sites = shapely.points(np.column_stack([xs, ys]))
    land = shapely.union_all(shapely.buffer(sites, reach_m, quad_segs=4))
    if len(places) == 1:
        cells = [land]
    else:
        diagram = shapely.voronoi_polygons(
            shapely.multipoints(sites), extend_to=shapely.buffer(land, reach_m), ordered=True
        )
        cells = list(shapely.get_parts(diagram))
    grouped: defaultdict[str, list[BaseGeometry]] = defaultdict(list)
    for code, cell in zip(codes, cells, strict=True):
        grouped[code].append(cell)
    return {
        code: flat.inverse(shapely.make_valid(shapely.intersection(shapely.union_all(parts), land)))
        for code, parts in sorted(grouped.items())
    }


def _majority(counts: Mapping[str, int]) -> str:
    return min(counts, key=lambda code: (-counts[code], code))
