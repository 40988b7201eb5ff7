"""Readers for full postcode files, turning them into rows of the `postcode` table.

Two formats:
- OS Code-Point Open as published (a zip of headerless CSVs under `Data/CSV/`, British National Grid
  eastings/northings), converted to WGS84 with pyproj one area file at a time. Units with positional quality
  90 or zero coordinates have no location and are skipped. The ONS district and ward codes
  (Admin_district_code, Admin_ward_code) are kept; wards are named from the zip's own `Doc/Codelist.xlsx`
  (geo/codelist.py), districts from the shipped outcode file.
- The derived CSV shipped in `data/` (header row with at least postcode, latitude, longitude; optional
  positional_quality, admin_district_code, admin_district, admin_ward_code, admin_ward, source), plain or
  gzipped.
"""

import csv
import gzip
import io
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pyproj import Transformer

from geo.codelist import ward_names
from geo.location import within_uk
from geo.postcodes import InvalidPostcode, is_normalised_postcode, normalise_postcode

CODEPOINT_MEMBER = re.compile(r"Data/CSV/[a-z]+\.csv", re.IGNORECASE)
CODEPOINT_VERSION = re.compile(r"DATASET VERSION NUMBER:\s*(\S+)")
NO_LOCATION_QUALITY = 90
DERIVED_REQUIRED_COLUMNS = ("postcode", "latitude", "longitude")
DERIVED_OPTIONAL_COLUMNS = (
    "positional_quality",
    "admin_district_code",
    "admin_district",
    "admin_ward_code",
    "admin_ward",
    "source",
)
COORDINATE_DECIMALS = 6
ROWS_PER_CHUNK = 10_000

Row = dict[str, object]


@dataclass(slots=True)
class Chunk:
    """Rows parsed from part of a file; `position` is how far through the file (in bytes) it ends."""

    rows: list[Row]
    rows_read: int
    position: int
    skipped: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)

    def reject(self, where: str, reason: str) -> None:
        self.skipped += 1
        self.errors.append((where, reason))


@dataclass(slots=True)
class PostcodeFile:
    description: str
    size: int
    chunks: Iterator[Chunk]


