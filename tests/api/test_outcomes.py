"""Outcomes (issue 19): several structured codes per completion, from config/outcomes.yaml; reported per area
and organisation with the same access rule as the other reports; the partner who referred is told."""

from tests.api.http import act, log
from tests.builders import call


def finish(client, helpline, hub, **body) -> dict:
    referral = log(client, helpline)
    act(client, hub, referral["id"], "accept")
    act(client, hub, referral["id"], "start")
    return act(client, hub, referral["id"], "complete", **body)


def test_a_completion_records_several_outcomes_in_codes_and_words(client, helpline, hub):
    done = finish(client, helpline, hub, outcome_codes=["shopping_delivered", "prescription_collected"])
    assert done["status"] == "completed"
    assert done["outcome_code"] == "shopping_delivered"
    assert done["outcome_codes"] == ["shopping_delivered", "prescription_collected"]
    assert done["outcomes"] == [
        {"code": "shopping_delivered", "label": "Shopping delivered", "result": "helped"},
        {
            "code": "prescription_collected",
            "label": "Prescription collected and delivered",
            "result": "helped",
        },
    ]
    completed = next(event for event in done["timeline"] if event["kind"] == "referral.completed")
    assert completed["data"]["outcome_codes"] == ["shopping_delivered", "prescription_collected"]


def test_one_outcome_code_still_works_and_bad_codes_are_a_422_naming_the_field(client, helpline, hub):
    assert finish(client, helpline, hub, outcome_code="call_made")["outcome_codes"] == ["call_made"]
    referral = log(client, helpline, resident={"name": "Albert Bad", "phone": "07700 900612"})
    act(client, hub, referral["id"], "accept")
    act(client, hub, referral["id"], "start")
    path = f"/api/v1/referrals/{referral['id']}/complete"
    for body, field, words in (
        (
            {"outcome_codes": ["teleported"]},
            "outcome_codes",
            "not an outcome that may be recorded: teleported",
        ),
        ({"outcome_codes": []}, "outcome_codes", "choose at least one outcome"),
        ({"outcome_codes": ["call_made", "call_made"]}, "outcome_codes", "each outcome once"),
        ({"outcome_codes": ["done_by_sms"]}, "outcome_codes", "not an outcome that may be recorded"),
        ({}, "outcome_code", "choose at least one outcome"),
        ({"outcome_code": "call_made", "outcome_codes": ["call_made"]}, "outcome_codes", "not both"),
    ):
        response = client.post(path, json=body, headers=hub)
        assert response.status_code == 422, body
        assert response.mimetype == "application/problem+json"
        assert words in " ".join(response.get_json()["errors"][field]), body
    assert (
        client.get(f"/api/v1/referrals/{referral['id']}", headers=hub).get_json()["status"] == "in_progress"
    )


def test_the_outcomes_that_may_be_recorded_are_listed(client, helpline):
    listed = client.get("/api/v1/referrals/outcomes", headers=helpline).get_json()
    codes = [item["code"] for item in listed]
    assert codes[:2] == ["shopping_delivered", "prescription_collected"]
    assert "done_by_sms" not in codes, "the service's own codes are not offered"


def test_outcomes_are_reported_per_area_and_organisation_by_the_report_rule(
    client, helpline, hub, officer, headers_for, directory
):
    finish(client, helpline, hub, outcome_codes=["shopping_delivered", "prescription_collected"])
    finish(client, helpline, hub, outcome_codes=["no_answer"])
    report = client.get("/api/v1/reports/outcomes", headers=officer).get_json()
    assert report["area"] == "sutton", "an officer's own council by default"
    assert report["total"]["finished"] == 2
    assert report["total"]["results"] == {"helped": 1, "referred_on": 0, "not_helped": 1}
    [sutton] = report["by_area"]
    assert (sutton["key"], sutton["name"]) == ("sutton", "London Borough of Sutton")
    assert sutton["ons_code"] == "E09000029", "the ONS local authority code beside the service's own"
    [hub_row] = report["by_organisation"]
    assert (hub_row["name"], hub_row["finished"]) == ("Sutton Central Hub", 2)
    counts = {item["code"]: (item["label"], item["count"]) for item in hub_row["outcomes"]}
    assert counts == {
        "shopping_delivered": ("Shopping delivered", 1),
        "prescription_collected": ("Prescription collected and delivered", 1),
        "no_answer": ("No answer: could not reach them", 1),
    }
    coventry = headers_for("safety_net_officer", directory["coventry_safety_net"])
    assert client.get("/api/v1/reports/outcomes?area=sutton", headers=coventry).status_code == 403
    assert client.get("/api/v1/reports/outcomes", headers=hub).status_code == 403
    assert client.get("/api/v1/reports/outcomes?since=yesterday", headers=officer).status_code == 422


def test_the_partner_who_referred_is_told_what_came_of_it(client, hub, headers_for):
    partner = headers_for("partner_referrer")
    response = client.post("/api/v1/referrals", json=call(channel="partner_referral"), headers=partner)
    assert response.status_code == 201
    referral_id = response.get_json()["id"]
    before = client.get("/api/v1/queue", headers=partner).get_json()
    [waiting] = before["referred"]
    assert waiting["referral"]["id"] == referral_id
    assert waiting["held_by"].startswith("Offered to Sutton Central Hub")
    assert waiting["referral"]["outcomes"] == []

    act(client, hub, referral_id, "accept")
    act(client, hub, referral_id, "start")
    act(
        client, hub, referral_id, "complete", outcome_codes=["shopping_delivered"], note="left with neighbour"
    )
    [told] = client.get("/api/v1/queue", headers=partner).get_json()["referred"]
    assert told["referral"]["status"] == "completed"
    assert [item["label"] for item in told["referral"]["outcomes"]] == ["Shopping delivered"]
    own = client.get(f"/api/v1/referrals/{referral_id}", headers=partner).get_json()
    assert own["outcomes"][0]["code"] == "shopping_delivered"
    other_partner = headers_for("partner_referrer")
    assert client.get("/api/v1/queue", headers=other_partner).get_json()["referred"] == []


def test_a_plan_whose_calls_all_went_unanswered_is_not_counted_as_helped(client, helpline, hub, officer):
    referral = log(
        client,
        helpline,
        notes="Lonely, would like a weekly check-in call",
        recurrence={"every_days": 7, "count": 2},
    )
    act(client, hub, referral["id"], "accept")
    act(client, hub, referral["id"], "start")
    act(client, hub, referral["id"], "occurrences/0", outcome_code="no_answer")
    done = act(client, hub, referral["id"], "occurrences/1", outcome_code="could_not_contact")
    assert done["status"] == "completed"
    total = client.get("/api/v1/reports/outcomes", headers=officer).get_json()["total"]
    assert total["results"] == {"helped": 0, "referred_on": 0, "not_helped": 1}
    assert {item["code"]: item["count"] for item in total["outcomes"]} == {
        "plan_completed": 1,
        "no_answer": 1,
    }
