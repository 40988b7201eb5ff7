from datetime import timedelta

import pytest

from referrals.lifecycle import (
    PLAN_COMPLETED,
    IllegalTransition,
    InvalidAction,
    Occurrence,
    RecurrencePlan,
    State,
)

from .builders import SIX_WEEKLY_CALLS, T0, in_progress, triaged


def test_plan_due_dates_are_evenly_spaced():
    referral = triaged(plan=SIX_WEEKLY_CALLS)

    assert [occurrence.due_at for occurrence in referral.occurrences] == [
        T0 + timedelta(weeks=week) for week in range(6)
    ]
    assert all(occurrence.outcome_code is None for occurrence in referral.occurrences)
    assert referral.history[-1].data["plan"] == {"every_days": 7, "count": 6, "start": T0}


def test_the_same_volunteer_carries_the_plan():
    assert in_progress(SIX_WEEKLY_CALLS).volunteer_id == "vol-1"


def test_recording_every_occurrence_completes_the_referral_in_any_order():
    referral = in_progress(SIX_WEEKLY_CALLS)
    for index in (0, 2, 1, 5, 3):
        referral, events = referral.record_occurrence(index, "called", None)
        assert [event.kind for event in events] == ["occurrence_recorded"]
        assert referral.state is State.IN_PROGRESS

    referral, events = referral.record_occurrence(4, "no_answer", "tried twice")

    assert [event.kind for event in events] == ["occurrence_recorded", "completed"]
    assert referral.state is State.COMPLETED
    assert referral.outcome_code == PLAN_COMPLETED
    assert referral.occurrences[4] == Occurrence(4, T0 + timedelta(weeks=4), "no_answer", "tried twice")
    assert events[0].data == {
        "index": 4,
        "due_at": T0 + timedelta(weeks=4),
        "outcome_code": "no_answer",
        "note": "tried twice",
    }


def test_complete_is_refused_while_occurrences_are_outstanding():
    referral = in_progress(SIX_WEEKLY_CALLS).record_occurrence(0, "called").referral

    with pytest.raises(IllegalTransition, match="5 occurrence"):
        referral.complete("helped")


def test_closing_early_keeps_the_recorded_outcomes():
    referral = in_progress(SIX_WEEKLY_CALLS).record_occurrence(0, "called").referral

    closed, events = referral.close("moved_to_care_home", "family arranged care")

    assert closed.state is State.CLOSED
    assert closed.outcome_code == "moved_to_care_home"
    assert closed.occurrences[0].outcome_code == "called"
    assert closed.occurrences[1].outcome_code is None
    assert events[0].data == {"outcome_code": "moved_to_care_home", "note": "family arranged care"}


@pytest.mark.parametrize(
    ("index", "message"),
    [(-1, "outside the plan"), (6, "outside the plan"), (0, "already has an outcome")],
)
def test_bad_occurrence_index_is_refused(index, message):
    referral = in_progress(SIX_WEEKLY_CALLS).record_occurrence(0, "called").referral
    with pytest.raises(InvalidAction, match=message):
        referral.record_occurrence(index, "called")


def test_occurrences_need_a_plan():
    with pytest.raises(InvalidAction, match="no recurring plan"):
        in_progress().record_occurrence(0, "called")


def test_occurrences_need_an_outcome_code():
    with pytest.raises(InvalidAction, match="outcome_code"):
        in_progress(SIX_WEEKLY_CALLS).record_occurrence(0, "")


def test_single_occurrence_plan_completes_on_its_first_outcome():
    plan = RecurrencePlan(every_days=1, count=1, start=T0)

    referral, events = in_progress(plan).record_occurrence(0, "delivered")

    assert referral.state is State.COMPLETED
    assert [event.kind for event in events] == ["occurrence_recorded", "completed"]


@pytest.mark.parametrize(
    ("every_days", "count", "start", "message"),
    [
        (0, 6, T0, "every_days >= 1"),
        (7, 0, T0, "count >= 1"),
        (7, 6, T0.replace(tzinfo=None), "timezone-aware"),
    ],
)
def test_invalid_plans_are_refused(every_days, count, start, message):
    with pytest.raises(ValueError, match=message):
        RecurrencePlan(every_days=every_days, count=count, start=start)
