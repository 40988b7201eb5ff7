"""The single route in: a call as helpline staff log it becomes a triaged referral, in one transaction."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.tokens import Principal
from db.base import utcnow
from directory.areas import Areas
from directory.phones import InvalidPhone, normalise_phone
from geo import Geocoder, InvalidPostcode, Location, is_outcode, normalise_outcode, normalise_postcode
from referrals import access, audit, lifecycle
from referrals.contact import ContactDetails, contactable_problem
from referrals.duplicates import DuplicateMatch
from referrals.errors import Conflict, DomainValidationError, NotFound
from referrals.lifecycle import OPEN_STATUSES
from referrals.models import AuditEvent, Offer, Referral, Resident
from referrals.offer_texts import enqueue_rang_again_text
from referrals.persistence import Change, persist
from referrals.reading import duplicates_shown
from referrals.repeat_callers import CHECK, note_on_open_referrals
from referrals.residents import current_record, index_resident, person_record, possible_duplicates
from referrals.routing import RoutingContext, route_or_hold
from referrals.sealing import new_key, seal
from referrals.triaging import apply_decision, decide, triage_on_intake
from triage import Rules


@dataclass(frozen=True)
class ResidentDetails:
    name: str
    postcode: str
    phone: str = ""
    address: str = ""
    date_of_birth: date | None = None
    flags: dict[str, bool] = field(default_factory=dict)
    contact: ContactDetails = field(default_factory=ContactDetails)


@dataclass(frozen=True)
class CallLog:
    channel: str
    resident: ResidentDetails
    notes: str
    consent_to_share: bool
    needs: list[str] = field(default_factory=list)
    resident_id: int | None = None
    recurrence: dict | None = None
    summary: str = ""  # what the helper needs to know: shown before they accept (the notes are not)
    no_contact_reason: str = ""  # why there is neither a phone number nor an address
    new_person: bool = False  # the call-taker checked the people already known: this is someone else


class PossibleRepeatCaller(Conflict):
    """The caller looks like someone already on record and the call-taker has not said who they are: nothing
    is saved; the call is sent again with `resident_id` (the same person) or `new_person` (someone else)."""

    def __init__(self, matches: list[DuplicateMatch]):
        super().__init__(
            "the caller may already be known: send the call again with resident_id (one of "
            "possible_duplicates) or with new_person: true"
        )
        self.matches = matches


@dataclass(frozen=True)
class IntakeContext:
    """The outside things intake needs, passed in so tests can give fakes."""

    geocoder: Geocoder
    areas: Areas
    rules: Rules
    routing: RoutingContext


@dataclass(frozen=True)
class IntakeResult:
    referral: Referral
    possible_duplicates: list[DuplicateMatch]
    current_offer: Offer | None = None
    timeline: list[AuditEvent] = field(default_factory=list)
    added_to: Referral | None = None  # the person's open referral this call was added to


def locate(postcode: str, context: IntakeContext) -> tuple[str, Location, str]:
    """Normalise, geocode and place a postcode in a served area, or explain which part is wrong."""
    try:
        normalised = normalise_outcode(postcode) if is_outcode(postcode) else normalise_postcode(postcode)
    except InvalidPostcode as exc:
        raise DomainValidationError("resident.postcode", exc.reason) from exc
    location = context.geocoder.geocode(normalised)
    if location is None:
        raise DomainValidationError("resident.postcode", f"unknown postcode district in {normalised!r}")
    area = context.areas.for_district(location.admin_district_code)
    if area is None:
        raise DomainValidationError(
            "resident.postcode",
            f"{normalised} is in {location.admin_district or 'an area'} this service does not cover "
            f"(it covers {context.areas.names()}): signpost the caller to their own council",
        )
    return normalised, location, area.code


def normalised_phone(raw: str, field_name: str = "resident.phone") -> str:
    try:
        return normalise_phone(raw)
    except InvalidPhone as exc:
        raise DomainValidationError(field_name, str(exc)) from exc


def check_contact(call: CallLog, known: Resident | None = None) -> None:
    """The contact details make sense and the person can be reached (a phone, an address, a safe number, or a
    reason in words why none): the same rule for the API and the call form."""
    contact = call.resident.contact
    for name, message in contact.problems().items():
        raise DomainValidationError(f"resident.contact.{name}", message)
    phone = call.resident.phone or (known.phone if known is not None else "")
    address = call.resident.address or (known.address if known is not None else "")
    stored = ContactDetails.from_stored(known.contact) if known is not None else ContactDetails()
    problem = contactable_problem(
        phone, address, stored if contact.empty else contact, call.no_contact_reason
    )
    if problem:
        raise DomainValidationError("no_contact_reason", problem)


def _contact_to_store(contact: ContactDetails) -> dict:
    if contact.safe_phone:
        contact = replace(
            contact, safe_phone=normalised_phone(contact.safe_phone, "resident.contact.safe_phone")
        )
    return contact.stored()


def _new_resident(details: ResidentDetails, context: IntakeContext, now: datetime) -> Resident:
    postcode, location, area = locate(details.postcode, context)
    return Resident(
        name=details.name,
        phone=normalised_phone(details.phone),
        postcode=postcode,
        outcode=location.outcode,
        address=details.address,
        date_of_birth=details.date_of_birth,
        flags=dict(details.flags),
        contact=_contact_to_store(details.contact),
        lat=location.lat,
        lon=location.lon,
        geo_precision=location.precision,
        area=area,
        created_at=now,
    )


def _known_resident(session: Session, resident_id: int, principal: Principal) -> Resident:
    """A person the caller may attach a call to: anyone for helpline staff and admins, people in their own
    area for a safety-net officer, people they referred before for a partner referrer."""
    resident = current_record(session, session.get(Resident, resident_id))
    if resident is None or resident.erased_at is not None or not may_attach(session, resident, principal):
        raise NotFound(f"no resident with id {resident_id}")
    return resident


def may_attach(session: Session, resident: Resident, principal: Principal) -> bool:
    return access.may_attach(
        principal,
        resident,
        principal.role == "partner_referrer" and _referred_before(session, resident, principal),
    )


def _referred_before(session: Session, resident: Resident, principal: Principal) -> bool:
    theirs = select(Referral.id).where(Referral.resident_id == resident.id)
    if principal.token_id is not None:
        theirs = theirs.where(Referral.created_by_token_id == principal.token_id)
    elif principal.org_id is not None:
        theirs = theirs.where(Referral.created_by_org_id == principal.org_id)
    else:
        return False
    return session.scalar(theirs.limit(1)) is not None


def open_referral_with_same_needs(session: Session, resident: Resident, needs: list[str]) -> Referral | None:
    """An open referral for this person that already covers every need of the new call."""
    if resident.id is None or not needs:
        return None
    open_ones = session.scalars(
        select(Referral)
        .where(Referral.resident_id == resident.id, Referral.status.in_(OPEN_STATUSES))
        .order_by(Referral.id)
    )
    return next((r for r in open_ones if set(needs) <= set(r.needs or [])), None)


def log_call(
    session: Session,
    call: CallLog,
    principal: Principal,
    context: IntakeContext,
    now: datetime | None = None,
    hold: Callable[[Session, Referral, Principal, datetime], None] | None = None,
) -> IntakeResult:
    """Save, triage and route one call. With `hold` (a request from outside, `referrals/requests.py`) the
    referral is saved and triaged but neither added to an open referral nor routed: `hold` puts it where
    people review it first."""
    now = now or utcnow()
    duplicates: list[DuplicateMatch] = []
    checked = False  # whether one shown the candidates said the caller is none of them
    if call.resident_id is not None:
        resident = _known_resident(session, call.resident_id, principal)
        check_contact(call, resident)
        _update_details(session, resident, call.resident, principal, now)
    else:
        check_contact(call)
        resident = _new_resident(call.resident, context, now)
        duplicates = possible_duplicates(session, person_record(resident))
        checked = call.new_person and access.sees_duplicate_candidates(principal)
        if duplicates and not checked:
            shown = duplicates_shown(session, principal, duplicates)
            if shown:  # the call-taker can tell who it is: ask before a second record is made
                raise PossibleRepeatCaller(shown)
    decision = decide(
        call.notes, call.needs, resident.flags, resident.date_of_birth, context.rules, now.date()
    )
    # A request for regular support is a new plan, and a call that does not consent to sharing must not
    # reach whoever holds a referral made with consent: either opens its own referral instead.
    linked = None
    if not call.recurrence and hold is None:
        linked = open_referral_with_same_needs(session, resident, decision.needs)
        if linked is not None and linked.consent_to_share and not call.consent_to_share:
            linked = None
    first_call = resident.id is None
    referral = Referral(
        resident=resident,
        channel=call.channel,
        notes=call.notes,
        summary=call.summary.strip(),
        no_contact_reason=call.no_contact_reason.strip(),
        given_needs=list(call.needs),
        consent_to_share=call.consent_to_share,
        status="received",
        area=resident.area,
        created_by_token_id=principal.token_id,
        created_by_role=principal.role,
        created_by_org_id=principal.org_id,
        created_at=now,
        updated_at=now,
    )
    # The decision is on the row before its first flush, so the INSERT carries it (no UPDATE for it);
    # triage_on_intake below records it in the same order as before.
    apply_decision(referral, decision)
    session.add(referral)
    session.flush()  # a new resident and the referral in one flush (the referral's relationship orders them)
    if first_call:  # written by the next flush (routing's savepoint, or the commit), in this transaction
        index_resident(session, resident, new=True)
        new_key(session, resident.id)
    audit.record(
        session,
        "referral.received",
        principal,
        referral_id=referral.id,
        resident_id=resident.id,
        now=now,
        payload={
            "channel": call.channel,
            "given_needs": list(call.needs),
            "consent_to_share": call.consent_to_share,
            "possible_duplicates": [{"resident_id": d.resident_id, "score": d.score} for d in duplicates],
        },
    )
    if duplicates and not checked:  # a partner cannot be shown who: the helpline checks
        audit.record(
            session,
            CHECK,
            principal,
            referral_id=referral.id,
            resident_id=resident.id,
            now=now,
            reason="the caller may already be known: the helpline checks",
            payload={"possible_duplicates": [d.resident_id for d in duplicates]},
        )
    triage_on_intake(session, referral, resident, decision, principal, now, applied=True)
    offer = None
    if hold is not None:
        hold(session, referral, principal, now)
    elif linked is not None:
        _link_to_open_referral(session, referral, linked, principal, now)
    else:  # whatever fails in routing, the call is kept, held by the area's safety-net team
        offer = route_or_hold(
            session,
            referral,
            principal,
            context.routing,
            now,
            recurrence=call.recurrence,
            first_referral=first_call,
        )
        if not first_call:
            note_on_open_referrals(session, referral, principal, now)
    timeline = audit.pending_events(session, referral.id)
    session.commit()
    return IntakeResult(referral, duplicates, offer, timeline, added_to=linked)


def _update_details(
    session: Session, resident: Resident, given: ResidentDetails, principal: Principal, now: datetime
) -> None:
    """A known caller's new call may bring a new phone number, address or contact details: what was given
    replaces what was stored (the name is kept), and the values it replaces are sealed in the audit event so a
    wrong change can be put right."""
    changed: dict = {}
    phone = normalised_phone(given.phone) if given.phone.strip() else ""
    if phone and phone != resident.phone:
        changed["phone"] = resident.phone
        resident.phone = phone
    if given.address.strip() and given.address.strip() != resident.address:
        changed["address"] = resident.address
        resident.address = given.address.strip()
    if not given.contact.empty:
        merged = {**(resident.contact or {}), **_contact_to_store(given.contact)}
        if merged != resident.contact:
            changed["contact"] = resident.contact
            resident.contact = merged
    if not changed:
        return
    if "phone" in changed or "address" in changed:
        index_resident(session, resident)
    audit.record(
        session,
        "resident.details_updated",
        principal,
        resident_id=resident.id,
        now=now,
        payload={
            "fields": sorted(changed),
            "note": seal(session, resident.id, {"note": "before: " + json.dumps(changed, sort_keys=True)}),
        },
    )


def _link_to_open_referral(
    session: Session, referral: Referral, linked: Referral, principal: Principal, now: datetime
) -> None:
    """The same need is already being handled: the call is added to that referral (its notes on the
    timeline, sealed like any note about the person; whoever holds it told) instead of being offered twice.
    The new referral closes through the state machine as the record of the call, linked to the open one."""
    referral.linked_referral_id = linked.id
    referral.safety_net_org_id = linked.safety_net_org_id
    value, events = lifecycle.Referral(safety_net_org_id=linked.safety_net_org_id).close(
        "linked_to_open_referral", f"referral {linked.id} is open for the same needs"
    )
    persist(session, referral, None, Change(value, events), principal, now)
    audit.record(
        session,
        "referral.linked",
        principal,
        referral_id=referral.id,
        resident_id=referral.resident_id,
        reason=f"referral {linked.id} is open for the same needs",
        payload={"linked_referral_id": linked.id},
        now=now,
    )
    payload = {"call_referral_id": referral.id, "channel": referral.channel, "needs": list(referral.needs)}
    if referral.notes:
        payload["note"] = seal(session, linked.resident_id, {"note": referral.notes})
    audit.record(
        session,
        "referral.call_added",
        principal,
        referral_id=linked.id,
        resident_id=linked.resident_id,
        reason="they rang again about this request",
        payload=payload,
        now=now,
    )
    enqueue_rang_again_text(session, linked, now)
