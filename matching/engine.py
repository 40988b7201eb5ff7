"""match(): route a triaged referral to a ranked list of organisations and volunteers, with an audit trail.

Order of the candidates: continuity first; then, in the multi-agency cell's mutual-aid tier, volunteers before
the groups they belong to; everywhere else the receiving organisations before their volunteers; signposts
last. With no candidate the council safety-net team takes the referral as a gap. The statutory tier goes to
the safety-net team only.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from matching.context import MatchContext, build_context
from matching.continuity import continuity
from matching.directory import Directory
from matching.explain import (
    not_routed_exclusion,
    organisation_candidate,
    organisation_exclusion,
    ranking_reason,
    volunteer_candidate,
    volunteer_summaries,
)
from matching.geo import great_circle_km
from matching.organisations import OrgOutcome, coverage_reason, evaluate_organisation
from matching.policy import MatchingPolicy, load_matching_policy
from matching.routing import plan_routes, volunteer_group_codes
from matching.types import (
    AreaConfig,
    Candidate,
    Exclusion,
    MatchRequest,
    MatchResult,
    Organisation,
    Volunteer,
)
from matching.volunteer_store import VolunteerStore
from matching.volunteers import NOT_ROUTED, ROUTED, assess_one, search_volunteers

NO_CONSENT = "the resident has not consented to sharing details: volunteers are not searched"
NO_NEEDS = "no need was recognised: volunteers are only offered a concrete task"


@dataclass(frozen=True)
class _Routed:
    candidates: list[Candidate]
    excluded: list[Exclusion]


def match(request: MatchRequest, directory: Directory, policy: MatchingPolicy | None = None) -> MatchResult:
    policy = policy or load_matching_policy()
    area = directory.area(request.area)
    safety_net = directory.safety_net(request.area)
    ctx = build_context(request, policy)
    if request.tier == "statutory":
        return _result(
            ctx, area, safety_net, [_statutory_candidate(ctx, area, safety_net)], _statutory_skips(ctx)
        )
    routed = _route(ctx, directory, area)
    if routed.candidates:
        return _result(ctx, area, safety_net, routed.candidates, routed.excluded)
    unmet = _unmet_needs(ctx, directory, area)
    gap = _gap_candidate(ctx, area, safety_net, unmet)
    return _result(ctx, area, safety_net, [gap], routed.excluded, gap=True, unmet_needs=unmet)


def _route(ctx: MatchContext, directory: Directory, area: AreaConfig) -> _Routed:
    """Candidates and exclusions without the gap fallback. Known organisations and volunteers are judged by
    continuity alone, but a known organisation that the model routes to still opens its volunteers."""
    request = ctx.request
    known = continuity(ctx, directory, area)
    known_orgs = set(request.known_org_ids)
    covering = directory.covering_organisations(request.lat, request.lon, request.outcode, request.area)
    plan = plan_routes(area, ctx, directory, covering)
    outcomes = [evaluate_organisation(org, role, ctx, coverage) for org, role, coverage in plan.considered]
    listed = [outcome for outcome in outcomes if outcome.org.id not in known_orgs]
    excluded = [*known.excluded, *(organisation_exclusion(o) for o in listed if not o.qualified)]
    excluded += [not_routed_exclusion(org, why) for org, why in plan.not_routed if org.id not in known_orgs]
    volunteers: list[Candidate] = []
    if not request.needs:
        excluded.append(Exclusion(kind="volunteers", reason="no_needs", detail=NO_NEEDS, count=0))
    elif request.consent_to_share:
        codes = volunteer_group_codes(directory, plan, outcomes, covering)
        search = search_volunteers(
            directory.volunteers, ctx, codes, skip_ids=frozenset(request.known_volunteer_ids)
        )
        volunteers = [
            volunteer_candidate(ranked, ctx, directory, ranking_reason(ranked, rank, search.qualified_count))
            for rank, ranked in enumerate(search.ranked, start=1)
        ]
        excluded += volunteer_summaries(search)
    else:
        excluded.append(Exclusion(kind="volunteers", reason="no_consent", detail=NO_CONSENT, count=0))
    offers = [
        _as_network_hub(organisation_candidate(o, ctx))
        if o.org.id in plan.network
        else organisation_candidate(o, ctx)
        for o in _by_score((o for o in listed if o.action == "offer"), after=plan.network)
    ]
    signposts = [
        organisation_candidate(o, ctx) for o in _by_score(o for o in listed if o.action == "signpost")
    ]
    volunteers_first = area.coordination_model == "multi_agency_cell" and request.tier == "mutual_aid"
    ranked = volunteers + offers if volunteers_first else offers + volunteers
    return _Routed([*known.candidates, *ranked, *signposts], excluded)


def _as_network_hub(candidate: Candidate) -> Candidate:
    """A hub of the network that does not cover the resident: its reasons start with why it is asked (the
    role's own first reason says it covers the resident)."""
    return replace(candidate, reasons=candidate.reasons[1:])


def _by_score(outcomes: Iterable[OrgOutcome], after: frozenset[int] = frozenset()) -> list[OrgOutcome]:
    """Qualified organisations by score; those in `after` (a hub network's other hubs) after the rest."""
    qualified = (outcome for outcome in outcomes if outcome.qualified)
    return sorted(qualified, key=lambda outcome: (outcome.org.id in after, -outcome.score, outcome.org.id))


def _unmet_needs(ctx: MatchContext, directory: Directory, area: AreaConfig) -> tuple[str, ...]:
    """Needs no one can meet even on their own; all of them when each could be met only separately."""
    needs = tuple(dict.fromkeys(ctx.request.needs))
    if len(needs) < 2:
        return needs
    unmet = tuple(
        need
        for need in needs
        if not _route(
            build_context(replace(ctx.request, needs=[need]), ctx.policy), directory, area
        ).candidates
    )
    return unmet or needs


def _statutory_candidate(ctx: MatchContext, area: AreaConfig, safety_net: Organisation) -> Candidate:
    reasons = ("statutory tier: the council safety-net team only", f"council safety-net team for {area.name}")
    return _safety_net_candidate(ctx, safety_net, reasons)


def _statutory_skips(ctx: MatchContext) -> list[Exclusion]:
    detail = "statutory tier: continuity does not apply, the council safety-net team takes it"
    request = ctx.request
    return [
        Exclusion("volunteer", "statutory_tier", detail, volunteer_id=i) for i in request.known_volunteer_ids
    ] + [Exclusion("organisation", "statutory_tier", detail, org_id=i) for i in request.known_org_ids]


def _gap_candidate(
    ctx: MatchContext, area: AreaConfig, safety_net: Organisation, unmet: tuple[str, ...]
) -> Candidate:
    needs = ", ".join(ctx.request.needs)
    reasons = [
        f"gap: no organisation or volunteer qualified for {needs or 'an unrecognised need'}",
        f"unmet needs: {', '.join(unmet) or 'none recognised'}",
        f"council safety-net team for {area.name} takes the referral",
    ]
    if set(unmet) == set(ctx.request.needs) and len(unmet) > 1:
        reasons.append("if the needs can be met separately, consider splitting the referral")
    return _safety_net_candidate(ctx, safety_net, tuple(reasons))


def _safety_net_candidate(ctx: MatchContext, safety_net: Organisation, reasons: tuple[str, ...]) -> Candidate:
    distance = None
    if safety_net.base_lat is not None and safety_net.base_lon is not None:
        distance = round(
            great_circle_km(safety_net.base_lat, safety_net.base_lon, ctx.request.lat, ctx.request.lon), 3
        )
    return Candidate(
        kind="organisation",
        org_id=safety_net.id,
        volunteer_id=None,
        tier=ctx.request.tier,
        action="offer",
        data_sharing="full",
        score=1.0,
        distance_km=distance,
        reasons=reasons,
    )


def _result(
    ctx: MatchContext,
    area: AreaConfig,
    safety_net: Organisation,
    candidates: list[Candidate],
    excluded: list[Exclusion],
    gap: bool = False,
    unmet_needs: tuple[str, ...] = (),
) -> MatchResult:
    return MatchResult(
        candidates=tuple(candidates),
        excluded=tuple(excluded),
        gap=gap,
        unmet_needs=unmet_needs,
        owner_of_last_resort=safety_net.id,
        coordination_model=area.coordination_model,
        referral_id=ctx.request.referral_id,
    )


@dataclass(frozen=True)
class VolunteerFit:
    """One of an organisation's own volunteers judged for a task it holds: `failure` is the first constraint
    they fail (None: they may be offered it), `score` ranks the fit as the cascade ranks volunteers."""

    volunteer_id: int
    failure: str | None
    distance_km: float | None = None
    score: float = 0.0


def own_volunteers(
    request: MatchRequest, volunteers: Iterable[Volunteer], org_id: int, policy: MatchingPolicy | None = None
) -> list[VolunteerFit]:
    """An organisation passing on work it holds (a broker or hub assigning onward): its own volunteers, each
    judged by every constraint the cascade applies to a volunteer (active, reachable by text, skills, DBS,
    driving, availability in the urgency window, caps on their current counts, travel radius), those who
    qualify first by the cascade's score, then the others with why not."""
    ctx = build_context(request, policy or load_matching_policy())
    mine = [volunteer for volunteer in volunteers if volunteer.org_id == org_id]
    store = VolunteerStore(mine)
    codes = np.full(store.org_slot_count, NOT_ROUTED, dtype=np.int8)
    slot = store.known_org_slot(org_id)
    if slot is not None:
        codes[slot] = ROUTED
    fits = []
    for volunteer in mine:
        ranked, failure = assess_one(store, ctx, codes, volunteer.id)
        if ranked is None:
            fits.append(VolunteerFit(volunteer.id, failure[1] if failure else "not assessed"))
        else:
            fits.append(VolunteerFit(volunteer.id, None, ranked.distance_km, ranked.score))
    return sorted(fits, key=lambda fit: (fit.failure is not None, -fit.score, fit.volunteer_id))


def covers(request: MatchRequest, org: Organisation, policy: MatchingPolicy | None = None) -> bool:
    """Whether the organisation's coverage (districts, radius, or its whole area) includes the resident."""
    return coverage_reason(org, build_context(request, policy or load_matching_policy())) is not None
