"""The ward map as data for an SVG drawn in the page (the reports page's interactive map): per council, each
ward's outline projected to screen units, its shade as the PNG map has it (reports/ward_map.py: small counts
hatched, never coloured by their count), what its tooltip says, the organisations on top, the labelled wards
and a scale bar. Offline: no tiles, only the ward shapes (reports/ward_shapes.py)."""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import shapely
from shapely.geometry.base import BaseGeometry

from reports.geography import ward_names
from reports.needs import NeedsReport, ProviderSite
from reports.ward_map import WardDemand, ward_shade, wards_to_label
from reports.ward_shapes import panel_shapes, polygons

PANEL_WIDTH = 760
MARGIN = 12
SIMPLIFY = 0.4  # screen units: detail finer than this is not drawn
KM_PER_DEGREE = 111.32
SCALE_STEPS_KM = (0.5, 1, 2, 5, 10, 20, 50)


@dataclass(frozen=True)
class WardPath:
    code: str
    name: str
    path: str  # SVG path data, holes included (drawn with fill-rule evenodd)
    fill: str
    hatched: bool
    shade: str  # the legend's words for the shade ("10% to 25%", "fewer than 5", "nobody referred")
    people: str  # as the table shows it ("<5" in open data)
    unmet: str


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    name: str
    hub: bool


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Panel:
    council: str
    name: str
    width: float
    height: float
    wards: tuple[WardPath, ...]
    markers: tuple[Marker, ...]
    labels: tuple[Label, ...]
    scale_px: float
    scale_label: str
    official: bool


@dataclass(frozen=True)
class _Projection:
    west: float
    north: float
    scale: float  # screen units per degree of latitude
    squeeze: float  # cos(latitude): a degree of longitude is shorter

    def point(self, lon: float, lat: float) -> tuple[float, float]:
        return (
            MARGIN + (lon - self.west) * self.squeeze * self.scale,
            MARGIN + (self.north - lat) * self.scale,
        )

    def shape(self, area: BaseGeometry) -> BaseGeometry:
        def move(coords):
            out = coords.copy()
            out[:, 0] = MARGIN + (coords[:, 0] - self.west) * self.squeeze * self.scale
            out[:, 1] = MARGIN + (self.north - coords[:, 1]) * self.scale
            return out

        return shapely.transform(area, move)


def scale_bar_km(width_km: float) -> float:
    fitting = [step for step in SCALE_STEPS_KM if step <= width_km / 4]
    return fitting[-1] if fitting else SCALE_STEPS_KM[0]


def count_text(value: int | None, threshold: int, withheld: bool = False) -> str:
    if withheld:
        return "withheld"
    return f"<{threshold}" if value is None else str(value)


def path_data(area: BaseGeometry) -> str:
    """SVG path data of a shape in screen units, one decimal place."""
    parts = []
    for polygon in polygons(area):
        for ring in (polygon.exterior, *polygon.interiors):
            points = list(ring.coords)[:-1]
            if len(points) < 3:
                continue
            parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in points) + "Z")
    return "".join(parts)


def _people(ward: WardDemand | None, total, threshold: int) -> str:
    if ward is None:
        return "0"
    if total is not None:
        return count_text(total.people, threshold, "people" in total.withheld)
    return count_text(ward.people, threshold)


def ward_panels(report: NeedsReport, width: float = PANEL_WIDTH) -> list[Panel]:
    """A panel per council of the report that has wards to draw."""
    panels = []
    for council, name in report.councils.items():
        wards = [w for w in report.wards if w.council_area == council]
        shapes, official = panel_shapes(report, council, wards)
        if shapes:
            sites = [p for p in report.provision if p.council_area == council]
            panels.append(_panel(report, council, name, wards, shapes, official, sites, width))
    return panels


def _panel(
    report: NeedsReport,
    council: str,
    name: str,
    wards: Sequence[WardDemand],
    shapes: dict[str, BaseGeometry],
    official: bool,
    sites: Sequence[ProviderSite],
    width: float,
) -> Panel:
    west, south, east, north = shapely.GeometryCollection(list(shapes.values())).bounds
    squeeze = math.cos(math.radians((south + north) / 2))
    scale = (width - 2 * MARGIN) / max((east - west) * squeeze, 1e-9)
    projection = _Projection(west, north, scale, squeeze)
    threshold = report.suppression_threshold
    by_code = {w.code: w for w in wards}
    names = {**ward_names(tuple(report.district_codes.get(council, ()))), **report.boundary_names}
    # The wards' people as the report's place totals publish them: in open data, a ward's count withheld to
    # protect a small one (secondary suppression against the council's total) is withheld here too
    totals = {t.area: t for t in report.places if t.area_type == "ward" and t.council_area == council}
    paths, centres = [], {}
    for code, area in sorted(shapes.items(), key=lambda item: by_code.get(item[0]) is not None):
        drawn = projection.shape(area).simplify(SIMPLIFY)
        ward = by_code.get(code)
        shade = ward_shade(ward, threshold)
        point = drawn.representative_point()
        centres[code] = (point.x, point.y)
        paths.append(
            WardPath(
                code=code,
                name=ward.name if ward else names.get(code, code),
                path=path_data(drawn),
                fill=shade.colour,
                hatched=shade.kind == "suppressed",
                shade=shade.label,
                people=_people(ward, totals.get(code), threshold),
                unmet=count_text(ward.unmet, threshold) if ward else "0",
            )
        )
    markers = tuple(
        Marker(*projection.point(site.lon, site.lat), site.name, site.kind == "hub")
        for site in sites
        if west <= site.lon <= east and south <= site.lat <= north
    )
    labels = tuple(
        Label(*centres[code], by_code[code].name)
        for code in wards_to_label([w for w in wards if w.code in shapes], threshold)
    )
    width_km = (east - west) * squeeze * KM_PER_DEGREE
    km = scale_bar_km(width_km)
    return Panel(
        council=council,
        name=name,
        width=width,
        height=2 * MARGIN + (north - south) * scale,
        wards=tuple(paths),
        markers=markers,
        labels=labels,
        scale_px=km / KM_PER_DEGREE * scale,
        scale_label=f"{km:g} km",
        official=official,
    )
