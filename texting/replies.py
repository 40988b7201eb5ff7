"""A lead's reply by text: YES/NO/DONE act on the task through the lifecycle (`perform`), as the group the
offer went to; only the phone the offer was texted to may act on it. HELP explains; STOP/START opt out of and
back into texts. Each inbound text is stored with its provider's id (Twilio's SID, Notify's notification id),
so a webhook the provider retries acts once. Twilio sends the reply as the webhook's answer; GOV.UK Notify's
callbacks cannot answer with a text, so for Notify the reply goes to the outbox in the transaction that
stores the inbound text (`InboundText.reply_by_outbox`): written once, sent once, retried like any text."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accounts.tokens import Principal
from db.base import utcnow
from directory.models import Organisation, Volunteer
from directory.phones import InvalidPhone, normalise_phone
from notify.models import InboundMessage, OutboxMessage
from notify.outbox import enqueue
from notify.reply_parsing import Command, parse_command
from referrals import audit
from referrals.actions import Action, apply_action, authorise, load_for_update, perform
from referrals.errors import Conflict, DomainValidationError, Forbidden, NotFound
from referrals.lifecycle import OWNED_STATUSES, Occurrence
from referrals.models import Offer, Referral
from referrals.offer_texts import enqueue_details_text, local_day
from referrals.persistence import to_value
from referrals.policy import LifecyclePolicy
from referrals.requests import group_of_lead, issue_refer_link
from texting.opt_out import set_opt_out
from texting.phone_tasks import raise_phone_task

logger = logging.getLogger(__name__)
MAX_STORED_BODY = 1600
DONE_OUTCOME = "done_by_sms"
HELP_TEXT = (
    "One Route In: reply YES and the task code to take a task, NO and the code if you can't, DONE and the "
    "code when it's finished. Reply STOP to stop these texts."
)
NOT_UNDERSTOOD = (
    "Sorry, we didn't understand. Reply YES, NO or DONE with the task code (e.g. YES K7QX), or HELP."
)
REFUSED = "Sorry, that task can't be changed by text now. The helpline will be in touch."
VERB = {"accept": "YES", "decline": "NO", "done": "DONE"}
UNKNOWN_SENDER = "unknown sender"
# A recurring task's time may be reported done from this share of the interval before it is due.
EARLY_SHARE = 0.5


def lead_principal(phone: str, org_id: int | None) -> Principal:
    """Who acts when a lead texts: the lead, for the group the offer went to (a coordinator of it)."""
    return Principal(
        token_id=None, name=f"sms:{phone}", role="hub_coordinator" if org_id else "system", org_id=org_id
    )


@dataclass(frozen=True)
class InboundText:
    sid: str
    from_phone: str
    to_phone: str
    body: str
    reply_by_outbox: bool = False


@dataclass
class Handled:
    reply: str
    offer: Offer | None = None
    outcome: str = ""
    kept: str | None = None  # what is stored instead of the reply when the reply holds a secret (a link)


@dataclass(frozen=True)
class ReferLinks:
    """How a lead's REFER is answered: the public address the link starts with, and how long it lasts."""

    base_url: str
    lifetime: timedelta

    def url(self, token: str) -> str:
        return f"{self.base_url.rstrip('/')}/refer/{token}"

    def ask_url(self) -> str:
        return f"{self.base_url.rstrip('/')}/ask-for-help"


def handle_inbound(
    session: Session,
    text: InboundText,
    policy: LifecyclePolicy,
    now: datetime | None = None,
    links: ReferLinks | None = None,
) -> str:
    """Act on one inbound text and return the reply ("" for none). Commits. `links`: how REFER is answered
    (without it, REFER is not understood)."""
    now = now or utcnow()
    seen = _stored_reply(session, text.sid)
    if seen is not None:
        return seen
    phone = _phone(text.from_phone)
    command = parse_command(text.body)
    try:
        handled = _dispatch(session, text, phone, command, policy, now, links)
    except IntegrityError:
        return _stored_reply(session, text.sid) or ""
    except (Conflict, Forbidden, NotFound, DomainValidationError) as exc:
        session.rollback()
        logger.info("text %s from a lead could not act: %s", text.sid, exc)
        handled = _refused(session, text, phone, command, exc, now)
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
            reply=handled.reply if handled.kept is None else handled.kept,
            referral_id=referral_id,
            offer_id=offer.id if offer else None,
            received_at=now,
        )
    )
    if text.reply_by_outbox and handled.reply and not _opted_out(session, phone):
        enqueue(session, phone, handled.reply, "notice", referral_id=referral_id, now=now)
    resident_id = referral_id and session.scalar(
        select(Referral.resident_id).where(Referral.id == referral_id)
    )
    # The audit trail cannot be erased: it names the sender only when we know them as a lead or volunteer
    # (a resident texting the number is kept in `sms_inbound`, which erasure can blank), and a "code" only
    # when it was a task's ("DONE WINIFRED" is not).
    sender = phone if offer is not None or _known_phone(session, phone) else UNKNOWN_SENDER
    audit.record(
        session,
        "sms.received",
        lead_principal(sender, offer.org_id if offer else None),
        referral_id=referral_id,
        resident_id=resident_id or None,
        reason=handled.outcome,
        payload={
            "twilio_sid": text.sid,
            "command": command.kind,
            "code": command.code if offer is not None and command.code == offer.task_code else None,
            "unmatched_code": bool(command.code) and (offer is None or command.code != offer.task_code),
            "guessed_from": command.guessed_from,
            "offer_id": offer.id if offer else None,
        },
        now=now,
    )


