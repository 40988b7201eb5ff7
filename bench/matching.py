"""Benchmark the matching engine on a synthetic UK directory.

    python -m bench.matching --sizes 10000,100000,1000000 --queries 200

Volunteers cluster around real postcode-district centres (weighted by postcode count); every council
district gets a safety-net team, an infrastructure organisation, hubs, VCS organisations and mutual-aid
groups. Each size runs in its own process and prints one JSON line: build time, full-match latency
(p50/p99), resident memory, and a plain Python baseline (geopy great_circle and the same filters over
every volunteer) timed on a few queries, with a check that it ranks the same volunteers.
"""

import argparse
import csv
import gc
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
from geopy.distance import great_circle

from matching import AreaConfig, Directory, MatchRequest, Organisation, Volunteer, load_matching_policy, match
from matching.context import build_context
from matching.organisations import evaluate_organisation
from matching.policy import MatchingPolicy
from matching.routing import plan_routes, volunteer_group_codes
from matching.volunteers import ROUTED, search_volunteers

CENTROIDS = Path(__file__).resolve().parent.parent / "data" / "uk_outcode_centroids.csv"
MUTUAL_AID_NEEDS = ("shopping", "prescriptions", "dog_walking", "errands", "befriending")
VCS_NEEDS = ("food", "transport", "digital", "financial", "housing", "mental_health", "advice")
SKILL_WEIGHTS = {**dict.fromkeys(MUTUAL_AID_NEEDS, 3.0), **dict.fromkeys(VCS_NEEDS, 1.0), "shopping": 6.0}
SLOTS = ("morning", "afternoon", "evening")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MODELS = ("infrastructure_broker", "hub_network", "multi_agency_cell")
WEEK_START = datetime(2025, 11, 24, tzinfo=UTC)
KM_PER_DEG_LAT = 111.2
RADII_KM = (1.0, 2.0, 3.0, 5.0, 8.0, 10.0, 15.0)
RADIUS_SHARES = (0.15, 0.2, 0.25, 0.2, 0.1, 0.06, 0.04)


@dataclass(frozen=True)
class Towns:
    outcode: list[str]
    lat: np.ndarray
    lon: np.ndarray
    weight: np.ndarray
    district: list[str]


def load_towns(path: Path) -> Towns:
    with path.open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["latitude"] and row["admin_district"]]
    weight = np.array([float(row["postcode_count"]) for row in rows])
    return Towns(
        outcode=[row["outcode"] for row in rows],
        lat=np.array([float(row["latitude"]) for row in rows]),
        lon=np.array([float(row["longitude"]) for row in rows]),
        weight=weight / weight.sum(),
        district=[_slug(row["admin_district"]) for row in rows],
    )


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_")


def _jitter(rng: np.random.Generator, lat: np.ndarray, lon: np.ndarray, km: float) -> tuple[np.ndarray, ...]:
    dlat = rng.normal(0.0, km, len(lat)) / KM_PER_DEG_LAT
    dlon = rng.normal(0.0, km, len(lat)) / (KM_PER_DEG_LAT * np.cos(np.radians(lat)))
    return lat + dlat, lon + dlon


