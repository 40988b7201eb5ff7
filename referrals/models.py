from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, utcnow

# What erasure leaves in a text that named the person (notes, name, an SMS), and what a reader is shown for
# words sealed with a key that erasure destroyed.
ERASED_TEXT = "(erased)"
# self_referral: a resident's own request on the public page; mutual_aid_referral: a mutual-aid group's
# lead refers someone they met (referrals/requests.py). Both wait for the helpline's review first.
CALL_CHANNELS = ("phone", "email", "web", "partner_referral")  # what helpline staff and partners log
CHANNELS = (*CALL_CHANNELS, "self_referral", "mutual_aid_referral")
STATUSES = (
    "received",
    "triaged",
    "offered",
    "accepted",
    "in_progress",
    "completed",
    "declined",
    "escalated",
    "signposted",
    "transferred",
    "passed_on",
    "cancelled",
    "closed",
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Resident(Base):
    __tablename__ = "resident"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(20), default="", index=True)
    postcode: Mapped[str] = mapped_column(String(10), index=True)
    outcode: Mapped[str] = mapped_column(String(5), index=True)
    address: Mapped[str] = mapped_column(String(500), default="")
    date_of_birth: Mapped[date | None]
    flags: Mapped[dict] = mapped_column(default=dict)
    # How to reach them safely and what a helper must know at the door (referrals.contact.ContactDetails):
    # personal details, shown only to those who see the person's details, blanked by erasure.
    contact: Mapped[dict] = mapped_column(default=dict, server_default="{}")
    lat: Mapped[float]
    lon: Mapped[float]
    geo_precision: Mapped[str] = mapped_column(String(10))
    area: Mapped[str | None] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    erased_at: Mapped[datetime | None]
    # A record the helpline found to be the same person as another (a partner's referral of someone already
    # known): its referrals moved there; it is kept only for the words sealed with its key, and goes when
    # that person is erased (referrals/repeat_callers.py).
    same_as_id: Mapped[int | None] = mapped_column(index=True)


class Referral(Base):
    __tablename__ = "referral"
    __table_args__ = (
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        Index("ix_referral_status_owner", "status", "owner_org_id"),
        # A council's referrals of a status, oldest first (the safety-net dashboard's lists, migration 0025).
        Index("ix_referral_status_area_created_at", "status", "area", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    notes: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="", server_default="")
    given_needs: Mapped[list] = mapped_column(default=list)
    consent_to_share: Mapped[bool]
    # Why the call-taker could take neither a phone number nor an address (a referral must be contactable).
    no_contact_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[str] = mapped_column(String(20), default="received")
    tier: Mapped[str | None] = mapped_column(String(20))
    needs: Mapped[list] = mapped_column(default=list)
    urgency: Mapped[str | None] = mapped_column(String(20))
    safeguarding: Mapped[bool] = mapped_column(default=False)
    triage: Mapped[dict | None]
    area: Mapped[str | None] = mapped_column(String(40), index=True)
    owner_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    linked_referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"))
    safety_net_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    cascade_tier: Mapped[str | None] = mapped_column(String(20))
    candidates: Mapped[list] = mapped_column(default=list)
    next_candidate: Mapped[int] = mapped_column(default=0)
    accepted_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteer.id"), index=True)
    # A mutual-aid group doing the work for the organisation that holds the referral (a pass-on it accepted).
    assigned_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    escalated_to_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    signposted_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    gap: Mapped[bool] = mapped_column(default=False)
    unmet_needs: Mapped[list] = mapped_column(default=list)
    plan: Mapped[dict | None]
    occurrences: Mapped[list] = mapped_column(default=list)
    outcome_code: Mapped[str | None] = mapped_column(String(40))
    # Every outcome recorded when it was completed or closed (config/outcomes.yaml); outcome_code: the first.
    outcome_codes: Mapped[list] = mapped_column(default=list, server_default="[]")
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    created_by_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_token.id"))
    created_by_role: Mapped[str] = mapped_column(String(30))
    created_by_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    # The reference a resident or a group's lead is shown for a request made from outside (random, not the id:
    # nothing can be looked up with it from outside; the helpline finds the request by it).
    public_ref: Mapped[str | None] = mapped_column(String(16), unique=True)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    resident: Mapped[Resident] = relationship(lazy="joined", innerjoin=True)

    __mapper_args__ = {"version_id_col": version}


class Offer(Base):
    __tablename__ = "offer"
    __table_args__ = (
        CheckConstraint(
            _in("status", ("pending", "accepted", "declined", "expired", "withdrawn")), name="status"
        ),
        Index("ix_offer_status_expires", "status", "expires_at"),
        Index("ix_offer_created_at_status_volunteer", "created_at", "status", "volunteer_id"),
        Index("ix_offer_volunteer_status", "volunteer_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteer.id"))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    tier: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20), default="cascade", server_default="cascade")
    return_state: Mapped[str | None] = mapped_column(String(20))
    task_code: Mapped[str | None] = mapped_column(String(12), unique=True)
    expires_at: Mapped[datetime]
    responded_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# The audit events that lower or check a tier (`referrals.tier_checks`: a check, or a person's re-triage that
