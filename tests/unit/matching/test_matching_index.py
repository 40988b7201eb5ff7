"""The spatial indexes against brute force (geopy great_circle over everything), on random data with a fixed
seed, through adds, moves, radius changes, deactivations, removals and compactions."""

import random
from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from geopy.distance import great_circle

from matching import AreaConfig, Directory, Organisation, Volunteer
from matching.context import build_context
from matching.geo import chord2_within, km_from_chord2, unit_vectors
from matching.organisations import coverage_reason
from matching.policy import load_matching_policy
from matching.spatial import COMPACT_AFTER, GridIndex
from tests.unit.matching.builders import request

TOWNS = [(51.3618, -0.1945), (52.4068, -1.5197), (51.6290, -0.7482), (54.9783, -1.6178)]
RADII = [0.5, 1, 1.5, 2, 3, 4, 5, 8, 12, 20, 35, 60]
SKILLS = ["shopping", "dog_walking", "befriending", "transport"]
SLOTS = ["morning", "afternoon", "evening"]


def random_volunteer(rng: random.Random, volunteer_id: int) -> Volunteer:
    town_lat, town_lon = rng.choice(TOWNS)
    return Volunteer(
        id=volunteer_id,
        lat=town_lat + rng.gauss(0, 0.08),
        lon=town_lon + rng.gauss(0, 0.12),
        org_id=rng.choice([None, 4, 5]),
        skills=tuple(rng.sample(SKILLS, rng.randint(1, 3))),
        dbs_expires_on=rng.choice([None, date(2026, 5, 1)]),
        availability={day: [s for s in SLOTS if rng.random() < 0.5] for day in ("mon", "sat")},
        travel_radius_km=rng.choice(RADII),
        max_active_tasks=rng.randint(1, 4),
        max_tasks_per_week=rng.randint(1, 6),
        active=rng.random() < 0.9,
        sms_opted_out=rng.random() < 0.1,
    )


def reachable_ids(directory: Directory, lat: float, lon: float) -> set[int]:
    store = directory.volunteers
    rows = store.index.candidates(lat, lon)
    offsets = store.position[rows] - unit_vectors(lat, lon)
    inside = np.einsum("ij,ij->i", offsets, offsets) <= store.reach2[rows]
    return set(store.ids[rows[inside]].tolist())


def brute_force_ids(volunteers: dict[int, Volunteer], lat: float, lon: float) -> set[int]:
    """Haversine over every volunteer (geopy's radius), written independently of matching.geo."""
    people = list(volunteers.values())
    phi1, phi2 = np.radians([v.lat for v in people]), np.radians(lat)
    dphi, dlambda = phi2 - phi1, np.radians(lon - np.array([v.lon for v in people]))
    h = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlambda / 2) ** 2
    distance = 2 * 6371.009 * np.arcsin(np.sqrt(h))
    radius = np.array([v.travel_radius_km for v in people])
    return {v.id for v, inside in zip(people, distance <= radius, strict=True) if inside}


def normalised(volunteer: Volunteer) -> Volunteer:
    """Skills and availability compare as sets."""
    availability = {day: sorted(slots) for day, slots in volunteer.availability.items() if slots}
    return replace(volunteer, skills=tuple(sorted(volunteer.skills)), availability=availability)


def assert_matches_brute_force(
    directory: Directory, volunteers: dict[int, Volunteer], rng: random.Random
) -> None:
    for _ in range(25):
        town_lat, town_lon = rng.choice(TOWNS)
        lat, lon = town_lat + rng.gauss(0, 0.1), town_lon + rng.gauss(0, 0.15)
        assert reachable_ids(directory, lat, lon) == brute_force_ids(volunteers, lat, lon)


def test_index_agrees_with_brute_force_through_every_kind_of_change():
    rng = random.Random(20200323)
    volunteers = {i: random_volunteer(rng, i) for i in range(1, 2001)}
    directory = Directory([], volunteers.values(), [])
    assert_matches_brute_force(directory, volunteers, rng)

    for step in range(6):
        for _ in range(150):
            new = random_volunteer(rng, max(volunteers) + 1)
            volunteers[new.id] = new
            directory.upsert_volunteer(new)
        for volunteer_id in rng.sample(sorted(volunteers), 150):
            moved = replace(volunteers[volunteer_id], lat=volunteers[volunteer_id].lat + rng.gauss(0, 0.05))
            volunteers[volunteer_id] = moved
            directory.upsert_volunteer(moved)
        for volunteer_id in rng.sample(sorted(volunteers), 100):
            widened = replace(volunteers[volunteer_id], travel_radius_km=rng.choice(RADII))
            volunteers[volunteer_id] = widened
            directory.upsert_volunteer(widened)
        for volunteer_id in rng.sample(sorted(volunteers), 100):
            directory.upsert_volunteer(replace(volunteers[volunteer_id], active=False))
            volunteers[volunteer_id] = replace(volunteers[volunteer_id], active=False)
        for volunteer_id in rng.sample(sorted(volunteers), 120):
            assert directory.remove_volunteer(volunteer_id)
            del volunteers[volunteer_id]
        assert directory.volunteers.index.pending_count > 0
        assert_matches_brute_force(directory, volunteers, rng)
        if step % 2:
            directory.volunteers.compact()
            assert directory.volunteers.index.pending_count == 0
            assert_matches_brute_force(directory, volunteers, rng)

    assert len(directory.volunteers) == len(volunteers)
    for volunteer_id in rng.sample(sorted(volunteers), 50):
        assert normalised(directory.volunteer(volunteer_id)) == normalised(volunteers[volunteer_id])


