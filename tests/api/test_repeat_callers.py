"""Issue 18 through the API: a repeat caller is held until the call-taker says who they are, a partner's
call is checked by the helpline instead, a call must be contactable, the contact details a call brings are
kept and shown only to those who see the person, and a known caller's new call is never dropped."""

from sqlalchemy import func, select

from referrals.models import AuditEvent, Referral, Resident
from tests.api.http import act, log
from tests.builders import call

FIRST = {
    "name": "Margaret Holloway",
    "phone": "07700 900777",
    "postcode": "SM1 1AA",
    "address": "14 Cedar Road, Sutton",
}


def post(client, headers, **overrides):
    body = call(**overrides)
    body.pop("new_person")  # the call-taker has not yet said whether this is someone new
    for key, value in list(overrides.items()):
        if key in ("new_person",):
            body[key] = value
    return client.post("/api/v1/referrals", json=body, headers=headers)


def count(session, model) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(model))


def test_the_same_phone_with_a_shortened_name_is_held_until_the_call_taker_says_who(
    client, helpline, session
):
    first = post(client, helpline, resident=FIRST).get_json()
    before = (count(session, Referral), count(session, Resident))

    again = post(client, helpline, resident={**FIRST, "name": "Mags Holloway", "phone": "+44 7700 900777"})

    assert again.status_code == 409
    problem = again.get_json()
    assert problem["code"] == "possible_repeat_caller"
    assert [d["resident_id"] for d in problem["possible_duplicates"]] == [first["resident"]["id"]]
    assert "phone" in problem["possible_duplicates"][0]["matched_fields"]
    assert (count(session, Referral), count(session, Resident)) == before, "nothing was saved"

    attached = post(client, helpline, resident_id=first["resident"]["id"], resident={**FIRST, "name": "Mags"})
    assert attached.status_code == 201
    assert attached.get_json()["resident"]["id"] == first["resident"]["id"]


def test_a_one_letter_surname_typo_at_the_same_address_is_held_and_new_person_records_someone_new(
    client, helpline
):
    first = post(client, helpline, resident={**FIRST, "phone": ""}).get_json()
    typo = {**FIRST, "name": "Margaret Holoway", "phone": ""}

    held = post(client, helpline, resident=typo)
    assert held.status_code == 409
    assert held.get_json()["possible_duplicates"][0]["resident_id"] == first["resident"]["id"]

    someone_else = post(client, helpline, resident=typo, new_person=True)
    assert someone_else.status_code == 201
    assert someone_else.get_json()["resident"]["id"] != first["resident"]["id"]


def test_a_partner_referral_with_a_match_is_not_held_and_goes_to_the_helpline_to_check(
    client, helpline, headers_for, session
):
    post(client, helpline, resident=FIRST)
    partner = headers_for("partner_referrer")

    answer = post(client, partner, channel="partner_referral", resident={**FIRST, "name": "Maggie Holloway"})

    assert answer.status_code == 201
    body = answer.get_json()
    assert body["possible_duplicates"] == []
    assert body["duplicate_check"]
    session.rollback()
    check = session.scalars(
        select(AuditEvent).where(
            AuditEvent.referral_id == body["id"], AuditEvent.kind == "referral.repeat_caller_check"
        )
    ).one()
    assert check.payload["possible_duplicates"], "the helpline sees who it may be"
    partner_timeline = {event["kind"]: event for event in body["timeline"]}
    assert "possible_duplicates" not in partner_timeline["referral.repeat_caller_check"]["data"]


def test_a_call_needs_a_phone_or_an_address_or_a_reason_why_neither(client, helpline):
    nowhere = {"name": "Ada Nowhere", "postcode": "SM1 1AA", "phone": "", "address": ""}

    refused = post(client, helpline, resident=nowhere, new_person=True)
    assert refused.status_code == 422
    assert list(refused.get_json()["errors"]) == ["no_contact_reason"]

    vague = post(client, helpline, resident=nowhere, new_person=True, no_contact_reason="none")
    assert vague.status_code == 422

    reason = "Sleeping rough; drops in to the Trinity Church day centre on Tuesdays"
    kept = post(client, helpline, resident=nowhere, new_person=True, no_contact_reason=reason)
    assert kept.status_code == 201
    assert kept.get_json()["no_contact_reason"] == reason
    safe_number = {**nowhere, "contact": {"safe_to_contact": "no", "safe_phone": "020 7946 0321"}}
    assert post(client, helpline, resident=safe_number, new_person=True).status_code == 201