def build_organisations(
    towns: Towns, rng: np.random.Generator
) -> tuple[list[Organisation], list[AreaConfig]]:
    by_district: dict[str, list[int]] = {}
    for index, district in enumerate(towns.district):
        by_district.setdefault(district, []).append(index)
    orgs: list[Organisation] = []
    areas = []
    weekday_hours = {day: [["09:00", "17:00"]] for day in DAYS[:5]}
    hub_hours = {day: [["08:00", "20:00"]] for day in DAYS[:6]}

    def add(kind: str, area: str, **fields) -> int:
        orgs.append(
            Organisation(id=len(orgs) + 1, name=f"{kind} {len(orgs) + 1}", kind=kind, area=area, **fields)
        )
        return len(orgs)

    for number, (district, members) in enumerate(sorted(by_district.items())):
        safety_net = add("safety_net", district, capacity=10_000)
        infrastructure = add(
            "infrastructure",
            district,
            capacity=500,
            open_accepted=int(rng.integers(0, 400)),
            opening_hours=hub_hours,
        )
        areas.append(AreaConfig(district, district, MODELS[number % 3], safety_net, infrastructure))
        outcodes = [towns.outcode[i] for i in members]
        for part in np.array_split(np.array(outcodes), min(len(outcodes), 3)):
            add("hub", district, coverage_outcodes=list(part), capacity=200, opening_hours=hub_hours)
        for _ in range(4):
            centre = members[int(rng.integers(len(members)))]
            add(
                "vcs",
                district,
                services=[
                    str(code) for code in rng.choice(VCS_NEEDS + MUTUAL_AID_NEEDS, size=4, replace=False)
                ],
                base_lat=towns.lat[centre],
                base_lon=towns.lon[centre],
                radius_km=float(rng.uniform(5, 15)),
                capacity=int(rng.integers(20, 200)),
                open_accepted=int(rng.integers(0, 30)),
                opening_hours=weekday_hours,
                min_age=int(rng.choice([0, 0, 18, 65])),
                accepts_within_hours=float(rng.choice([4, 24, 72])),
            )
        for _ in range(5):
            centre = members[int(rng.integers(len(members)))]
            add(
                "mutual_aid",
                district,
                services=list(MUTUAL_AID_NEEDS),
                base_lat=towns.lat[centre],
                base_lon=towns.lon[centre],
                radius_km=float(rng.uniform(2, 5)),
                capacity=int(rng.integers(20, 100)),
                mutual_aid_mode=str(
                    rng.choice(["integrated", "supported", "arms_length"], p=[0.6, 0.25, 0.15])
                ),
                public_contact="07700 900000",
            )
    return orgs, areas


@dataclass(frozen=True)
class VolunteerColumns:
    lat: np.ndarray
    lon: np.ndarray
    org_id: np.ndarray
    skills: list[tuple[str, ...]]
    dbs: list[date | None]
    availability: list[dict[str, list[str]]]
    radius: np.ndarray
    max_active: np.ndarray
    max_week: np.ndarray
    active_tasks: np.ndarray
    week_tasks: np.ndarray
    active: np.ndarray
    opted_out: np.ndarray


def volunteer_columns(n: int, towns: Towns, orgs: list[Organisation], seed: int) -> VolunteerColumns:
    rng = np.random.default_rng(seed)
    home = rng.choice(len(towns.lat), size=n, p=towns.weight)
    lat, lon = _jitter(rng, towns.lat[home], towns.lon[home], km=1.5)
    groups: dict[str, list[int]] = {}
    for org in orgs:
        if org.kind in ("mutual_aid", "hub", "vcs", "infrastructure"):
            groups.setdefault(org.area, []).append(org.id)
    org_id = np.array([int(rng.choice(groups[towns.district[h]])) for h in home])
    org_id[rng.random(n) < 0.15] = -1
    skill_codes = list(SKILL_WEIGHTS)
    weights = np.array(list(SKILL_WEIGHTS.values()))
    counts = rng.integers(1, 5, size=n)
    skills = [
        tuple(rng.choice(skill_codes, size=k, replace=False, p=weights / weights.sum())) for k in counts
    ]
    today = WEEK_START.date()
    dbs = [
        today + timedelta(days=int(days)) if has else None
        for has, days in zip(rng.random(n) < 0.35, rng.integers(-365, 3 * 365, size=n), strict=True)
    ]
    slot_draws = rng.random((n, 7, 3)) < 0.35
    availability = [
        {day: [SLOTS[s] for s in range(3) if draws[d, s]] for d, day in enumerate(DAYS) if draws[d].any()}
        for draws in slot_draws
    ]
    max_active = rng.integers(1, 5, size=n)
    max_week = rng.integers(2, 9, size=n)
    return VolunteerColumns(
        lat=lat,
        lon=lon,
        org_id=org_id,
        skills=skills,
        dbs=dbs,
        availability=availability,
        radius=rng.choice(RADII_KM, size=n, p=RADIUS_SHARES),
        max_active=max_active,
        max_week=max_week,
        active_tasks=(rng.random(n) * (max_active + 1)).astype(int),
        week_tasks=(rng.random(n) * (max_week + 1)).astype(int),
        active=rng.random(n) < 0.95,
        opted_out=rng.random(n) < 0.03,
    )


