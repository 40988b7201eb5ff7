"""Triage over HTTP: on intake, live preview, re-triage and overrides with the role rule, duplicates."""

from sqlalchemy import func, select

from referrals.models import AuditEvent, Referral, Resident
from tests.builders import call

SAFEGUARDING_NOTES = "Her son has taken her bank card and she has no money for food. She is scared of him."


def post(client, headers, **overrides):
    response = client.post("/api/v1/referrals", json=call(**overrides), headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_intake_triages_a_safeguarding_call_to_the_safety_net(client, helpline):
    body = post(client, helpline, notes=SAFEGUARDING_NOTES)
    assert body["status"] == "offered"
    assert body["current_offer"]["org_id"] == body["safety_net_org_id"]
    assert body["tier"] == "statutory"
    assert body["safeguarding"] is True
    rules = {reason["rule"] for reason in body["triage"]["reasons"]}
    assert any(rule.startswith("safeguarding.") for rule in rules)
    assert body["triage"]["rules_version"]


def test_unknown_need_code_is_422(client, helpline):
    response = client.post("/api/v1/referrals", json=call(needs=["unicorns"]), headers=helpline)
    assert response.status_code == 422
    assert "unicorns" in response.get_json()["errors"]["needs"][0]


def test_preview_explains_and_stores_nothing(client, helpline, session):
    response = client.post(
        "/api/v1/triage/preview",
        json={
            "notes": "needs her perscription picked up and some shoping",
            "resident": {"flags": {"lives_alone": True}},
        },
        headers=helpline,
    )
    assert response.status_code == 200, response.get_json()
    decision = response.get_json()
    assert decision["tier"] == "mutual_aid"
    assert set(decision["needs"]) >= {"prescriptions", "shopping"}
    assert all(reason["rule"] and reason["detail"] for reason in decision["reasons"])
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0
    assert session.scalar(select(func.count()).select_from(Referral)) == 0


def test_preview_is_for_helpline_staff_not_coordinators(client, headers_for, session_factory):
    from tests.builders import organisation

    coordinator = headers_for("hub_coordinator", organisation(session_factory))
    assert client.post("/api/v1/triage/preview", json={"notes": "x"}, headers=coordinator).status_code == 403


def test_second_call_for_the_same_person_reports_a_duplicate(client, helpline, session):
    first = post(client, helpline)
    second = post(
        client,
        helpline,
        resident={"name": "Mrs Margaret Test", "phone": "+44 7700 900123", "address": "1 Example Rd"},
        notes="Wants a weekly check-in call",
    )
    matches = second["possible_duplicates"]
    assert matches
    assert matches[0]["resident_id"] == first["resident"]["id"]
    assert matches[0]["score"] >= 80
    assert {"name", "phone"} <= set(matches[0]["matched_fields"])


def test_preview_warns_of_a_known_person_before_saving(client, helpline):
    first = post(client, helpline)
    response = client.post(
        "/api/v1/triage/preview",
        json={
            "notes": "shopping",
            "resident": {"name": "Margaret Test", "phone": "07700900123", "postcode": "SM1 1AA"},
        },
        headers=helpline,
    )
    assert response.get_json()["possible_duplicates"][0]["resident_id"] == first["resident"]["id"]


def test_attaching_to_a_known_resident_creates_no_new_person(client, helpline, session):
    first = post(client, helpline, notes="needs a lift to hospital appointment")
    second = post(client, helpline, resident_id=first["resident"]["id"], notes="needs help with shopping")
    assert second["resident"]["id"] == first["resident"]["id"]
    assert session.scalar(select(func.count()).select_from(Resident)) == 1
    assert second["linked_referral_id"] is None


def test_same_need_open_referral_is_linked_not_offered_twice(client, helpline):
    first = post(client, helpline, notes="needs help with shopping")
    again = post(
        client, helpline, resident_id=first["resident"]["id"], notes="calling again about her shopping"
    )
    assert again["linked_referral_id"] == first["id"]
    assert again["status"] == "closed"
    assert again["outcome_code"] == "linked_to_open_referral"


def test_anyone_may_raise_a_tier(client, helpline, session):
    referral = post(client, helpline)
    response = client.post(
        f"/api/v1/referrals/{referral['id']}/triage",
        json={"tier": "statutory", "reason": "sounds frail"},
        headers=helpline,
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["tier"] == "statutory"
    kinds = session.scalars(select(AuditEvent.kind).where(AuditEvent.referral_id == referral["id"])).all()
    assert "triage.overridden" in kinds
    body = response.get_json()
    assert body["current_offer"]["org_id"] == body["safety_net_org_id"], "re-routed to the safety net"
    assert [kind for kind in kinds if kind != "resident.read"][-1] == "referral.offered"
    assert kinds[-1] == "resident.read", "the answer showed the person: audited as a read"


def test_lowering_needs_a_reason(client, helpline):
    referral = post(client, helpline, notes="needs food bank referral")
    assert referral["tier"] == "vcs"
    response = client.post(
        f"/api/v1/referrals/{referral['id']}/triage", json={"tier": "mutual_aid"}, headers=helpline
    )
    assert response.status_code == 422
    assert "reason" in response.get_json()["errors"]


def test_only_a_safety_net_officer_may_lower_a_safeguarding_referral(client, helpline, headers_for):
    referral = post(client, helpline, notes=SAFEGUARDING_NOTES)
    url = f"/api/v1/referrals/{referral['id']}/triage"
    lower = {"tier": "vcs", "safeguarding": False, "reason": "son is her appointee; checked with bank"}

    assert client.post(url, json=lower, headers=helpline).status_code == 403
    officer = headers_for("safety_net_officer")
    assert client.post(url, json={"tier": "vcs", "safeguarding": False}, headers=officer).status_code == 422
    response = client.post(url, json=lower, headers=officer)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["tier"] == "vcs"
    assert response.get_json()["safeguarding"] is False


def test_safeguarding_sticks_when_triaged_again(client, helpline):
    referral = post(client, helpline, notes=SAFEGUARDING_NOTES)
    response = client.post(f"/api/v1/referrals/{referral['id']}/triage", json={}, headers=helpline)
    assert response.get_json()["safeguarding"] is True
    assert response.get_json()["tier"] == "statutory"


def test_extra_notes_can_raise_the_tier(client, helpline):
    referral = post(client, helpline)
    response = client.post(
        f"/api/v1/referrals/{referral['id']}/triage",
        json={"notes_addendum": "She said she has been thinking about ending her life."},
        headers=helpline,
    )
    body = response.get_json()
    assert body["tier"] == "statutory"
    assert body["safeguarding"] is True
    assert "ending her life" in body["notes"]


def test_cli_prints_an_explained_decision(app):
    result = app.test_cli_runner().invoke(
        args=["triage", "needs shoping and her perscription collected", "--postcode", "CV1 1AH"]
    )
    assert result.exit_code == 0, result.output
    assert "Tier:         mutual_aid" in result.output
    assert "prescriptions" in result.output
    assert "coventry" in result.output


def test_cli_can_add_the_second_opinion(app):
    result = app.test_cli_runner().invoke(args=["triage", "needs her shopping doing", "--second-opinion"])
    assert result.exit_code == 0, result.output
    assert "Tier:         mutual_aid" in result.output  # nothing worrying: the second opinion stays silent
    assert "second_opinion" not in result.output
