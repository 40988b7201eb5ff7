"""Turn assessments into result entries, with reasons a helpline worker or an auditor can read."""

from datetime import date

from matching.context import MatchContext
from matching.directory import Directory
from matching.organisations import OrgOutcome, data_sharing_for
from matching.types import DBS_LEVEL_WORDS, DBS_LEVELS, Candidate, Exclusion, Organisation
from matching.volunteers import FAILURES, RankedVolunteer, VolunteerSearch


def organisation_candidate(outcome: OrgOutcome, ctx: MatchContext, lead: str | None = None) -> Candidate:
    return Candidate(
        kind="organisation",
        org_id=outcome.org.id,
        volunteer_id=None,
        tier=ctx.request.tier,
        action=outcome.action,
        data_sharing=outcome.data_sharing,
        score=round(outcome.score, 4),
        distance_km=None if outcome.distance_km is None else round(outcome.distance_km, 3),
        reasons=((lead,) if lead else ()) + outcome.reasons,
    )


def volunteer_candidate(
    ranked: RankedVolunteer,
    ctx: MatchContext,
    directory: Directory,
    ranking: str,
    lead: str | None = None,
) -> Candidate:
    store = directory.volunteers
    org_id = store.org_of_slot(ranked.org_slot)
    group = directory.organisation(org_id) if org_id is not None else None
    row = store.row_of(ranked.volunteer_id)
    needs = ", ".join(ctx.request.needs)
    reasons = [
        f"has the skills for {needs}",
        dbs_reason(ctx, int(store.dbs_rank[row]), int(store.dbs_day[row])),
        *(["drives: the task is a lift"] if ctx.driver_required else []),
        f"available {ctx.window_text}",
        f"{ranked.distance_km:.1f} km from the resident; travels up to {float(store.radius_km[row]):g} km",
        _group_reason(group),
        ranking,
    ]
    return Candidate(
        kind="volunteer",
        org_id=org_id,
        volunteer_id=ranked.volunteer_id,
        tier=ctx.request.tier,
        action="offer",
        data_sharing=data_sharing_for(group),
        score=round(ranked.score, 4),
        distance_km=round(ranked.distance_km, 3),
        reasons=((lead,) if lead else ()) + tuple(reasons),
    )


def dbs_reason(ctx: MatchContext, rank: int, day: int) -> str:
    """'DBS enhanced recorded, valid until 2027-01-01' for a volunteer who met the task's DBS rule."""
    if not ctx.dbs_required:
        return f"no DBS check needed for {', '.join(ctx.request.needs)}"
    level = f"DBS {DBS_LEVEL_WORDS[DBS_LEVELS[rank - 1]]}" if rank else "DBS check (level not recorded)"
    needed = f" ({DBS_LEVEL_WORDS[ctx.dbs_level]} or higher needed)" if ctx.dbs_level else ""
    return f"{level} recorded, valid until {date.fromordinal(day).isoformat()}{needed}"


def ranking_reason(ranked: RankedVolunteer, position: int, qualified: int) -> str:
    return (
        f"rank {position} of {qualified} qualifying volunteers, score {ranked.score:.2f}: "
        f"{ranked.distance_km:.1f} km away, {ranked.week_tasks}/{ranked.week_cap} tasks this week, "
        f"{ranked.active_tasks}/{ranked.active_cap} active"
    )


def organisation_exclusion(outcome: OrgOutcome, prefix: str = "") -> Exclusion:
    code, detail = outcome.failure
    return Exclusion(kind="organisation", reason=code, detail=prefix + detail, org_id=outcome.org.id)


def not_routed_exclusion(org: Organisation, why: str) -> Exclusion:
    return Exclusion(kind="organisation", reason="not_routed", detail=f"{org.kind}: {why}", org_id=org.id)


def volunteer_summaries(search: VolunteerSearch) -> list[Exclusion]:
    return [
        Exclusion(
            kind="volunteers",
            reason=FAILURES[code][0],
            detail=FAILURES[code][1],
            count=count,
            sample_ids=tuple(search.failure_samples[code]),
        )
        for code, count in search.failure_counts.items()
    ]


def _group_reason(group: Organisation | None) -> str:
    if group is None:
        return "independent volunteer: gets minimal details until they accept"
    if group.mutual_aid_mode == "supported":
        return f"volunteers with {group.name} (supported group: minimal details until accepted)"
    return f"volunteers with {group.name}"
