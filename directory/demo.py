"""The demo directory: fictional organisations and volunteers for Sutton, Coventry and Buckinghamshire, placed
on real postcodes from the shipped Code-Point Open extract.

`load_demo` creates or refreshes it in one transaction. Rows are matched on `external_id` and every value is
drawn from a random generator seeded per row, so a second run with the same `today` and `seed` changes
nothing. Demo rows that the tables no longer describe are deactivated, never deleted.
"""

import copy
import csv
import gzip
import math
import random
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.demo_data import (
    ALL_SERVICES,
    AREAS,
    AVAILABILITY_PROFILES,
    DAYS,
    DBS_ODDS,
    DBS_VALID_DAYS,
    DEMO_NOTICE,
    EVERYDAY_SKILLS,
    FIRST_NAMES,
    LAST_NAMES,
    MEMBERSHIP_WEIGHTS,
    OPENING_HOURS,
    ORGANISATIONS,
    SKILLED,
    SLOTS,
    VOLUNTEER_PHONE_PREFIX,
    DemoArea,
    OrgSpec,
)
from directory.models import Organisation, Volunteer
from geo.location import distance_km

POSTCODE_FILE = Path(__file__).resolve().parent.parent / "data" / "postcodes_SM_CV_HP_MK_SL.csv.gz"
ORG_PREFIX = "demo:"
VOLUNTEER_PREFIX = "demo:vol:"
BUILDING_PRECISION = "10"  # Code-Point positional quality: located within the building
SMS_OPT_OUT_RATE = 0.03
GRID_DEGREES = (0.009, 0.014)  # about 1 km by 1 km in southern England
BASE_CANDIDATES = 12
KM_PER_DEGREE_LATITUDE = 111.0


class DemoDataError(RuntimeError):
    pass


@dataclass(frozen=True)
class Point:
    postcode: str
    outcode: str
    lat: float
    lon: float


@dataclass(frozen=True)
class AreaPostcodes:
    """An area's postcodes: `points` are those located to the building, `centroids` cover every outcode."""

    points: tuple[Point, ...]
    centroids: dict[str, tuple[float, float]]
    neighbours: dict[str, int]  # postcodes in the same and adjacent ~1 km grid cells: high in town centres

    @property
    def outcodes(self) -> list[str]:
        return sorted(self.centroids, key=outcode_order)

    def busiest(self, outcode: str, count: int) -> list[Point]:
        """The `count` most built-up postcodes of a district: where a town's offices would be."""
        points = self.in_outcodes([outcode])
        return sorted(points, key=lambda point: (-self.neighbours[point.postcode], point.postcode))[:count]

    def in_outcodes(self, outcodes: Iterable[str]) -> list[Point]:
        wanted = set(outcodes)
        return [point for point in self.points if point.outcode in wanted]

    def within(self, lat: float, lon: float, radius_km: float) -> list[Point]:
        lat_margin = radius_km / KM_PER_DEGREE_LATITUDE * 1.01
        lon_margin = lat_margin / math.cos(math.radians(lat))
        return [
            point
            for point in self.points
            if abs(point.lat - lat) <= lat_margin
            and abs(point.lon - lon) <= lon_margin
            and distance_km(lat, lon, point.lat, point.lon) <= radius_km
        ]

    def outcode_distance_km(self, first: str, second: str) -> float:
        return distance_km(*self.centroids[first], *self.centroids[second])


@dataclass(frozen=True)
class PlannedOrg:
    external_id: str
    spec: OrgSpec
    fields: dict
    catchment: list[Point]


@dataclass
class DemoReport:
    organisations_created: int = 0
    organisations_updated: int = 0
    volunteers_created: int = 0
    volunteers_updated: int = 0
    deactivated: int = 0
    by_area: dict[str, dict[str, int]] = field(default_factory=dict)


def outcode_order(outcode: str) -> tuple[str, int, str]:
    letters, digits, suffix = re.fullmatch(r"([A-Z]+)(\d+)([A-Z]?)", outcode).groups()
    return letters, int(digits), suffix