def test_contact_details_are_kept_and_shown_only_to_those_who_see_the_person(client, helpline, hub):
    contact = {
        "safe_to_contact": "no",
        "safe_times": "Weekday mornings, when her partner is at work",
        "safe_phone": "020 7946 0123",
        "no_message": True,
        "emergency_contact": "Jo (sister) 07700 900888",
        "access_notes": "Key safe 1234 by the back door; a friendly dog",
        "language": "Polish: an interpreter helps",
    }
    created = post(client, helpline, resident={**FIRST, "contact": contact}, new_person=True).get_json()

    assert created["resident"]["contact"] == {**contact, "safe_phone": "+442079460123"}
    seen_by_hub = client.get(f"/api/v1/referrals/{created['id']}", headers=hub).get_json()
    assert "contact" not in seen_by_hub["resident"], "not before the hub has accepted"
    assert "Key safe" not in str(seen_by_hub)


def test_contact_problems_are_a_422_naming_the_field(client, helpline):
    bad = {**FIRST, "contact": {"safe_to_contact": "no"}}
    refused = post(client, helpline, resident=bad, new_person=True)
    assert refused.status_code == 422
    assert list(refused.get_json()["errors"]) == ["resident.contact.safe_times"]
    phone = {**FIRST, "contact": {"safe_phone": "12345"}}
    assert list(post(client, helpline, resident=phone, new_person=True).get_json()["errors"]) == [
        "resident.contact.safe_phone"
    ]


def test_a_known_callers_call_for_the_same_need_is_added_to_their_open_referral(client, helpline, hub):
    first = log(client, helpline, resident=FIRST)
    act(client, hub, first["id"], "accept")
    notes = "Rang again: the shopping is still needed and she is running out of milk"

    again = log(client, helpline, resident_id=first["resident"]["id"], notes=notes, needs=["shopping"])

    assert again["status"] == "closed"
    assert again["linked_referral_id"] == first["id"]
    open_one = client.get(f"/api/v1/referrals/{first['id']}", headers=hub).get_json()
    added = [e for e in open_one["timeline"] if e["kind"] == "referral.call_added"]
    assert len(added) == 1
    assert added[0]["data"]["note"] == notes, "the holder reads what the caller said"
    assert added[0]["data"]["call_referral_id"] == again["id"]


def test_a_known_callers_new_need_opens_a_new_referral_and_the_open_one_says_they_rang(client, helpline):
    first = log(client, helpline, resident=FIRST)

    weekly = log(
        client,
        helpline,
        resident_id=first["resident"]["id"],
        notes="Would like a weekly check-in call, she is lonely",
        needs=["befriending"],
        recurrence={"every_days": 7, "count": 6},
    )

    assert weekly["id"] != first["id"]
    assert weekly["status"] != "closed"
    assert weekly["plan"]["every_days"] == 7, "the weekly call is not lost"
    open_one = client.get(f"/api/v1/referrals/{first['id']}", headers=helpline).get_json()
    assert [
        e["data"]["call_referral_id"] for e in open_one["timeline"] if e["kind"] == "referral.new_request"
    ] == [weekly["id"]]


def test_a_recurring_request_for_the_same_need_is_its_own_plan_not_folded_in(client, helpline):
    first = log(client, helpline, resident=FIRST, needs=["shopping"])
    weekly = log(
        client,
        helpline,
        resident_id=first["resident"]["id"],
        notes="Shopping every week from now on",
        needs=["shopping"],
        recurrence={"every_days": 7, "count": 4},
    )
    assert weekly["status"] != "closed"
    assert weekly["plan"]["count"] == 4


