"""Continuity: a coordinator or volunteer who already knows the resident is offered the referral first when
they still qualify; otherwise the audit trail says why they were skipped."""

from dataclasses import dataclass, field

from matching.context import MatchContext
from matching.directory import Directory
from matching.explain import organisation_candidate, organisation_exclusion, volunteer_candidate
from matching.organisations import coverage_reason, evaluate_organisation
from matching.routing import continuity_group_codes, continuity_role
from matching.types import AreaConfig, Candidate, Exclusion
from matching.volunteers import assess_one

KNOWN_VOLUNTEER = "continuity: has helped this resident before"
KNOWN_ORGANISATION = "continuity: already knows this resident"
SKIPPED = "continuity: knows this resident but was skipped: "


@dataclass
class Continuity:
    candidates: list[Candidate] = field(default_factory=list)
    excluded: list[Exclusion] = field(default_factory=list)


def continuity(ctx: MatchContext, directory: Directory, area: AreaConfig) -> Continuity:
    found = Continuity()
    for volunteer_id in dict.fromkeys(ctx.request.known_volunteer_ids):
        _known_volunteer(volunteer_id, ctx, directory, found)
    for org_id in dict.fromkeys(ctx.request.known_org_ids):
        _known_organisation(org_id, ctx, directory, area, found)
    return found


def _known_volunteer(volunteer_id: int, ctx: MatchContext, directory: Directory, found: Continuity) -> None:
    def skip(reason: str, detail: str) -> None:
        found.excluded.append(Exclusion("volunteer", reason, SKIPPED + detail, volunteer_id=volunteer_id))

    if not ctx.request.consent_to_share:
        skip("no_consent", "the resident has not consented to sharing details with volunteers")
        return
    store = directory.volunteers
    row = store.row_of(volunteer_id)
    org_id = store.org_of_slot(int(store.org_slots[row])) if row is not None else None
    codes = continuity_group_codes(directory, ctx, org_id)
    ranked, failure = assess_one(store, ctx, codes, volunteer_id)
    if ranked is None:
        skip(*failure)
        return
    ranking = f"offered first for continuity, score {ranked.score:.2f}"
    found.candidates.append(volunteer_candidate(ranked, ctx, directory, ranking, lead=KNOWN_VOLUNTEER))


def _known_organisation(
    org_id: int, ctx: MatchContext, directory: Directory, area: AreaConfig, found: Continuity
) -> None:
    org = directory.organisation(org_id)
    if org is None:
        detail = SKIPPED + "organisation is no longer in the directory"
        found.excluded.append(Exclusion("organisation", "not_in_directory", detail, org_id=org_id))
        return
    role = continuity_role(org, ctx)
    if role is None:
        detail = f"{SKIPPED}a {org.kind} organisation does not take {ctx.request.tier} referrals"
        found.excluded.append(Exclusion("organisation", "kind_not_for_tier", detail, org_id=org_id))
        return
    if org.id == area.infrastructure_org_id:
        coverage = f"infrastructure organisation for {area.name}"
    else:
        coverage = coverage_reason(org, ctx)
    outcome = evaluate_organisation(org, role, ctx, coverage)
    if outcome.qualified:
        found.candidates.append(organisation_candidate(outcome, ctx, lead=KNOWN_ORGANISATION))
    else:
        found.excluded.append(organisation_exclusion(outcome, prefix=SKIPPED))
