"""Requests from outside: a resident's own request on the public page (`self_referral`) and a mutual-aid
group's lead referring someone they met (`mutual_aid_referral`).

Each is saved, triaged and audited like any call (`intake.log_call`), but nothing is routed or offered: it
waits on the helpline's review list (`referral.awaiting_review`), held meanwhile by the area's safety-net team
so it always has an owner. Helpline staff (or the area's safety-net officers) confirm it, possibly correcting
the summary and the needs, and only then is it routed as any call is; or they record that it is not taken
forward (cancelled with their reason). Emergency or safeguarding requests are escalated to the safety-net
team at once (its dashboard lists them) and wait on the review list too. A person who looks like someone
already known goes on the repeat-callers list (`repeat_callers.py`) as a partner's referral does: those
outside are never told who else is known.

The reference a requester is shown is random (`new_reference`), not the referral's id, and nothing outside
can be looked up with it. A group's lead gets a one-time link (`issue_refer_link`: 256 random bits, only its
hash stored, used once, expiring) and, once they refer, a status link that shows only what
`access.referring_group_outcome` lets the group see."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.tokens import Principal
from db.base import utcnow
from directory.models import Organisation
from referrals import access, audit
from referrals.awaiting import awaiting
from referrals.errors import Conflict, DomainValidationError, Forbidden, NotFound
from referrals.intake import CallLog, IntakeContext, log_call
from referrals.lifecycle import OPEN_STATUSES
from referrals.models import AuditEvent, Referral, ReferralLink
from referrals.persistence import Change, persist, to_value
from referrals.reading import get_referral_for, record_people_shown
from referrals.routing import RoutingContext, area_safety_net, route_or_hold
from referrals.triaging import decide, triage_on_intake
from triage import Rules

REVIEW = "referral.awaiting_review"
REVIEWED = "referral.reviewed"
LINK_ISSUED = "referral.refer_link_issued"
SELF_REFERRAL = "self_referral"
GROUP_REFERRAL = "mutual_aid_referral"
URGENT_REASON = (
    "emergency or safeguarding words in a request from outside: the safety-net team contacts them now"
)
# No 0/O, 1/I/L or U: read aloud over the phone without mistakes. 30^10 (about 2^49) references.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
REFERENCE_CHARS = 10
MAX_LISTED = 50
MIN_REASON_WORDS = 2

RESIDENT = Principal(token_id=None, name="resident (own request)", role="resident", org_id=None)


def group_lead(org_id: int, phone: str) -> Principal:
    """Who acts when a group's lead refers someone: the lead, for their group (a known lead's phone)."""
    return Principal(token_id=None, name=f"lead:{phone}", role="mutual_aid_lead", org_id=org_id)


def new_reference() -> str:
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_CHARS))
    return f"{chars[:5]}-{chars[5:]}"


def needs_attention_now(referral: Referral) -> bool:
    """What triage found calls for the safety-net team at once: an emergency or a safeguarding concern."""
    return bool(referral.safeguarding) or referral.urgency == "emergency"


@dataclass(frozen=True)
class Received:
    referral_id: int
    reference: str
    urgent: bool
    safeguarding: bool
    area: str | None


def submit(
    session: Session, call: CallLog, principal: Principal, context: IntakeContext, now: datetime | None = None
) -> Received:
    """Save a request from outside for review (commits). Validation errors are the call form's (422s)."""
    if call.channel not in (SELF_REFERRAL, GROUP_REFERRAL):
        raise DomainValidationError(
            "channel", "a request from outside is a self_referral or mutual_aid_referral"
        )
    reference = new_reference()

    def hold(session: Session, row: Referral, principal: Principal, now: datetime) -> None:
        _hold_for_review(session, row, principal, now, reference)

    result = log_call(session, call, principal, context, now, hold=hold)
    row = result.referral
    return Received(row.id, reference, needs_attention_now(row), bool(row.safeguarding), row.area)


def _hold_for_review(
    session: Session, row: Referral, principal: Principal, now: datetime, reference: str
) -> None:
    row.public_ref = reference
    row.safety_net_org_id = area_safety_net(session, row.area)
    row.owner_org_id = row.safety_net_org_id
    urgent = needs_attention_now(row)
    audit.record(
        session,
        REVIEW,
        principal,
        referral_id=row.id,
        resident_id=row.resident_id,
        reason="a request from outside: the helpline reviews it before anything is offered",
        payload={"channel": row.channel, "urgent": urgent, "reference": reference},
        now=now,
    )
    if urgent and row.safety_net_org_id is not None:
        value, events = to_value(row, None).escalate(URGENT_REASON)
        persist(session, row, None, Change(value, events), principal, now)


@dataclass(frozen=True)
class ToReview:
    referral: Referral
    logged_at: datetime
    urgent: bool
    repeat_check: bool  # the person may be someone already known: the repeat-callers list settles it


