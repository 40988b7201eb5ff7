"""Erasure, on request or when retention ends: personal details leave the resident and their referrals,
their sealing key is destroyed and open referrals are cancelled, in one transaction. The person's other
records (the same person logged twice), once an officer confirms them, go in the same transaction, and so
does every stored text that names them, linked to a referral of theirs or not. The audit chain still
verifies afterwards."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from accounts.tokens import SYSTEM, Principal
from config.settings import CONFIG_DIR, ConfigError
from db.base import utcnow
from directory.phones import InvalidPhone, normalise_phone
from notify.models import InboundMessage, OutboxMessage
from referrals import access, audit
from referrals.actions import Action, apply_action, load_for_update
from referrals.duplicates import PersonRecord, mentioned_details
from referrals.errors import DomainValidationError, NotFound
from referrals.lifecycle import CLOSED_STATUSES
from referrals.models import (
    ERASED_ANSWER,
    ERASED_TEXT,
    EmailDraft,
    IdempotentRequest,
    Referral,
    Resident,
    ResidentKey,
)
from referrals.policy import LifecyclePolicy
from referrals.residents import person_record, possible_duplicates
from referrals.sealing import destroy_key
from referrals.triaging import detail_quotes_person
from triage import TIERS

PERIOD = re.compile(r"^\s*(\d+)\s*([dy])\s*$")


@dataclass(frozen=True)
class RetentionPolicy:
    periods: dict[str, timedelta]


def load_retention_policy(path: Path = CONFIG_DIR / "retention.yaml") -> RetentionPolicy:
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read retention settings: {exc}") from exc
    periods = {}
    for tier in TIERS:
        text = str((document.get("retention") or {}).get(tier, ""))
        found = PERIOD.match(text)
        if not found:
            raise ConfigError(f"{path}: retention.{tier} must be a period like 365d or 2y, not {text!r}")
        days = int(found.group(1)) * (365 if found.group(2) == "y" else 1)
        periods[tier] = timedelta(days=days)
    return RetentionPolicy(periods)


def _erased_reason(reason: dict) -> dict:
    """A triage reason without words quoted from the notes (as evidence or in a detail), or typed by staff."""
    typed = {"detail": ""} if detail_quotes_person(reason.get("rule", "")) else {}
    return {**reason, "evidence": "", **typed}


MAX_OTHER_RECORDS = 20


@dataclass(frozen=True)
class OtherRecord:
    """Another resident record that may be the same person (found as intake finds duplicates), listed for the
    officer to confirm before one erasure takes them all."""

    id: int
    name: str
    postcode: str
    score: float
    matched_fields: tuple[str, ...]


@dataclass(frozen=True)
class ErasureCheck:
    resident: Resident
    candidates: list[OtherRecord]


def _resident_for(session: Session, resident_id: int, principal: Principal) -> Resident:
    resident = session.get(Resident, resident_id)
    if resident is None or not access.may_erase(principal, resident):
        raise NotFound(f"no resident with id {resident_id}")
    return resident


def _other_records(session: Session, resident: Resident, principal: Principal) -> list[OtherRecord]:
    if resident.erased_at is not None:
        return []
    matches = possible_duplicates(session, person_record(resident), limit=MAX_OTHER_RECORDS)
    rows = {
        row.id: row
        for row in session.scalars(select(Resident).where(Resident.id.in_([m.resident_id for m in matches])))
    }
    return [
        OtherRecord(row.id, row.name, row.postcode, match.score, match.matched_fields)
        for match in matches
        if (row := rows.get(match.resident_id)) is not None and access.may_erase(principal, row)
    ]


def erasure_check(session: Session, resident_id: int, principal: Principal) -> ErasureCheck:
    """Before an erasure: the person's other records, by the same blocking keys and scores as intake's
    duplicate check (only those the caller may erase). Showing them is a read of personal details, audited
    for each record shown. Commits."""
    resident = _resident_for(session, resident_id, principal)
    check = ErasureCheck(resident, _other_records(session, resident, principal))
    if access.audits_personal_read(principal):
        for shown in (resident.id, *(other.id for other in check.candidates)):
            audit.record(
                session,
                "resident.read",
                principal,
                resident_id=shown,
                reason="erasure check",
                payload={"for_resident_id": resident.id},
            )
        session.commit()
    return check


def erase_resident(
    session: Session,
    resident_id: int,
    principal: Principal,
    reason: str,
    policy: LifecyclePolicy,
    now: datetime | None = None,
    also_erase: Iterable[int] = (),
) -> Resident:
    """Erase a person; with `also_erase`, their other records too, each one listed by `erasure_check` (any
    other id is refused and nothing is erased), in one transaction, each audited."""
    now = now or utcnow()
    if not reason.strip():
        raise DomainValidationError("reason", "an erasure needs a reason")
    resident = _resident_for(session, resident_id, principal)
    named = [d for d in mentioned_details(reason, person_record(resident)) if d != "name_part"]
    if named:  # the reason stays in the audit trail, which erasure cannot reach
        raise DomainValidationError(
            "reason", f"the reason must not name the person (it gives their {', '.join(named)}): it is kept"
        )
    other_ids = list(dict.fromkeys(also_erase))
    if other_ids:
        confirmed = {record.id for record in _other_records(session, resident, principal)}
        refused = [rid for rid in other_ids if rid not in confirmed]
        if refused:
            raise DomainValidationError(
                "also_erase", f"not among the records found for this person: {', '.join(map(str, refused))}"
            )
    # Records the helpline found to be this same person (their referrals moved here) go with it.
    merged = session.scalars(select(Resident.id).where(Resident.same_as_id == resident_id)).all()
    other_ids += [rid for rid in merged if rid not in other_ids]
    # Locked in id order (two officers erasing overlapping records wait for each other, never deadlock);
    # a record erased meanwhile is left as it is.
    locked = session.scalars(
        select(Resident)
        .where(Resident.id.in_(sorted({resident_id, *other_ids})))
        .order_by(Resident.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    people = sorted(
        (person for person in locked if person.erased_at is None), key=lambda p: p.id != resident_id
    )
    if not people:
        return resident
    referral_ids = {
        person.id: list(session.scalars(select(Referral.id).where(Referral.resident_id == person.id)))
        for person in people
    }
    everyone = [rid for ids in referral_ids.values() for rid in ids]
    unlinked = forget_texts_naming(session, [person_record(person) for person in people], everyone)
    for n, person in enumerate(people):
        together = {"also_erased": other_ids} if person.id == resident_id else {"erased_with": resident_id}
        if n == 0:
            together["texts_naming_them_blanked"] = unlinked
        _erase_one(session, person, referral_ids[person.id], principal, reason, policy, now, together)
    session.commit()
    return resident


def _erase_one(
    session: Session,
    resident: Resident,
    referral_ids: list[int],
    principal: Principal,
    reason: str,
    policy: LifecyclePolicy,
    now: datetime,
    together: dict,
) -> None:
    """One resident record: open referrals cancelled, every text about them and stored answer blanked, keys
    destroyed, audited. The caller commits."""
    open_ids = session.scalars(
        select(Referral.id).where(
            Referral.resident_id == resident.id, Referral.status.not_in(CLOSED_STATUSES)
        )
    ).all()
    cancel = Action("cancel", reason="the person's data was erased", reason_typed=False)
    for referral_id in open_ids:
        row, offer = load_for_update(session, referral_id)
        apply_action(session, row, offer, cancel, None, principal, policy, now)
    referrals = session.scalars(select(Referral).where(Referral.resident_id == resident.id)).all()
    for referral in referrals:
        referral.notes = ERASED_TEXT
        referral.summary = ""
        referral.no_contact_reason = ""
        referral.outcome_note = ""
        referral.occurrences = [{**occurrence, "note": None} for occurrence in referral.occurrences]
        if referral.triage:
            referral.triage = {
                **referral.triage,
                "reasons": [_erased_reason(reason_) for reason_ in referral.triage.get("reasons", [])],
            }
    resident.name = ERASED_TEXT
    resident.phone = ""
    resident.address = ""
    resident.date_of_birth = None
    resident.postcode = resident.outcode
    resident.flags = {}
    resident.contact = {}
    resident.lat, resident.lon = round(resident.lat, 2), round(resident.lon, 2)
    resident.geo_precision = "outcode"
    resident.erased_at = now
    texts = forget_texts(session, referral_ids)
    emails = session.execute(  # the email a call was made of: who wrote, and what they wrote
        update(EmailDraft)
        .where(EmailDraft.referral_id.in_(referral_ids))
        .values(
            sender=ERASED_TEXT, sender_name="", subject=ERASED_TEXT, body=ERASED_TEXT, attachments_refused=[]
        )
    ).rowcount
    answers = session.execute(  # retries' stored answers repeat the person's details
        update(IdempotentRequest)
        .where(IdempotentRequest.referral_id.in_(referral_ids))
        .values(response=ERASED_ANSWER)
    ).rowcount
    session.execute(delete(ResidentKey).where(ResidentKey.resident_id == resident.id))
    destroy_key(session, resident.id)
    audit.record(
        session,
        "resident.erased",
        principal,
        resident_id=resident.id,
        reason=reason,
        payload={
            "referrals": len(referrals),
            "cancelled": list(open_ids),
            "texts_blanked": texts,
            "emails_blanked": emails or 0,
            "stored_answers_blanked": answers or 0,
            **together,
        },
        now=now,
    )


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
            .where(model.referral_id.in_(referral_ids), model.body != ERASED_TEXT)
            .values(body=ERASED_TEXT)
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
        if body != ERASED_TEXT and (from_phone in phones or _names(body, people, linked_elsewhere)):
            bodies.append(text_id)
        if reply and reply != ERASED_TEXT and _names(reply, people, linked_elsewhere):
            replies.append(text_id)
    for ids, values in (
        (bodies, {"body": ERASED_TEXT}),
        (replies, {"reply": ERASED_TEXT}),
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


def due_for_erasure(session: Session, retention: RetentionPolicy, now: datetime) -> list[int]:
    """Residents whose referrals are all closed and whose retention period (by highest tier) has passed."""
    rows = session.execute(
        select(Referral.resident_id, Referral.tier, func.max(Referral.updated_at), func.count())
        .join(Resident, Resident.id == Referral.resident_id)
        .where(Resident.erased_at.is_(None))
        .group_by(Referral.resident_id, Referral.tier)
    ).all()
    open_residents = set(
        session.scalars(
            select(Referral.resident_id).where(Referral.status.not_in(CLOSED_STATUSES)).distinct()
        )
    )
    keep_until: dict[int, datetime] = {}
    for resident_id, tier, last, _count in rows:
        until = last + retention.periods.get(tier or "statutory", retention.periods["statutory"])
        keep_until[resident_id] = max(keep_until.get(resident_id, until), until)
    return sorted(rid for rid, until in keep_until.items() if until <= now and rid not in open_residents)


def run_retention(
    session: Session, retention: RetentionPolicy, policy: LifecyclePolicy, now: datetime | None = None
) -> list[int]:
    now = now or utcnow()
    erased = []
    for resident_id in due_for_erasure(session, retention, now):
        erase_resident(session, resident_id, SYSTEM, "retention period ended", policy, now)
        erased.append(resident_id)
    forget_set_aside_emails(session, retention, now)
    return erased


def forget_set_aside_emails(session: Session, retention: RetentionPolicy, now: datetime) -> int:
    """Emails set aside as not a call (no referral keeps them) are blanked after the shortest retention
    period; audited with how many. Commits."""
    keep = min(retention.periods.values())
    blanked = session.execute(
        update(EmailDraft)
        .where(
            EmailDraft.status == "dismissed",
            EmailDraft.closed_at <= now - keep,
            EmailDraft.body != ERASED_TEXT,
        )
        .values(
            sender=ERASED_TEXT, sender_name="", subject=ERASED_TEXT, body=ERASED_TEXT, attachments_refused=[]
        )
    ).rowcount
    if blanked:
        audit.record(
            session,
            "email.drafts_forgotten",
            SYSTEM,
            reason="retention period ended",
            payload={"emails": blanked},
            now=now,
        )
    session.commit()
    return blanked or 0