def _opted_out(session: Session, phone: str) -> bool:
    """A phone opted out of texts (STOP) gets no reply by the outbox, as Twilio blocks one to it."""
    return any(
        session.scalar(select(column).where(phone_column == phone, column.is_(True)).limit(1)) is not None
        for column, phone_column in (
            (Volunteer.sms_opted_out, Volunteer.phone),
            (Organisation.sms_opted_out, Organisation.contact_phone),
        )
    )


def _known_phone(session: Session, phone: str) -> bool:
    """A phone we have texted, or a volunteer's or group lead's in the directory."""
    return any(
        session.scalar(select(column).where(column == phone).limit(1)) is not None
        for column in (OutboxMessage.to, Volunteer.phone, Organisation.contact_phone)
    )


def _refused(
    session: Session, text: InboundText, phone: str, command: Command, exc: Exception, now: datetime
) -> Handled:
    """A text the lifecycle refused (the task changed meanwhile, or cannot change that way): nothing it asked
    for is kept, and the helpline gets a phone task, as the reply promises."""
    offers, _problem = _resolve(session, phone, command)
    offer = offers[0] if len(offers) == 1 else None
    handled = Handled(REFUSED, offer, f"refused: {exc}")
    _record(session, text, phone, command, handled, now)
    what = f"{VERB.get(command.kind, command.kind.upper())} {offer.task_code}" if offer else command.kind
    raise_phone_task(
        session,
        phone,
        f'Phone this lead: their text "{what}" could not be acted on ({exc}). Nothing was changed.',
        lead_principal(phone, offer.org_id if offer else None),
        now,
        referral_id=offer.referral_id if offer else None,
        offer_id=offer.id if offer else None,
        payload={"twilio_sid": text.sid},
    )
    return handled


def _dispatch(
    session: Session,
    text: InboundText,
    phone: str,
    command: Command,
    policy: LifecyclePolicy,
    now: datetime,
    links: ReferLinks | None = None,
) -> Handled:
    match command.kind:
        case "refer":
            return _refer(session, phone, links, now)
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


def _refer(session: Session, phone: str, links: ReferLinks | None, now: datetime) -> Handled:
    """REFER from a known mutual-aid lead's phone: a one-time link to the short referral form (only its hash
    is stored; the stored reply leaves the link out). From any other phone: where to ask for help."""
    if links is None:
        return Handled(NOT_UNDERSTOOD, outcome="not understood")
    group = group_of_lead(session, phone)
    if group is None:
        return Handled(
            f"One Route In: REFER is for mutual-aid group leads the council knows. To ask for help, go to "
            f"{links.ask_url()}",
            outcome="refer: not a known group lead",
        )
    token = issue_refer_link(session, group, phone, links.lifetime, now)
    hours = round(links.lifetime.total_seconds() / 3600)
    reply = f"One Route In: refer someone you met with this link. It works once, for {hours} hours: "
    return Handled(reply + links.url(token), outcome="refer link sent", kept=reply + "(link not kept)")


def texted_offers(session: Session, phone: str) -> list[Offer]:
    """Offers whose text went to this phone, oldest first."""
    texted = select(OutboxMessage.offer_id).where(OutboxMessage.kind == "offer", OutboxMessage.to == phone)
    return list(session.scalars(select(Offer).where(Offer.id.in_(texted)).order_by(Offer.id)))


