"""2,000 mutual-aid referrals over four weeks in one town: caps hold for every volunteer after every
assignment, and ranking by distance and workload spreads the tasks far more evenly than nearest-first."""

import heapq
import random
from dataclasses import replace
from datetime import timedelta

import numpy as np

from matching import Directory, Volunteer, match, record_assignment, record_completion, start_new_week
from matching.policy import MatchingPolicy, VolunteerWeights, load_matching_policy
from tests.unit.matching.builders import (
    GROUP,
    NOW,
    RESIDENT,
    area,
    organisation,
    request,
    standard_organisations,
)

NEEDS = ["shopping", "prescriptions", "dog_walking", "errands"]
SLOTS = ["morning", "afternoon", "evening"]
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
REFERRALS = 2000
WEEKS = 4


def town_volunteers(rng: random.Random) -> list[Volunteer]:
    return [
        Volunteer(
            id=volunteer_id,
            lat=RESIDENT[0] + rng.gauss(0, 0.015),
            lon=RESIDENT[1] + rng.gauss(0, 0.025),
            org_id=rng.choice([GROUP, GROUP, None]),
            skills=tuple(rng.sample(NEEDS, rng.randint(2, 4))),
            availability={day: [slot for slot in SLOTS if rng.random() < 0.7] for day in DAYS},
            travel_radius_km=rng.choice([2, 3, 5, 8]),
            max_active_tasks=rng.randint(1, 4),
            max_tasks_per_week=rng.randint(2, 6),
        )
        for volunteer_id in range(1, 201)
    ]


def gini(values: np.ndarray) -> float:
    ordered = np.sort(values.astype(float))
    n = len(ordered)
    return float((2 * np.arange(1, n + 1) - n - 1) @ ordered / (n * ordered.sum()))


def simulate(policy: MatchingPolicy) -> dict[str, float]:
    rng = random.Random(2020)
    people = town_volunteers(rng)
    group = replace(organisation(GROUP, "mutual_aid", services=NEEDS), capacity=100_000)
    orgs = [group if org.id == GROUP else org for org in standard_organisations()]
    directory = Directory(orgs, people, [area()])
    store = directory.volunteers
    active_cap = {v.id: min(v.max_active_tasks, policy.max_active_tasks) for v in people}
    week_cap = {v.id: min(v.max_tasks_per_week, policy.max_tasks_per_week) for v in people}
    tasks = dict.fromkeys(active_cap, 0)
    finishing: list[tuple] = []
    gaps, week, caps_reached = 0, 0, 0
    for number in range(REFERRALS):
        now = NOW + timedelta(weeks=WEEKS) * number / REFERRALS
        if (now - NOW) // timedelta(weeks=1) > week:
            week += 1
            start_new_week(directory)
        while finishing and finishing[0][0] <= now:
            record_completion(directory, heapq.heappop(finishing)[1])
        referral = request(
            needs=[rng.choice(NEEDS)],
            urgency=rng.choice(["urgent", "routine", "routine"]),
            lat=RESIDENT[0] + rng.gauss(0, 0.012),
            lon=RESIDENT[1] + rng.gauss(0, 0.02),
            now=now,
        )
        offered = [c for c in match(referral, directory, policy).candidates if c.kind == "volunteer"]
        if not offered:
            gaps += 1
            continue
        chosen = offered[0].volunteer_id
        record_assignment(directory, chosen)
        tasks[chosen] += 1
        heapq.heappush(finishing, (now + timedelta(hours=rng.uniform(12, 72)), chosen))
        row = store.row_of(chosen)
        assert store.active_tasks[row] <= active_cap[chosen]
        assert store.week_tasks[row] <= week_cap[chosen]
        caps_reached += int(
            store.week_tasks[row] == week_cap[chosen] or store.active_tasks[row] == active_cap[chosen]
        )
    counts = np.array(list(tasks.values()))
    return {
        "assigned": int(counts.sum()),
        "gaps": gaps,
        "max_over_mean": float(counts.max() / counts.mean()),
        "gini": gini(counts),
        "never_asked": int((counts == 0).sum()),
        "caps_reached": caps_reached,
    }


def test_caps_hold_and_workload_ranking_spreads_tasks_fairly():
    policy = load_matching_policy()
    nearest_first = replace(policy, volunteer_weights=VolunteerWeights(1.0, 0.0, 0.0, 5.0))

    fair = simulate(policy)
    nearest = simulate(nearest_first)
    print(f"\nfairness over {REFERRALS} referrals, 200 volunteers: balanced {fair} | nearest-first {nearest}")

    assert fair["caps_reached"] > 100
    assert fair["assigned"] > 0.9 * REFERRALS
    assert fair["gini"] < 0.3
    assert fair["max_over_mean"] < 2.5
    assert fair["gini"] < nearest["gini"] - 0.1
