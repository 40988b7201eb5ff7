"""A worker's matching index follows directory changes by patching what the change log names, rebuilds only
when the log cannot say, and checks a volunteer's workload in the database before offering them a task."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from db import make_session_factory
from db.base import utcnow
from directory.areas import load_areas
from directory.models import Organisation, Volunteer
from directory.version import DirectoryChange, prune_changes
from referrals import routing
from referrals.intake import CallLog, ResidentDetails, log_call
from referrals.models import AuditEvent, Offer
from referrals.routing import _recount
from referrals.snapshot import DirectorySnapshot
from tests.builders import organisation, small_directory, volunteer
from tests.integration.intake_helpers import HELPLINE, intake_context

HOUR = 3600.0
HANG = 60  # seconds: a call still waiting after this is stuck (a bound on a hang, not a timing measurement)


@pytest.fixture
def directory(session_factory) -> dict[str, int]:
    return small_directory(session_factory)


@pytest.fixture
def snapshot(engine) -> DirectorySnapshot:
    return DirectorySnapshot(make_session_factory(engine, readonly=True), load_areas())


def _update(session_factory, model, row_id: int, **values) -> None:
    with session_factory() as session:
        row = session.get(model, row_id)
        for name, value in values.items():
            setattr(row, name, value)
        session.commit()


def test_a_new_volunteer_is_patched_in_without_a_rebuild(session_factory, directory, snapshot):
    snapshot.current()
    added = volunteer(session_factory, org_id=directory["mutual_aid"], phone="+447700900502")

    matching_directory = snapshot.current()

    assert matching_directory.volunteer(added) is not None
    assert (snapshot.rebuilds, snapshot.patches) == (1, 1)


def test_a_deactivated_volunteer_is_removed_and_a_changed_one_keeps_its_workload(
    session_factory, directory, snapshot
):
    other = volunteer(session_factory, org_id=directory["mutual_aid"], phone="+447700900502")
    snapshot.current()
    snapshot.note_load(other, (2, 4))
    _update(session_factory, Volunteer, directory["volunteer"], active=False)
    _update(session_factory, Volunteer, other, travel_radius_km=9.0)

    matching_directory = snapshot.current()

    assert matching_directory.volunteer(directory["volunteer"]) is None
    changed = matching_directory.volunteer(other)
    assert (changed.travel_radius_km, changed.active_tasks, changed.tasks_this_week) == (9.0, 2, 4)
    assert (snapshot.rebuilds, snapshot.patches) == (1, 1)


def test_organisation_changes_update_coverage_and_the_area_s_safety_net(session_factory, directory, snapshot):
    snapshot.current()
    second = organisation(
        session_factory, name="Sutton second safety net", kind="safety_net", services=[], capacity=1000
    )
    _update(session_factory, Organisation, directory["sutton_safety_net"], active=False)
    _update(session_factory, Organisation, directory["food_bank"], coverage_outcodes=["SM2"])

    matching_directory = snapshot.current()

    assert matching_directory.organisation(directory["sutton_safety_net"]) is None
    assert matching_directory.area("sutton").safety_net_org_id == second
    assert matching_directory.safety_net("sutton").id == second
    covering = matching_directory.covering_organisations(51.36, -0.19, "SM1", "sutton")
    assert directory["food_bank"] not in {org.id for org in covering}
    assert directory["hub"] in {org.id for org in covering}
    assert snapshot.rebuilds == 1


def test_a_worker_behind_the_pruned_log_rebuilds(session_factory, directory, snapshot):
    snapshot.current()
    first = volunteer(session_factory, org_id=directory["mutual_aid"], phone="+447700900502")
    with session_factory() as session:
        assert prune_changes(session, utcnow() + timedelta(seconds=1)) >= 1
        session.commit()
    second = volunteer(session_factory, org_id=directory["mutual_aid"], phone="+447700900503")

    matching_directory = snapshot.current()

    assert snapshot.rebuilds == 2
    assert matching_directory.volunteer(first) is not None
    assert matching_directory.volunteer(second) is not None


def test_pruning_keeps_recent_changes(session_factory, session, directory):
    with session_factory() as writer:
        assert prune_changes(writer, utcnow() - timedelta(hours=1)) == 0
        writer.commit()
    session.rollback()
    assert session.scalar(select(DirectoryChange.id).limit(1)) is not None


def _shopping_call(n: int) -> CallLog:
    """In Coventry, whose multi-agency cell offers mutual-aid tasks to volunteers directly."""
    return CallLog(
        channel="phone",
        resident=ResidentDetails(name=f"Resident {n}", postcode="CV1 1AH", address=f"{n} Test Street"),
        notes="needs shopping picked up",
        consent_to_share=True,
        new_person=True,  # "Resident N" are different people with look-alike names
    )


@pytest.fixture
def coventry_volunteer(session_factory, directory) -> int:
    """A volunteer in no group near CV1 1AH who takes one task at a time."""
    return volunteer(
        session_factory,
        org_id=None,
        postcode="CV1 1AH",
        lat=52.41028,
        lon=-1.509401,
        phone="+447700900502",
        max_active_tasks=1,
    )


def test_a_volunteer_at_their_cap_is_counted_again_before_another_worker_offers_them_work(
    session_factory, session, coventry_volunteer
):
    """Two workers whose workload counts are an hour apart: the second still thinks the volunteer is free,
    checks the database before offering, and passes them over with the reason in the audit trail."""
    first, second = intake_context(session_factory, HOUR), intake_context(session_factory, HOUR)
    for context in (first, second):
        context.routing.snapshot.current()

    with session_factory() as writer:
        offered = log_call(writer, _shopping_call(1), HELPLINE, first).referral
        assert offered.candidates[0]["volunteer_id"] == coventry_volunteer
        again = log_call(writer, _shopping_call(2), HELPLINE, second).referral

    assert all(c["volunteer_id"] != coventry_volunteer for c in again.candidates)
    assert second.routing.snapshot.current().volunteer(coventry_volunteer).active_tasks == 1
    with session_factory() as writer:  # a worker that knew the counts all along decides the same
        fresh = log_call(writer, _shopping_call(3), HELPLINE, intake_context(session_factory, HOUR)).referral
    decided = (again.gap, again.cascade_tier, again.unmet_needs)
    assert decided == (fresh.gap, fresh.cascade_tier, fresh.unmet_needs)
    assert [c["org_id"] for c in again.candidates] == [c["org_id"] for c in fresh.candidates]
    session.rollback()
    matched = session.scalar(
        select(AuditEvent).where(AuditEvent.referral_id == again.id, AuditEvent.kind == "referral.matched")
    )
    passed_over = [e for e in matched.payload["excluded"] if e["volunteer_id"] == coventry_volunteer]
    assert passed_over[0]["reason"] == "active_task_cap"
    assert "counted again before the offer" in passed_over[0]["detail"]


def test_after_the_last_recount_the_cascade_still_passes_over_a_volunteer_at_their_cap(
    session_factory, session, coventry_volunteer, monkeypatch
):
    """A routing that has already passed over MAX_RECOUNTS volunteers (here none are allowed) does not match
    again, but no volunteer is offered work on stale counts either: the cascade checks each one itself."""
    monkeypatch.setattr(routing, "MAX_RECOUNTS", 0)
    first, second = intake_context(session_factory, HOUR), intake_context(session_factory, HOUR)
    for context in (first, second):
        context.routing.snapshot.current()

    with session_factory() as writer:
        log_call(writer, _shopping_call(1), HELPLINE, first)
        again = log_call(writer, _shopping_call(2), HELPLINE, second)

    assert again.referral.candidates[0]["volunteer_id"] == coventry_volunteer, "the stale index ranks them"
    assert again.current_offer is None or again.current_offer.volunteer_id != coventry_volunteer
    session.rollback()
    passed = session.scalars(
        select(AuditEvent).where(
            AuditEvent.referral_id == again.referral.id, AuditEvent.kind == "referral.passed_over"
        )
    ).all()
    assert [(e.payload["volunteer_id"], e.reason) for e in passed] == [
        (coventry_volunteer, "volunteer is at their cap on active tasks (counted before the offer)")
    ]


def test_the_worker_that_made_an_offer_counts_it_at_once(session_factory, coventry_volunteer):
    context = intake_context(session_factory, HOUR)
    snapshot = context.routing.snapshot

    with session_factory() as writer:
        log_call(writer, _shopping_call(1), HELPLINE, context)

    assert snapshot.current().volunteer(coventry_volunteer).active_tasks == 1


def test_rows_the_caller_s_session_holds_do_not_stand_in_for_the_database(
    session_factory, engine, directory, snapshot
):
    snapshot.current()
    with session_factory() as caller:
        held = caller.get(Organisation, directory["food_bank"])
        caller.commit()  # the row stays loaded, and unexpired, in the caller's session
        _update(session_factory, Organisation, directory["food_bank"], active=False)
        assert held.active

        matching_directory = snapshot.current(session=caller)

    assert matching_directory.organisation(directory["food_bank"]) is None


def _offered_to(session_factory, call: CallLog, context) -> int | None:
    """Log a call in a session of its own, as one worker would: the volunteer it was offered to, if any."""
    with session_factory() as writer:
        offer = log_call(writer, call, HELPLINE, context).current_offer
        return offer and offer.volunteer_id


def _offer_at_once(session_factory, calls: list[CallLog]) -> list[int | None]:
    """Two workers (indexes warmed, counts an hour apart) log a call each at the same moment; who each call
    was offered to."""
    contexts = [intake_context(session_factory, HOUR) for _ in calls]
    for context in contexts:
        context.routing.snapshot.current()
    barrier = threading.Barrier(len(calls))

    def call(worker: int) -> int | None:
        barrier.wait(timeout=30)
        return _offered_to(session_factory, calls[worker], contexts[worker])

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(call, range(len(calls))))


def test_two_workers_offering_at_the_same_moment_never_take_a_volunteer_past_their_cap(
    session_factory, engine, coventry_volunteer
):
    """Two workers whose counts say the volunteer (one task at a time) is free log a call each at the same
    moment: the volunteer is offered at most one of them, round after round. On PostgreSQL the routing
    locks the volunteer's row before counting; on SQLite transactions are serial."""
    rounds = 25 if engine.dialect.name == "postgresql" else 5
    oversubscribed = []
    for n in range(rounds):
        offered_to = _offer_at_once(session_factory, [_shopping_call(2 * n), _shopping_call(2 * n + 1)])
        if offered_to.count(coventry_volunteer) > 1:
            oversubscribed.append(n)
        with session_factory() as writer:  # free the volunteer again for the next round
            writer.execute(
                update(Offer).where(Offer.volunteer_id == coventry_volunteer).values(status="withdrawn")
            )
            writer.commit()
    assert oversubscribed == []