def waiting_for_review(session: Session, principal: Principal, limit: int = MAX_LISTED) -> list[ToReview]:
    """Requests from outside waiting for review that `principal` may review, urgent ones first, then oldest
    first. Showing them (names, contact, words) is a read of each person, audited."""
    if principal.role not in access.REVIEW_ROLES:
        return []
    from referrals.repeat_callers import CHECK, CHECKED

    found = awaiting(
        session, REVIEW, REVIEWED, access.area_scope(principal), limit, Referral.status.in_(OPEN_STATUSES)
    )
    rows = [(at, row) for at, row in found if access.may_review(principal, row)]
    ids = [row.id for _, row in rows]
    checks: dict[int, set[str]] = {}
    for referral_id, kind in session.execute(
        select(AuditEvent.referral_id, AuditEvent.kind).where(
            AuditEvent.referral_id.in_(ids), AuditEvent.kind.in_((CHECK, CHECKED))
        )
    ):
        checks.setdefault(referral_id, set()).add(kind)
    found = [ToReview(row, at, needs_attention_now(row), checks.get(row.id) == {CHECK}) for at, row in rows]
    found.sort(key=lambda item: (not item.urgent, item.logged_at))
    record_people_shown(
        session,
        list(dict.fromkeys(item.referral.resident_id for item in found)),
        principal,
        "requests to review",
    )
    return found


def _locked_for_review(session: Session, referral_id: int, principal: Principal) -> Referral:
    referral = get_referral_for(session, referral_id, principal)
    if not access.may_review(principal, referral):
        raise Forbidden("only the helpline and the area's safety-net officers review requests from outside")
    locked = session.scalars(
        select(Referral)
        .where(Referral.id == referral.id)
        .with_for_update(of=Referral)
        .execution_options(populate_existing=True)
    ).one()
    kinds = set(
        session.scalars(
            select(AuditEvent.kind).where(
                AuditEvent.referral_id == locked.id, AuditEvent.kind.in_((REVIEW, REVIEWED))
            )
        )
    )
    if kinds != {REVIEW}:
        raise Conflict("this request is not waiting for review", "reviewed" if REVIEWED in kinds else None)
    if locked.status not in OPEN_STATUSES:
        raise Conflict("this request was closed meanwhile", locked.status)
    return locked


def confirm(
    session: Session,
    referral_id: int,
    principal: Principal,
    routing: RoutingContext,
    rules: Rules,
    summary: str | None = None,
    needs: list[str] | None = None,
    now: datetime | None = None,
) -> Referral:
    """The reviewer confirms the request (correcting the summary or the needs if they choose): triaged again
    when the needs change, then routed as any call is. One the safety-net team already holds (an urgent one)
    stays with it. Commits."""
    now = now or utcnow()
    row = _locked_for_review(session, referral_id, principal)
    edited = []
    if summary is not None and summary.strip() != (row.summary or ""):
        row.summary = summary.strip()
        edited.append("summary")
    if needs is not None and sorted(set(needs)) != sorted(set(row.needs or [])):
        unknown = sorted(set(needs) - set(rules.needs))
        if unknown:
            raise DomainValidationError("needs", f"unknown needs: {', '.join(unknown)}")
        row.given_needs = list(needs)
        resident = row.resident
        decision = decide(row.notes, needs, resident.flags, resident.date_of_birth, rules, now.date())
        triage_on_intake(session, row, resident, decision, principal, now)
        edited.append("needs")
    audit.record(
        session,
        REVIEWED,
        principal,
        referral_id=row.id,
        resident_id=row.resident_id,
        reason="confirmed" + (f", with the {' and '.join(edited)} corrected" if edited else ""),
        payload={"outcome": "confirmed", "edited": edited},
        now=now,
    )
    row.updated_at = now
    if row.status == "triaged":
        route_or_hold(session, row, principal, routing, now)
    session.commit()
    return row


def not_taken_forward(
    session: Session, referral_id: int, principal: Principal, reason: str, now: datetime | None = None
) -> Referral:
    """The reviewer finds the request is not one to act on (a test, a prank, already dealt with): cancelled
    with their reason in words (sealed with the person's key). Commits."""
    now = now or utcnow()
    if len(reason.split()) < MIN_REASON_WORDS:
        raise DomainValidationError("reason", "Say in a few words why this request is not taken forward")
    row = _locked_for_review(session, referral_id, principal)
    audit.record(
        session,
        REVIEWED,
        principal,
        referral_id=row.id,
        resident_id=row.resident_id,
        reason="not taken forward",
        payload={"outcome": "not_taken_forward"},
        now=now,
    )
    value, events = to_value(row, None).cancel(reason.strip())
    persist(session, row, None, Change(value, events), principal, now, typed_reason=reason.strip())
    session.commit()
    return row


# --- a group's lead: one-time links ---------------------------------------------------------------------


