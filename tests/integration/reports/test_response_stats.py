"""Response statistics per organisation over the known history, and the ranking signal they feed."""

from datetime import timedelta

from db import make_session_factory
from referrals.actions import expire_due_offers
from referrals.policy import load_lifecycle_policy
from referrals.snapshot import DirectorySnapshot
from reports.response import ResponseStats, response_stats
from tests.integration.reports.history import SHOPPING, History, build_known_history

# The hub's own offers: referrals 1, 2, 4 and 8 accepted after 2, 4, 1 and 1 hours; 3 declined; 7 pending.
HUB = ResponseStats(
    offers=6,
    accepted=4,
    declined=1,
    expired=0,
    withdrawn=0,
    pending=1,
    accepts_within_hours=1.5,
    acceptance_rate=0.8,
)


def test_each_organisation_s_offers_are_summarised(session, history, directory, now):
    stats = response_stats(session, now)

    assert stats[directory["hub"]] == HUB
    assert stats[directory["coventry_safety_net"]] == ResponseStats(1, 1, 0, 0, 0, 0, 2.0, 1.0)
    assert stats[directory["sutton_safety_net"]] == ResponseStats(1, 0, 0, 0, 0, 1, None, None)
    assert directory["food_bank"] not in stats


def test_only_offers_inside_the_window_count(session, history, directory, now):
    stats = response_stats(session, now, window=timedelta(days=15))

    hub = stats[directory["hub"]]
    assert (hub.offers, hub.accepted, hub.accepts_within_hours, hub.acceptance_rate) == (5, 3, 2.0, 0.75)


def test_expired_offers_lower_the_acceptance_rate(session_factory, session, history, directory, now):
    with session_factory() as writer:
        assert expire_due_offers(writer, load_lifecycle_policy(), now=now) >= 1

    hub = response_stats(session, now, org_ids=[directory["hub"]])[directory["hub"]]

    assert (hub.expired, hub.pending, hub.acceptance_rate) == (1, 0, 0.667)


def test_the_snapshot_feeds_the_median_to_matching(session_factory, engine, areas, history, directory, now):
    snapshot = DirectorySnapshot(make_session_factory(engine, readonly=True), areas)

    matching_directory = snapshot.current(now)

    assert matching_directory.organisation(directory["hub"]).accepts_within_hours == 1.5
    assert matching_directory.organisation(directory["coventry_safety_net"]).accepts_within_hours == 2.0
    assert matching_directory.organisation(directory["food_bank"]).accepts_within_hours is None


def test_the_ranking_explains_the_response_time(session_factory, history, directory, now):
    referral = History(session_factory, directory).log(now, SHOPPING)

    hub = next(c for c in referral.candidates if c["org_id"] == directory["hub"])
    assert any("usually accepts within 1.5 h" in reason for reason in hub["reasons"])


def test_response_times_are_read_again_on_their_own_timer(session_factory, engine, areas, directory, now):
    """They move with every answered offer, not with the directory, so no directory version announces them."""
    snapshot = DirectorySnapshot(make_session_factory(engine, readonly=True), areas, speeds_refresh_s=3600)
    assert snapshot.current(now).organisation(directory["hub"]).accepts_within_hours is None
    build_known_history(session_factory, directory, now)

    assert snapshot.current(now).organisation(directory["hub"]).accepts_within_hours is None
    later = now + timedelta(hours=1)
    assert snapshot.current(later).organisation(directory["hub"]).accepts_within_hours == 1.5