def _locked_elsewhere(session_factory, volunteer_id: int) -> bool:
    with session_factory() as other:
        try:
            other.execute(
                select(Volunteer.id).where(Volunteer.id == volunteer_id).with_for_update(nowait=True)
            )
        except OperationalError:
            return True
        return False


def test_the_volunteer_about_to_be_offered_stays_locked_and_one_passed_over_does_not(
    session_factory, engine, coventry_volunteer
):
    """The recount's row lock is kept for the volunteer the offer goes to, until the transaction ends, and
    let go at once for one found at their cap (so a routing never holds a volunteer it does not offer)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite transactions hold the whole database)")
    stale = intake_context(session_factory, HOUR)
    volunteer_now = stale.routing.snapshot.current().volunteer(coventry_volunteer)
    now = utcnow()
    with session_factory() as routing_session:
        assert _recount(routing_session, volunteer_now, stale.routing, now) is None
        assert _locked_elsewhere(session_factory, coventry_volunteer)
    assert not _locked_elsewhere(session_factory, coventry_volunteer)

    with session_factory() as writer:  # another worker offers them a task: now at their cap of one
        log_call(writer, _shopping_call(1), HELPLINE, intake_context(session_factory, HOUR))
    with session_factory() as routing_session:
        passed_over = _recount(routing_session, volunteer_now, stale.routing, now)
        assert passed_over["reason"] == "active_task_cap"
        assert not _locked_elsewhere(session_factory, coventry_volunteer)


def test_a_volunteer_held_by_a_long_transaction_is_counted_without_the_lock_after_a_bounded_wait(
    session_factory, engine, coventry_volunteer, caplog
):
    """A directory import holding the volunteer's row must not stall intake: after CLAIM_LOCK_TIMEOUT_MS the
    routing counts them without the lock (as before the lock existed) and the offer goes out."""
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite transactions hold the whole database)")
    context = intake_context(session_factory, HOUR)
    context.routing.snapshot.current()
    pool = ThreadPoolExecutor(1)  # a second connection, while the importer's transaction stays open
    with session_factory() as importer:
        importer.execute(update(Volunteer).where(Volunteer.id == coventry_volunteer).values(name="Renamed"))
        routed = pool.submit(_offered_to, session_factory, _shopping_call(1), context)
        try:
            offered = routed.result(timeout=HANG)
        finally:
            importer.rollback()  # a routing still waiting (the failure this test is for) can then finish
            pool.shutdown()
    assert offered == coventry_volunteer
    assert "counted without a lock" in caplog.text
