"""A lead's reply by text: YES/NO/DONE act on the task through the lifecycle (`perform`), as the group the
offer went to; only the phone the offer was texted to may act on it. HELP explains; STOP/START opt out of and
back into texts. Each inbound text is stored with its Twilio SID, so a webhook Twilio retries acts once."""

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.base import utcnow
from directory.phones import InvalidPhone, normalise_phone
from notify.commands import Command, parse_command
from notify.models import InboundMessage, OutboxMessage
from referrals import audit
from referrals.actions import Action, load_for_update, perform
from referrals.errors import Conflict, DomainValidationError, Forbidden, NotFound
from referrals.models import Offer, Referral
from referrals.policy import LifecyclePolicy
from referrals.sms import enqueue_details_text, lead_principal, set_opt_out

logger = logging.getLogger(__name__)
MAX_STORED_BODY = 1600
DONE_OUTCOME = "done_by_sms"
WORKING = ("accepted", "in_progress")
HELP_TEXT = (
    "One Route In: reply YES and the task code to take a task, NO and the code if you can't, DONE and the "
    "code when it's finished. Reply STOP to stop these texts."
)
NOT_UNDERSTOOD = (
    "Sorry, we didn't understand. Reply YES, NO or DONE with the task code (e.g. YES K7QX), or HELP."
)
VERB = {"accept": "YES", "decline": "NO", "done": "DONE"}


@dataclass(frozen=True)
class InboundText:
    sid: str
    from_phone: str
    to_phone: str
    body: str


@dataclass
class Handled:
    reply: str
    offer: Offer | None = None
    outcome: str = ""


def handle_inbound(
    session: Session, text: InboundText, policy: LifecyclePolicy, now: datetime | None = None
) -> str:
    """Act on one inbound text and return the reply ("" for none). Commits."""
    now = now or utcnow()
    seen = _stored_reply(session, text.sid)
    if seen is not None:
        return seen
    phone = _phone(text.from_phone)
    command = parse_command(text.body)
    try:
        handled = _dispatch(session, text, phone, command, policy, now)
    except IntegrityError:
        return _stored_reply(session, text.sid) or ""
    except (Conflict, Forbidden, NotFound, DomainValidationError) as exc:
        session.rollback()
        logger.info("text %s from a lead could not act: %s", text.sid, exc)
        handled = Handled("Sorry, that task can't be changed by text now. The helpline will be in touch.")
        handled.outcome = f"refused: {exc}"
    if session.scalar(select(InboundMessage.id).where(InboundMessage.twilio_sid == text.sid)) is None:
        _record(session, text, phone, command, handled, now)
    try:
        session.commit()
    except IntegrityError:
        return _stored_reply(session, text.sid) or handled.reply
    return handled.reply


def _stored_reply(session: Session, sid: str) -> str | None:
    """The reply already given to this text (Twilio retried the webhook, or two copies raced)."""
    session.rollback()
    return session.scalar(select(InboundMessage.reply).where(InboundMessage.twilio_sid == sid))


def _phone(raw: str) -> str:
    try:
        return normalise_phone(raw) or raw
    except InvalidPhone:
        return raw


def _record(
    session: Session, text: InboundText, phone: str, command: Command, handled: Handled, now: datetime
) -> None:
    offer = handled.offer
    referral_id = offer.referral_id if offer else None
    session.add(
        InboundMessage(
            twilio_sid=text.sid,
            from_phone=phone,
            to_phone=text.to_phone,
            body=text.body[:MAX_STORED_BODY],
            command=command.kind,
            reply=handled.reply,
            referral_id=referral_id,
            offer_id=offer.id if offer else None,
            received_at=now,
        )
    )
    resident_id = referral_id and session.scalar(
        select(Referral.resident_id).where(Referral.id == referral_id)
    )
    audit.record(
        session,
        "sms.received",
        lead_principal(phone, offer.org_id if offer else None),
        referral_id=referral_id,
        resident_id=resident_id or None,
        reason=handled.outcome,
        payload={
            "twilio_sid": text.sid,
            "command": command.kind,
            "code": command.code,
            "guessed_from": command.guessed_from,
            "offer_id": offer.id if offer else None,
        },
        now=now,
    )


def _dispatch(
    session: Session, text: InboundText, phone: str, command: Command, policy: LifecyclePolicy, now: datetime
) -> Handled:
    match command.kind:
        case "help":
            return Handled(HELP_TEXT, outcome="help sent")
        case "unknown":
            return Handled(NOT_UNDERSTOOD, outcome="not understood")
        case "opt_out":
            return _opt_out(session, text, phone, command, policy, now)
        case "opt_in":
            changed = set_opt_out(session, phone, False)
            return Handled(
                "You'll get task texts again. Reply HELP for help.", outcome=f"opted in ({changed})"
            )
    offers, problem = _resolve(session, phone, command)
    if problem:
        return Handled(problem, offers[0] if len(offers) == 1 else None, "not resolved")
    offer = offers[0]
    if command.kind == "accept":
        return _accept(session, text, phone, command, offer, policy, now)
    if command.kind == "decline":
        reason = "declined by text"
        thanks = f"Thanks for letting us know about task {offer.task_code}. We'll ask someone else."
        return _act(
            session,
            text,
            phone,
            command,
            offer,
            Action("decline", reason=reason, reason_typed=False),
            thanks,
            policy,
            now,
        )
    return _done(session, text, phone, command, offer, policy, now)


def texted_offers(session: Session, phone: str) -> list[Offer]:
    """Offers whose text went to this phone, oldest first."""
    texted = select(OutboxMessage.offer_id).where(OutboxMessage.kind == "offer", OutboxMessage.to == phone)
    return list(session.scalars(select(Offer).where(Offer.id.in_(texted)).order_by(Offer.id)))


