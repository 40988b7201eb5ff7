"""Lowering a tier over HTTP: who may lower which case (config/tier_changes.yaml), what a reason must say,
and the lowered tiers on the safety-net dashboard of the officer's own council area."""

import pytest

from tests.builders import call

EMERGENCY_HOMELESSNESS = (
    "He was evicted this morning and has nowhere to sleep tonight. Needs some shopping too."
)
THREATENED_HOMELESSNESS = "Facing eviction next month, needs shopping"
FOOD = "Needs food bank referral"
GOOD_REASON = "Spoke to her daughter: a food parcel came today, only shopping is needed now"


def post(client, headers, **overrides) -> dict:
    response = client.post("/api/v1/referrals", json=call(**overrides), headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def lower(client, headers, referral: dict, tier: str = "mutual_aid", reason: str = GOOD_REASON):
    return client.post(
        f"/api/v1/referrals/{referral['id']}/triage", json={"tier": tier, "reason": reason}, headers=headers
    )


def test_helpline_staff_cannot_lower_an_emergency_homelessness_case_with_the_reason_x(client, helpline):
    """The measured bug: a non-safeguarding emergency homelessness case lowered to mutual aid, reason 'x'."""
    referral = post(client, helpline, notes=EMERGENCY_HOMELESSNESS)
    assert (referral["tier"], referral["urgency"], referral["safeguarding"]) == (
        "statutory",
        "emergency",
        False,
    )

    response = lower(client, helpline, referral, reason="x")

    assert response.status_code == 403, response.get_json()
    again = client.get(f"/api/v1/referrals/{referral['id']}", headers=helpline).get_json()
    assert again["tier"] == "statutory"


def test_only_a_safety_net_officer_may_lower_a_case_with_a_statutory_need(client, helpline, headers_for):
    referral = post(client, helpline, notes=THREATENED_HOMELESSNESS)
    assert (referral["tier"], referral["urgency"], referral["safeguarding"]) == ("statutory", "urgent", False)

    refused = lower(client, helpline, referral, tier="vcs")
    assert refused.status_code == 403
    assert "statutory" in refused.get_json()["detail"]

    officer = headers_for("safety_net_officer")
    assert lower(client, officer, referral, tier="vcs", reason="x").status_code == 422
    allowed = lower(
        client, officer, referral, tier="vcs", reason="Housing options already have the case open"
    )
    assert allowed.status_code == 200, allowed.get_json()
    assert allowed.get_json()["tier"] == "vcs"


@pytest.mark.parametrize(
    "reason", ["", "x", "....", "asdf", "asdf asdf asdf", "no need", "aaaaaaaaaa bbbbbbbb"]
)
def test_a_reason_for_lowering_must_say_something(client, helpline, reason):
    referral = post(client, helpline, notes=FOOD)
    assert referral["tier"] == "vcs"
    response = lower(client, helpline, referral, reason=reason)
    assert response.status_code == 422, response.get_json()
    assert "reason" in response.get_json()["errors"]


def test_helpline_staff_may_lower_an_ordinary_case_with_a_reason(client, helpline):
    referral = post(client, helpline, notes=FOOD)
    response = lower(client, helpline, referral)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["tier"] == "mutual_aid"


def test_an_admin_may_raise_a_tier_but_not_lower_it(client, helpline, headers_for):
    """Admins keep the directory; lowering is for the helpline and the safety net (hub coordinators: the
    unit tests, as a coordinator can triage again only what its organisation holds)."""
    referral = post(client, helpline, notes=FOOD)
    admin = headers_for("admin")
    response = lower(client, admin, referral)
    assert response.status_code == 403, response.get_json()
    raised = lower(client, admin, referral, tier="statutory", reason="sounds frail")
    assert raised.status_code == 200, raised.get_json()


def test_lowered_tiers_show_on_the_dashboard_of_the_officers_area(client, helpline, headers_for, directory):
    referral = post(client, helpline, notes=FOOD)
    raised = post(client, helpline, notes="needs help with shopping", resident={"phone": "07700 900124"})
    assert lower(client, helpline, referral).status_code == 200
    assert lower(client, helpline, raised, tier="statutory", reason="sounds frail").status_code == 200

    sutton = headers_for("safety_net_officer", directory["sutton_safety_net"])
    board = client.get("/api/v1/safety-net", headers=sutton).get_json()
    assert [item["referral"]["id"] for item in board["lowered_tiers"]] == [referral["id"]]
    item = board["lowered_tiers"][0]
    assert (item["from_tier"], item["to_tier"]) == ("vcs", "mutual_aid")
    assert item["by_role"] == "helpline_staff"
    assert "helpline" in item["by"]
    assert item["at"]

    coventry = headers_for("safety_net_officer", directory["coventry_safety_net"])
    assert client.get("/api/v1/safety-net", headers=coventry).get_json()["lowered_tiers"] == []

    cancel = client.post(
        f"/api/v1/referrals/{referral['id']}/cancel", json={"reason": "no longer needed"}, headers=helpline
    )
    assert cancel.status_code == 200, cancel.get_json()
    assert client.get("/api/v1/safety-net", headers=sutton).get_json()["lowered_tiers"] == []


def tier_check(client, headers, referral: dict):
    return client.post(f"/api/v1/referrals/{referral['id']}/tier-check", headers=headers)


def test_an_officer_lets_a_lowered_tier_stand_audited_and_it_leaves_the_late_list(
    client, helpline, headers_for, directory
):
    referral = post(client, helpline, notes=FOOD)
    assert lower(client, helpline, referral).status_code == 200
    sutton = headers_for("safety_net_officer", directory["sutton_safety_net"])
    coventry = headers_for("safety_net_officer", directory["coventry_safety_net"])

    assert tier_check(client, helpline, referral).status_code == 403  # the helpline may not
    assert tier_check(client, coventry, referral).status_code == 404  # another council's
    checked = tier_check(client, sutton, referral)

    assert checked.status_code == 200, checked.get_json()
    assert checked.get_json()["tier"] == "mutual_aid", "the lower tier stands"
    board = client.get("/api/v1/safety-net", headers=sutton).get_json()
    assert board["lowered_tiers"] == []
    assert not [item for item in board["late"] if item["referral"]["id"] == referral["id"]]
    trail = client.get(f"/api/v1/audit?referral={referral['id']}", headers=sutton).get_json()
    event = next(e for e in trail if e["kind"] == "referral.tier_lowering_checked")
    assert event["actor_role"] == "safety_net_officer"
    again = tier_check(client, sutton, referral)
    assert again.status_code == 409, "nothing waits for a check now"
    assert again.mimetype == "application/problem+json"


def test_a_new_lowering_after_a_check_waits_again_and_no_one_checks_their_own(
    client, helpline, headers_for, directory
):
    referral = post(client, helpline, notes="Needs food bank referral and help with his benefits forms")
    sutton = headers_for("safety_net_officer", directory["sutton_safety_net"])
    assert lower(client, helpline, referral).status_code == 200
    assert tier_check(client, sutton, referral).status_code == 200
    board = client.get("/api/v1/safety-net", headers=sutton).get_json()
    assert board["lowered_tiers"] == []

    raised = lower(client, sutton, referral, tier="statutory", reason="the daughter says he is not coping")
    assert raised.status_code == 200, raised.get_json()
    assert lower(client, sutton, referral, tier="vcs", reason=GOOD_REASON).status_code == 200
    board = client.get("/api/v1/safety-net", headers=sutton).get_json()
    assert [item["referral"]["id"] for item in board["lowered_tiers"]] == [referral["id"]]
    own = tier_check(client, sutton, referral)
    assert own.status_code == 403, "the officer who lowered it does not check it"
    assert "someone other than the person who lowered" in own.get_json()["detail"]
