"""Who reviews a request from outside, and what a referring mutual-aid group is told of it (issue 24): the
access rule's answers, which the review pages and the group's status link ask."""

from types import SimpleNamespace

import pytest

from accounts.tokens import Principal
from referrals import access
from referrals.requests import new_reference

GROUP = 7


def referral(status="triaged", channel="mutual_aid_referral", created_by_org_id=GROUP, area="sutton"):
    return SimpleNamespace(
        status=status,
        channel=channel,
        created_by_org_id=created_by_org_id,
        area=area,
        owner_org_id=1,
        created_by_token_id=None,
    )


def who(role, org_id=None, area=None):
    return Principal(token_id=None, name=role, role=role, org_id=org_id, area=area)


@pytest.mark.parametrize(
    ("principal", "allowed"),
    [
        (who("helpline_staff"), True),
        (who("safety_net_officer", 1, "sutton"), True),
        (who("safety_net_officer", 2, "coventry"), False),
        (who("hub_coordinator", 1), False),
        (who("admin"), False),
        (who("partner_referrer"), False),
        (who("resident"), False),
        (who("mutual_aid_lead", GROUP), False),
    ],
)
def test_who_may_review(principal, allowed):
    assert access.may_review(principal, referral()) is allowed


@pytest.mark.parametrize(
    ("status", "reviewed", "outcome"),
    [
        ("triaged", False, "waiting"),
        ("escalated", False, "with_council"),
        ("offered", True, "being_arranged"),
        ("accepted", True, "being_arranged"),
        ("completed", True, "helped"),
        ("cancelled", True, "closed"),
        ("closed", True, "closed"),
    ],
)
def test_what_the_referring_group_is_told(status, reviewed, outcome):
    told = access.referring_group_outcome(GROUP, referral(status), reviewed)
    assert told == access.GROUP_OUTCOMES[outcome]


def test_any_other_group_or_a_referral_it_did_not_make_is_told_nothing():
    assert access.referring_group_outcome(GROUP + 1, referral(), False) is None
    assert access.referring_group_outcome(None, referral(), False) is None
    assert access.referring_group_outcome(GROUP, referral(channel="phone"), False) is None


def test_the_outcomes_never_name_anyone():
    for words in access.GROUP_OUTCOMES.values():
        assert "{" not in words


def test_references_are_random_and_unambiguous():
    made = {new_reference() for _ in range(2000)}
    assert len(made) == 2000
    for reference in made:
        assert len(reference) == 11
        assert reference[5] == "-"
        assert not set(reference) & set("01ILOU")
