"""Routing a triaged referral: match it against the directory, store the ranked candidates and why others
were left out, then start the cascade (offer the first candidate, signpost, or hold it at the safety net)."""

from __future__ import annotations  # `matching.Directory` loads numpy: on first use, not for an annotation

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

import matching
from accounts.tokens import Principal
from db.faults import is_unavailable
from directory.models import Organisation
from referrals import audit, lifecycle
from referrals.availability import cascade_availability
from referrals.lifecycle import HELPED_STATUSES, Candidate, RecurrencePlan
from referrals.models import Offer, Referral, Resident
from referrals.persistence import Change, jsonable, persist, to_value
from referrals.policy import LifecyclePolicy
from referrals.residents import age_on
from referrals.snapshot import DirectorySnapshot, claimed, volunteer_load

logger = logging.getLogger(__name__)
HIGHER_TIERS = {"mutual_aid": ("vcs",), "vcs": (), "statutory": ()}
MAX_RECOUNTS = 5
ROUTING_FAILED = "referral.routing_failed"
MAX_PROBLEM_CHARS = 500


@dataclass(frozen=True)
class RoutingContext:
    snapshot: DirectorySnapshot
    matching_policy: matching.MatchingPolicy
    lifecycle_policy: LifecyclePolicy


def continuity(session: Session, resident: Resident, exclude_referral_id: int) -> tuple[list[int], list[int]]:
    """Volunteers and organisations that have helped this person before, most recent first."""
    rows = session.execute(
        select(Referral.volunteer_id, Referral.accepted_org_id)
        .where(
            Referral.resident_id == resident.id,
            Referral.id != exclude_referral_id,
            Referral.status.in_(HELPED_STATUSES),
        )
        .order_by(Referral.id.desc())
    ).all()
    volunteers = list(dict.fromkeys(v for v, _ in rows if v is not None))
    orgs = list(dict.fromkeys(o for _, o in rows if o is not None))
    return volunteers, orgs


def match_request(
    row: Referral, resident: Resident, tier: str, known: tuple[list[int], list[int]], now: datetime
):
    return matching.MatchRequest(
        referral_id=row.id,
        tier=tier,
        needs=tuple(row.needs),
        urgency=row.urgency or "routine",
        lat=resident.lat,
        lon=resident.lon,
        outcode=resident.outcode,
        area=resident.area,
        now=now,
        resident_age=age_on(resident.date_of_birth, now.date()),
        flags=dict(resident.flags),
        consent_to_share=row.consent_to_share,
        known_volunteer_ids=tuple(known[0]),
        known_org_ids=tuple(known[1]),
    )


def candidate_dict(candidate: matching.Candidate) -> dict:
    return jsonable(
        {
            "kind": candidate.kind,
            "org_id": candidate.org_id,
            "volunteer_id": candidate.volunteer_id,
            "tier": candidate.tier,
            "action": candidate.action,
            "data_sharing": candidate.data_sharing,
            "score": round(candidate.score, 4),
            "distance_km": None if candidate.distance_km is None else round(candidate.distance_km, 3),
            "reasons": list(candidate.reasons),
        }
    )


def exclusion_dict(exclusion: matching.Exclusion) -> dict:
    return jsonable(
        {
            "kind": exclusion.kind,
            "reason": exclusion.reason,
            "detail": exclusion.detail,
            "org_id": exclusion.org_id,
            "volunteer_id": exclusion.volunteer_id,
            "count": exclusion.count,
            "sample_ids": list(exclusion.sample_ids),
        }
    )


