"""Passing work on: whom the organisation holding a referral may offer the work to (its own volunteers, judged
by matching as the cascade would judge them, and the mutual-aid groups it works with), each asked of the
access rule (`access.pass_on_refusal`); and who is doing what on a referral, for its page and the
coordinator's queue (`who_is_doing`)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

import matching
from directory.models import Organisation, Volunteer
from matching.engine import covers, own_volunteers
from referrals import access, audit
from referrals.access import Principal
from referrals.lifecycle import HOLDING_STATUSES, OWNED_STATUSES, PASS_ON, State
from referrals.models import AuditEvent, Offer, Referral
from referrals.routing import match_request
from referrals.snapshot import VOLUNTEER_COLUMNS, to_matching_org, to_matching_volunteer, volunteer_loads

SMS_ACTOR = "sms:"
ACCEPTED_EVENTS = ("referral.accepted", "referral.pass_on_accepted")
DOER_DEACTIVATED = "referral.doer_deactivated"
CAME_BACK = {
    "referral.pass_on_declined": "declined",
    "referral.pass_on_expired": "did not answer in time",
    DOER_DEACTIVATED: "was deactivated in the directory",
}
# "started": the holder took the work back up itself, so it no longer "came back" to be dealt with.
EVENTS = (*ACCEPTED_EVENTS, "referral.passed_on", *CAME_BACK, "referral.started")


def _request(row: Referral, now: datetime) -> matching.MatchRequest:
    tier = row.cascade_tier or row.tier or "vcs"
    return match_request(row, row.resident, tier, ([], []), now)


def _facts(org: Organisation) -> access.OrgFacts:
    return access.OrgFacts(org.id, org.kind, org.area, org.mutual_aid_mode, org.active, org.name)


def volunteer_choices(
    session: Session,
    row: Referral,
    policy: matching.MatchingPolicy,
    now: datetime,
    only: int | None = None,
) -> list[access.PassOnTarget]:
    """The holder's own volunteers (or just `only`), best fit first, each with why it may not be offered
    the work when it may not: matching's judgement on their counts as they stand now."""
    holder = session.get(Organisation, row.owner_org_id) if row.owner_org_id else None
    if holder is None:
        return []
    query = select(*VOLUNTEER_COLUMNS, Volunteer.name, Volunteer.phone).where(Volunteer.org_id == holder.id)
    if only is not None:
        query = query.where(Volunteer.id == only)
    rows = {found.id: found for found in session.execute(query.order_by(Volunteer.id))}
    loads = volunteer_loads(session, rows, now)
    volunteers = [to_matching_volunteer(found, loads[found.id]) for found in rows.values()]
    fits = own_volunteers(_request(row, now), volunteers, holder.id, policy)
    return [
        access.PassOnTarget(
            org=_facts(holder),
            volunteer_id=fit.volunteer_id,
            name=rows[fit.volunteer_id].name,
            reachable=bool(rows[fit.volunteer_id].phone),
            unavailable=fit.failure,
            detail="" if fit.distance_km is None else f"{fit.distance_km:.1f} km away",
        )
        for fit in fits
    ]


def group_choices(
    session: Session,
    row: Referral,
    policy: matching.MatchingPolicy,
    now: datetime,
    only: int | None = None,
) -> list[access.PassOnTarget]:
    """The mutual-aid groups of the referral's council area (or just `only`, whatever it is), by name."""
    query = select(Organisation).order_by(Organisation.name)
    if only is not None:
        query = query.where(Organisation.id == only)
    else:
        query = query.where(Organisation.area == row.area, Organisation.kind == access.GROUP_KIND)
    request = _request(row, now)
    return [
        access.PassOnTarget(
            org=_facts(org),
            name=org.name,
            reachable=bool(org.contact_phone) and not org.sms_opted_out,
            covers=covers(request, to_matching_org(org), policy),
        )
        for org in session.scalars(query)
    ]


def pass_on_choices(
    session: Session, row: Referral, policy: matching.MatchingPolicy, now: datetime
) -> list[access.PassOnTarget]:
    """Whom the holder may pass the work on to now: its volunteers who fit, then the groups it works with."""
    found = volunteer_choices(session, row, policy, now) + group_choices(session, row, policy, now)
    return access.pass_on_targets(row, found)


def pass_on_target(
    session: Session,
    row: Referral,
    policy: matching.MatchingPolicy,
    now: datetime,
    volunteer_id: int | None = None,
    org_id: int | None = None,
) -> access.PassOnTarget | None:
    """The one volunteer or group a pass-on names, as the access rule needs to judge it (None: none)."""
    if volunteer_id is not None:
        found = volunteer_choices(session, row, policy, now, only=volunteer_id)
    else:
        found = group_choices(session, row, policy, now, only=org_id)
    return found[0] if found else None


