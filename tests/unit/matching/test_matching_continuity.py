from datetime import date

from matching import match
from tests.unit.matching.builders import (
    GROUP,
    HUB,
    INFRASTRUCTURE,
    RESIDENT,
    VCS,
    directory,
    organisation,
    request,
    volunteer,
    volunteer_ids,
    with_orgs,
)


def nearer_and_known():
    """Volunteer 10 is nearest; 20 is further away but helped this resident before."""
    return [volunteer(10, lat=RESIDENT[0] + 0.001), volunteer(20, lat=RESIDENT[0] + 0.02)]


def test_a_volunteer_who_helped_before_is_offered_first_when_they_qualify():
    result = match(request(known_volunteer_ids=[20]), directory(volunteers=nearer_and_known()))

    assert volunteer_ids(result) == [20, 10]
    assert result.candidates[0].reasons[0] == "continuity: has helped this resident before"


def test_without_continuity_the_nearer_volunteer_ranks_first():
    result = match(request(), directory(volunteers=nearer_and_known()))

    assert volunteer_ids(result) == [10, 20]


def test_a_known_volunteer_who_no_longer_qualifies_is_skipped_with_the_reason():
    people = [volunteer(10), volunteer(20, dbs_expires_on=date(2025, 1, 1))]
    result = match(request(needs=["befriending"], known_volunteer_ids=[20]), directory(volunteers=people))

    assert volunteer_ids(result) == [10]
    skipped = [e for e in result.excluded if e.volunteer_id == 20]
    assert [(e.reason, e.detail.startswith("continuity:")) for e in skipped] == [("no_valid_dbs", True)]
    assert "DBS" in skipped[0].detail


def test_a_known_volunteer_who_moved_out_of_range_is_skipped():
    people = [volunteer(20, lat=RESIDENT[0] + 0.2)]
    result = match(request(known_volunteer_ids=[20, 21]), directory(volunteers=people))

    reasons = {e.volunteer_id: e.reason for e in result.excluded if e.kind == "volunteer"}
    assert reasons == {20: "outside_travel_radius", 21: "not_in_directory"}


def test_continuity_reaches_a_volunteer_from_a_group_the_model_would_not_route_to():
    people = [volunteer(20, org_id=GROUP)]
    result = match(request(known_volunteer_ids=[20]), directory(volunteers=people, model="hub_network"))

    assert [(c.kind, c.volunteer_id, c.org_id) for c in result.candidates] == [
        ("volunteer", 20, GROUP),
        ("organisation", None, HUB),
    ]


def test_a_known_coordinator_is_offered_first():
    lac = organisation(
        50, "vcs", services=["shopping"], coverage_outcodes=["SM1"], name="Local Area Coordinators"
    )
    result = match(request(known_org_ids=[50]), directory(with_orgs(lac), model="infrastructure_broker"))

    assert [c.org_id for c in result.candidates] == [50, INFRASTRUCTURE]
    assert result.candidates[0].reasons[0] == "continuity: already knows this resident"


def test_a_known_organisation_that_no_longer_qualifies_is_skipped_with_the_reason():
    full = organisation(VCS, "vcs", capacity=3, open_accepted=3)
    result = match(
        request(tier="vcs", needs=["food"], known_org_ids=[VCS, GROUP]), directory(with_orgs(full))
    )

    assert result.gap
    reasons = {e.org_id: (e.reason, e.detail) for e in result.excluded if e.kind == "organisation"}
    assert reasons[VCS][0] == "no_capacity"
    assert reasons[VCS][1].startswith("continuity:")
    assert reasons[GROUP][0] == "kind_not_for_tier"


def test_a_known_group_still_opens_its_volunteers():
    result = match(request(known_org_ids=[GROUP]), directory(volunteers=[volunteer(10)]))

    assert [(c.kind, c.org_id, c.volunteer_id) for c in result.candidates] == [
        ("organisation", GROUP, None),
        ("volunteer", GROUP, 10),
    ]
