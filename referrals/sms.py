"""Referrals by text: the offer text (no personal data), the details text a lead gets after YES (only when the
group's relationship allows), writing them to the outbox in the transaction that causes them, auditing what
the outbox does, and the fallback when a text cannot be delivered."""

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from accounts.tokens import Principal
from db.base import utcnow
from directory.models import Organisation, Volunteer
from directory.phones import InvalidPhone, normalise_phone
from notify.models import InboundMessage, OutboxMessage, PhoneTask
from notify.outbox import enqueue
from notify.sms_text import fit_segments, to_gsm
from referrals import access, audit
from referrals.duplicates import PersonRecord, mentioned_details
from referrals.errors import Conflict
from referrals.models import Offer, Referral, Resident
from referrals.policy import LifecyclePolicy
from triage import load_rules

logger = logging.getLogger(__name__)
LOCAL_TIME = ZoneInfo("Europe/London")
MAX_SEGMENTS = 2
OUTBOX_ACTOR = Principal(token_id=None, name="sms-outbox", role="system", org_id=None)
WINDOWS = {
    "emergency": "needed within hours",
    "urgent": "needed today",
    "routine": "needed in the next few days",
}
OPTED_OUT_BY_CARRIER = 21610
ERASED_BODY = "(erased)"


def lead_principal(phone: str, org_id: int | None) -> Principal:
    """Who acts when a lead texts: the lead, for the group the offer went to (a coordinator of it)."""
    return Principal(
        token_id=None, name=f"sms:{phone}", role="hub_coordinator" if org_id else "system", org_id=org_id
    )


def fallback_principal(org_id: int) -> Principal:
    """Who declines an offer whose text cannot arrive: the outbox, on behalf of the group it went to."""
    return Principal(token_id=None, name="sms-fallback", role="hub_coordinator", org_id=org_id)


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
    needs = ", ".join(need_labels(list(referral.needs))) or "see the helpline"
    address = ", ".join(part for part in (resident.address, resident.postcode) if part)
    return _fit(
        f"Task {code} is yours, thank you. Reply DONE {code} when finished. "
        f"{resident.name}, {resident.phone or 'no phone'}, {address}. Needs: {needs}."
    )


def recipient(session: Session, offer: Offer) -> tuple[str, Organisation | None]:
    """The phone an offer's text goes to: the volunteer's, or a mutual-aid group's lead; "" for none."""
    if offer.volunteer_id is None:
        org, volunteer = session.get(Organisation, offer.org_id), None
    else:  # both in one round trip
        org, volunteer = session.execute(
            select(Organisation, Volunteer)
            .outerjoin(Volunteer, Volunteer.id == offer.volunteer_id)
            .where(Organisation.id == offer.org_id)
        ).one_or_none() or (None, None)
    if org is None or org.mutual_aid_mode == "arms_length":
        return "", org
    if offer.volunteer_id is not None:
        usable = volunteer is not None and volunteer.active and not volunteer.sms_opted_out
        return (volunteer.phone if usable else ""), org
    usable = org.kind == "mutual_aid" and not org.sms_opted_out
    return (org.contact_phone if usable else ""), org


def enqueue_offer_text(session: Session, row: Referral, offer: Offer) -> OutboxMessage | None:
    """Called when an offer is made (same transaction): text it to a volunteer or a mutual-aid lead."""
    raw, _org = recipient(session, offer)
    try:
        phone = normalise_phone(raw)
    except InvalidPhone:
        logger.warning("offer %s: recipient phone is not a valid number; no text sent", offer.id)
        return None
    if not phone or not offer.task_code:
        return None
    body = offer_text(offer.task_code, list(row.needs), row.resident.outcode, row, offer.expires_at)
    return enqueue(session, phone, body, "offer", referral_id=row.id, offer_id=offer.id, now=offer.created_at)


def enqueue_details_text(
    session: Session, row: Referral, offer: Offer, phone: str, now: datetime
) -> OutboxMessage | None:
    org = session.get(Organisation, offer.org_id)
    if not may_share_details(row, org) or not offer.task_code:
        return None
    body = details_text(offer.task_code, row, row.resident)
    return enqueue(session, phone, body, "details", referral_id=row.id, offer_id=offer.id, now=now)


def set_opt_out(session: Session, phone: str, opted_out: bool) -> int:
    """Opt every volunteer and group lead with this phone out of (or back into) texts; returns how many
    changed. Changed through the ORM so the directory version moves and matching sees it."""
    rows = [
        *session.scalars(select(Volunteer).where(Volunteer.phone == phone)),
        *session.scalars(select(Organisation).where(Organisation.contact_phone == phone)),
    ]
    changed = [row for row in rows if row.sms_opted_out != opted_out]
    for row in changed:
        row.sms_opted_out = opted_out
    session.flush()
    return len(changed)


class ReferralSmsEvents:
    """The outbox's events for referrals: each is audited; undeliverable texts fall back."""

    def __init__(self, policy: LifecyclePolicy):
        self.policy = policy

    def record(self, session: Session, message: OutboxMessage, event: str, detail: str = "") -> None:
        resident_id = message.referral_id and session.scalar(
            select(Referral.resident_id).where(Referral.id == message.referral_id)
        )
        audit.record(
            session,
            f"sms.{event}",
            OUTBOX_ACTOR,
            referral_id=message.referral_id,
            resident_id=resident_id or None,
            reason=detail,
            payload={
                "message_id": message.id,
                "kind": message.kind,
                "offer_id": message.offer_id,
                "status": message.status,
                "attempts": message.attempts,
                "twilio_sid": message.twilio_sid,
                "error_code": message.last_error_code,
            },
        )

    def fallback(self, session: Session, message: OutboxMessage) -> None:
        fallback_for_dead_message(session, message, self.policy)


