"""N volunteers for the national directory, clustered around real towns, written with PostgreSQL COPY.

Homes follow the postcode count of each postcode district; each volunteer belongs to one of their district's
mutual-aid groups, hubs, VCS organisations or its infrastructure organisation (15 % are independent), with
skills, DBS checks, weekly availability, travel radius and task limits drawn to look like real sign-ups.
"""

import json
from collections.abc import Iterator
from datetime import date, timedelta

import numpy as np
import psycopg

from bench.national_directory import KM_PER_DEG_LAT, UNITS_PER_OUTCODE, District, UnitPostcodes
from directory.demo_data import FIRST_NAMES, LAST_NAMES

SKILL_WEIGHTS = {
    "shopping": 6.0,
    "prescriptions": 4.0,
    "errands": 3.0,
    "befriending": 3.0,
    "dog_walking": 2.0,
    "transport": 1.0,
    "digital": 1.0,
    "food": 1.0,
    "advice": 0.5,
    "financial": 0.3,
    "mental_health": 0.3,
    "housing": 0.2,
}
MEMBERSHIP = {"mutual_aid": 0.55, "hub": 0.2, "vcs": 0.15, "infrastructure": 0.1}
INDEPENDENT_SHARE = 0.15
RADII_KM = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 8.0)
RADIUS_SHARES = (0.1, 0.15, 0.25, 0.2, 0.12, 0.12, 0.06)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SLOTS = ("morning", "afternoon", "evening")
DBS_VALID_DAYS = 3 * 365
CHUNK = 50_000
COLUMNS = (
    "org_id, name, phone, email, postcode, lat, lon, skills, dbs_checked_on, dbs_expires_on, availability, "
    "travel_radius_km, max_active_tasks, max_tasks_per_week, sms_opted_out, active, created_at, updated_at"
)


def _day_lists() -> list[str]:
    """JSON for one day's slots, indexed by a 3-bit mask."""
    return [json.dumps([SLOTS[s] for s in range(3) if mask >> s & 1]) for mask in range(8)]


def _skills_json(rng: np.random.Generator, n: int, dbs: np.ndarray) -> list[str]:
    """1–4 distinct skills per volunteer, weighted (Gumbel top-k); some DBS-checked ones add personal care."""
    codes = list(SKILL_WEIGHTS)
    weights = np.array(list(SKILL_WEIGHTS.values()))
    keys = np.log(rng.random((n, len(codes)))) / weights
    order = np.argsort(-keys, axis=1)
    counts = rng.integers(1, 5, size=n)
    care = dbs & (rng.random(n) < 0.3)
    cache: dict[tuple, str] = {}
    made = []
    for i in range(n):
        picked = tuple(sorted(order[i, : counts[i]])) + ((99,) if care[i] else ())
        text = cache.get(picked)
        if text is None:
            names = [codes[k] for k in picked if k != 99] + (["personal_care"] if care[i] else [])
            text = cache[picked] = json.dumps(names)
        made.append(text)
    return made


def _groups(districts: list[District], orgs: dict[str, list[dict]]) -> list[dict[str, list[int]]]:
    groups = []
    for district in districts:
        by_kind: dict[str, list[int]] = {kind: [] for kind in MEMBERSHIP}
        for org in orgs[district.area]:
            if org["kind"] in by_kind:
                by_kind[org["kind"]].append(org["id"])
        groups.append(by_kind)
    return groups


def volunteer_lines(
    n: int,
    districts: list[District],
    orgs: dict[str, list[dict]],
    units: UnitPostcodes,
    seed: int,
    independent_share: float = INDEPENDENT_SHARE,
) -> Iterator[str]:
    """COPY text lines for `n` volunteers, produced in chunks so a million fit in modest memory."""
    rng = np.random.default_rng(seed)
    outcodes = [o for d in districts for o in d.outcodes]
    district_of = np.array([i for i, d in enumerate(districts) for _ in d.outcodes])
    weight = np.array([o.weight for o in outcodes])
    groups = _groups(districts, orgs)
    kinds = list(MEMBERSHIP)
    day_json = _day_lists()
    today = date.today()
    stamp = f"{today.isoformat()} 00:00:00+00"
    for start in range(0, n, CHUNK):
        size = min(CHUNK, n - start)
        home = rng.choice(len(outcodes), size=size, p=weight / weight.sum())
        unit = home * UNITS_PER_OUTCODE + rng.integers(0, UNITS_PER_OUTCODE, size=size)
        lat = units.lat[unit] + rng.normal(0, 0.5, size) / KM_PER_DEG_LAT
        lon = units.lon[unit] + rng.normal(0, 0.5, size) / (
            KM_PER_DEG_LAT * np.cos(np.radians(units.lat[unit]))
        )
        kind = rng.choice(len(kinds), size=size, p=list(MEMBERSHIP.values()))
        pick = rng.integers(0, 1 << 30, size=size)
        independent = rng.random(size) < independent_share
        has_dbs = rng.random(size) < 0.35
        dbs_days = rng.integers(-365, DBS_VALID_DAYS, size=size)
        skills = _skills_json(rng, size, has_dbs)
        slots = rng.random((size, 7, 3)) < 0.4
        masks = (slots * np.array([1, 2, 4])).sum(axis=2)
        radius = rng.choice(RADII_KM, size=size, p=RADIUS_SHARES)
        max_active = rng.integers(1, 5, size=size)
        max_week = np.maximum(max_active, rng.integers(2, 8, size=size))
        opted_out = rng.random(size) < 0.03
        first = rng.integers(0, len(FIRST_NAMES), size=size)
        last = rng.integers(0, len(LAST_NAMES), size=size)
        for i in range(size):
            number = start + i
            options = groups[district_of[home[i]]][kinds[kind[i]]]
            org = "\\N" if independent[i] or not options else str(options[pick[i] % len(options)])
            if has_dbs[i]:
                expires = today + timedelta(days=int(dbs_days[i]))
                checked, expires_text = (
                    (expires - timedelta(days=DBS_VALID_DAYS)).isoformat(),
                    expires.isoformat(),
                )
            else:
                checked = expires_text = "\\N"
            availability = (
                "{"
                + ", ".join(f'"{day}": {day_json[masks[i, d]]}' for d, day in enumerate(DAYS) if masks[i, d])
                + "}"
            )
            yield (
                f"{org}\t{FIRST_NAMES[first[i]]} {LAST_NAMES[last[i]]}\t+447700900{number % 1000:03d}\t"
                f"volunteer{number}@example.com\t{units.postcode[unit[i]]}\t{lat[i]:.6f}\t{lon[i]:.6f}\t"
                f"{skills[i]}\t{checked}\t{expires_text}\t{availability}\t{radius[i]}\t{max_active[i]}\t"
                f"{max_week[i]}\t{'t' if opted_out[i] else 'f'}\tt\t{stamp}\t{stamp}\n"
            )


def copy_volunteers(
    conninfo: str,
    n: int,
    districts: list[District],
    orgs: dict[str, list[dict]],
    units: UnitPostcodes,
    seed: int,
    independent_share: float = INDEPENDENT_SHARE,
) -> None:
    with psycopg.connect(conninfo) as connection, connection.cursor() as cursor:
        with cursor.copy(f"COPY volunteer ({COLUMNS}) FROM STDIN") as copy:
            batch: list[str] = []
            for line in volunteer_lines(n, districts, orgs, units, seed, independent_share):
                batch.append(line)
                if len(batch) >= CHUNK:
                    copy.write("".join(batch))
                    batch.clear()
            if batch:
                copy.write("".join(batch))
        connection.commit()
        cursor.execute("ANALYZE volunteer")
