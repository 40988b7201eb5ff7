"""The shapes of a council's wards for drawing (the PNG map and the page's map): the official boundaries the
`boundary` table holds, when it holds every ward people live in, else areas drawn from the shipped postcodes
(reports.geography.ward_areas)."""

from collections.abc import Sequence

from shapely.geometry import GeometryCollection, MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from reports.geography import ward_areas
from reports.needs import NeedsReport
from reports.ward_map import WardDemand

# The data behind every map of wards: the postcode file's and the boundaries' licences (data/README.md)
ATTRIBUTION = (
    "Contains OS data © Crown copyright and database right 2025. "
    "Contains Royal Mail data © Royal Mail copyright and database right 2025.\n"
    "Contains National Statistics data © Crown copyright and database right 2025. "
    "Source: Office for National Statistics licensed under the Open Government Licence v.3.0."
)


def panel_shapes(
    report: NeedsReport, council: str, wards: Sequence[WardDemand]
) -> tuple[dict[str, BaseGeometry], bool]:
    """A council's ward shapes (ONS code → lon/lat shape) and whether they are the official boundaries: those
    of the `boundary` table when it holds every ward people there live in (with every loaded ward of the
    council's postcodes), else drawn from the postcodes."""
    districts = tuple(report.district_codes.get(council, ()))
    drawn = ward_areas(districts)
    loaded = report.ward_boundaries
    needed = {w.code for w in wards} or set(drawn)
    if loaded and needed and needed <= set(loaded):
        own = {code for code, district in report.boundary_districts.items() if district in districts}
        wanted = needed | ((own | set(drawn)) & set(loaded))
        return {code: shape(loaded[code]) for code in sorted(wanted)}, True
    return dict(drawn), False


def polygons(area: BaseGeometry) -> list[Polygon]:
    """The polygons of a shape (a polygon, a multipolygon or a collection of them)."""
    if isinstance(area, Polygon):
        return [area]
    if isinstance(area, MultiPolygon | GeometryCollection):
        return [part for geom in area.geoms for part in polygons(geom)]
    return []