def fallback_for_dead_message(
    session: Session, message: OutboxMessage, policy: LifecyclePolicy, now: datetime | None = None
) -> str:
    """An offer text that cannot arrive declines the offer (the cascade moves to the next candidate); any
    other text becomes a phone task for helpline staff. Returns what was done."""
    from referrals.actions import Action, load_for_update, perform

    now = now or utcnow()
    code = message.last_error_code
    why = f"text could not be delivered (code {code})" if code else "text could not be delivered"
    if message.kind == "offer" and message.offer_id is not None:
        offer = session.get(Offer, message.offer_id)
        row, pending = load_for_update(session, offer.referral_id)
        if code == OPTED_OUT_BY_CARRIER:
            set_opt_out(session, message.to, True)
        if pending is None or pending.id != offer.id:
            session.commit()
            return "offer no longer open"
        try:
            perform(
                session,
                row.id,
                Action("decline", reason=why, reason_typed=False),
                fallback_principal(offer.org_id),
                policy,
                now,
            )
        except Conflict as exc:
            session.rollback()
            logger.warning("fallback for text %s: could not decline offer %s: %s", message.id, offer.id, exc)
            return "offer changed meanwhile"
        return "declined"
    raise_phone_task(
        session,
        message.to,
        f"Phone this lead: a {message.kind} text could not be sent ({why}).",
        OUTBOX_ACTOR,
        now,
        referral_id=message.referral_id,
        offer_id=message.offer_id,
        outbox_id=message.id,
        payload={"message_id": message.id},
    )
    session.commit()
    return "phone task"


def raise_phone_task(
    session: Session,
    phone: str,
    reason: str,
    actor: Principal,
    now: datetime,
    *,
    referral_id: int | None = None,
    offer_id: int | None = None,
    outbox_id: int | None = None,
    payload: dict | None = None,
) -> PhoneTask:
    """A follow-up for helpline staff: phone this lead (a text could not reach them, or their reply could not
    be acted on). Audited; the caller commits. The reason is written by the service, never quoted from a
    text, so it holds no one's personal details."""
    task = PhoneTask(
        phone=phone,
        reason=reason,
        status="open",
        referral_id=referral_id,
        offer_id=offer_id,
        outbox_id=outbox_id,
        created_at=now,
    )
    session.add(task)
    session.flush()
    resident_id = referral_id and session.scalar(
        select(Referral.resident_id).where(Referral.id == referral_id)
    )
    audit.record(
        session,
        "sms.phone_task",
        actor,
        referral_id=referral_id,
        resident_id=resident_id or None,
        reason=reason,
        payload={"phone_task_id": task.id, **(payload or {})},
        now=now,
    )
    return task


def forget_texts(session: Session, referral_ids: list[int]) -> int:
    """For erasure: texts about these referrals that have not gone yet never will, and every body is blanked
    (a details text names the person, a lead's reply may too). Returns how many texts were blanked; the
    caller commits."""
    if not referral_ids:
        return 0
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.referral_id.in_(referral_ids), OutboxMessage.status.in_(("queued", "sending")))
        .values(status="dead", last_error="the person's data was erased", claimed_by=None, claimed_until=None)
    )
    blanked = 0
    for model in (OutboxMessage, InboundMessage):
        result = session.execute(
            update(model)
            .where(model.referral_id.in_(referral_ids), model.body != ERASED_BODY)
            .values(body=ERASED_BODY)
        )
        blanked += result.rowcount or 0
    return blanked


def forget_texts_naming(
    session: Session, people: list[PersonRecord], own_referral_ids: list[int], batch: int = 1000
) -> int:
    """For erasure: the texts that name these people but are not linked to their referrals (a text that
    matched no task, or a reply about another task). Each stored text is read once (the table is small next
    to the outbox, and a phone number is found in any format only by reading it): a text linked to no
    referral is blanked when it names them at all, one linked to someone else's referral only when it names
    them unmistakably (not by one part of a name); the sender's number goes too when it was theirs, and a
    reply we sent that repeats them. Returns how many texts were blanked; the caller commits."""
    phones = {number for person in people if (number := _e164(person.phone or ""))}
    query = (
        select(
            InboundMessage.id,
            InboundMessage.body,
            InboundMessage.reply,
            InboundMessage.from_phone,
            InboundMessage.referral_id,
        )
        .where(or_(InboundMessage.referral_id.is_(None), InboundMessage.referral_id.not_in(own_referral_ids)))
        .execution_options(yield_per=batch)
    )
    bodies, replies, senders = [], [], []
    for text_id, body, reply, from_phone, referral_id in session.execute(query):
        linked_elsewhere = referral_id is not None
        if from_phone in phones:
            senders.append(text_id)
        if body != ERASED_BODY and (from_phone in phones or _names(body, people, linked_elsewhere)):
            bodies.append(text_id)
        if reply and reply != ERASED_BODY and _names(reply, people, linked_elsewhere):
            replies.append(text_id)
    for ids, values in (
        (bodies, {"body": ERASED_BODY}),
        (replies, {"reply": ERASED_BODY}),
        (senders, {"from_phone": ""}),
    ):
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            session.execute(update(InboundMessage).where(InboundMessage.id.in_(chunk)).values(**values))
    return len(bodies)


def _names(text: str, people: list[PersonRecord], unmistakably: bool) -> bool:
    found = {detail for person in people for detail in mentioned_details(text, person)}
    return bool(found - {"name_part"}) if unmistakably else bool(found)


def _e164(phone: str) -> str:
    try:
        return normalise_phone(phone) or ""
    except InvalidPhone:
        return ""