def test_enough_pending_changes_compact_the_index_by_themselves():
    rng = random.Random(7)
    volunteers = {i: random_volunteer(rng, i) for i in range(1, 5001)}
    directory = Directory([], volunteers.values(), [])

    for volunteer_id in range(1, 4201):
        moved = replace(volunteers[volunteer_id], lon=volunteers[volunteer_id].lon + 0.05)
        volunteers[volunteer_id] = moved
        directory.upsert_volunteer(moved)

    assert directory.volunteers.index.pending_count == 4200 - (COMPACT_AFTER + 1)
    assert_matches_brute_force(directory, volunteers, rng)


def test_removed_rows_are_reused_without_ghosts():
    rng = random.Random(11)
    volunteers = {i: random_volunteer(rng, i) for i in range(1, 301)}
    directory = Directory([], volunteers.values(), [])
    capacity = len(directory.volunteers.ids)

    for volunteer_id in list(volunteers)[:200]:
        directory.remove_volunteer(volunteer_id)
        del volunteers[volunteer_id]
    for volunteer_id in range(1001, 1201):
        volunteers[volunteer_id] = random_volunteer(rng, volunteer_id)
        directory.upsert_volunteer(volunteers[volunteer_id])

    assert len(directory.volunteers.ids) == capacity
    assert_matches_brute_force(directory, volunteers, rng)
    assert not directory.remove_volunteer(1)


@pytest.mark.parametrize(
    ("volunteer_at", "resident_at", "radius_km"),
    [
        ((10.0, 179.99), (10.0, -179.99), 5.0),
        ((-33.0, -179.95), (-33.0, 179.97), 10.0),
        ((89.95, 0.0), (89.95, 180.0), 15.0),
        ((-89.99, 45.0), (-89.99, -135.0), 5.0),
        ((0.0, 0.0), (0.0, 0.0449), 5.0),
        ((51.5, -0.1), (51.5, 2.0), 300.0),
    ],
)
def test_grid_index_finds_neighbours_across_the_antimeridian_poles_and_long_radii(
    volunteer_at, resident_at, radius_km
):
    index = GridIndex(capacity=1)
    lat, lon, radius = np.array([volunteer_at[0]]), np.array([volunteer_at[1]]), np.array([radius_km])
    index.rebuild(lat, lon, radius, np.array([True]))

    assert great_circle(volunteer_at, resident_at).km <= radius_km
    assert index.candidates(*resident_at).tolist() == [0]


def test_chord_distance_agrees_with_geopy():
    rng = np.random.default_rng(3)
    a = np.column_stack([rng.uniform(49, 59, 500), rng.uniform(-8, 2, 500)])
    b = a + rng.normal(0, 0.3, a.shape)
    chord2 = ((unit_vectors(a[:, 0], a[:, 1]) - unit_vectors(b[:, 0], b[:, 1])) ** 2).sum(axis=1)
    expected = [great_circle(tuple(p), tuple(q)).km for p, q in zip(a, b, strict=True)]

    assert km_from_chord2(chord2) == pytest.approx(expected, rel=1e-9)
    assert chord2_within(expected) == pytest.approx(chord2, rel=1e-9)


def test_organisation_coverage_index_agrees_with_the_coverage_rule():
    rng = random.Random(5)
    outcodes = ["SM1", "SM2", "SM3", "CV1", "CV2", "HP10"]
    orgs = []
    for org_id in range(1, 301):
        lat, lon = rng.choice(TOWNS)
        orgs.append(
            Organisation(
                id=org_id,
                name=f"org {org_id}",
                kind="vcs",
                area=rng.choice(["sutton", "coventry"]),
                coverage_outcodes=rng.sample(outcodes, rng.choice([0, 0, 1, 2])),
                base_lat=lat + rng.gauss(0, 0.05) if rng.random() < 0.5 else None,
                base_lon=lon + rng.gauss(0, 0.05),
                radius_km=rng.choice([None, 2, 5, 10]),
            )
        )
    directory = Directory(orgs, [], [AreaConfig("sutton", "Sutton", "hub_network", 1)])
    for org in rng.sample(orgs, 60):
        directory.upsert_organisation(replace(org, coverage_outcodes=["SM1"], radius_km=None))
    for org in rng.sample(orgs, 30):
        directory.remove_organisation(org.id)
    policy = load_matching_policy()

    for _ in range(40):
        lat, lon = rng.choice(TOWNS)
        resident = request(
            lat=lat + rng.gauss(0, 0.05), lon=lon + rng.gauss(0, 0.05), outcode=rng.choice(outcodes)
        )
        resident = replace(resident, area=rng.choice(["sutton", "coventry"]))
        ctx = build_context(resident, policy)
        indexed = {
            o.id
            for o in directory.covering_organisations(
                resident.lat, resident.lon, resident.outcode, resident.area
            )
        }
        brute = {o.id for o in directory.organisations() if coverage_reason(o, ctx) is not None}
        assert indexed == brute


def test_every_change_bumps_the_version():
    rng = random.Random(1)
    directory = Directory([], [random_volunteer(rng, 1)], [])
    versions = [directory.version]

    directory.upsert_volunteer(random_volunteer(rng, 2))
    versions.append(directory.version)
    directory.remove_volunteer(2)
    versions.append(directory.version)
    directory.upsert_organisation(Organisation(9, "org", "vcs", "sutton"))
    versions.append(directory.version)
    directory.upsert_area(AreaConfig("sutton", "Sutton", "hub_network", 9))
    versions.append(directory.version)

    assert versions == sorted(set(versions))