def read_area_postcodes(path: Path = POSTCODE_FILE) -> dict[str, AreaPostcodes]:
    area_of_district = {area.admin_district_code: area.code for area in AREAS}
    located: dict[str, list[tuple[Point, str]]] = defaultdict(list)
    with gzip.open(path, "rt", newline="") as handle:
        rows = csv.reader(handle)
        header = next(rows)
        postcode, outcode, lat, lon, quality, district = (
            header.index(name)
            for name in (
                "postcode",
                "outcode",
                "latitude",
                "longitude",
                "positional_quality",
                "admin_district_code",
            )
        )
        for row in rows:
            area = area_of_district.get(row[district])
            if area is not None:
                point = Point(row[postcode], row[outcode], float(row[lat]), float(row[lon]))
                located[area].append((point, row[quality]))
    by_area = {}
    for area in AREAS:
        best = sorted(
            (point for point, quality in located[area.code] if quality == BUILDING_PRECISION),
            key=lambda point: point.postcode,
        )
        if not best:
            raise DemoDataError(f"{path}: no postcodes for {area.code}")
        by_area[area.code] = AreaPostcodes(
            points=tuple(best),
            centroids=_centroids([point for point, _ in located[area.code]]),
            neighbours=_neighbour_counts(best),
        )
    return by_area


def _centroids(points: list[Point]) -> dict[str, tuple[float, float]]:
    by_outcode: dict[str, list[Point]] = defaultdict(list)
    for point in points:
        by_outcode[point.outcode].append(point)
    return {
        outcode: (sum(p.lat for p in members) / len(members), sum(p.lon for p in members) / len(members))
        for outcode, members in by_outcode.items()
    }


def _neighbour_counts(points: list[Point]) -> dict[str, int]:
    def cell(point: Point) -> tuple[int, int]:
        return round(point.lat / GRID_DEGREES[0]), round(point.lon / GRID_DEGREES[1])

    per_cell: dict[tuple[int, int], int] = defaultdict(int)
    for point in points:
        per_cell[cell(point)] += 1
    counts = {}
    for point in points:
        row, column = cell(point)
        counts[point.postcode] = sum(
            per_cell.get((row + d_row, column + d_column), 0)
            for d_row in (-1, 0, 1)
            for d_column in (-1, 0, 1)
        )
    return counts


def load_demo(
    session: Session, today: date | None = None, seed: int = 2020, postcode_file: Path = POSTCODE_FILE
) -> DemoReport:
    today = today or date.today()
    postcodes = read_area_postcodes(postcode_file)
    report = DemoReport()
    try:
        _load(session, postcodes, today, seed, report)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return report


def demo_org_ids(session: Session) -> dict[str, dict[str, int]]:
    """Active demo organisations by area and key: {"sutton": {"safety_net": 1, "hub_central": 2, ...}}."""
    ids: dict[str, dict[str, int]] = defaultdict(dict)
    rows = session.execute(
        select(Organisation.external_id, Organisation.id).where(
            Organisation.external_id.startswith(ORG_PREFIX), Organisation.active
        )
    )
    for external_id, org_id in rows:
        parts = external_id.split(":", 2)
        if len(parts) == 3:
            ids[parts[1]][parts[2].replace("-", "_")] = org_id
    return dict(ids)


def _load(
    session: Session, postcodes: dict[str, AreaPostcodes], today: date, seed: int, report: DemoReport
) -> None:
    orgs = {area.code: plan_organisations(area, postcodes[area.code], seed) for area in AREAS}
    org_rows = _existing(session, Organisation, ORG_PREFIX)
    report.organisations_created, report.organisations_updated = _upsert(
        session,
        Organisation,
        org_rows,
        ((org.external_id, org.fields) for planned in orgs.values() for org in planned),
    )
    session.flush()
    org_ids = {external_id: row.id for external_id, row in org_rows.items()}
    volunteers = {area.code: plan_volunteers(area, orgs[area.code], org_ids, today, seed) for area in AREAS}
    volunteer_rows = _existing(session, Volunteer, VOLUNTEER_PREFIX)
    report.volunteers_created, report.volunteers_updated = _upsert(
        session, Volunteer, volunteer_rows, (entry for planned in volunteers.values() for entry in planned)
    )
    wanted = {org.external_id for planned in orgs.values() for org in planned}
    wanted |= {external_id for planned in volunteers.values() for external_id, _ in planned}
    report.deactivated = _deactivate_unwanted([*org_rows.values(), *volunteer_rows.values()], wanted)
    report.by_area = {
        area.code: {"organisations": len(orgs[area.code]), "volunteers": len(volunteers[area.code])}
        for area in AREAS
    }


