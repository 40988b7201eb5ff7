"""The texts about an offer: the offer text (task code, need, district, time window; no personal data),
written to the outbox in the transaction that makes the offer, and the details text a lead gets after YES
(only when the access rule lets their group hold the person's details); who an offer's text goes to, and how
a text says a date. The conversation around them (replies, delivery, opt-out) is the `texting` package's."""

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.models import Organisation, Volunteer
from directory.phones import InvalidPhone, normalise_phone
from notify.models import OutboxMessage
from notify.outbox import enqueue
from notify.sms_text import fit_segments, to_gsm
from referrals import access
from referrals.contact import ContactDetails
from referrals.models import Offer, Referral, Resident
from triage import load_rules

logger = logging.getLogger(__name__)
LOCAL_TIME = ZoneInfo("Europe/London")
MAX_SEGMENTS = 2
WINDOWS = {
    "emergency": "needed within hours",
    "urgent": "needed today",
    "routine": "needed in the next few days",
}


def need_labels(needs: list[str]) -> list[str]:
    known = load_rules().needs
    return [known[code].detector.label if code in known else code.replace("_", " ") for code in needs]


def local_day(moment: datetime) -> str:
    """A date as a text says it: "Mon 14 Dec", in UK time."""
    local = moment.astimezone(LOCAL_TIME)
    return f"{local:%a} {local.day} {local:%b}"


def _when(moment: datetime) -> str:
    local = moment.astimezone(LOCAL_TIME)
    return f"{local:%H:%M %a} {local.day} {local:%b}"


def _window(referral: Referral) -> str:
    window = WINDOWS.get(referral.urgency or "routine", WINDOWS["routine"])
    if referral.plan:
        window += f", then every {referral.plan['every_days']} days ({referral.plan['count']} times in all)"
    return window


def _fit(text: str) -> str:
    return fit_segments(to_gsm(text), MAX_SEGMENTS)


def offer_text(code: str, needs: list[str], outcode: str, referral: Referral, expires_at: datetime) -> str:
    """Task code, need, postcode district and time window: never a name, phone number or address."""
    labels = need_labels(needs) or ["a task"]
    for shown in range(len(labels), 0, -1):
        what = ", ".join(labels[:shown]) + ("" if shown == len(labels) else " and more")
        text = to_gsm(
            f"One Route In: can you help? Task {code}: {what} near {outcode}, {_window(referral)}. "
            f"Reply YES {code} to take it or NO {code} if you can't, by {_when(expires_at)}. "
            "Details come after YES."
        )
        if shown == 1 or fit_segments(text, MAX_SEGMENTS) == text:
            return fit_segments(text, MAX_SEGMENTS)
    raise AssertionError("unreachable")


def may_share_details(referral: Referral, org: Organisation | None) -> bool:
    """After YES: the access rule's answer for the group (or a volunteer's organisation) that took it:
    arm's-length groups never get the details, and without consent only the council's own teams do."""
    return org is not None and access.may_hold_personal_data(
        referral.consent_to_share, org.kind, org.mutual_aid_mode
    )


def details_text(code: str, referral: Referral, resident: Resident) -> str:
    """After YES: who, how to reach them safely (when it is not safe to ring their own number, only the safer
    number or the safe times), where, and the needs."""
    needs = ", ".join(need_labels(list(referral.needs))) or "see the helpline"
    address = ", ".join(part for part in (resident.address, resident.postcode) if part)
    contact = ContactDetails.from_stored(resident.contact)
    if contact.safe_to_contact == "no":
        ring = f"ring only {contact.safe_phone}" if contact.safe_phone else "do not ring their own phone"
        when = f", {contact.safe_times}" if contact.safe_times else ""
        reach = f"NOT SAFE TO CALL AS USUAL: {ring}{when}"
    else:
        reach = resident.phone or contact.safe_phone or "no phone"
    if contact.no_message:
        reach += ", leave no message"
    return _fit(
        f"Task {code} is yours, thank you. Reply DONE {code} when finished. "
        f"{resident.name}, {reach}, {address}. Needs: {needs}."
    )


