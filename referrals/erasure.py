"""Erasure, on request or when retention ends: personal details leave the resident and their referrals,
their sealing key is destroyed and open referrals are cancelled, in one transaction. The audit chain still
verifies afterwards."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from accounts.tokens import SYSTEM, Principal
from config.settings import CONFIG_DIR, ConfigError
from db.base import utcnow
from referrals import audit
from referrals.actions import Action, apply_action, load_for_update
from referrals.errors import DomainValidationError, NotFound
from referrals.lifecycle import CLOSED_STATUSES
from referrals.models import ERASED_ANSWER, IdempotentRequest, Referral, Resident, ResidentKey
from referrals.policy import LifecyclePolicy
from referrals.sealing import destroy_key
from referrals.sms import forget_texts
from referrals.triaging import OVERRIDE

ERASED = "(erased)"
TIER_ORDER = ("mutual_aid", "vcs", "statutory")
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
    for tier in TIER_ORDER:
        text = str((document.get("retention") or {}).get(tier, ""))
        found = PERIOD.match(text)
        if not found:
            raise ConfigError(f"{path}: retention.{tier} must be a period like 365d or 2y, not {text!r}")
        days = int(found.group(1)) * (365 if found.group(2) == "y" else 1)
        periods[tier] = timedelta(days=days)
    return RetentionPolicy(periods)


def _erased_reason(reason: dict) -> dict:
    """A triage reason without words quoted from the notes, or typed by staff overriding the decision."""
    typed = {"detail": ""} if reason.get("rule", "").startswith(OVERRIDE) else {}
    return {**reason, "evidence": "", **typed}


def erase_resident(
    session: Session,
    resident_id: int,
    principal: Principal,
    reason: str,
    policy: LifecyclePolicy,
    now: datetime | None = None,
) -> Resident:
    now = now or utcnow()
    if not reason.strip():
        raise DomainValidationError("reason", "an erasure needs a reason")
    resident = session.get(Resident, resident_id)
    outside_area = principal.role == "safety_net_officer" and principal.area not in (
        None,
        resident and resident.area,
    )
    if resident is None or outside_area:
        raise NotFound(f"no resident with id {resident_id}")
    if resident.erased_at is not None:
        return resident
    open_ids = session.scalars(
        select(Referral.id).where(
            Referral.resident_id == resident_id, Referral.status.not_in(CLOSED_STATUSES)
        )
    ).all()
    cancel = Action("cancel", reason="the person's data was erased", reason_typed=False)
    for referral_id in open_ids:
        row, offer = load_for_update(session, referral_id)
        apply_action(session, row, offer, cancel, None, principal, policy, now)
    referrals = session.scalars(select(Referral).where(Referral.resident_id == resident_id)).all()
    for referral in referrals:
        referral.notes = ERASED
        referral.outcome_note = ""
        referral.occurrences = [{**occurrence, "note": None} for occurrence in referral.occurrences]
        if referral.triage:
            referral.triage = {
                **referral.triage,
                "reasons": [_erased_reason(reason_) for reason_ in referral.triage.get("reasons", [])],
            }
    resident.name = ERASED
    resident.phone = ""
    resident.address = ""
    resident.date_of_birth = None
    resident.postcode = resident.outcode
    resident.flags = {}
    resident.lat, resident.lon = round(resident.lat, 2), round(resident.lon, 2)
    resident.geo_precision = "outcode"
    resident.erased_at = now
    referral_ids = [referral.id for referral in referrals]
    texts = forget_texts(session, referral_ids)
    answers = session.execute(  # retries' stored answers repeat the person's details
        update(IdempotentRequest)
        .where(IdempotentRequest.referral_id.in_(referral_ids))
        .values(response=ERASED_ANSWER)
    ).rowcount
    session.execute(delete(ResidentKey).where(ResidentKey.resident_id == resident_id))
    destroy_key(session, resident_id)
    audit.record(
        session,
        "resident.erased",
        principal,
        resident_id=resident_id,
        reason=reason,
        payload={
            "referrals": len(referrals),
            "cancelled": list(open_ids),
            "texts_blanked": texts,
            "stored_answers_blanked": answers or 0,
        },
        now=now,
    )
    session.commit()
    return resident


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
    return erased