def hash_link(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def group_of_lead(session: Session, phone: str) -> Organisation | None:
    """The active mutual-aid group whose lead's phone this is (its contact phone), if exactly one."""
    if not phone:
        return None
    groups = list(
        session.scalars(
            select(Organisation)
            .where(
                Organisation.contact_phone == phone,
                Organisation.kind == access.GROUP_KIND,
                Organisation.active,
            )
            .limit(2)
        )
    )
    return groups[0] if len(groups) == 1 else None


def issue_link(
    session: Session,
    org_id: int,
    phone: str,
    purpose: str,
    lifetime: timedelta,
    now: datetime,
    referral_id: int | None = None,
) -> str:
    """A new link's token (shown once, in a text or on a page); only its hash is stored. Not committed."""
    token = secrets.token_urlsafe(32)
    session.add(
        ReferralLink(
            token_hash=hash_link(token),
            purpose=purpose,
            org_id=org_id,
            phone=phone,
            referral_id=referral_id,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return token


def issue_refer_link(
    session: Session, group: Organisation, phone: str, lifetime: timedelta, now: datetime
) -> str:
    token = issue_link(session, group.id, phone, "refer", lifetime, now)
    audit.record(
        session,
        LINK_ISSUED,
        group_lead(group.id, phone),
        reason="a group's lead asked to refer someone",
        payload={"org_id": group.id, "expires_at": (now + lifetime).isoformat()},
        now=now,
    )
    return token


def open_link(session: Session, token: str, purpose: str, now: datetime, lock: bool = False) -> ReferralLink:
    """The link if it is one of ours, for this purpose, unexpired, (for `refer`) unused, and its group is
    still an active mutual-aid group. Any other answer is the same NotFound: a token says nothing of why."""
    query = select(ReferralLink).where(ReferralLink.token_hash == hash_link(token or ""))
    if lock:
        query = query.with_for_update()
    link = session.scalars(query).one_or_none()
    group = link and session.get(Organisation, link.org_id)
    usable = (
        link is not None
        and link.purpose == purpose
        and link.expires_at > now
        and (purpose != "refer" or link.used_at is None)
        and group is not None
        and group.active
        and group.kind == access.GROUP_KIND
    )
    if not usable:
        raise NotFound("this link has expired or was already used")
    return link


@dataclass(frozen=True)
class GroupReferred:
    received: Received
    status_token: str


def submit_from_group(
    session: Session,
    token: str,
    call: CallLog,
    context: IntakeContext,
    status_lifetime: timedelta,
    now: datetime | None = None,
) -> GroupReferred:
    """A lead's referral through their one-time link: the link is used up in the same transaction, and a
    status link for this referral issued. Commits."""
    now = now or utcnow()
    link = open_link(session, token, "refer", now, lock=True)
    link.used_at = now
    principal = group_lead(link.org_id, link.phone)
    status: dict[str, str] = {}

    def hold(session: Session, row: Referral, principal: Principal, now: datetime) -> None:
        _hold_for_review(session, row, principal, now, reference)
        link.referral_id = row.id
        status["token"] = issue_link(session, link.org_id, link.phone, "status", status_lifetime, now, row.id)

    reference = new_reference()
    result = log_call(session, call, principal, context, now, hold=hold)
    row = result.referral
    received = Received(row.id, reference, needs_attention_now(row), bool(row.safeguarding), row.area)
    return GroupReferred(received, status["token"])


@dataclass(frozen=True)
class GroupView:
    reference: str
    group_name: str
    outcome: str  # in words, as the access rule allows
    referred_at: datetime


def _reviewed(session: Session, referral_ids: list[int]) -> set[int]:
    return set(
        session.scalars(
            select(AuditEvent.referral_id).where(
                AuditEvent.referral_id.in_(referral_ids), AuditEvent.kind == REVIEWED
            )
        )
    )


def group_referrals(session: Session, org_id: int, limit: int = MAX_LISTED) -> list[GroupView]:
    """The group's own referrals, newest first, each as `access.referring_group_outcome` lets it see them."""
    group = session.get(Organisation, org_id)
    rows = list(
        session.scalars(
            select(Referral)
            .where(Referral.channel == GROUP_REFERRAL, Referral.created_by_org_id == org_id)
            .order_by(Referral.id.desc())
            .limit(limit)
        )
    )
    reviewed = _reviewed(session, [row.id for row in rows])
    views = []
    for row in rows:
        outcome = access.referring_group_outcome(org_id, row, row.id in reviewed)
        if outcome is not None:
            views.append(
                GroupView(row.public_ref or "", group.name if group else "", outcome, row.created_at)
            )
    return views


def group_view(session: Session, token: str, now: datetime | None = None) -> GroupView:
    """What the referring group may see of the referral behind a status link, as
    `access.referring_group_outcome` allows."""
    now = now or utcnow()
    link = open_link(session, token, "status", now)
    referral = session.get(Referral, link.referral_id)
    group = session.get(Organisation, link.org_id)
    reviewed = session.scalar(
        select(AuditEvent.seq)
        .where(AuditEvent.referral_id == referral.id, AuditEvent.kind == REVIEWED)
        .limit(1)
    )
    outcome = access.referring_group_outcome(link.org_id, referral, reviewed is not None)
    if outcome is None:
        raise NotFound("this link has expired or was already used")
    return GroupView(referral.public_ref or "", group.name, outcome, referral.created_at)