def _is_working_on(session: Session, offer: Offer) -> bool:
    referral = session.get(Referral, offer.referral_id)
    return (
        offer.status == "accepted"
        and referral is not None
        and referral.status in WORKING
        and referral.accepted_org_id == offer.org_id
        and (offer.volunteer_id is None or referral.volunteer_id == offer.volunteer_id)
    )


def _resolve(session: Session, phone: str, command: Command) -> tuple[list[Offer], str]:
    """The one offer a YES/NO/DONE is about, or why it cannot be told."""
    offers = texted_offers(session, phone)
    if command.kind == "done":
        candidates = [offer for offer in offers if _is_working_on(session, offer)]
        none_text = "You have no tasks in progress with us."
    else:
        candidates = [offer for offer in offers if offer.status == "pending"]
        none_text = "You have no open task offers right now. Thank you!"
    verb = VERB[command.kind]
    if command.code:
        found = [offer for offer in offers if offer.task_code == command.code]
        if not found:
            return [], f"We couldn't find task {command.code} for this phone. " + _hint(verb, candidates)
        if found[0] not in candidates:
            return found, _not_actionable(session, found[0], command)
        return found, ""
    if len(candidates) == 1:
        return candidates, ""
    if not candidates:
        return [], none_text
    return [], "Which task? " + _hint(verb, candidates)


def _hint(verb: str, candidates: list[Offer]) -> str:
    if not candidates:
        return "Reply HELP for help."
    return "Reply " + " or ".join(f"{verb} {offer.task_code}" for offer in candidates[:3]) + "."


def _not_actionable(session: Session, offer: Offer, command: Command) -> str:
    if command.kind != "done" and _is_working_on(session, offer):
        return f"Task {offer.task_code} is already yours. Reply DONE {offer.task_code} when finished."
    if command.kind == "done" and offer.status == "pending":
        return f"Task {offer.task_code} isn't yours yet: reply YES {offer.task_code} to take it."
    return f"Task {offer.task_code} is no longer open with you. Thank you anyway!"


def _lock_pending(session: Session, offer: Offer) -> Referral | None:
    row, pending = load_for_update(session, offer.referral_id)
    return row if pending is not None and pending.id == offer.id else None


def _no_longer_open(session: Session, offer: Offer, command: Command) -> Handled:
    session.rollback()
    return Handled(_not_actionable(session, offer, command), offer, "offer no longer open")


def _accept(
    session: Session,
    text: InboundText,
    phone: str,
    command: Command,
    offer: Offer,
    policy: LifecyclePolicy,
    now: datetime,
) -> Handled:
    row = _lock_pending(session, offer)
    if row is None:
        return _no_longer_open(session, offer, command)
    details = enqueue_details_text(session, row, offer, phone, now)
    after = (
        "Details follow in a separate text." if details else "The helpline will phone you with the details."
    )
    reply = f"Thank you! Task {offer.task_code} is yours. {after}"
    return _act(session, text, phone, command, offer, Action("accept"), reply, policy, now, locked=True)


def _act(
    session: Session,
    text: InboundText,
    phone: str,
    command: Command,
    offer: Offer,
    action: Action,
    reply: str,
    policy: LifecyclePolicy,
    now: datetime,
    locked: bool = False,
) -> Handled:
    """One lifecycle action, with the inbound text and its audit event in the same transaction. The referral
    is locked first, as `perform` does, so the audit head is always the last lock taken."""
    if not locked:
        if action.name not in ("accept", "decline"):
            load_for_update(session, offer.referral_id)
        elif _lock_pending(session, offer) is None:
            return _no_longer_open(session, offer, command)
    handled = Handled(reply, offer, f"{action.name} by text")
    _record(session, text, phone, command, handled, now)
    perform(session, offer.referral_id, action, lead_principal(phone, offer.org_id), policy, now)
    return handled


def _done(
    session: Session,
    text: InboundText,
    phone: str,
    command: Command,
    offer: Offer,
    policy: LifecyclePolicy,
    now: datetime,
) -> Handled:
    principal = lead_principal(phone, offer.org_id)
    row, _pending = load_for_update(session, offer.referral_id)
    if row.status == "accepted":
        perform(session, row.id, Action("start"), principal, policy, now)
    complete = Action("complete", outcome_code=DONE_OUTCOME, note="marked done by text")
    reply = f"Thank you! Task {offer.task_code} is marked done."
    return _act(session, text, phone, command, offer, complete, reply, policy, now)


def _opt_out(
    session: Session, text: InboundText, phone: str, command: Command, policy: LifecyclePolicy, now: datetime
) -> Handled:
    """Opt out, then move every open offer texted to this phone on to the next candidate. No reply: Twilio
    confirms opt-outs itself and blocks our texts to the number from then on."""
    changed = set_opt_out(session, phone, True)
    _record(session, text, phone, command, Handled("", outcome=f"opted out ({changed})"), now)
    session.commit()
    for offer in texted_offers(session, phone):
        if offer.status != "pending":
            continue
        try:
            if _lock_pending(session, offer) is None:
                session.rollback()
                continue
            action = Action("decline", reason="the lead opted out of texts", reason_typed=False)
            perform(session, offer.referral_id, action, lead_principal(phone, offer.org_id), policy, now)
        except Conflict as exc:
            session.rollback()
            logger.info("opt-out: offer %s not moved on: %s", offer.id, exc)
    return Handled("", outcome=f"opted out ({changed})")
