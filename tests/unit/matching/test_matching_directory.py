from dataclasses import replace

import pytest

from matching import (
    match,
    record_assignment,
    record_completion,
    record_org_acceptance,
    start_new_week,
)
from tests.unit.matching.builders import (
    GROUP,
    directory,
    org_ids,
    organisation,
    request,
    volunteer,
    volunteer_ids,
)


def test_workload_updates_apply_to_later_matches():
    directory_ = directory(volunteers=[volunteer(10, max_active_tasks=1, max_tasks_per_week=2)])

    record_assignment(directory_, 10)
    assert volunteer_ids(match(request(), directory_)) == []

    record_completion(directory_, 10)
    assert volunteer_ids(match(request(), directory_)) == [10]

    record_assignment(directory_, 10)
    record_completion(directory_, 10)
    assert volunteer_ids(match(request(), directory_)) == []
    assert directory_.volunteer(10).tasks_this_week == 2

    start_new_week(directory_)
    assert volunteer_ids(match(request(), directory_)) == [10]


def test_workload_read_elsewhere_replaces_the_directory_s_counts():
    directory_ = directory(volunteers=[volunteer(10, max_active_tasks=2, max_tasks_per_week=5)])
    record_assignment(directory_, 10)

    directory_.set_volunteer_workload(10, active=2, this_week=3)
    assert volunteer_ids(match(request(), directory_)) == []
    assert (directory_.volunteer(10).active_tasks, directory_.volunteer(10).tasks_this_week) == (2, 3)

    directory_.set_volunteer_workload(10, active=0, this_week=0)
    assert volunteer_ids(match(request(), directory_)) == [10]


def test_organisation_acceptances_use_up_capacity():
    directory_ = directory([*directory().organisations()])
    directory_.upsert_organisation(organisation(GROUP, "mutual_aid", capacity=1))

    record_org_acceptance(directory_, GROUP)
    assert GROUP not in org_ids(match(request(), directory_))

    record_org_acceptance(directory_, GROUP, change=-1)
    assert GROUP in org_ids(match(request(), directory_))


def test_deactivating_and_updating_volunteers_changes_the_next_match():
    directory_ = directory(volunteers=[volunteer(10), volunteer(11)])

    directory_.upsert_volunteer(replace(volunteer(10), active=False))
    assert volunteer_ids(match(request(), directory_)) == [11]

    directory_.upsert_volunteer(replace(volunteer(11), skills=("dog_walking",)))
    assert volunteer_ids(match(request(), directory_)) == []

    directory_.remove_volunteer(11)
    directory_.upsert_volunteer(volunteer(10))
    assert volunteer_ids(match(request(), directory_)) == [10]


def test_updating_an_organisation_moves_its_coverage():
    directory_ = directory()
    directory_.upsert_organisation(organisation(GROUP, "mutual_aid", coverage_outcodes=["SM2"]))
    assert match(request(), directory_).gap

    directory_.upsert_organisation(organisation(GROUP, "mutual_aid", coverage_outcodes=["SM2", "SM1"]))
    assert org_ids(match(request(), directory_)) == [GROUP]

    assert directory_.remove_organisation(GROUP)
    assert directory_.organisation(GROUP) is None


def test_duplicate_ids_are_rejected():
    with pytest.raises(ValueError, match="duplicate volunteer id 10"):
        directory(volunteers=[volunteer(10), volunteer(10)])
    with pytest.raises(ValueError, match="duplicate organisation id"):
        directory([organisation(1, "safety_net"), organisation(1, "safety_net")])


@pytest.mark.parametrize("availability", [{"monday": ["morning"]}, {"mon": ["night"]}])
def test_unknown_availability_is_rejected(availability):
    with pytest.raises(ValueError, match="unknown availability"):
        directory(volunteers=[volunteer(10, availability=availability)])


def test_naive_request_time_is_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        request(now=request().now.replace(tzinfo=None))