def test_the_helpline_settles_a_partners_call_as_the_same_person_and_the_records_fold(
    client, helpline, headers_for, officer, session, directory
):
    from referrals.models import ResidentKey

    known = post(client, helpline, resident=FIRST).get_json()
    partner = headers_for("partner_referrer")
    referred = post(
        client,
        partner,
        channel="partner_referral",
        resident={**FIRST, "name": "Maggie Holloway"},
        notes="Befriending please, she is very isolated since her husband died",
    ).get_json()
    assert client.get("/api/v1/repeat-callers", headers=partner).status_code == 403
    assert referred["current_offer"]["org_id"] == directory["hub"]
    reason = "No befriender free for Maggie this month"
    act(client, headers_for("hub_coordinator", directory["hub"]), referred["id"], "decline", reason=reason)

    listed = client.get("/api/v1/repeat-callers", headers=helpline).get_json()
    assert [item["referral_id"] for item in listed] == [referred["id"]]
    assert listed[0]["person"]["name"] == "Maggie Holloway"
    assert [c["person"]["name"] for c in listed[0]["candidates"]] == ["Margaret Holloway"]
    assert client.get("/api/v1/repeat-callers", headers=officer).get_json() == listed, "a Sutton call"

    wrong = client.post(
        f"/api/v1/referrals/{referred['id']}/repeat-caller", json={"same_as": 99}, headers=helpline
    )
    assert wrong.status_code == 422

    settled = client.post(
        f"/api/v1/referrals/{referred['id']}/repeat-caller",
        json={"same_as": known["resident"]["id"]},
        headers=helpline,
    )
    assert settled.status_code == 200
    body = settled.get_json()
    assert body["resident"]["id"] == known["resident"]["id"]
    assert client.get("/api/v1/repeat-callers", headers=helpline).get_json() == []
    again = client.post(
        f"/api/v1/referrals/{referred['id']}/repeat-caller", json={"same_as": None}, headers=helpline
    )
    assert again.status_code == 409
    # Words written before the fold still read: sealed with the folded record's key.
    declined = [e for e in body["timeline"] if e["kind"] == "referral.declined"]
    assert [e["reason"] for e in declined] == [reason]
    open_first = client.get(f"/api/v1/referrals/{known['id']}", headers=helpline).get_json()
    rang = [e for e in open_first["timeline"] if e["kind"] == "referral.new_request"]
    assert [e["data"]["call_referral_id"] for e in rang] == [referred["id"]]
    assert rang[0]["reason"].endswith("for another need"), "befriending, where the open one is shopping"
    session.rollback()
    folded = session.get(Resident, referred["resident"]["id"])
    assert folded.same_as_id == known["resident"]["id"]
    assert session.scalars(select(ResidentKey).where(ResidentKey.resident_id == folded.id)).all() == []

    erased = client.post(
        f"/api/v1/residents/{known['resident']['id']}/erase",
        json={"reason": "asked to be forgotten"},
        headers=headers_for("admin"),
    )
    assert erased.status_code == 200, erased.get_json()
    session.rollback()
    assert session.get(Resident, folded.id).erased_at is not None, "the folded record goes with her"


def test_a_partners_call_settled_as_someone_else_stays_with_its_own_record(client, helpline, headers_for):
    post(client, helpline, resident=FIRST)
    partner = headers_for("partner_referrer")
    referred = post(
        client, partner, channel="partner_referral", resident={**FIRST, "name": "Maggie Holloway"}
    ).get_json()
    settled = client.post(
        f"/api/v1/referrals/{referred['id']}/repeat-caller", json={"same_as": None}, headers=helpline
    ).get_json()
    assert settled["resident"]["id"] == referred["resident"]["id"]
    assert client.get("/api/v1/repeat-callers", headers=helpline).get_json() == []


def test_a_call_without_consent_is_not_added_to_a_referral_shared_with_consent(client, helpline, hub):
    first = log(client, helpline, resident=FIRST)
    act(client, hub, first["id"], "accept")

    again = log(
        client,
        helpline,
        resident_id=first["resident"]["id"],
        notes="Still needs shopping, but now says she does not want her details shared",
        needs=["shopping"],
        consent_to_share=False,
    )

    assert again.get("linked_referral_id") is None
    seen_by_hub = client.get(f"/api/v1/referrals/{first['id']}", headers=hub).get_json()
    assert "does not want" not in str(seen_by_hub), "the hub does not read a call that did not consent"


def test_a_partner_cannot_skip_the_helplines_check_by_saying_new_person(client, helpline, headers_for):
    post(client, helpline, resident=FIRST)
    partner = headers_for("partner_referrer")
    referred = post(
        client,
        partner,
        channel="partner_referral",
        resident={**FIRST, "name": "Maggie Holloway"},
        new_person=True,
    ).get_json()
    listed = client.get("/api/v1/repeat-callers", headers=helpline).get_json()
    assert [item["referral_id"] for item in listed] == [referred["id"]]


def test_a_known_callers_new_phone_and_address_are_kept_and_the_old_ones_recorded(client, helpline):
    first = log(client, helpline, resident=FIRST)
    again = log(
        client,
        helpline,
        resident_id=first["resident"]["id"],
        resident={"name": "ignored", "postcode": "SM1", "phone": "07700 900999", "address": "2 New Street"},
        notes="Moved in with her daughter; would like a befriending call",
        needs=["befriending"],
    )
    person = again["resident"]
    assert (person["name"], person["phone"], person["address"]) == (
        "Margaret Holloway",
        "+447700900999",
        "2 New Street",
    )
    listed = client.get("/api/v1/residents/search", query_string={"q": "07700 900999"}, headers=helpline)
    assert [p["id"] for p in listed.get_json()["results"]] == [person["id"]], "found by the new number"
