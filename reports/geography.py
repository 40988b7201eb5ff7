"""The places a needs report breaks down by: each served council area, the postcode districts (outcodes) in
it, placed by the shipped district centroids, and each community hub with the districts it covers."""

from __future__ import annotations

import csv
import functools
import gzip
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import matching
from directory.areas import Areas
from geo import DATA_DIR, OutcodeCentroids, default_outcode_centroids
from geo.centroids import CENTROIDS_FILE

POSTCODE_FILE = DATA_DIR / "postcodes_SM_CV_HP_MK_SL.csv.gz"

PlaceKind = Literal["council_area", "hub", "outcode", "ward"]
OUTCODE_PARTS = re.compile(r"^(?P<area>[A-Z]{1,2})(?P<district>\d{1,2})(?P<suffix>[A-Z]?)$")


@dataclass(frozen=True)
class District:
    outcode: str
    lat: float
    lon: float
    council_area: str | None
    ons_code: str | None = None  # the ONS code of its majority local authority district


@dataclass(frozen=True)
class Place:
    kind: PlaceKind
    code: str
    name: str
    council_area: str | None
    outcodes: frozenset[str]


@functools.cache
def _district_authorities(path: Path) -> tuple[tuple[str, str], ...]:
    with open(path, newline="", encoding="utf-8") as file:
        return tuple((row["outcode"], row["admin_district_code"]) for row in csv.DictReader(file))


def served_districts(
    areas: Areas, centroids: OutcodeCentroids | None = None, path: Path = DATA_DIR / CENTROIDS_FILE
) -> dict[str, District]:
    """Every postcode district whose majority local authority is in a served council area."""
    centroids = centroids or default_outcode_centroids()
    districts = {}
    for outcode, authority in _district_authorities(path):
        area = areas.for_district(authority)
        location = centroids.lookup_outcode(outcode) if area else None
        if location is not None:
            districts[location.outcode] = District(
                location.outcode, location.lat, location.lon, area.code, authority or None
            )
    return districts


def district_authority(outcode: str, path: Path = DATA_DIR / CENTROIDS_FILE) -> str | None:
    """The ONS code of a postcode district's majority local authority, if the shipped file knows it."""
    return _authority_of(path).get(outcode)


@functools.cache
def _authority_of(path: Path) -> dict[str, str]:
    return {outcode: code for outcode, code in _district_authorities(path) if code}


def outcode_key(outcode: str) -> tuple[str, int, str]:
    """Natural order of postcode districts: SM2 before SM10, EC1A after EC1."""
    parts = OUTCODE_PARTS.match(outcode)
    if parts is None:
        return outcode, 0, ""
    return parts["area"], int(parts["district"]), parts["suffix"]


def covering(directory: matching.Directory, districts: Iterable[District]) -> dict[str, frozenset[int]]:
    """Organisation ids covering each district's centroid, by the matching engine's own coverage rule."""
    return {
        d.outcode: frozenset(
            org.id for org in directory.covering_organisations(d.lat, d.lon, d.outcode, d.council_area or "")
        )
        for d in districts
    }


def places(
    councils: Mapping[str, str],
    districts: Mapping[str, District],
    coverage: Mapping[str, frozenset[int]],
    hubs: Iterable[matching.Organisation],
) -> list[Place]:
    """Council areas (code → name), then hubs covering one of the districts, then the districts."""
    found = [
        Place(
            "council_area",
            code,
            name,
            code,
            frozenset(d.outcode for d in districts.values() if d.council_area == code),
        )
        for code, name in councils.items()
    ]
    for hub in sorted(hubs, key=lambda org: org.id):
        covered = frozenset(outcode for outcode, ids in coverage.items() if hub.id in ids)
        if covered:
            found.append(Place("hub", str(hub.id), hub.name, hub.area, covered))
    found += [
        Place("outcode", d.outcode, d.outcode, d.council_area, frozenset({d.outcode}))
        for d in sorted(districts.values(), key=lambda d: outcode_key(d.outcode))
    ]
    return found


@functools.cache
def ward_areas(district_codes: tuple[str, ...], path: Path = POSTCODE_FILE) -> dict[str, object]:
    """The wards of the given local authority districts as areas to draw: the Voronoi cells of each ward's
    postcodes in the shipped postcode file, merged and clipped (geo/areas.py); ONS ward code → shape in
    longitude/latitude. Empty for districts the file does not hold. Computed once per process."""
    from geo.areas import PostcodePoint, voronoi_areas  # shapely: loaded only when a map is drawn

    wanted = set(district_codes)
    with gzip.open(path, "rt", newline="", encoding="utf-8") as file:
        points = [
            PostcodePoint(
                row["postcode"], float(row["latitude"]), float(row["longitude"]), row["admin_ward_code"]
            )
            for row in csv.DictReader(file)
            if row["admin_district_code"] in wanted and row.get("admin_ward_code")
        ]
    return voronoi_areas(points)


@functools.cache
def ward_names(district_codes: tuple[str, ...], path: Path = POSTCODE_FILE) -> dict[str, str]:
    """ONS ward code → the ward's name (Code-Point Open's Admin_ward) for the wards of the given local
    authority districts in the shipped postcode file: a map names a ward nobody was referred from too."""
    wanted = set(district_codes)
    with gzip.open(path, "rt", newline="", encoding="utf-8") as file:
        return {
            row["admin_ward_code"]: row["admin_ward"] or row["admin_ward_code"]
            for row in csv.DictReader(file)
            if row["admin_district_code"] in wanted and row.get("admin_ward_code")
        }