def stop_doing(
    session: Session,
    principal: Principal,
    *,
    volunteer_id: int | None = None,
    org_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """A volunteer or a group was deactivated in the directory: the open work they were doing for the
    organisation holding it comes back to that holder (its queue says so: "came back to you"), each referral
    audited (`referral.doer_deactivated`). Part of the caller's transaction; how many came back."""
    if (volunteer_id is None) == (org_id is None):
        raise ValueError("name a volunteer or a group")
    doing = (
        Referral.volunteer_id == volunteer_id
        if volunteer_id is not None
        else Referral.assigned_org_id == org_id
    )
    rows = session.scalars(
        select(Referral)
        .where(doing, Referral.status.in_(OWNED_STATUSES))
        .order_by(Referral.id)
        .with_for_update()
    ).all()
    # The volunteer's own organisation, for the trail's words ("a volunteer of Sutton Central Hub").
    group = (
        org_id
        if org_id is not None
        else session.scalar(select(Volunteer.org_id).where(Volunteer.id == volunteer_id))
    )
    for row in rows:
        if volunteer_id is not None:
            row.volunteer_id = None
        else:
            row.assigned_org_id = None
        audit.record(
            session,
            DOER_DEACTIVATED,
            principal,
            referral_id=row.id,
            resident_id=row.resident_id,
            payload={"volunteer_id": volunteer_id, "org_id": group, "holder_org_id": row.owner_org_id},
            now=now,
        )
    return len(rows)


@dataclass(frozen=True)
class WhoIsDoing:
    """Who is doing what on a referral its holder may have passed on, for the page and the queue.

    `doing`: the volunteer or group doing the holder's work (since when, and whether they said yes by text);
    `offered_to`: a pass-on waiting for an answer, until `answer_by`; `came_back`: the last pass-on came back
    to the holder (from whom, why, when) and no one is doing it since."""

    doing: str = ""
    doing_since: datetime | None = None
    doing_by_text: bool = False
    offered_to: str = ""
    answer_by: datetime | None = None
    came_back_from: str = ""
    came_back: str = ""
    came_back_at: datetime | None = None

    @property
    def anything(self) -> bool:
        return bool(self.doing or self.offered_to or self.came_back)


def who_is_doing(session: Session, rows: Iterable[Referral]) -> dict[int, WhoIsDoing]:
    """For each referral: who is doing it, to whom it is passed on, or that it came back (a few queries for
    any number of referrals: the queue asks for all of its own at once)."""
    rows = list(rows)
    ids = [row.id for row in rows]
    if not ids:
        return {}
    events: dict[int, list[AuditEvent]] = {referral_id: [] for referral_id in ids}
    for event in session.scalars(
        select(AuditEvent)
        .where(AuditEvent.referral_id.in_(ids), AuditEvent.kind.in_(EVENTS))
        .order_by(AuditEvent.seq)
    ):
        events[event.referral_id].append(event)
    offers = {
        offer.referral_id: offer
        for offer in session.scalars(
            select(Offer).where(Offer.referral_id.in_(ids), Offer.status == "pending", Offer.kind == PASS_ON)
        )
    }
    names = _Names(session, rows, events.values(), offers.values())
    return {row.id: _who(row, events[row.id], offers.get(row.id), names) for row in rows}


class _Names:
    """Volunteers' and organisations' names, read once for everything shown."""

    def __init__(self, session, rows, events, offers) -> None:
        volunteers = {row.volunteer_id for row in rows} | {offer.volunteer_id for offer in offers}
        orgs = {row.assigned_org_id for row in rows} | {offer.org_id for offer in offers}
        for trail in events:
            volunteers |= {event.payload.get("volunteer_id") for event in trail}
            orgs |= {event.payload.get("org_id") for event in trail}
        found = select(Volunteer.id, Volunteer.name).where(Volunteer.id.in_(volunteers - {None}))
        self.volunteers = dict(session.execute(found).all())
        found = select(Organisation.id, Organisation.name).where(Organisation.id.in_(orgs - {None}))
        self.orgs = dict(session.execute(found).all())

    def of(self, volunteer_id: int | None, org_id: int | None) -> str:
        if volunteer_id is not None:
            return self.volunteers.get(volunteer_id, f"volunteer {volunteer_id}")
        return self.orgs.get(org_id, f"organisation {org_id}")


def _who(row: Referral, trail: list[AuditEvent], offer: Offer | None, names: _Names) -> WhoIsDoing:
    found: dict = {}
    if row.volunteer_id is not None or row.assigned_org_id is not None:
        found["doing"] = names.of(row.volunteer_id, row.assigned_org_id)
        took = [
            event
            for event in trail
            if event.kind in ACCEPTED_EVENTS
            and event.payload.get("volunteer_id") == row.volunteer_id
            and (row.assigned_org_id is None or event.payload.get("org_id") == row.assigned_org_id)
        ]
        if took:
            found["doing_since"] = took[-1].created_at
            found["doing_by_text"] = took[-1].actor.startswith(SMS_ACTOR)
    if row.status == State.PASSED_ON and offer is not None:
        found["offered_to"] = names.of(offer.volunteer_id, offer.org_id)
        found["answer_by"] = offer.expires_at
    last = trail[-1] if trail else None
    if (
        last is not None
        and last.kind in CAME_BACK
        and row.status in HOLDING_STATUSES
        and "doing" not in found
    ):
        why = CAME_BACK[last.kind]
        found["came_back"] = f"{why} by text" if last.actor.startswith(SMS_ACTOR) else why
        found["came_back_from"] = names.of(last.payload.get("volunteer_id"), last.payload.get("org_id"))
        found["came_back_at"] = last.created_at
    return WhoIsDoing(**found)
