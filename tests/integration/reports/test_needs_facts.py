"""The needs report's facts on PostgreSQL (reports/facts.py) follow every write the report depends on: after a
report has built them, new referrals for people already there, status changes, acceptances by event and by
offer, needs edited, a gap, a referral linked to another, a record merged into another person, a resident
moving, a deleted referral — each recomputed person by person from what the triggers noted — give exactly
the facts a rebuild from scratch gives, and the report the Python reference gives."""

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, select, text

from accounts.tokens import SYSTEM
from referrals import audit
from referrals.models import AuditEvent, Offer, Referral, Resident
from reports import facts
from reports.needs import needs_report
from tests.integration.reports.history import add_shipped_postcodes, remove_postcodes
from tests.integration.reports.test_needs_in_sql import NOW, build_varied

PERIODS = (
    {"since": date(2026, 5, 1), "until": date(2026, 5, 31)},
    {"since": None, "until": date(2026, 6, 20)},
)


@pytest.fixture
def varied(session_factory, directory, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("the facts are kept on PostgreSQL only")
    add_shipped_postcodes(session_factory)
    build_varied(session_factory, directory)
    yield
    remove_postcodes(session_factory, ("SM1 1AA", "SM3 9AA"))


def _facts(engine) -> list[tuple]:
    with engine.connect() as connection:
        rows = connection.execute(text(f"SELECT {facts._COLUMNS} FROM needs_fact")).all()
    return sorted(tuple(row) for row in rows)


def _same_report(session, areas) -> None:
    for period in PERIODS:
        reference = dataclasses.asdict(needs_report(session, areas, now=NOW, in_sql=False, **period))
        in_sql = dataclasses.asdict(needs_report(session, areas, now=NOW, in_sql=True, **period))
        assert in_sql == reference, period


def _change_everything(session_factory, directory) -> None:
    at = datetime(2026, 5, 20, 9, 30, tzinfo=UTC)
    with session_factory() as session:
        people = session.scalars(select(Resident).order_by(Resident.id)).all()
        referrals = session.scalars(select(Referral).order_by(Referral.id)).all()
        first, second, third = people[0], people[1], people[2]
        # a person already known asks again, for two needs, one of them already asked for
        again = Referral(
            resident_id=first.id,
            channel="phone",
            consent_to_share=True,
            status="offered",
            needs=["shopping", "food"],
            urgency="urgent",
            area="sutton",
            created_by_role="helpline",
            created_at=at,
        )
        session.add(again)
        session.flush()
        # accepted: by its event, and another by its offer
        audit.record(session, "referral.accepted", SYSTEM, referral_id=again.id, now=at + timedelta(hours=3))
        waiting = next(r for r in referrals if r.status == "received" and r.linked_referral_id is None)
        session.add(
            Offer(
                referral_id=waiting.id,
                org_id=directory["hub"],
                status="accepted",
                tier="hub",
                expires_at=waiting.created_at + timedelta(days=2),
                responded_at=waiting.created_at + timedelta(hours=30),
                created_at=waiting.created_at,
            )
        )
        waiting.status = "accepted"
        # edited: needs, a gap with an unmet need, completed, linked to another
        referrals[3].needs = ["befriending", "dog_walking"]
        referrals[4].gap, referrals[4].unmet_needs = True, list(referrals[4].needs[:1])
        referrals[5].status = "completed"
        referrals[6].linked_referral_id = referrals[7].id
        # a record found to be the same person as another; a person moving to another district
        second.same_as_id = third.id
        third.postcode, third.outcode = "CV1 1AH", "CV1"
        session.flush()
        # a referral gone (its offers first)
        linked = {r.linked_referral_id for r in referrals} | {referrals[7].id}
        in_trail = set(
            session.scalars(select(AuditEvent.referral_id).where(AuditEvent.referral_id.is_not(None)))
        )
        gone = next(r for r in referrals[9:] if r.id not in linked | in_trail)
        session.execute(delete(Offer).where(Offer.referral_id == gone.id))
        session.delete(gone)
        session.commit()


def test_the_facts_follow_every_write_person_by_person(
    varied, session_factory, directory, session, engine, areas
):
    _same_report(session, areas)  # builds the facts
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM needs_dirty")).scalar_one() == 0
    _change_everything(session_factory, directory)
    with engine.connect() as connection:
        noted = connection.execute(
            text("SELECT count(*) FROM needs_dirty WHERE resident_id IS NULL")
        ).scalar_one()
        assert noted == 0  # nothing asked for a rebuild of everything
    with engine.begin() as connection:
        assert 0 < facts.refresh(connection) < facts.REBUILD_FROM  # person by person
    refreshed = _facts(engine)
    with engine.begin() as connection:
        facts.rebuild(connection)
    assert refreshed == _facts(engine)
    _change_everything(session_factory, directory)  # and the report refreshes them itself
    _same_report(session, areas)


def test_a_changed_postcode_table_rebuilds_every_fact(varied, session, engine, areas):
    _same_report(session, areas)
    with engine.begin() as connection:
        connection.execute(text("UPDATE postcode SET admin_ward = admin_ward WHERE postcode = 'SM1 1AA'"))
    with engine.connect() as connection:
        assert connection.execute(
            text("SELECT count(*) FROM needs_dirty WHERE resident_id IS NULL")
        ).scalar_one()
    _same_report(session, areas)


def test_writes_that_change_no_fact_note_nothing(varied, session_factory, session, engine, areas):
    _same_report(session, areas)
    with session_factory() as writing:
        referral = writing.scalars(select(Referral).order_by(Referral.id)).first()
        referral.notes = "called back, nothing new"
        referral.version += 1
        writing.commit()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM needs_dirty")).scalar_one() == 0


def test_each_worker_pass_brings_the_facts_in_step(varied, app, engine):
    with engine.connect() as connection:
        assert (
            connection.execute(text("SELECT count(*) FROM needs_dirty")).scalar_one() > 0
        )  # the data's writes
    assert app.test_cli_runner().invoke(args=["worker", "--once"]).exit_code == 0
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM needs_dirty")).scalar_one() == 0
        assert connection.execute(text("SELECT count(*) FROM needs_fact")).scalar_one() > 0