def open_postcode_file(
    path: Path, district_names: Mapping[str, str], source: str | None = None
) -> PostcodeFile:
    """Recognise the file's format; `district_names` names the admin district codes Code-Point gives alone."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            members = sorted(
                (info for info in archive.infolist() if CODEPOINT_MEMBER.fullmatch(info.filename)),
                key=lambda info: info.filename,
            )
            label = source or _codepoint_label(archive)
            names = Names(district_names, ward_names(archive))
        if not members:
            raise ValueError(f"{path.name}: a zip without Data/CSV/*.csv is not a Code-Point Open archive")
        size = sum(info.file_size for info in members)
        return PostcodeFile(label, size, _codepoint_chunks(path, members, label, names))
    return PostcodeFile(source or path.name, path.stat().st_size, _derived_chunks(path, source or path.name))


@dataclass(frozen=True, slots=True)
class Names:
    """ONS code → name, for the districts and the wards Code-Point gives as codes alone."""

    districts: Mapping[str, str]
    wards: Mapping[str, str]


def _codepoint_label(archive: zipfile.ZipFile) -> str:
    try:
        metadata = archive.read("Doc/metadata.txt").decode("utf-8", errors="replace")
    except KeyError:
        return "OS Code-Point Open"
    version = CODEPOINT_VERSION.search(metadata)
    return f"OS Code-Point Open {version.group(1)}" if version else "OS Code-Point Open"


def _codepoint_chunks(
    path: Path, members: list[zipfile.ZipInfo], label: str, names: Names
) -> Iterator[Chunk]:
    to_wgs84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    position = 0
    with zipfile.ZipFile(path) as archive:
        for member in members:
            with archive.open(member) as raw:
                lines = list(csv.reader(io.TextIOWrapper(raw, encoding="utf-8", errors="replace")))
            position += member.file_size
            yield _codepoint_chunk(member.filename, lines, position, to_wgs84, label, names)


def _codepoint_chunk(
    name: str,
    lines: list[list[str]],
    position: int,
    to_wgs84: Transformer,
    label: str,
    names: Names,
) -> Chunk:
    chunk = Chunk(rows=[], rows_read=len(lines), position=position)
    located: list[tuple[int, str, int, str | None, str | None]] = []
    eastings: list[float] = []
    northings: list[float] = []
    for number, fields in enumerate(lines, start=1):
        try:
            postcode = _postcode(fields[0])
            quality, easting, northing = int(fields[1]), float(fields[2]), float(fields[3])
            district_code = fields[8] or None
            ward_code = (fields[9] if len(fields) > 9 else "") or None
        except (IndexError, ValueError) as error:
            chunk.reject(f"{name}:{number}", _reason(error))
            continue
        if quality == NO_LOCATION_QUALITY or (easting == 0 and northing == 0):
            chunk.skipped += 1
            continue
        located.append((number, postcode, quality, district_code, ward_code))
        eastings.append(easting)
        northings.append(northing)
    longitudes, latitudes = to_wgs84.transform(np.asarray(eastings), np.asarray(northings))
    latitudes = np.round(latitudes, COORDINATE_DECIMALS).tolist()
    longitudes = np.round(longitudes, COORDINATE_DECIMALS).tolist()
    for (number, postcode, quality, district_code, ward_code), lat, lon in zip(
        located, latitudes, longitudes, strict=True
    ):
        if not within_uk(lat, lon):
            chunk.reject(f"{name}:{number}", f"coordinates outside the UK ({lat}, {lon})")
            continue
        chunk.rows.append(
            {
                "postcode": postcode,
                "outcode": postcode[:-4],
                "latitude": lat,
                "longitude": lon,
                "positional_quality": quality,
                "admin_district_code": district_code,
                "admin_district": names.districts.get(district_code) if district_code else None,
                "admin_ward_code": ward_code,
                "admin_ward": names.wards.get(ward_code) if ward_code else None,
                "source": label,
            }
        )
    return chunk


def _derived_chunks(path: Path, label: str) -> Iterator[Chunk]:
    with open(path, "rb") as raw:
        compressed = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        stream = gzip.GzipFile(fileobj=raw) if compressed else raw
        reader = csv.reader(io.TextIOWrapper(stream, encoding="utf-8-sig", newline=""))
        build_row = _derived_row_builder(path, next(reader, []), label)
        chunk = Chunk(rows=[], rows_read=0, position=0)
        for fields in reader:
            chunk.rows_read += 1
            try:
                chunk.rows.append(build_row(fields))
            except (IndexError, ValueError) as error:
                chunk.reject(f"{path.name}:{reader.line_num}", _reason(error))
            if chunk.rows_read == ROWS_PER_CHUNK:
                chunk.position = raw.tell()
                yield chunk
                chunk = Chunk(rows=[], rows_read=0, position=0)
        chunk.position = raw.tell()
        yield chunk


def _derived_row_builder(path: Path, header: list[str], label: str) -> Callable[[list[str]], Row]:
    columns = {name.strip().lower(): index for index, name in enumerate(header)}
    missing = [name for name in DERIVED_REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise ValueError(
            f"{path.name}: not a Code-Point Open zip, nor a CSV with a header naming "
            f"{', '.join(DERIVED_REQUIRED_COLUMNS)} (missing {', '.join(missing)})"
        )
    postcode_at, latitude_at, longitude_at = (columns[name] for name in DERIVED_REQUIRED_COLUMNS)
    quality_at, code_at, name_at, ward_code_at, ward_at, source_at = (
        columns.get(name) for name in DERIVED_OPTIONAL_COLUMNS
    )

    def optional(fields: list[str], index: int | None) -> str | None:
        return (fields[index].strip() or None) if index is not None else None

    def build_row(fields: list[str]) -> Row:
        postcode = _postcode(fields[postcode_at])
        lat, lon = float(fields[latitude_at]), float(fields[longitude_at])
        if not within_uk(lat, lon):
            raise ValueError(f"coordinates outside the UK ({lat}, {lon})")
        quality = optional(fields, quality_at)
        return {
            "postcode": postcode,
            "outcode": postcode[:-4],
            "latitude": lat,
            "longitude": lon,
            "positional_quality": int(quality) if quality else None,
            "admin_district_code": optional(fields, code_at),
            "admin_district": optional(fields, name_at),
            "admin_ward_code": optional(fields, ward_code_at),
            "admin_ward": optional(fields, ward_at),
            "source": optional(fields, source_at) or label,
        }

    return build_row


def _postcode(raw: str) -> str:
    return raw if is_normalised_postcode(raw) else normalise_postcode(raw)


def _reason(error: Exception) -> str:
    if isinstance(error, InvalidPostcode):
        return f"{error.reason} ({error.value!r})"
    if isinstance(error, IndexError):
        return "too few columns"
    return str(error)
