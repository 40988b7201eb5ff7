"""Whether one organisation may take a referral, in the role the coordination model gives it, and its score.

Roles: a `broker` (the area's infrastructure organisation) or `hub` assigns work onward, so it is not asked to
offer the needs itself; a `service` organisation must offer every need; a `signpost` is only named to the
resident, so SMS opt-out does not matter. Every other constraint applies to all roles.
"""

from dataclasses import dataclass
from typing import Literal

from matching.context import MatchContext
from matching.coverage import has_radius, is_area_wide
from matching.geo import great_circle_km, normalise_outcode
from matching.schedule import is_open
from matching.types import DataSharing, Organisation

Role = Literal["broker", "hub", "service", "signpost"]
Failure = tuple[str, str]

_MODE_REASONS = {
    "integrated": "integrated group: receives referrals and may refer residents back into the service",
    "supported": "supported group: gets minimal details until its lead accepts",
    "arms_length": "arm's-length group: never receives personal data, so the resident is signposted",
}


@dataclass(frozen=True)
class OrgOutcome:
    org: Organisation
    role: Role
    failure: Failure | None
    distance_km: float | None
    score: float
    reasons: tuple[str, ...]

    @property
    def qualified(self) -> bool:
        return self.failure is None

    @property
    def action(self) -> Literal["offer", "signpost"]:
        signposted = self.role == "signpost" or self.org.mutual_aid_mode == "arms_length"
        return "signpost" if signposted else "offer"

    @property
    def data_sharing(self) -> DataSharing:
        return data_sharing_for(self.org) if self.action == "offer" else "none"


def data_sharing_for(org: Organisation | None) -> DataSharing:
    """What an offer to this organisation (or one of its volunteers) may carry before it is accepted."""
    if org is None or org.mutual_aid_mode == "supported":
        return "minimal_until_accept"
    if org.mutual_aid_mode == "arms_length":
        return "none"
    return "full"


def coverage_reason(org: Organisation, ctx: MatchContext) -> str | None:
    """Why the organisation covers the resident, or None when it does not."""
    request = ctx.request
    outcode = normalise_outcode(request.outcode)
    if outcode in {normalise_outcode(code) for code in org.coverage_outcodes}:
        return f"covers postcode district {outcode}"
    if has_radius(org):
        distance = great_circle_km(org.base_lat, org.base_lon, request.lat, request.lon)
        if distance <= org.radius_km:
            return f"resident is {distance:.1f} km from its base (serves {org.radius_km:g} km)"
    if is_area_wide(org) and org.area == request.area:
        return f"serves the whole of {org.area}"
    return None


def evaluate_organisation(
    org: Organisation, role: Role, ctx: MatchContext, coverage: str | None
) -> OrgOutcome:
    distance = _distance(org, ctx)
    failure = _first_failure(org, role, ctx, coverage)
    if failure is not None:
        return OrgOutcome(org, role, failure, distance, 0.0, ())
    score, ranking = _score(org, ctx, distance)
    reasons = [_role_reason(org, role, ctx), coverage or "", f"open {ctx.window_text}"]
    reasons.append(f"{org.open_accepted} of {org.capacity} referral places in use")
    if org.mutual_aid_mode:
        reasons.append(_MODE_REASONS[org.mutual_aid_mode])
    if org.mutual_aid_mode == "arms_length" or role == "signpost":
        reasons.append(f"give the resident the public contact: {org.public_contact or 'not recorded'}")
    reasons.append(ranking)
    return OrgOutcome(org, role, None, distance, score, tuple(reason for reason in reasons if reason))


def _first_failure(org: Organisation, role: Role, ctx: MatchContext, coverage: str | None) -> Failure | None:
    request = ctx.request
    if coverage is None:
        return "outside_coverage", f"does not cover {normalise_outcode(request.outcode)} ({request.area})"
    if not org.active:
        return "inactive", "organisation is inactive"
    if org.sms_opted_out and role != "signpost":
        return "sms_opted_out", "organisation's lead has opted out of SMS"
    missing = [need for need in request.needs if need not in org.services]
    if role in ("service", "signpost") and missing:
        return "service_mismatch", f"does not offer {', '.join(missing)}"
    age_failure = _age_failure(org, request.resident_age)
    if age_failure is not None:
        return age_failure
    if not is_open(org.opening_hours, ctx.window):
        return "closed", f"not open {ctx.window_text} ({request.urgency})"
    if org.open_accepted >= org.capacity:
        return "no_capacity", f"{org.open_accepted} of {org.capacity} referral places in use"
    return None


def _age_failure(org: Organisation, age: int | None) -> Failure | None:
    if org.min_age is None and org.max_age is None:
        return None
    limits = (
        f"{org.min_age if org.min_age is not None else 0}–{org.max_age if org.max_age is not None else 'any'}"
    )
    if age is None:
        return "age_unknown", f"serves ages {limits} and the resident's age is not recorded"
    if (org.min_age is not None and age < org.min_age) or (org.max_age is not None and age > org.max_age):
        return "age_ineligible", f"serves ages {limits}; the resident is {age}"
    return None


def _role_reason(org: Organisation, role: Role, ctx: MatchContext) -> str:
    needs = ", ".join(ctx.request.needs)
    if role == "broker":
        return f"infrastructure organisation for {org.area}: assigns {ctx.request.tier} referrals onward"
    if role == "hub":
        return "community hub covering the resident: arranges help locally"
    if role == "signpost":
        return f"offers {needs}; signposted only (no consent to share details)"
    return f"offers {needs}"


def _distance(org: Organisation, ctx: MatchContext) -> float | None:
    if org.base_lat is None or org.base_lon is None:
        return None
    return great_circle_km(org.base_lat, org.base_lon, ctx.request.lat, ctx.request.lon)


def _score(org: Organisation, ctx: MatchContext, distance: float | None) -> tuple[float, str]:
    weights = ctx.policy.organisation_weights
    distance_penalty = 0.0 if distance is None else min(distance / weights.distance_scale_km, 1.0)
    load = org.open_accepted / org.capacity
    response = org.accepts_within_hours
    response_penalty = 0.5 if response is None else min(response / weights.response_scale_hours, 1.0)
    total = weights.distance + weights.load + weights.response
    penalty = weights.distance * distance_penalty + weights.load * load + weights.response * response_penalty
    score = 1.0 - penalty / total if total else 1.0
    where = "base not recorded" if distance is None else f"{distance:.1f} km from base"
    speed = "response time not recorded" if response is None else f"usually accepts within {response:g} h"
    return score, f"score {score:.2f}: {where}, {load:.0%} of capacity in use, {speed}"