def volunteers(columns: VolunteerColumns) -> Iterator[Volunteer]:
    for i in range(len(columns.lat)):
        org = int(columns.org_id[i])
        yield Volunteer(
            id=i + 1,
            lat=float(columns.lat[i]),
            lon=float(columns.lon[i]),
            org_id=org if org > 0 else None,
            skills=columns.skills[i],
            dbs_expires_on=columns.dbs[i],
            availability=columns.availability[i],
            travel_radius_km=float(columns.radius[i]),
            max_active_tasks=int(columns.max_active[i]),
            max_tasks_per_week=int(columns.max_week[i]),
            active_tasks=int(columns.active_tasks[i]),
            tasks_this_week=int(columns.week_tasks[i]),
            active=bool(columns.active[i]),
            sms_opted_out=bool(columns.opted_out[i]),
        )


def requests(count: int, towns: Towns, seed: int) -> list[MatchRequest]:
    rng = np.random.default_rng(seed)
    where = rng.choice(len(towns.lat), size=count, p=towns.weight)
    lat, lon = _jitter(rng, towns.lat[where], towns.lon[where], km=0.8)
    made = []
    for i, town in enumerate(where):
        tier = str(rng.choice(["mutual_aid", "vcs"], p=[0.65, 0.35]))
        pool = MUTUAL_AID_NEEDS if tier == "mutual_aid" else VCS_NEEDS
        age = int(rng.integers(18, 96))
        made.append(
            MatchRequest(
                tier=tier,
                needs=[
                    str(need)
                    for need in rng.choice(pool, size=rng.choice([1, 2], p=[0.8, 0.2]), replace=False)
                ],
                urgency=str(rng.choice(["emergency", "urgent", "routine"], p=[0.15, 0.35, 0.5])),
                lat=float(lat[i]),
                lon=float(lon[i]),
                outcode=towns.outcode[town],
                area=towns.district[town],
                now=WEEK_START + timedelta(minutes=int(rng.integers(0, 7 * 24 * 60))),
                resident_age=age,
                flags={"elderly": age >= 70, "disabled": bool(rng.random() < 0.15)},
                consent_to_share=bool(rng.random() < 0.95),
            )
        )
    return made


def volunteer_routing(request: MatchRequest, directory: Directory, policy: MatchingPolicy):
    """The request's context and which groups' volunteers it may go to, exactly as match() decides."""
    ctx = build_context(request, policy)
    area = directory.area(request.area)
    covering = directory.covering_organisations(request.lat, request.lon, request.outcode, request.area)
    plan = plan_routes(area, ctx, directory, covering)
    outcomes = [evaluate_organisation(org, role, ctx, cover) for org, role, cover in plan.considered]
    return ctx, volunteer_group_codes(directory, plan, outcomes, covering)


