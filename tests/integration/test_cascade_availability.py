"""After a decline or an expiry the cascade moves on down the candidates ranked at routing, which may be days
old: each is checked again as things stand now (organisation and volunteer still active, the volunteer still
reachable by SMS and under their caps, counted under a lock on their row), and one who cannot take the offer
is passed over with the reason in the audit trail."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from accounts.tokens import Principal
from db.base import utcnow
from directory.models import Organisation, Volunteer
from referrals.actions import Action, expire_due_offers, perform
from referrals.availability import cascade_availability
from referrals.intake import CallLog, ResidentDetails, log_call
from referrals.lifecycle import Candidate, Tier
from referrals.models import AuditEvent, Offer, Referral
from referrals.policy import load_lifecycle_policy
from tests.builders import organisation, small_directory, volunteer
from tests.integration.intake_helpers import HELPLINE, intake_context
from tests.integration.test_snapshot_changes import _locked_elsewhere, _update

POLICY = load_lifecycle_policy()
EXPIRED = timedelta(hours=49)  # past a routine offer's 48 hours


@pytest.fixture
def directory(session_factory) -> dict[str, int]:
    return small_directory(session_factory)


@pytest.fixture
def coventry_volunteers(session_factory, directory) -> list[int]:
    """Three volunteers in no group near CV1 1AH, each taking one task at a time: Coventry's multi-agency
    cell offers their tasks directly, through its safety-net team."""
    return [
        volunteer(
            session_factory,
            org_id=None,
            postcode="CV1 1AH",
            lat=52.41028,
            lon=-1.509401,
            phone=f"+44770090051{n}",
            max_active_tasks=1,
        )
        for n in range(3)
    ]


def _call(n: int, postcode: str = "CV1 1AH") -> CallLog:
    return CallLog(
        channel="phone",
        resident=ResidentDetails(name=f"Resident {n}", postcode=postcode, address=f"{n} Test Street"),
        notes="needs shopping picked up",
        consent_to_share=True,
        new_person=True,  # "Resident N" are different people with look-alike names
    )


def _routed(session_factory, n: int = 0, postcode: str = "CV1 1AH") -> tuple[int, list[int | None]]:
    """Log a call: the referral and its volunteers (None for an organisation) in ranked order."""
    with session_factory() as session:
        referral = log_call(session, _call(n, postcode), HELPLINE, intake_context(session_factory)).referral
        ranked = [c["volunteer_id"] for c in referral.candidates if c["action"] == "offer"]
        return referral.id, ranked


def _officer(directory, area: str = "coventry") -> Principal:
    return Principal(
        token_id=None, name="officer", role="safety_net_officer", org_id=directory[f"{area}_safety_net"]
    )


def _pending(session_factory, referral_id: int) -> tuple[int, int | None] | None:
    """The open offer's (organisation, volunteer), if there is one."""
    with session_factory() as session:
        offer = session.scalar(
            select(Offer).where(Offer.referral_id == referral_id, Offer.status == "pending")
        )
        return offer and (offer.org_id, offer.volunteer_id)


def _offered_volunteer(session_factory, referral_id: int) -> int | None:
    pending = _pending(session_factory, referral_id)
    return pending and pending[1]


def _passed_over(session_factory, referral_id: int) -> list[tuple[int | None, int, str]]:
    with session_factory() as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.referral_id == referral_id, AuditEvent.kind == "referral.passed_over")
            .order_by(AuditEvent.seq)
        ).all()
        return [(e.payload["volunteer_id"], e.payload["org_id"], e.reason) for e in events]


def test_a_decline_passes_over_a_volunteer_deactivated_since_routing(
    session_factory, directory, coventry_volunteers
):
    referral_id, ranked = _routed(session_factory)
    first, second, third = ranked[:3]
    assert _offered_volunteer(session_factory, referral_id) == first
    _update(session_factory, Volunteer, second, active=False)

    with session_factory() as session:
        perform(
            session,
            referral_id,
            Action("decline", reason="first volunteer unwell"),
            _officer(directory),
            POLICY,
        )

    assert _offered_volunteer(session_factory, referral_id) == third
    assert _passed_over(session_factory, referral_id) == [
        (second, directory["coventry_safety_net"], "volunteer is no longer active")
    ]


