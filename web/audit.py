"""A referral's audit trail for safety-net officers and admins: each entry in plain words, its raw record
(hash and data) one click away, and a button that checks the hash chain and says whether it holds."""

import re

from flask import render_template
from sqlalchemy import select

from accounts.models import User
from referrals.audit_check import TrailCheck, check_trail
from referrals.reading import audit_timeline, get_referral_for
from web.audit_words import entry
from web.auth import current_principal, roles
from web.blueprint import blp, db
from web.lookups import organisation_names
from web.referrals import AUDIT_ROLES, outcome_labels

DOOR = "web audit page"
ORG_KEYS = ("org_id", "to_org_id", "returned_to_org_id")
USER_ACTOR = re.compile(r"^user:(\d+):")


PROBLEM_WORDS = (
    (
        "hash does not match the event; the record was edited",
        "its seal does not match what it says, so it was changed afterwards",
    ),
    ("prev_hash does not match", "it is not sealed to"),
    (
        "; a record was removed, inserted or reordered here, or the previous record was edited and rehashed",
        ": an entry was taken out, put in or moved here, or the one before was changed and sealed again",
    ),
    ("a record is missing, duplicated or out of order", "an entry is missing, repeated or out of order"),
    ("event cannot be canonicalised", "the entry cannot be read to check it"),
)


def problem_words(problem: str | None) -> str:
    """The chain check's finding as an officer reads it: entries by number, no field names."""
    text = re.sub(r"^seq \d+: ", "", problem or "")
    for said, meant in PROBLEM_WORDS:
        text = text.replace(said, meant)
    text = re.sub(r"\bseq (\d+)", r"entry #\1", text)
    text = re.sub(r"\bfound (\d+)", r"found #\1", text)
    return text[:1].upper() + text[1:]


def people_names(actors) -> dict[int, str]:
    """Signed-in people by their user id, as the trail names them (`user:<id>:<username>`)."""
    ids = {int(found[1]) for actor in actors if (found := USER_ACTOR.match(actor))}
    if not ids:
        return {}
    return dict(db().execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def raw_record(event, shown) -> dict:
    """The stored event as the reader may see it: hashes and data, less what the reading leaves out for them
    (other residents matched, candidates), with sealed words still sealed."""
    payload = {key: value for key, value in (event.payload or {}).items() if key in shown.payload}
    return {
        "seq": event.seq,
        "kind": event.kind,
        "created_at": event.created_at.isoformat(),
        "actor": event.actor,
        "actor_role": event.actor_role,
        "actor_org_id": event.actor_org_id,
        "reason": event.reason,
        "payload": payload,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def render_audit(referral_id: int, check: TrailCheck | None = None):
    session, principal = db(), current_principal()
    row = get_referral_for(session, referral_id, principal)
    events, readable = audit_timeline(session, row, principal, DOOR)
    orgs = organisation_names(
        [event.actor_org_id for event in events]
        + [
            shown.payload.get(key)
            for shown in readable
            for key in ("org_id", "to_org_id", "returned_to_org_id")
        ]
    )
    people = people_names(event.actor for event in events)
    outcomes = outcome_labels()
    return render_template(
        "audit.html",
        referral=row,
        entries=[
            (entry(event, shown, orgs, people, outcomes), raw_record(event, shown))
            for event, shown in zip(events, readable, strict=True)
        ],
        check=check,
        problem=problem_words(check.problem) if check else "",
    )


@blp.get("/referrals/<int:referral_id>/audit")
@roles(*AUDIT_ROLES)
def referral_audit(referral_id: int):
    return render_audit(referral_id)


@blp.post("/referrals/<int:referral_id>/audit/verify")
@roles(*AUDIT_ROLES)
def verify_audit(referral_id: int):
    """Check the hash chain for the officer's view of this referral (404 when it is not theirs to see)."""
    session, principal = db(), current_principal()
    get_referral_for(session, referral_id, principal)
    return render_audit(referral_id, check_trail(session, referral_id, principal, DOOR))