# recorded the tier before it), as SQL of each dialect with `@` for the table's prefix: the partial index
# ix_audit_event_tier_changes holds these events, and the dashboard's lowered tiers asks for them in these
# very words, so PostgreSQL sees the index covers them (an expression written otherwise, such as with a CAST,
# it cannot match).
TIER_CHANGES = {
    "postgresql": "@kind = 'referral.tier_lowering_checked' OR (@kind IN ('triage.overridden', "
    "'triage.decided') AND @actor_role <> 'system' AND (@payload #>> '{before,tier}') IS NOT NULL)",
    "sqlite": "@kind = 'referral.tier_lowering_checked' OR (@kind IN ('triage.overridden', "
    "'triage.decided') AND @actor_role <> 'system' AND json_extract(@payload, '$.before.tier') IS NOT NULL)",
}


def tier_changes(dialect: str, prefix: str = ""):
    """TIER_CHANGES in parentheses (a condition ANDed with others), each column named with `prefix`."""
    return text("(" + TIER_CHANGES[dialect].replace("@", prefix) + ")")


class AuditEvent(Base):
    """Append-only, hash-chained record of every decision. No code path updates or deletes rows."""

    __tablename__ = "audit_event"
    __table_args__ = (
        # Leads with kind, so it serves lookups by kind; with the other two, a referral's first event of a
        # kind is read from the index alone (the needs report's first acceptances, migration 0019).
        Index("ix_audit_event_kind_referral_id_created_at", "kind", "referral_id", "created_at"),
        # The events that lower or check a tier, newest first (the dashboard's lowered tiers, migration 0025).
        Index(
            "ix_audit_event_tier_changes",
            "seq",
            postgresql_where=tier_changes("postgresql"),
            sqlite_where=tier_changes("sqlite"),
        ),
    )

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(40))
    referral_id: Mapped[int | None] = mapped_column(index=True)
    resident_id: Mapped[int | None] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(200))
    actor_role: Mapped[str] = mapped_column(String(30))
    actor_org_id: Mapped[int | None]
    reason: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """One row holding the chain's head, locked by each append so the chain stays linear."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))


class ResidentKey(Base):
    """Blocking keys (phone, postcode, name sounds, date of birth) so intake finds possible duplicates with an
    indexed lookup instead of comparing the caller with everyone."""

    __tablename__ = "resident_key"

    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(80), primary_key=True, index=True)


# What erasure leaves as the stored answer of a request about an erased person: a retry must neither get the
# person's details back nor act again (which would record them again).
ERASED_ANSWER = {"erased": True}


class IdempotentRequest(Base):
    """The first answer to a POST with an Idempotency-Key: a retry gets it back instead of acting twice."""

    __tablename__ = "idempotent_request"
    __table_args__ = (UniqueConstraint("token_id", "key", name="token_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_token.id"))
    key: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None]
    response: Mapped[dict | None]
    # The referral the request acted on or created, written in the action's own transaction.
    referral_id: Mapped[int | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ResidentSecret(Base):
    """A per-resident key that seals personal details inside audit payloads; erasure destroys it, so the
    chain still verifies but those details can no longer be read."""

    __tablename__ = "resident_secret"

    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[bytes] = mapped_column(LargeBinary(32))


class ReferralLink(Base):
    """A one-time link texted to a mutual-aid group's lead (REFER): the form to refer someone they met, or,
    once used, the page where the lead sees what came of it. Only the token's hash is stored; a `refer` link
    works once and expires, a `status` link only shows what the access rule lets the group see."""

    __tablename__ = "referral_link"
    __table_args__ = (CheckConstraint(_in("purpose", ("refer", "status")), name="purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(10))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    phone: Mapped[str] = mapped_column(String(20))
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class FollowUp(Base):
    """A task someone works and closes: a visit or call of a recurring plan missed (no outcome by the end of
    its window), or a check-in call or visit nobody answered (to try again the same day). One per occurrence
    and kind, so a worker's sweep run twice (or by two workers) raises it once. Shown on the coordinator's
    queue of the organisation doing the work and on the safety net's late list; closing it is audited. A
    one-off check-in call finished as 'no answer' has one too (occurrence 0), though the referral is
    finished; closed as 'no answer again' it is `escalated`: the area's safety-net team's to work, no longer
    the holder's."""

    __tablename__ = "follow_up"
    __table_args__ = (
        UniqueConstraint("referral_id", "kind", "occurrence_index"),
        CheckConstraint(_in("kind", ("missed_visit", "no_answer")), name="kind"),
        CheckConstraint(_in("status", ("open", "escalated", "done")), name="status"),
        Index("ix_follow_up_status_due_at", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    occurrence_index: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default="open")
    due_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]
    done_by: Mapped[str] = mapped_column(String(200), default="", server_default="")


class EmailDraft(Base):
    """An email to the helpline kept as a draft call: who sent it (their address, kept so staff can reply),
    its subject and text, and the names of attachments refused. Nothing is routed until helpline staff
    complete it as a call (`referral_id`) or dismiss it (not a request for help). One per email: a message
    fetched or posted twice is kept once (`message_id`)."""

    __tablename__ = "email_draft"
    __table_args__ = (
        CheckConstraint(_in("status", ("draft", "completed", "dismissed")), name="status"),
        CheckConstraint(_in("source", ("webhook", "imap")), name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(300), unique=True)
    source: Mapped[str] = mapped_column(String(20))
    sender: Mapped[str] = mapped_column(String(320))
    sender_name: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    attachments_refused: Mapped[list] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"))
    sent_at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str] = mapped_column(String(200), default="", server_default="")