def test_a_volunteer_who_opted_out_of_texts_is_passed_over(session_factory, directory, coventry_volunteers):
    referral_id, ranked = _routed(session_factory)
    _update(session_factory, Volunteer, ranked[1], sms_opted_out=True)

    with session_factory() as session:
        perform(session, referral_id, Action("decline", reason="busy"), _officer(directory), POLICY)

    assert _offered_volunteer(session_factory, referral_id) == ranked[2]
    assert [reason for *_, reason in _passed_over(session_factory, referral_id)] == [
        "volunteer has opted out of SMS"
    ]


def test_an_expiry_passes_over_a_volunteer_who_took_other_work_up_to_their_cap(
    session_factory, directory, coventry_volunteers
):
    """A second call, logged after the first was routed, goes to one of the volunteers the first still lists:
    at one task at a time, that volunteer is passed over when the first call's offers run out, never offered
    it, and the cascade ends at the safety-net team."""
    referral_id, ranked = _routed(session_factory)
    other_id, _ = _routed(session_factory, n=1)
    busy = _offered_volunteer(session_factory, other_id)
    assert busy in ranked[1:], "the second call goes to a volunteer the first has not been offered yet"

    offered = [_pending(session_factory, referral_id)]
    later = utcnow()
    while offered[-1] is not None:
        later += EXPIRED
        with session_factory() as session:
            assert expire_due_offers(session, POLICY, now=later) >= 1
        offered.append(_pending(session_factory, referral_id))

    assert busy not in [offer[1] for offer in offered[:-1]]
    at_cap = "volunteer is at their cap on active tasks (counted before the offer)"
    assert _passed_over(session_factory, referral_id) == [(busy, directory["coventry_safety_net"], at_cap)]
    with session_factory() as session:
        assert session.get(Referral, referral_id).status == "escalated"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"active": False}, "organisation is no longer active"),
        ({"sms_opted_out": True}, "organisation's lead has opted out of SMS"),
    ],
)
def test_an_organisation_changed_since_routing_is_passed_over(session_factory, directory, change, reason):
    organisation(
        session_factory,
        name="Sutton North Hub",
        services=["shopping", "prescriptions", "befriending", "food"],
        coverage_outcodes=["SM1", "SM2"],
    )
    referral_id, _ = _routed(session_factory, postcode="SM1 1AA")
    with session_factory() as session:
        candidates = [c for c in session.get(Referral, referral_id).candidates if c["action"] == "offer"]
    first, second = candidates[0]["org_id"], candidates[1]["org_id"]
    _update(session_factory, Organisation, second, **change)
    coordinator = Principal(token_id=None, name="coordinator", role="hub_coordinator", org_id=first)

    with session_factory() as session:
        perform(session, referral_id, Action("decline", reason="no one free"), coordinator, POLICY)

    assert [(org, reason) for _, org, reason in _passed_over(session_factory, referral_id)] == [
        (second, reason)
    ]
    with session_factory() as session:
        pending = session.scalar(
            select(Offer).where(Offer.referral_id == referral_id, Offer.status == "pending")
        )
        assert pending is None or pending.org_id != second


def test_the_volunteer_the_cascade_offers_to_stays_locked_until_the_transaction_ends(
    session_factory, engine, directory, coventry_volunteers
):
    """Two cascades (or a cascade and an intake) never both count a volunteer free and offer them their last
    slot: the volunteer's row is locked from the count until the transaction ends (before the offer row's
    own reference to it exists); one passed over is let go at once."""
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite transactions hold the whole database)")
    free, inactive = coventry_volunteers[:2]
    _update(session_factory, Volunteer, inactive, active=False)
    coventry = directory["coventry_safety_net"]

    with session_factory() as session:
        available = cascade_availability(session, POLICY.matching_policy, utcnow())
        assert available(Candidate(coventry, Tier.MUTUAL_AID, inactive)) == "volunteer is no longer active"
        assert not _locked_elsewhere(session_factory, inactive)
        assert available(Candidate(coventry, Tier.MUTUAL_AID, free)) is None
        assert _locked_elsewhere(session_factory, free)
        session.rollback()
    assert not _locked_elsewhere(session_factory, free)
