from sqlalchemy import select

from referrals.models import AuditEvent
from tests.builders import call, organisation

PROBLEM = "application/problem+json"


def test_logged_call_is_stored_and_read_back(client, helpline):
    created = client.post("/api/v1/referrals", json=call(), headers=helpline)

    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["status"] == "offered"
    assert body["tier"] == "mutual_aid"
    assert body["current_offer"]["expires_at"]
    assert body["owner_org_id"] == body["safety_net_org_id"]
    assert "shopping" in body["needs"]
    assert body["triage"]["reasons"]
    assert body["possible_duplicates"] == []
    assert body["channel"] == "phone"
    assert body["resident"]["postcode"] == "SM1 1AA"
    assert body["resident"]["phone"] == "+447700900123"
    assert body["resident"]["area"] == "sutton"
    assert body["resident"]["flags"]["lives_alone"] is True
    assert body["resident"]["flags"]["shielding"] is False
    assert body["notes"].startswith("Needs shopping")
    assert body["created_at"]

    read = client.get(f"/api/v1/referrals/{body['id']}", headers=helpline)
    assert read.status_code == 200
    body.pop("possible_duplicates")
    body.pop("duplicate_check")
    assert read.get_json() == body


def test_intake_is_audited(client, helpline, session):
    referral_id = client.post("/api/v1/referrals", json=call(), headers=helpline).get_json()["id"]

    events = session.scalars(
        select(AuditEvent).where(AuditEvent.referral_id == referral_id).order_by(AuditEvent.seq)
    ).all()
    assert [e.kind for e in events][:3] == ["referral.received", "triage.decided", "referral.matched"]
    assert [e.kind for e in events][-2:] == ["referral.triaged", "referral.offered"]
    assert events[0].actor_role == "helpline_staff"


def test_flag_shorthand_is_accepted(client, helpline):
    body = call(resident={"shielding": True})
    created = client.post("/api/v1/referrals", json=body, headers=helpline).get_json()
    assert created["resident"]["flags"]["shielding"] is True


def test_outcode_only_postcode_uses_the_district_centroid(client, helpline):
    created = client.post("/api/v1/referrals", json=call(resident={"postcode": "cv1"}), headers=helpline)
    assert created.status_code == 201, created.get_json()
    location = created.get_json()["resident"]["location"]
    assert location["precision"] == "outcode"
    assert abs(location["lat"] - 52.4094) < 0.01


def test_without_a_token_is_401_problem(client):
    response = client.post("/api/v1/referrals", json=call())
    assert response.status_code == 401
    assert response.mimetype == PROBLEM
    assert response.get_json()["status"] == 401
    assert "Bearer" in response.headers["WWW-Authenticate"]


def test_a_made_up_token_is_401(client):
    response = client.get("/api/v1/referrals/1", headers={"Authorization": "Bearer ori_notarealtoken"})
    assert response.status_code == 401


def test_wrong_role_is_403(client, headers_for, session_factory):
    hub = organisation(session_factory)
    response = client.post(
        "/api/v1/referrals", json=call(), headers=headers_for("hub_coordinator", org_id=hub)
    )
    assert response.status_code == 403
    assert response.mimetype == PROBLEM


def test_bad_postcode_is_422_naming_the_field(client, helpline):
    response = client.post(
        "/api/v1/referrals", json=call(resident={"postcode": "NOT A CODE"}), headers=helpline
    )
    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    assert "resident.postcode" in response.get_json()["errors"]


def test_postcode_outside_the_served_areas_is_422(client, helpline):
    response = client.post("/api/v1/referrals", json=call(resident={"postcode": "M1 1AE"}), headers=helpline)
    assert response.status_code == 422
    assert "does not cover" in response.get_json()["errors"]["resident.postcode"][0]


def test_invalid_phone_is_422(client, helpline):
    response = client.post("/api/v1/referrals", json=call(resident={"phone": "12"}), headers=helpline)
    assert response.status_code == 422
    assert "resident.phone" in response.get_json()["errors"]


def test_unknown_fields_are_rejected(client, helpline):
    response = client.post("/api/v1/referrals", json=call(favourite_colour="blue"), headers=helpline)
    assert response.status_code == 422
    assert "favourite_colour" in response.get_json()["errors"]


def test_missing_required_fields_are_listed(client, helpline):
    response = client.post("/api/v1/referrals", json={"channel": "fax"}, headers=helpline)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert {"channel", "resident", "consent_to_share"} <= set(errors)


def test_nothing_is_written_when_validation_fails(client, helpline, session):
    response = client.post("/api/v1/referrals", json=call(resident={"postcode": "ZZ9 9ZZ"}), headers=helpline)
    assert response.status_code == 422
    assert session.scalars(select(AuditEvent)).all() == []


def test_unknown_referral_is_404(client, helpline):
    response = client.get("/api/v1/referrals/999999", headers=helpline)
    assert response.status_code == 404
    assert response.mimetype == PROBLEM


def test_partner_sees_only_their_own_referrals(client, headers_for):
    mine, other = headers_for("partner_referrer"), headers_for("partner_referrer")
    referral_id = client.post(
        "/api/v1/referrals", json=call(channel="partner_referral"), headers=mine
    ).get_json()["id"]

    assert client.get(f"/api/v1/referrals/{referral_id}", headers=mine).status_code == 200
    assert client.get(f"/api/v1/referrals/{referral_id}", headers=other).status_code == 404


def test_what_intake_answers_is_what_a_read_returns_for_every_outcome(client, helpline):
    """Intake answers from what it has just written (no read-back); a read must agree for an offer, a
    safeguarding hold and a call linked to an open referral for the same need."""
    first = client.post("/api/v1/referrals", json=call(), headers=helpline).get_json()
    again = {**call(), "resident_id": first["resident"]["id"], "resident": {"name": "x", "postcode": "SM1"}}
    bodies = [
        first,
        client.post(
            "/api/v1/referrals",
            json=call(notes="Neighbour worried he is being financially abused by his carer, shopping too"),
            headers=helpline,
        ).get_json(),
        client.post("/api/v1/referrals", json=again, headers=helpline).get_json(),
    ]
    assert bodies[1]["safeguarding"] is True
    assert bodies[2]["status"] == "closed"
    assert bodies[2]["current_offer"] is None
    for body in bodies:
        body.pop("possible_duplicates")
        body.pop("duplicate_check")
    # The call for the same need was added to the first referral since intake answered.
    read_first = client.get(f"/api/v1/referrals/{first['id']}", headers=helpline).get_json()
    added = read_first["timeline"].pop()
    assert added["kind"] == "referral.call_added"
    assert added["data"]["call_referral_id"] == bodies[2]["id"]
    assert added["data"]["note"] == again["notes"], "the call notes are on the open referral"
    read_first.pop("updated_at"), first.pop("updated_at")
    assert read_first == first
    for body in bodies[1:]:
        assert client.get(f"/api/v1/referrals/{body['id']}", headers=helpline).get_json() == body


def test_what_intake_answers_a_partner_is_what_their_read_returns(client, headers_for):
    partner = headers_for("partner_referrer")
    body = client.post("/api/v1/referrals", json=call(channel="partner_referral"), headers=partner).get_json()
    body.pop("possible_duplicates")
    body.pop("duplicate_check")

    assert client.get(f"/api/v1/referrals/{body['id']}", headers=partner).get_json() == body