def plan_organisations(area: DemoArea, postcodes: AreaPostcodes, seed: int) -> list[PlannedOrg]:
    specs = ORGANISATIONS[area.code]
    hub_coverage = _hub_coverage(specs, postcodes)
    planned = []
    for index, spec in enumerate(specs):
        external_id = f"{ORG_PREFIX}{area.code}:{spec.key.replace('_', '-')}"
        rng = random.Random(f"{seed}:{external_id}")
        base_choices = postcodes.busiest(spec.base_outcode, BASE_CANDIDATES)
        if not base_choices:
            raise DemoDataError(f"{external_id}: no postcodes in {spec.base_outcode} for its base")
        base = rng.choice(base_choices)
        if spec.kind == "hub":
            coverage = hub_coverage[spec.key]
        elif spec.coverage or spec.radius_km:
            coverage = list(spec.coverage)
        else:
            coverage = postcodes.outcodes
        catchment = (
            postcodes.in_outcodes(coverage)
            if coverage
            else postcodes.within(base.lat, base.lon, spec.radius_km)
        )
        phone = f"{area.org_phone_prefix}{area.org_phone_start + index:03d}"
        slug = f"{area.code}-{spec.key.replace('_', '-')}"
        email = f"{slug}@example.org"
        fields = {
            "name": spec.name,
            "kind": spec.kind,
            "area": area.code,
            "description": f"{DEMO_NOTICE} {spec.blurb}",
            "services": list(spec.services),
            "coverage_outcodes": coverage,
            "base_postcode": base.postcode,
            "base_lat": base.lat,
            "base_lon": base.lon,
            "radius_km": spec.radius_km,
            "capacity": spec.capacity,
            "mutual_aid_mode": spec.mode,
            "opening_hours": copy.deepcopy(OPENING_HOURS[spec.hours]),
            "min_age": spec.min_age,
            "max_age": spec.max_age,
            "contact_name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            "contact_phone": phone,
            "contact_email": email,
            "public_contact": f"{_national(phone)} · {email} · https://{slug}.example.org",
            "sms_opted_out": False,
            "active": True,
        }
        planned.append(PlannedOrg(external_id, spec, fields, catchment))
    return planned


def _hub_coverage(specs: list[OrgSpec], postcodes: AreaPostcodes) -> dict[str, list[str]]:
    """Each hub's listed outcodes; an outcode no hub lists goes to the hub whose base district is nearest."""
    hubs = [spec for spec in specs if spec.kind == "hub"]
    coverage = {hub.key: {code for code in hub.coverage if code in postcodes.centroids} for hub in hubs}
    claimed = set().union(*coverage.values())
    for outcode in postcodes.outcodes:
        if outcode not in claimed:
            nearest = min(hubs, key=lambda hub: postcodes.outcode_distance_km(outcode, hub.base_outcode))
            coverage[nearest.key].add(outcode)
    return {key: sorted(codes, key=outcode_order) for key, codes in coverage.items()}


def plan_volunteers(
    area: DemoArea, orgs: list[PlannedOrg], org_ids: dict[str, int], today: date, seed: int
) -> list[tuple[str, dict]]:
    members = [org for org in orgs if org.spec.kind in MEMBERSHIP_WEIGHTS]
    per_kind = defaultdict(int)
    for org in members:
        per_kind[org.spec.kind] += 1
    weights = [MEMBERSHIP_WEIGHTS[org.spec.kind] / per_kind[org.spec.kind] for org in members]
    planned = []
    for number in range(1, area.volunteers + 1):
        external_id = f"{VOLUNTEER_PREFIX}{area.code}:{number:03d}"
        rng = random.Random(f"{seed}:{external_id}")
        org = rng.choices(members, weights)[0]
        home = rng.choice(org.catchment)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        checked_on, expires_on = _dbs(rng, org.spec.mode or org.spec.kind, today)
        skills = _skills(rng, org.spec, dbs_checked=checked_on is not None)
        radius = rng.choice((4, 5, 6, 8) if "transport" in skills else (1, 1.5, 2, 2, 3, 3, 4, 5, 6, 8))
        max_active = rng.randint(1, 4)
        planned.append(
            (
                external_id,
                {
                    "org_id": org_ids[org.external_id],
                    "name": f"{first} {last}",
                    "phone": _volunteer_phone(area, number),
                    "email": f"{_ascii(first)}.{_ascii(last)}.{area.code}{number:03d}@example.com",
                    "postcode": home.postcode,
                    "lat": home.lat,
                    "lon": home.lon,
                    "skills": skills,
                    "dbs_checked_on": checked_on,
                    "dbs_expires_on": expires_on,
                    "dbs_level": _dbs_level(checked_on, skills),
                    "driver": "transport" in skills,
                    "availability": _availability(rng),
                    "travel_radius_km": float(radius),
                    "max_active_tasks": max_active,
                    "max_tasks_per_week": rng.randint(max(2, max_active), 7),
                    "sms_opted_out": rng.random() < SMS_OPT_OUT_RATE,
                    "active": True,
                },
            )
        )
    return planned