def route(
    session: Session,
    row: Referral,
    principal: Principal,
    context: RoutingContext,
    now: datetime,
    pending: Offer | None = None,
    recurrence: dict | None = None,
    first_referral: bool = False,
) -> Offer | None:
    """Match and start the cascade, returning the offer made (if any); routed again after re-triage, it
    withdraws its `pending` offer.
    `first_referral`: the person is new in this transaction, so nobody has helped them before."""
    resident = row.resident
    known = ([], []) if first_referral else continuity(session, resident, row.id)
    tiers = (row.tier, *HIGHER_TIERS[row.tier])
    recounted: list[dict] = []
    for attempt in range(MAX_RECOUNTS + 1):
        with context.snapshot.in_use(now, session) as directory:
            results = [
                matching.match(
                    match_request(row, resident, tier, known, now), directory, context.matching_policy
                )
                for tier in tiers
            ]
            candidates = _merged_candidates(results)
            chosen = _first_offered_volunteer(candidates, directory)
            untexted = _untexted_organisations(candidates, results[0].owner_of_last_resort, directory)
        unchecked = chosen is not None and attempt == MAX_RECOUNTS
        if chosen is None or unchecked:
            break
        passed_over = _recount(session, chosen, context, now)
        if passed_over is None:
            break
        recounted.append(passed_over)
    first = results[0]
    row.safety_net_org_id = first.owner_of_last_resort
    row.candidates = candidates
    row.gap = first.gap
    row.unmet_needs = list(first.unmet_needs)
    audit.record(
        session,
        "referral.matched",
        principal,
        referral_id=row.id,
        resident_id=resident.id,
        payload={
            "coordination_model": first.coordination_model,
            "candidates": candidates,
            "excluded": [exclusion_dict(e) for e in first.excluded] + recounted,
            "gap": first.gap,
            "unmet_needs": list(first.unmet_needs),
        },
        now=now,
    )
    plan = recurrence and RecurrencePlan(recurrence["every_days"], recurrence["count"], now)
    available = cascade_availability(session, context.matching_policy, now) if unchecked else None
    offer = _start_cascade(
        session, row, candidates, principal, context.lifecycle_policy, now, pending, plan, available, untexted
    )
    if offer is not None and offer.volunteer_id is not None:
        context.snapshot.record_offer(offer.volunteer_id)
    return offer


def route_or_hold(
    session: Session,
    row: Referral,
    principal: Principal,
    context: RoutingContext,
    now: datetime,
    recurrence: dict | None = None,
    first_referral: bool = False,
    pending: Offer | None = None,
) -> Offer | None:
    """`route` a referral just logged (or routed again after re-triage, withdrawing its `pending` offer),
    and never lose the call: if anything in routing fails (an area the
    directory cannot route, no safety-net team, an exception in matching), what routing wrote is rolled back
    to a savepoint (the resident, the referral and its triage stay), the problem goes into the audit trail
    (`referral.routing_failed`, listed on the safety-net dashboard) and the area's safety-net team holds
    the referral (escalated to it). Validation happened before: nothing here answers 422."""
    try:
        with audit.savepoint(session):
            return route(
                session,
                row,
                principal,
                context,
                now,
                pending,
                recurrence=recurrence,
                first_referral=first_referral,
            )
    except Exception as error:  # whatever failed, the call is kept (and the error logged)
        if is_unavailable(error):  # the database went away: the whole transaction is lost; the caller retries
            raise
        hold_at_safety_net(session, row, principal, now, error, pending)
        return None


def hold_at_safety_net(
    session: Session,
    row: Referral,
    principal: Principal,
    now: datetime,
    error: Exception,
    pending: Offer | None = None,
) -> None:
    """After a failed routing: the problem in the trail, and the referral escalated to the area's safety-net
    team (looked up in the database, not in the matching directory, which may be what failed). An area with
    no active safety-net team (`flask --app wsgi config check` reports it) leaves the referral escalated
    without an owner: counted as unowned on the dashboard and listed there under routing problems, rather
    than handed to another council's team, who may not see that person's details."""
    problem = routing_problem(error)
    row.safety_net_org_id = area_safety_net(session, row.area)
    logger.error(
        "referral %s (area %r) could not be routed; held by the safety-net team %s: %s",
        row.id,
        row.area,
        row.safety_net_org_id,
        problem,
        exc_info=error,
    )
    audit.record(
        session,
        ROUTING_FAILED,
        principal,
        referral_id=row.id,
        resident_id=row.resident_id,
        reason=problem,
        payload={
            "error": type(error).__name__,
            "problem": problem,
            "area": row.area,
            "safety_net_org_id": row.safety_net_org_id,
        },
        now=now,
    )
    if row.status == "escalated":  # routed again from the safety net, which keeps it
        return
    value, events = to_value(row, pending).escalate("routing failed: the safety-net team holds the referral")
    persist(session, row, pending, Change(value, events), principal, now)


def routing_problem(error: Exception) -> str:
    """What went wrong, for the trail and the dashboard. A configuration error says which area and what is
    missing; any other error's text can quote what it was working on (a database error, the values of the
    statement: personal details), and the trail cannot be erased, so only its kind is kept (the log has the
    rest)."""
    if isinstance(error, matching.MatchingConfigError):
        return (str(error) or "the area's routing is misconfigured")[:MAX_PROBLEM_CHARS]
    what = "a database error" if isinstance(error, SQLAlchemyError) else "an unexpected error"
    return f"{what} ({type(error).__name__}) while routing; the server log has the details"