def recipient(session: Session, offer: Offer) -> str:
    """The phone an offer's text goes to: the volunteer's, or a mutual-aid group's lead; "" for none. Read as
    the few columns it needs (the volunteer's in the same round trip), not as whole objects."""
    query = select(
        Organisation.kind,
        Organisation.mutual_aid_mode,
        Organisation.sms_opted_out,
        Organisation.contact_phone,
    ).where(Organisation.id == offer.org_id)
    if offer.volunteer_id is not None:
        query = query.add_columns(
            Volunteer.active,
            Volunteer.sms_opted_out.label("volunteer_opted_out"),
            Volunteer.phone.label("volunteer_phone"),
        ).outerjoin(Volunteer, Volunteer.id == offer.volunteer_id)
    found = session.execute(query).first()
    if found is None or found.mutual_aid_mode == "arms_length":
        return ""
    if offer.volunteer_id is not None:  # no volunteer row: active is None
        usable = bool(found.active) and not found.volunteer_opted_out
        return found.volunteer_phone if usable else ""
    usable = found.kind == "mutual_aid" and not found.sms_opted_out
    return found.contact_phone if usable else ""


def enqueue_offer_text(
    session: Session, row: Referral, offer: Offer, untexted: frozenset[int] = frozenset()
) -> OutboxMessage | None:
    """Called when an offer is made (same transaction): text it to a volunteer or a mutual-aid lead. An offer
    to one of the `untexted` organisations (routing's matching directory says they are not mutual-aid groups,
    which `recipient` would find too) with no volunteer named goes untexted without a look-up."""
    if offer.volunteer_id is None and offer.org_id in untexted:
        return None
    raw = recipient(session, offer)
    try:
        phone = normalise_phone(raw)
    except InvalidPhone:
        logger.warning("offer %s: recipient phone is not a valid number; no text sent", offer.id)
        return None
    if not phone or not offer.task_code:
        return None
    body = offer_text(offer.task_code, list(row.needs), row.resident.outcode, row, offer.expires_at)
    return enqueue(
        session,
        phone,
        body,
        "offer",
        referral_id=row.id,
        offer_id=offer.id,
        now=offer.created_at,
        waits_for_day=row.urgency != "emergency",  # in quiet hours (its window starts when they end)
    )


def enqueue_details_text(
    session: Session, row: Referral, offer: Offer, phone: str, now: datetime
) -> OutboxMessage | None:
    org = session.get(Organisation, offer.org_id)
    if not may_share_details(row, org) or not offer.task_code:
        return None
    body = details_text(offer.task_code, row, row.resident)
    return enqueue(session, phone, body, "details", referral_id=row.id, offer_id=offer.id, now=now)


def enqueue_rang_again_text(session: Session, row: Referral, now: datetime) -> OutboxMessage | None:
    """The person rang the helpline again about a request a volunteer or mutual-aid lead has taken by text:
    tell them (task code and need only, no personal details), so they are not the last to know."""
    offer = session.scalars(
        select(Offer)
        .where(Offer.referral_id == row.id, Offer.status == "accepted", Offer.task_code.is_not(None))
        .order_by(Offer.id.desc())
        .limit(1)
    ).first()
    if offer is None or offer.org_id not in (row.accepted_org_id, row.assigned_org_id):
        return None
    raw = recipient(session, offer)
    try:
        phone = normalise_phone(raw)
    except InvalidPhone:
        return None
    if not phone:
        return None
    needs = ", ".join(need_labels(list(row.needs))) or "their request"
    body = _fit(
        f"One Route In: task {offer.task_code} ({needs}): they rang the helpline again about it. "
        "Please get in touch with them soon, or ring the helpline if you can no longer help."
    )
    return enqueue(session, phone, body, "notice", referral_id=row.id, offer_id=offer.id, now=now)