def baseline_top(
    request: MatchRequest, directory: Directory, people: list[Volunteer], policy: MatchingPolicy
) -> list[int]:
    """The same volunteer constraints and score as the engine, one volunteer at a time in plain Python."""
    ctx, codes = volunteer_routing(request, directory, policy)
    routed = {directory.volunteers.org_of_slot(slot) for slot in np.flatnonzero(codes == ROUTED)}
    weights = policy.volunteer_weights
    total = weights.distance + weights.weekly_load + weights.active_load
    wanted = [
        (day, slot)
        for d, day in enumerate(DAYS)
        for s, slot in enumerate(SLOTS)
        if ctx.slot_mask >> (d * 3 + s) & 1
    ]
    scored = []
    for person in people:
        distance = great_circle((person.lat, person.lon), (request.lat, request.lon)).km
        if distance > person.travel_radius_km or not person.active or person.sms_opted_out:
            continue
        if person.org_id not in routed or not all(need in person.skills for need in request.needs):
            continue
        dbs = person.dbs_expires_on
        if ctx.dbs_required and (dbs is None or dbs.toordinal() <= ctx.dbs_valid_after):
            continue
        if not any(slot in person.availability.get(day, ()) for day, slot in wanted):
            continue
        active_cap = min(person.max_active_tasks, policy.max_active_tasks)
        week_cap = min(person.max_tasks_per_week, policy.max_tasks_per_week)
        if person.active_tasks >= active_cap or person.tasks_this_week >= week_cap:
            continue
        penalty = (
            weights.distance * min(distance / weights.distance_scale_km, 1.0)
            + weights.weekly_load * person.tasks_this_week / week_cap
            + weights.active_load * person.active_tasks / active_cap
        )
        scored.append((-(1.0 - penalty / total), person.id))
    scored.sort()
    return [volunteer_id for _score, volunteer_id in scored[: policy.max_volunteer_candidates]]


def engine_top(request: MatchRequest, directory: Directory, policy: MatchingPolicy) -> list[int]:
    ctx, codes = volunteer_routing(request, directory, policy)
    return [ranked.volunteer_id for ranked in search_volunteers(directory.volunteers, ctx, codes).ranked]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_size(n: int, queries: int, baseline_queries: int, seed: int, centroids: Path) -> dict:
    towns = load_towns(centroids)
    orgs, areas = build_organisations(towns, np.random.default_rng(seed))
    columns = volunteer_columns(n, towns, orgs, seed)
    started = time.perf_counter()
    directory = Directory(orgs, volunteers(columns), areas)
    build_s = time.perf_counter() - started
    del columns
    gc.collect()
    policy = load_matching_policy()
    batch = requests(queries, towns, seed + 1)
    match(batch[0], directory, policy)
    timings = []
    for request in batch:
        started = time.perf_counter()
        match(request, directory, policy)
        timings.append((time.perf_counter() - started) * 1000)
    memory = rss_mb()
    people = list(volunteers(volunteer_columns(n, towns, orgs, seed)))
    baseline, agree, compared = [], 0, 0
    with_volunteers = [r for r in batch if r.consent_to_share and engine_top(r, directory, policy)]
    for request in with_volunteers[:baseline_queries]:
        started = time.perf_counter()
        expected = baseline_top(request, directory, people, policy)
        baseline.append((time.perf_counter() - started) * 1000)
        agree += expected == engine_top(request, directory, policy)
        compared += len(expected)
    p50 = float(np.percentile(timings, 50))
    baseline_p50 = float(np.percentile(baseline, 50))
    return {
        "n": n,
        "organisations": len(orgs),
        "build_s": round(build_s, 2),
        "p50_ms": round(p50, 3),
        "p99_ms": round(float(np.percentile(timings, 99)), 3),
        "rss_mb": round(memory, 1),
        "baseline_p50_ms": round(baseline_p50, 1),
        "queries_with_volunteers": len(with_volunteers),
        "baseline_queries": len(baseline),
        "baseline_agrees": f"{agree}/{len(baseline)}",
        "baseline_volunteers_compared": compared,
        "speedup": round(baseline_p50 / p50, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--baseline-queries", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--centroids", type=Path, default=CENTROIDS)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    if len(sizes) == 1:
        print(json.dumps(run_size(sizes[0], args.queries, args.baseline_queries, args.seed, args.centroids)))
        return
    for size in sizes:
        command = [
            sys.executable,
            "-m",
            "bench.matching",
            "--sizes",
            str(size),
            "--queries",
            str(args.queries),
        ]
        command += ["--baseline-queries", str(args.baseline_queries), "--seed", str(args.seed)]
        command += ["--centroids", str(args.centroids)]
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