def area_safety_net(session: Session, area: str | None) -> int | None:
    """The area's council safety-net team as matching chooses it (its first active one), or None."""
    return session.scalar(
        select(func.min(Organisation.id)).where(
            Organisation.area == area, Organisation.kind == "safety_net", Organisation.active
        )
    )


def _merged_candidates(results: list[matching.MatchResult]) -> list[dict]:
    """The tiers' candidates in order, each organisation or volunteer once."""
    seen: set[tuple] = set()
    candidates = []
    for result in results:
        for candidate in result.candidates:
            key = (candidate.org_id, candidate.volunteer_id)
            if key not in seen:
                seen.add(key)
                candidates.append(candidate_dict(candidate))
    return candidates


def _untexted_organisations(
    candidates: list[dict], safety_net_org_id: int | None, directory: matching.Directory
) -> frozenset[int]:
    """The organisations this routing may offer to that the directory says are not mutual-aid groups: an
    offer to one of them (no volunteer named) sends no text, so nobody's phone is looked up for it."""
    ids = {c["org_id"] for c in candidates if c["org_id"] is not None} | {safety_net_org_id}
    found = ((org_id, directory.organisation(org_id)) for org_id in ids if org_id is not None)
    return frozenset(org_id for org_id, org in found if org is not None and org.kind != "mutual_aid")


def _first_offered_volunteer(
    candidates: list[dict], directory: matching.Directory
) -> matching.Volunteer | None:
    """The volunteer the cascade will offer the task to first, if it starts with a volunteer."""
    if not candidates or candidates[0]["action"] == "signpost":
        return None
    first = next((c for c in candidates if c["action"] == "offer"), None)
    if first is None or first["volunteer_id"] is None:
        return None
    return directory.volunteer(first["volunteer_id"])


def _recount(
    session: Session,
    volunteer: matching.Volunteer,
    context: RoutingContext,
    now: datetime,
) -> dict | None:
    """The index's workload counts can be a few seconds old (another worker may have just offered work), so
    the volunteer an offer is about to go to is counted again in the database, under a lock on their row that
    the offer keeps until this transaction ends: another worker about to offer them work waits (at most
    CLAIM_LOCK_TIMEOUT_MS, then counts without the lock), then counts this offer too. The index takes the
    live counts; at a cap, the exclusion to record (the caller matches again, so the gap and tiers come out
    as a fresh index would give them) and the lock is let go (a routing holds at most the volunteer it offers
    to, so two routings never wait for each other); otherwise None.
    After MAX_RECOUNTS volunteers passed over in one routing, the cascade checks each next candidate itself
    (`referrals.availability`), passing over any at a cap without matching again."""
    with claimed(session, volunteer.id) as claim:
        active, weekly = volunteer_load(session, volunteer.id, now)
        context.snapshot.note_load(volunteer.id, (active, weekly))
        failure = matching.capacity_failure(volunteer, context.matching_policy, active, weekly)
        if failure is None:
            claim.keep()
            return None
    reason, detail = failure
    detail = f"{detail} (counted again before the offer)"
    return exclusion_dict(matching.Exclusion("volunteer", reason, detail, volunteer_id=volunteer.id))


def _start_cascade(
    session: Session,
    row: Referral,
    candidates: list[dict],
    principal: Principal,
    policy: LifecyclePolicy,
    now: datetime,
    pending: Offer | None,
    plan: RecurrencePlan | None,
    available: lifecycle.Availability | None = None,
    untexted: frozenset[int] = frozenset(),
) -> Offer | None:
    value = lifecycle.Referral(safety_net_org_id=row.safety_net_org_id)
    offerable = [
        Candidate(c["org_id"] or row.safety_net_org_id, c["tier"], c["volunteer_id"])
        for c in candidates
        if c["action"] == "offer"
    ]
    value, events = value.triage(offerable, plan=plan)
    all_events = list(events)
    if candidates and candidates[0]["action"] == "signpost":
        value, events = value.signpost(candidates[0]["org_id"])
    else:
        value, events = value.offer_next(
            expires_at=lifecycle.offer_expiry(
                row.urgency or "routine", now, policy.offer_expiry, policy.quiet_hours
            ),
            available=available,
        )
    all_events.extend(events)
    return persist(session, row, pending, Change(value, tuple(all_events)), principal, now, untexted=untexted)
