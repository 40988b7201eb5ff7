"""A national directory for load tests: every UK council district served, each with a coordination model, a
safety-net team, an infrastructure organisation, community hubs, VCS organisations and mutual-aid groups, and
synthetic unit postcodes around each real postcode-district centre (data/uk_outcode_centroids.csv).

Volunteers are made by `bench.national_volunteers`; call bodies by `bench.call_bodies`.
"""

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psycopg
import yaml
from sqlalchemy import insert
from sqlalchemy.orm import Session

from directory.models import Organisation
from geo import DATA_DIR

CENTROIDS = DATA_DIR / "uk_outcode_centroids.csv"
MODELS = ("hub_network", "multi_agency_cell", "infrastructure_broker")
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
KM_PER_DEG_LAT = 111.2
UNITS_PER_OUTCODE = 24
MUTUAL_AID_SERVICES = ["shopping", "prescriptions", "dog_walking", "errands", "befriending"]
WEEKDAY_HOURS = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
HUB_HOURS = {day: [["08:00", "20:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat")}
VCS_KINDS = (
    ("{name} Food Bank", ["food"], 0, 60),
    ("Age UK {name}", ["befriending", "shopping", "transport", "digital", "advice"], 60, 40),
    ("Mind in {name}", ["mental_health", "befriending"], 16, 30),
    ("Citizens Advice {name}", ["advice", "financial", "housing"], 0, 80),
    ("{name} Community Transport", ["transport", "errands"], 0, 25),
    ("{name} Digital Inclusion", ["digital", "advice"], 0, 20),
)
MUTUAL_AID_MODES = ("integrated", "supported", "arms_length")


@dataclass(frozen=True)
class Outcode:
    code: str
    lat: float
    lon: float
    weight: float
    district_code: str
    district: str


@dataclass(frozen=True)
class District:
    code: str
    name: str
    area: str
    model: str
    outcodes: tuple[Outcode, ...]


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def load_districts(path: Path = CENTROIDS) -> list[District]:
    """Every local authority district with at least one geographic postcode district, in code order."""
    by_district: dict[str, list[Outcode]] = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if not (row["latitude"] and row["admin_district_code"] and int(row["postcode_count"] or 0)):
                continue
            by_district[row["admin_district_code"]].append(
                Outcode(
                    code=row["outcode"],
                    lat=float(row["latitude"]),
                    lon=float(row["longitude"]),
                    weight=float(row["postcode_count"]),
                    district_code=row["admin_district_code"],
                    district=row["admin_district"],
                )
            )
    districts, used = [], set()
    for number, (code, outcodes) in enumerate(sorted(by_district.items())):
        name = outcodes[0].district
        area = _slug(name)[:30]
        if area in used:
            area = f"{area[:20]}_{code.lower()}"
        used.add(area)
        districts.append(District(code, name, area, MODELS[number % len(MODELS)], tuple(outcodes)))
    return districts


def write_areas_yaml(districts: list[District], path: Path) -> Path:
    document = {
        "version": 1,
        "areas": [
            {
                "code": d.area,
                "name": d.name,
                "admin_district_codes": [d.code],
                "coordination_model": d.model,
            }
            for d in districts
        ],
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def _org(district: District, kind: str, name: str, **fields) -> dict:
    values = {
        "name": name,
        "kind": kind,
        "area": district.area,
        "description": "Synthetic organisation for load tests.",
        "services": [],
        "coverage_outcodes": [],
        "base_postcode": None,
        "base_lat": None,
        "base_lon": None,
        "radius_km": None,
        "capacity": 50,
        "mutual_aid_mode": None,
        "opening_hours": None,
        "min_age": None,
        "max_age": None,
        "contact_name": "Duty coordinator",
        "contact_phone": "+447700900000",
        "contact_email": f"{district.area[:40]}-{kind}@example.org",
        "public_contact": "07700 900000 · https://example.org",
        "sms_opted_out": False,
        "active": True,
    }
    values.update(fields)
    return values


def plan_organisations(district: District, rng: np.random.Generator) -> list[dict]:
    outcodes = [o.code for o in district.outcodes]
    everywhere = {"coverage_outcodes": outcodes}
    planned = [
        _org(
            district,
            "safety_net",
            f"{district.name} Council Community Response",
            capacity=10_000,
            **everywhere,
        ),
        _org(
            district,
            "infrastructure",
            f"{district.name} Council for Voluntary Service",
            services=["shopping", "prescriptions", "befriending", "food", "transport", "advice", "errands"],
            capacity=500,
            opening_hours=HUB_HOURS,
            **everywhere,
        ),
    ]
    parts = np.array_split(np.array(outcodes), min(len(outcodes), 3))
    for number, part in enumerate(parts, start=1):
        planned.append(
            _org(
                district,
                "hub",
                f"{district.name} Community Hub {number}",
                services=[*MUTUAL_AID_SERVICES, "food", "transport", "digital"],
                coverage_outcodes=[str(code) for code in part],
                capacity=200,
                opening_hours=HUB_HOURS,
            )
        )
    for index in rng.choice(len(VCS_KINDS), size=4, replace=False):
        template, services, min_age, capacity = VCS_KINDS[int(index)]
        base = district.outcodes[int(rng.integers(len(district.outcodes)))]
        planned.append(
            _org(
                district,
                "vcs",
                template.format(name=district.name),
                services=services,
                base_postcode=None,
                base_lat=base.lat,
                base_lon=base.lon,
                radius_km=float(rng.uniform(6, 15)),
                capacity=capacity,
                opening_hours=WEEKDAY_HOURS,
                min_age=min_age or None,
            )
        )
    for base in rng.choice(len(district.outcodes), size=min(5, len(district.outcodes)), replace=False):
        centre = district.outcodes[int(base)]
        planned.append(
            _org(
                district,
                "mutual_aid",
                f"{centre.code} Mutual Aid",
                services=MUTUAL_AID_SERVICES,
                base_lat=centre.lat,
                base_lon=centre.lon,
                radius_km=float(rng.uniform(2, 5)),
                capacity=int(rng.integers(20, 100)),
                mutual_aid_mode=str(rng.choice(MUTUAL_AID_MODES, p=[0.6, 0.25, 0.15])),
            )
        )
    return planned


def insert_organisations(session: Session, districts: list[District], seed: int) -> dict[str, list[dict]]:
    """Insert every district's organisations; returns them by area with their new ids."""
    rng = np.random.default_rng(seed)
    by_area = {d.area: plan_organisations(d, rng) for d in districts}
    rows = [org for planned in by_area.values() for org in planned]
    ids = session.scalars(insert(Organisation).returning(Organisation.id, sort_by_parameter_order=True), rows)
    for org, org_id in zip(rows, ids, strict=True):
        org["id"] = org_id
    session.commit()
    return by_area


@dataclass(frozen=True)
class UnitPostcodes:
    """Synthetic unit postcodes, `UNITS_PER_OUTCODE` per postcode district, scattered about its centre."""

    postcode: list[str]
    outcode: list[Outcode]
    lat: np.ndarray
    lon: np.ndarray


def make_postcodes(districts: list[District], seed: int) -> UnitPostcodes:
    rng = np.random.default_rng(seed)
    outcodes = [o for d in districts for o in d.outcodes]
    postcodes, owners = [], []
    for outcode in outcodes:
        inwards = rng.choice(10 * 20 * 20, size=UNITS_PER_OUTCODE, replace=False)
        for inward in inwards:
            digit, rest = divmod(int(inward), 400)
            first, second = divmod(rest, 20)
            postcodes.append(f"{outcode.code} {digit}{INWARD_LETTERS[first]}{INWARD_LETTERS[second]}")
            owners.append(outcode)
    lat0 = np.array([o.lat for o in owners])
    lon0 = np.array([o.lon for o in owners])
    lat = lat0 + rng.normal(0, 1.0, len(owners)) / KM_PER_DEG_LAT
    lon = lon0 + rng.normal(0, 1.0, len(owners)) / (KM_PER_DEG_LAT * np.cos(np.radians(lat0)))
    return UnitPostcodes(postcodes, owners, lat, lon)


def copy_postcodes(conninfo: str, units: UnitPostcodes) -> None:
    buffer = io.StringIO()
    for i, postcode in enumerate(units.postcode):
        owner = units.outcode[i]
        buffer.write(
            f"{postcode}\t{owner.code}\t{units.lat[i]:.6f}\t{units.lon[i]:.6f}\t10\t"
            f"{owner.district_code}\t{owner.district}\tsynthetic (bench)\n"
        )
    columns = "postcode, outcode, latitude, longitude, positional_quality, admin_district_code, "
    columns += "admin_district, source"
    with psycopg.connect(conninfo) as connection, connection.cursor() as cursor:
        with cursor.copy(f"COPY postcode ({columns}) FROM STDIN") as copy:
            copy.write(buffer.getvalue())
        connection.commit()
