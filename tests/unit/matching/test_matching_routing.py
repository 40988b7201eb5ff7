import json
from dataclasses import replace

import pytest

from matching import Directory, MatchingConfigError, NoSafetyNetError, match
from tests.unit.matching.builders import (
    GROUP,
    HUB,
    INFRASTRUCTURE,
    SAFETY_NET,
    VCS,
    area,
    directory,
    exclusion_reasons,
    org_ids,
    organisation,
    request,
    standard_organisations,
    volunteer,
    volunteer_ids,
    volunteer_summary,
    with_orgs,
)


@pytest.mark.parametrize(
    ("model", "tier", "needs", "first_org", "volunteers_offered"),
    [
        ("infrastructure_broker", "vcs", ["food"], INFRASTRUCTURE, [11]),
        ("infrastructure_broker", "mutual_aid", ["shopping"], INFRASTRUCTURE, [11]),
        ("hub_network", "vcs", ["food"], HUB, [12]),
        ("hub_network", "mutual_aid", ["shopping"], HUB, [12]),
        ("multi_agency_cell", "vcs", ["food"], VCS, [13]),
        ("multi_agency_cell", "mutual_aid", ["shopping"], GROUP, [10, 14]),
    ],
)
def test_each_coordination_model_routes_to_its_receivers(model, tier, needs, first_org, volunteers_offered):
    skills = ("shopping", "food")
    people = [
        volunteer(10, org_id=GROUP, skills=skills),
        volunteer(11, org_id=INFRASTRUCTURE, skills=skills),
        volunteer(12, org_id=HUB, skills=skills),
        volunteer(13, org_id=VCS, skills=skills),
        volunteer(14, org_id=None, skills=skills),
    ]
    result = match(request(tier=tier, needs=needs), directory(volunteers=people, model=model))

    assert org_ids(result) == [first_org]
    assert sorted(volunteer_ids(result)) == volunteers_offered
    assert result.coordination_model == model
    assert not result.gap
    assert result.owner_of_last_resort == SAFETY_NET
    not_routed = {
        org_id
        for org_id, reason in exclusion_reasons(result, "organisation").items()
        if reason == "not_routed"
    }
    assert first_org not in not_routed
    assert SAFETY_NET not in not_routed


def test_multi_agency_cell_offers_mutual_aid_volunteers_before_their_group():
    result = match(request(), directory(volunteers=[volunteer(10)]))

    assert [(c.kind, c.org_id, c.volunteer_id) for c in result.candidates] == [
        ("volunteer", GROUP, 10),
        ("organisation", GROUP, None),
    ]


def test_broker_model_offers_the_broker_before_its_volunteers():
    people = [volunteer(11, org_id=INFRASTRUCTURE)]
    result = match(request(), directory(volunteers=people, model="infrastructure_broker"))

    assert [(c.kind, c.org_id) for c in result.candidates] == [
        ("organisation", INFRASTRUCTURE),
        ("volunteer", INFRASTRUCTURE),
    ]
    assert "assigns mutual_aid referrals onward" in result.candidates[0].reasons[0]


def test_hub_network_picks_the_hub_covering_the_resident_then_the_other_hubs_of_the_network():
    """One hub's decline tries the next hub of the network before the council: the hubs covering the
    resident come first, then the area's other hubs (by score), whose volunteers are not searched."""
    orgs = with_orgs(
        organisation(30, "hub", coverage_outcodes=["SM2"]), organisation(31, "hub", coverage_outcodes=["SM1"])
    )
    people = [volunteer(10, org_id=30)]
    result = match(request(), directory(orgs, volunteers=people, model="hub_network"))

    assert org_ids(result) == [HUB, 31, 30]
    network_hub = next(c for c in result.candidates if c.org_id == 30)
    assert network_hub.reasons[0].startswith("another hub of the London Borough of Sutton network")
    assert 30 not in exclusion_reasons(result, "organisation")
    assert volunteer_ids(result) == []


def test_where_no_hub_covers_the_resident_the_network_is_not_asked_and_it_is_a_gap():
    orgs = [o for o in with_orgs(organisation(30, "hub", coverage_outcodes=["SM2"])) if o.id != HUB]
    result = match(request(), directory(orgs, model="hub_network"))

    assert 30 not in org_ids(result)
    assert result.gap


def test_a_hub_of_the_network_that_cannot_take_it_is_not_offered_it():
    orgs = with_orgs(organisation(30, "hub", coverage_outcodes=["SM2"], active=False))
    result = match(request(), directory(orgs, model="hub_network"))

    assert 30 not in org_ids(result)


def test_statutory_tier_goes_only_to_the_safety_net_team():
    people = [volunteer(10)]
    result = match(
        request(tier="statutory", needs=["shopping"], known_volunteer_ids=[10], known_org_ids=[GROUP]),
        directory(volunteers=people),
    )

    assert [(c.kind, c.org_id, c.action, c.data_sharing) for c in result.candidates] == [
        ("organisation", SAFETY_NET, "offer", "full")
    ]
    assert not result.gap
    assert {e.reason for e in result.excluded} == {"statutory_tier"}


