"""Concurrency: two coordinators accepting one offer at the same moment, and several timer workers at once.

Run on PostgreSQL these use real row locks; on SQLite, transactions are serial (BEGIN IMMEDIATE)."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from accounts.tokens import Principal
from db.base import utcnow
from referrals.actions import Action, expire_due_offers, perform
from referrals.errors import Conflict
from referrals.models import AuditEvent, Offer
from referrals.policy import load_lifecycle_policy
from tests.integration.intake_helpers import log_calls

POLICY = load_lifecycle_policy()


def race_accept(session_factory, referral_id: int, coordinators: list[Principal]) -> list[str]:
    barrier = threading.Barrier(len(coordinators))

    def accept(principal: Principal) -> str:
        with session_factory() as session:
            barrier.wait(timeout=30)
            try:
                perform(session, referral_id, Action("accept"), principal, POLICY)
            except Conflict:
                return "409"
            return "200"

    with ThreadPoolExecutor(len(coordinators)) as pool:
        return list(pool.map(accept, coordinators))


def test_two_coordinators_accepting_at_once_one_wins(session_factory, engine, directory_ids):
    races = 200 if engine.dialect.name == "postgresql" else 30
    referral_ids = log_calls(session_factory, races)
    coordinators = [
        Principal(token_id=None, name=f"coordinator {n}", role="hub_coordinator", org_id=directory_ids["hub"])
        for n in (1, 2)
    ]

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(lambda rid: race_accept(session_factory, rid, coordinators), referral_ids))

    assert all(sorted(o) == ["200", "409"] for o in outcomes), Counter(map(tuple, map(sorted, outcomes)))
    with session_factory() as session:
        accepted = session.scalars(
            select(AuditEvent.referral_id, func.count())
            .where(AuditEvent.kind == "referral.accepted")
            .group_by(AuditEvent.referral_id)
        ).all()
        double = session.execute(
            select(AuditEvent.referral_id)
            .where(AuditEvent.kind == "referral.accepted")
            .group_by(AuditEvent.referral_id)
            .having(func.count() > 1)
        ).all()
    print(f"\n{races} races: {len(accepted)} accepted once, {len(double)} double acceptances")
    assert len(accepted) == races
    assert double == []


def test_several_timer_workers_never_expire_the_same_offer_twice(session_factory, directory_ids):
    referral_ids = log_calls(session_factory, 40)
    later = utcnow() + timedelta(days=3)

    def sweep(_n: int) -> int:
        with session_factory() as session:
            return expire_due_offers(session, POLICY, now=later, limit=1000)

    with ThreadPoolExecutor(4) as pool:
        counts = list(pool.map(sweep, range(4)))

    assert sum(counts) == len(referral_ids)
    with session_factory() as session:
        per_referral = Counter(
            session.scalars(select(AuditEvent.referral_id).where(AuditEvent.kind == "referral.expired"))
        )
        assert set(per_referral.values()) == {1}
        assert session.scalar(
            select(func.count()).select_from(Offer).where(Offer.status == "expired")
        ) == len(referral_ids)


@pytest.fixture
def directory_ids(session_factory):
    from tests.builders import small_directory

    return small_directory(session_factory)
