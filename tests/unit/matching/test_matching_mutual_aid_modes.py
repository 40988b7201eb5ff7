import pytest

from matching import match
from tests.unit.matching.builders import (
    GROUP,
    directory,
    organisation,
    request,
    volunteer,
    volunteer_summary,
    with_orgs,
)


@pytest.mark.parametrize(
    ("mode", "group_action", "group_sharing", "volunteer_sharing"),
    [
        ("integrated", "offer", "full", "full"),
        ("supported", "offer", "minimal_until_accept", "minimal_until_accept"),
        ("arms_length", "signpost", "none", None),
    ],
)
def test_mutual_aid_mode_sets_action_and_data_sharing(mode, group_action, group_sharing, volunteer_sharing):
    orgs = with_orgs(organisation(GROUP, "mutual_aid", mutual_aid_mode=mode))
    result = match(request(), directory(orgs, volunteers=[volunteer(10, org_id=GROUP)]))

    group = next(c for c in result.candidates if c.kind == "organisation")
    assert (group.org_id, group.action, group.data_sharing) == (GROUP, group_action, group_sharing)
    offered = [c for c in result.candidates if c.kind == "volunteer"]
    assert [c.data_sharing for c in offered] == ([volunteer_sharing] if volunteer_sharing else [])


def test_arms_length_group_is_signposted_with_its_public_contact_and_its_volunteers_are_never_offered():
    orgs = with_orgs(
        organisation(GROUP, "mutual_aid", mutual_aid_mode="arms_length", public_contact="07700 900123")
    )
    result = match(
        request(known_volunteer_ids=[10]), directory(orgs, volunteers=[volunteer(10), volunteer(11)])
    )

    assert [(c.kind, c.action) for c in result.candidates] == [("organisation", "signpost")]
    assert any("07700 900123" in reason for reason in result.candidates[0].reasons)
    assert volunteer_summary(result)["group_arms_length"] == (1, (11,))
    assert any(e.volunteer_id == 10 and e.reason == "group_arms_length" for e in result.excluded)


def test_integrated_group_reason_says_it_may_refer_back():
    result = match(request(), directory())

    group = next(c for c in result.candidates if c.org_id == GROUP)
    assert any("refer residents back" in reason for reason in group.reasons)


def test_independent_volunteers_get_minimal_details_until_they_accept():
    result = match(request(), directory(volunteers=[volunteer(10, org_id=None)]))

    assert [
        (c.volunteer_id, c.org_id, c.data_sharing) for c in result.candidates if c.kind == "volunteer"
    ] == [(10, None, "minimal_until_accept")]