def _is_working_on(session: Session, offer: Offer) -> bool:
    referral = session.get(Referral, offer.referral_id)
    return (
        offer.status == "accepted"
        and referral is not None
        and referral.status in OWNED_STATUSES  # a pending transfer: the sender's work goes on
        # the organisation holding it, or a group doing the work for it (the holder passed it on)
        and offer.org_id in (referral.accepted_org_id, referral.assigned_org_id)
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
    """DONE: a one-off task is completed. On a recurring task (a weekly call) the lead means "this time is
    done": the time due now is recorded (`this_time`), and the last one completes the task. One transaction:
    a task accepted but not yet started is started in it, so a refusal leaves it exactly as it was."""
    principal = lead_principal(phone, offer.org_id)
    row, pending = load_for_update(session, offer.referral_id)
    code = offer.task_code
    if not row.occurrences:
        _start(session, row, pending, principal, policy, now)
        complete = Action("complete", outcome_code=DONE_OUTCOME, note="marked done by text")
        reply = f"Thank you! Task {code} is marked done."
        return _act(session, text, phone, command, offer, complete, reply, policy, now, locked=True)
    value = to_value(row, pending)
    index = this_time(value.occurrences, value.plan.every_days, now)
    if index is None:
        return _nothing_due(session, text, phone, command, offer, value.occurrences, now)
    _start(session, row, pending, principal, policy, now)
    occurrences, total = value.occurrences, len(value.occurrences)
    missed = [o for o in occurrences[:index] if o.outcome_code is None]
    later = [o for o in occurrences[index + 1 :] if o.outcome_code is None]
    if not missed and not later:
        reply = f"Thank you! Task {code}: time {index + 1} of {total} is recorded as done. That was the "
        reply += "last: the task is complete."
    else:
        reply = f"Thank you! Task {code}: this time ({index + 1} of {total}) is recorded as done."
        if later:
            reply += f" The next is due {local_day(later[0].due_at)}: reply DONE {code} after it."
        if missed:
            reply += f" We'll phone you about the one due {local_day(missed[0].due_at)}."
    handled = Handled(reply, offer, f"time {index + 1} of {total} recorded by text")
    _record(session, text, phone, command, handled, now)
    if missed:
        times = ", ".join(f"{o.index + 1} of {total} (due {local_day(o.due_at)})" for o in missed)
        has = "times {} have" if len(missed) > 1 else "time {} has"
        raise_phone_task(
            session,
            phone,
            f"Phone this lead about task {code}: they texted DONE for time {index + 1} of {total}, and "
            f"{has.format(times)} no outcome. Ask whether it happened and record it.",
            principal,
            now,
            referral_id=row.id,
            offer_id=offer.id,
            payload={"twilio_sid": text.sid},
        )
    record = Action(
        "record_occurrence", outcome_code=DONE_OUTCOME, note="marked done by text", occurrence_index=index
    )
    perform(session, row.id, record, principal, policy, now)
    return handled


def this_time(occurrences: Sequence[Occurrence], every_days: int, now: datetime) -> int | None:
    """The time of a recurring task a lead's DONE is about: the latest one due by now that has no outcome
    (earlier ones with none were missed or not reported, and the helpline asks); else the next one, when it
    is less than half an interval away (a weekly call made a day early); else none."""
    open_ = [o for o in occurrences if o.outcome_code is None]
    due = [o for o in open_ if o.due_at <= now]
    if due:
        return due[-1].index
    early = timedelta(days=every_days * EARLY_SHARE)
    return open_[0].index if open_ and open_[0].due_at - early <= now else None


def _start(
    session: Session,
    row: Referral,
    pending: Offer | None,
    principal: Principal,
    policy: LifecyclePolicy,
    now: datetime,
) -> None:
    """A task accepted by text and not yet started is started by its DONE, in the same transaction."""
    if row.status != "accepted":
        return
    start = Action("start")
    apply_action(
        session, row, pending, start, authorise(row, pending, start, principal), principal, policy, now
    )


def _nothing_due(
    session: Session,
    text: InboundText,
    phone: str,
    command: Command,
    offer: Offer,
    occurrences: Sequence[Occurrence],
    now: datetime,
) -> Handled:
    """DONE when no time of a recurring task is due: already reported, or the group means the support has
    ended early. Nothing changes; the helpline phones the lead to find out."""
    code = offer.task_code
    upcoming = [o for o in occurrences if o.outcome_code is None]
    if upcoming:
        when = local_day(upcoming[0].due_at)
        reply = (
            f"Thanks. Task {code}: this time is already recorded and the next isn't due until {when}, "
            "so nothing was changed. The helpline will phone you to check."
        )
        reason = (
            f"Phone this lead about task {code}: they texted DONE but the next time "
            f"({upcoming[0].index + 1} of {len(occurrences)}) is not due until {when}. Ask whether the "
            "support should end early; nothing was changed."
        )
    else:
        reply = f"Thanks. Task {code} is already recorded as done. The helpline will phone you to check."
        reason = f"Phone this lead about task {code}: they texted DONE for a task already done."
    handled = Handled(reply, offer, "nothing due: phone task")
    _record(session, text, phone, command, handled, now)
    raise_phone_task(
        session,
        phone,
        reason,
        lead_principal(phone, offer.org_id),
        now,
        referral_id=offer.referral_id,
        offer_id=offer.id,
        payload={"twilio_sid": text.sid},
    )
    return handled


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