def test_without_consent_nothing_is_offered_to_vcs_or_mutual_aid():
    people = [volunteer(10), volunteer(11, org_id=None)]
    result = match(request(consent_to_share=False, known_volunteer_ids=[10]), directory(volunteers=people))

    assert all(c.action == "signpost" and c.data_sharing == "none" for c in result.candidates)
    assert org_ids(result) == [GROUP]
    assert volunteer_ids(result) == []
    assert exclusion_reasons(result, "volunteer") == {10: "no_consent"}
    assert volunteer_summary(result) == {"no_consent": (0, ())}


@pytest.mark.parametrize("model", ["infrastructure_broker", "hub_network"])
def test_without_consent_the_coordinator_is_bypassed_for_signposting(model):
    result = match(request(tier="vcs", needs=["food"], consent_to_share=False), directory(model=model))

    assert [(c.org_id, c.action) for c in result.candidates] == [(VCS, "signpost")]


def test_without_consent_and_nowhere_to_signpost_the_council_handles_it():
    result = match(
        request(needs=["dog_walking"], consent_to_share=False),
        directory(with_orgs(replace(organisation(GROUP, "mutual_aid"), services=["shopping"]))),
    )

    assert result.gap
    assert [(c.org_id, c.action, c.data_sharing) for c in result.candidates] == [
        (SAFETY_NET, "offer", "full")
    ]


def test_gap_goes_to_the_safety_net_with_unmet_needs():
    people = [volunteer(10, skills=("shopping",))]
    result = match(request(needs=["personal_care"]), directory(volunteers=people))

    assert result.gap
    assert result.unmet_needs == ("personal_care",)
    assert [(c.org_id, c.action) for c in result.candidates] == [(SAFETY_NET, "offer")]
    assert result.candidates[0].reasons[0].startswith("gap:")
    assert exclusion_reasons(result, "organisation")[GROUP] == "service_mismatch"


def test_gap_names_only_the_needs_nobody_can_meet():
    people = [volunteer(10, skills=("shopping",))]
    result = match(request(needs=["shopping", "personal_care"]), directory(volunteers=people))

    assert result.gap
    assert result.unmet_needs == ("personal_care",)


def test_gap_with_needs_met_only_separately_lists_them_all_and_suggests_splitting():
    orgs = with_orgs(
        organisation(GROUP, "mutual_aid", services=["shopping"]),
        organisation(40, "mutual_aid", services=["dog_walking"]),
    )
    result = match(request(needs=["shopping", "dog_walking"]), directory(orgs))

    assert result.gap
    assert result.unmet_needs == ("shopping", "dog_walking")
    assert any("splitting" in reason for reason in result.candidates[0].reasons)


@pytest.mark.parametrize(
    "areas",
    [
        [area(safety_net_org_id=None)],
        [area(safety_net_org_id=99)],
        [area(safety_net_org_id=VCS)],
    ],
)
def test_an_area_without_a_safety_net_team_is_a_clear_error(areas):
    directory_ = Directory(standard_organisations(), [], areas)

    with pytest.raises(NoSafetyNetError, match="sutton"):
        match(request(), directory_)


def test_an_unknown_area_is_a_clear_error():
    with pytest.raises(MatchingConfigError, match="not configured"):
        match(request(area="croydon"), directory())


def test_a_broker_area_without_its_infrastructure_organisation_is_a_clear_error():
    directory_ = Directory(
        standard_organisations(), [], [area("infrastructure_broker", infrastructure_org_id=None)]
    )

    with pytest.raises(MatchingConfigError, match="infrastructure"):
        match(request(), directory_)


def test_result_serialises_to_json():
    result = match(request(referral_id=42), directory(volunteers=[volunteer(10)]))

    payload = json.loads(json.dumps(result.to_dict()))
    assert payload["referral_id"] == 42
    assert payload["candidates"][0]["volunteer_id"] == 10
    assert payload["owner_of_last_resort"] == SAFETY_NET


@pytest.mark.parametrize(
    ("model", "expected"),
    [("hub_network", [HUB]), ("infrastructure_broker", [INFRASTRUCTURE]), ("multi_agency_cell", [HUB, VCS])],
)
def test_no_recognised_need_goes_to_an_organisation_never_to_a_volunteer(model, expected):
    people = [volunteer(10, org_id=VCS), volunteer(11, org_id=HUB), volunteer(12, org_id=INFRASTRUCTURE)]
    result = match(request(tier="vcs", needs=[]), directory(volunteers=people, model=model))

    assert org_ids(result) == expected
    assert volunteer_ids(result) == []
    assert volunteer_summary(result) == {"no_needs": (0, ())}


def test_no_recognised_need_and_no_organisation_is_a_gap():
    orgs = [organisation(SAFETY_NET, "safety_net")]
    result = match(request(tier="vcs", needs=[]), Directory(orgs, [], [area()]))

    assert result.gap
    assert result.unmet_needs == ()
    assert [c.org_id for c in result.candidates] == [SAFETY_NET]