def _dbs(rng: random.Random, group: str, today: date) -> tuple[date | None, date | None]:
    current, expired = DBS_ODDS[group]
    draw = rng.random()
    if draw < current:
        checked_on = today - timedelta(days=rng.randint(14, DBS_VALID_DAYS - 30))
    elif draw < current + expired:
        checked_on = today - timedelta(days=rng.randint(DBS_VALID_DAYS + 5, 2 * DBS_VALID_DAYS))
    else:
        return None, None
    return checked_on, checked_on + timedelta(days=DBS_VALID_DAYS)


def _dbs_level(checked_on: date | None, skills: list[str]) -> str | None:
    """The level each check is: with the barred list for those who give personal care, else enhanced."""
    if checked_on is None:
        return None
    return "enhanced_barred" if "personal_care" in skills else "enhanced"


def _skills(rng: random.Random, spec: OrgSpec, dbs_checked: bool) -> list[str]:
    skills = set(
        rng.choices(list(EVERYDAY_SKILLS), weights=list(EVERYDAY_SKILLS.values()), k=rng.randint(1, 4))
    )
    if spec.kind == "mutual_aid":
        if rng.random() < 0.08:
            skills.add(rng.choice(SKILLED))
    else:
        skills.add(rng.choice([code for code in spec.services if code != "personal_care"]))
        if dbs_checked and rng.random() < 0.3:
            skills.add("personal_care")
    return [code for code in ALL_SERVICES if code in skills]


def _availability(rng: random.Random) -> dict[str, list[str]]:
    names = list(AVAILABILITY_PROFILES)
    _, parts = AVAILABILITY_PROFILES[rng.choices(names, [AVAILABILITY_PROFILES[n][0] for n in names])[0]]
    chosen: dict[str, set[str]] = {}
    for days, (fewest, most), slots in parts:
        for day in rng.sample(days, rng.randint(fewest, most)):
            chosen[day] = set(rng.sample(slots, rng.randint(1, len(slots))))
    return {day: [slot for slot in SLOTS if slot in chosen[day]] for day in DAYS if day in chosen}


def _volunteer_phone(area: DemoArea, number: int) -> str:
    line = area.volunteer_phone_start + number - 1
    if line > 999:
        raise DemoDataError(f"{area.code}: too many demo volunteers for the 07700 900xxx drama range")
    return f"{VOLUNTEER_PHONE_PREFIX}{line:03d}"


def _ascii(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


def _national(e164: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.NATIONAL)


def _existing(session: Session, model: type, prefix: str) -> dict:
    rows = session.scalars(select(model).where(model.external_id.startswith(prefix)))
    return {row.external_id: row for row in rows}


def _upsert(
    session: Session, model: type, rows: dict, planned: Iterable[tuple[str, dict]]
) -> tuple[int, int]:
    """Create missing rows and bring existing ones to the planned values; `rows` gains the new ones."""
    created = updated = 0
    for external_id, values in planned:
        row = rows.get(external_id)
        if row is None:
            rows[external_id] = row = model(external_id=external_id, **values)
            session.add(row)
            created += 1
        elif _assign(row, values):
            updated += 1
    return created, updated


def _assign(row: object, values: dict) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _deactivate_unwanted(rows: list, wanted: set[str]) -> int:
    stale = [row for row in rows if row.external_id not in wanted and row.active]
    for row in stale:
        row.active = False
    return len(stale)
