"""Official boundaries from an ONS Open Geography GeoJSON file (`flask --app wsgi geo import-boundaries`),
what a council's GIS team downloads from the ONS portal. Each feature names its area in a pair of properties
such as WD23CD/WD23NM (wards), LAD23CD/LAD23NM (local authority districts) or CTY21CD/CTY21NM; the code and
name are kept with the shape (a GeoJSON geometry in WGS84, validated and repaired with shapely) in the
`boundary` table, one row per code. Re-importing a file replaces the shapes it carries and leaves others."""

import json
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import shapely
from shapely.geometry import mapping, shape
from sqlalchemy import select
from sqlalchemy.orm import Session
from tqdm import tqdm

from geo.models import Boundary

CODE_PROPERTY = re.compile(r"^(?P<kind>[A-Z]+)(?P<year>\d{2})CD$", re.IGNORECASE)
LEVELS = {
    "WD": "ward",
    "LAD": "district",
    "LAU": "district",
    "CTY": "county",
    "UTLA": "county",
    "RGN": "region",
}
UK_BOX = (-8.9, 49.8, 2.0, 61.0)  # lon/lat: anything outside is not in WGS84 (or not in the UK)
POLYGONAL = ("Polygon", "MultiPolygon")


class BoundaryFileError(ValueError):
    """The file is not an ONS GeoJSON boundary file: nothing was imported."""


@dataclass(frozen=True)
class Feature:
    code: str
    name: str
    level: str
    geometry: dict


@dataclass
class BoundaryReport:
    features: int = 0
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.features:,} features read: {self.imported:,} imported, {self.updated:,} updated, "
            f"{self.skipped:,} skipped"
        )


def read_boundary_file(path: Path) -> tuple[str, list[dict]]:
    """The code property (e.g. WD13CD) and the features, or BoundaryFileError saying what is wrong."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BoundaryFileError(f"{Path(path).name}: not a GeoJSON file ({error})") from error
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise BoundaryFileError(f"{Path(path).name}: not a GeoJSON FeatureCollection")
    features = document.get("features") or []
    if not features:
        raise BoundaryFileError(f"{Path(path).name}: the FeatureCollection has no features")
    properties = features[0].get("properties") or {}
    codes = [name for name in properties if CODE_PROPERTY.match(name)]
    codes = [name for name in codes if _name_property(name) in properties]
    if not codes:
        raise BoundaryFileError(
            f"{Path(path).name}: no ONS code and name properties (such as WD23CD and WD23NM) in its features"
        )
    return codes[0], features


def parse_feature(raw: dict, code_property: str) -> Feature:
    """One feature as a boundary; ValueError naming what is wrong with it."""
    properties = raw.get("properties") or {}
    code = str(properties.get(code_property) or "").strip()
    name = str(properties.get(_name_property(code_property)) or "")
    if not code:
        raise ValueError(f"no {code_property}")
    try:
        geometry = shape(raw.get("geometry") or {})
    except (AttributeError, KeyError, TypeError, ValueError, shapely.errors.GEOSException) as error:
        raise ValueError(f"{code}: unreadable geometry ({error})") from error
    if geometry.is_empty or geometry.geom_type not in POLYGONAL:
        raise ValueError(f"{code}: the geometry is {geometry.geom_type}, not an area")
    west, south, east, north = geometry.bounds
    if west < UK_BOX[0] or south < UK_BOX[1] or east > UK_BOX[2] or north > UK_BOX[3]:
        raise ValueError(f"{code}: outside the UK in longitude/latitude (a file in British National Grid?)")
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
        polygons = [part for part in shapely.get_parts(geometry) if part.geom_type in POLYGONAL]
        geometry = shapely.union_all(polygons)
    kind = CODE_PROPERTY.match(code_property)["kind"].upper()
    return Feature(code, name.strip() or code, LEVELS.get(kind, kind.lower()), mapping(geometry))


def _name_property(code_property: str) -> str:
    return code_property[:-2] + ("NM" if code_property.endswith("CD") else "nm")


def import_boundaries(
    session_factory: Callable[[], Session],
    path: Path | str,
    *,
    progress: bool = True,
    source: str | None = None,
) -> BoundaryReport:
    """Load a boundary file into the `boundary` table in one transaction, with a progress bar on stderr."""
    path = Path(path)
    code_property, raw_features = read_boundary_file(path)
    report = BoundaryReport(features=len(raw_features))
    features: dict[str, Feature] = {}
    for number, raw in enumerate(
        tqdm(
            raw_features, desc=f"boundaries {path.name}", unit="area", file=sys.stderr, disable=not progress
        ),
        start=1,
    ):
        try:
            feature = parse_feature(raw, code_property)
        except ValueError as error:
            report.skipped += 1
            report.errors.append((f"feature {number}", str(error)))
            continue
        features[feature.code] = feature
    with session_factory() as session, session.begin():
        existing = _existing(session, features)
        for feature in features.values():
            session.merge(
                Boundary(
                    code=feature.code,
                    name=feature.name,
                    level=feature.level,
                    geometry=feature.geometry,
                    source=source or path.name,
                )
            )
    report.updated = len(existing)
    report.imported = len(features) - len(existing)
    return report


def _existing(session: Session, features: Iterable[str]) -> set[str]:
    codes = list(features)
    return set(session.scalars(select(Boundary.code).where(Boundary.code.in_(codes)))) if codes else set()
