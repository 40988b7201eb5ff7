"""Volunteer constraints and ranking, vectorised over the rows the spatial index returns.

Only volunteers whose own travel radius reaches the resident are assessed; each of them either qualifies or is
counted under the first constraint it fails, in the order of FAILURES. Qualified volunteers are ranked by a
score that weighs distance against recent workload, so the nearest volunteer is not always the one asked.
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from matching.context import MatchContext
from matching.geo import km_from_chord2
from matching.volunteer_store import ACTIVE, DRIVER, OPTED_OUT, VolunteerStore

NOT_ROUTED, ROUTED, ARMS_LENGTH = np.int8(0), np.int8(1), np.int8(2)

FAILURES = {
    1: ("inactive", "volunteer is inactive"),
    2: ("sms_opted_out", "volunteer has opted out of SMS"),
    3: ("group_not_routed", "volunteer's group is not one this referral is routed to"),
    4: ("group_arms_length", "volunteer's group is arm's length: the group is signposted instead"),
    5: ("missing_skills", "volunteer lacks a needed skill"),
    6: ("no_valid_dbs", "task needs a DBS check that is recorded, unexpired and of the level it names"),
    7: ("not_a_driver", "task is a lift: volunteer is not recorded as a driver"),
    8: ("unavailable", "volunteer is not available in the urgency window"),
    9: ("active_task_cap", "volunteer is at their cap on active tasks"),
    10: ("weekly_task_cap", "volunteer is at their cap on tasks this week"),
}
ACTIVE_TASK_CAP, WEEKLY_TASK_CAP = 9, 10
OUTSIDE_RADIUS = ("outside_travel_radius", "resident is beyond the volunteer's travel radius")


@dataclass(frozen=True)
class RankedVolunteer:
    volunteer_id: int
    org_slot: int
    distance_km: float
    score: float
    active_tasks: int
    active_cap: int
    week_tasks: int
    week_cap: int


@dataclass(frozen=True)
class VolunteerSearch:
    ranked: list[RankedVolunteer]
    qualified_count: int
    failure_counts: dict[int, int]
    failure_samples: dict[int, list[int]]


def search_volunteers(
    store: VolunteerStore,
    ctx: MatchContext,
    group_codes: NDArray[np.int8],
    rows: NDArray[np.int64] | None = None,
    skip_ids: frozenset[int] = frozenset(),
) -> VolunteerSearch:
    """Assess the volunteers near the resident (or the given rows) and rank those who qualify."""
    if rows is None:
        rows = store.index.candidates(ctx.request.lat, ctx.request.lon)
    offsets = store.position[rows] - ctx.position
    chord2 = np.einsum("ij,ij->i", offsets, offsets)
    reach = chord2 <= store.reach2[rows]
    rows, chord2 = rows[reach], chord2[reach]
    if skip_ids:
        keep = ~np.isin(store.ids[rows], np.fromiter(skip_ids, dtype=np.int64))
        rows, chord2 = rows[keep], chord2[keep]
    failures = _failures(store, ctx, group_codes, rows)
    qualified = failures == 0
    counts = np.bincount(failures, minlength=len(FAILURES) + 1)
    samples = _samples(store, rows, failures, counts, ctx.policy.excluded_sample_size)
    ranked = _rank(store, ctx, rows[qualified], chord2[qualified])
    return VolunteerSearch(
        ranked=ranked,
        qualified_count=int(counts[0]),
        failure_counts={code: int(counts[code]) for code in FAILURES if counts[code]},
        failure_samples=samples,
    )


def assess_one(
    store: VolunteerStore, ctx: MatchContext, group_codes: NDArray[np.int8], volunteer_id: int
) -> tuple[RankedVolunteer | None, tuple[str, str] | None]:
    """A single volunteer (continuity): their ranking if they qualify, else the first reason they do not."""
    row = store.row_of(volunteer_id)
    if row is None:
        return None, ("not_in_directory", "volunteer is no longer in the directory")
    search = search_volunteers(store, ctx, group_codes, rows=np.array([row], dtype=np.int64))
    if search.ranked:
        return search.ranked[0], None
    if search.failure_counts:
        return None, FAILURES[next(iter(search.failure_counts))]
    return None, OUTSIDE_RADIUS


def _failures(
    store: VolunteerStore, ctx: MatchContext, group_codes: NDArray[np.int8], rows: NDArray[np.int64]
) -> NDArray[np.int8]:
    """First failing constraint per row (0 = qualified). Within a stage later checks are written first and
    overwritten; the task checks run only on the rows that passed the standing checks."""
    failures = np.zeros(len(rows), dtype=np.int8)
    group = group_codes[store.org_slots[rows]]
    np.copyto(failures, 4, where=group == ARMS_LENGTH)
    np.copyto(failures, 3, where=group == NOT_ROUTED)
    flags = store.flags[rows]
    np.copyto(failures, 2, where=(flags & OPTED_OUT) != 0)
    np.copyto(failures, 1, where=(flags & ACTIVE) == 0)
    passed = np.flatnonzero(failures == 0)
    failures[passed] = _task_failures(store, ctx, rows[passed])
    return failures


def _task_failures(store: VolunteerStore, ctx: MatchContext, rows: NDArray[np.int64]) -> NDArray[np.int8]:
    failures = np.zeros(len(rows), dtype=np.int8)
    active_cap, week_cap = _caps(store, ctx, rows)
    np.copyto(failures, WEEKLY_TASK_CAP, where=store.week_tasks[rows] >= week_cap)
    np.copyto(failures, ACTIVE_TASK_CAP, where=store.active_tasks[rows] >= active_cap)
    np.copyto(failures, 8, where=(store.availability[rows] & np.uint32(ctx.slot_mask)) == 0)
    if ctx.driver_required:
        np.copyto(failures, 7, where=(store.flags[rows] & DRIVER) == 0)
    if ctx.dbs_required:
        too_low = store.dbs_rank[rows] < ctx.dbs_min_rank
        np.copyto(failures, 6, where=(store.dbs_day[rows] <= ctx.dbs_valid_after) | too_low)
    need_mask = store.skill_mask(ctx.request.needs)
    if need_mask is None:
        failures[:] = 5
    else:
        mask = np.uint64(need_mask)
        np.copyto(failures, 5, where=(store.skills[rows] & mask) != mask)
    return failures


def _caps(store: VolunteerStore, ctx: MatchContext, rows: NDArray[np.int64]) -> tuple[NDArray, NDArray]:
    """Each volunteer's own caps, lowered to the policy's ceilings."""
    active_cap = np.minimum(store.max_active[rows], ctx.policy.max_active_tasks)
    week_cap = np.minimum(store.max_week[rows], ctx.policy.max_tasks_per_week)
    return active_cap, week_cap


def _samples(
    store: VolunteerStore, rows: NDArray, failures: NDArray, counts: NDArray, size: int
) -> dict[int, list[int]]:
    samples = {}
    for code in FAILURES:
        if counts[code]:
            ids = store.ids[rows[failures == code]]
            smallest = np.partition(ids, size - 1)[:size] if len(ids) > size else ids
            samples[code] = sorted(smallest.tolist())
    return samples


def _rank(store: VolunteerStore, ctx: MatchContext, rows: NDArray, chord2: NDArray) -> list[RankedVolunteer]:
    if len(rows) == 0:
        return []
    active_cap, week_cap = _caps(store, ctx, rows)
    weights = ctx.policy.volunteer_weights
    distance = km_from_chord2(chord2)
    active, week = store.active_tasks[rows], store.week_tasks[rows]
    penalty = (
        weights.distance * np.minimum(distance / weights.distance_scale_km, 1.0)
        + weights.weekly_load * week / np.maximum(week_cap, 1)
        + weights.active_load * active / np.maximum(active_cap, 1)
    )
    total = weights.distance + weights.weekly_load + weights.active_load
    score = 1.0 - penalty / total if total else np.ones(len(rows))
    ids = store.ids[rows]
    limit = ctx.policy.max_volunteer_candidates
    if len(score) > limit:
        threshold = np.partition(score, len(score) - limit)[len(score) - limit]
        top = np.flatnonzero(score >= threshold)
    else:
        top = np.arange(len(score))
    top = top[np.lexsort((ids[top], -score[top]))][:limit]
    return [
        RankedVolunteer(
            volunteer_id=int(ids[i]),
            org_slot=int(store.org_slots[rows[i]]),
            distance_km=float(distance[i]),
            score=float(score[i]),
            active_tasks=int(active[i]),
            active_cap=int(active_cap[i]),
            week_tasks=int(week[i]),
            week_cap=int(week_cap[i]),
        )
        for i in top
    ]
