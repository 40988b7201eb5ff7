"""The issue's reproductions over the API: what an organisation sees before it accepts, transfers as offers
within the data-sharing rules, consent recorded after intake, partner referrers and duplicate candidates,
and every read of a person's details audited."""

import pytest
from sqlalchemy import select

from notify.models import OutboxMessage
from referrals.models import AuditEvent
from tests.api.http import act, log
from tests.builders import organisation

SECRET_NOTES = "Key safe code 4471, HIV positive, daughter Sharon at 3 Birch Road. Needs shopping."
SUMMARY = "Weekly shop for an older person living alone; needs it by Friday."


def read(client, headers, referral_id, expected=200) -> dict:
    response = client.get(f"/api/v1/referrals/{referral_id}", headers=headers)
    assert response.status_code == expected, response.get_json()
    return response.get_json()


def test_an_offered_organisation_sees_the_summary_not_the_call_notes(client, helpline, hub):
    referral = log(client, helpline, notes=SECRET_NOTES, summary=SUMMARY)

    before = read(client, hub, referral["id"])
    assert before["personal_details"] is False
    assert before["notes"] is None
    assert before["summary"] == SUMMARY
    assert before["resident"]["outcode"] == "SM1"
    assert "postcode" not in before["resident"]
    assert "4471" not in str(before)
    assert "Sharon" not in str(before)
    assert "HIV" not in str(before)
    assert all(not reason["evidence"] for reason in before["triage"]["reasons"])

    after = act(client, hub, referral["id"], "accept")
    assert after["personal_details"] is True
    assert after["notes"] == SECRET_NOTES
    assert after["resident"]["name"] == "Margaret Test"


def test_a_transfer_is_an_offer_the_receiver_accepts(client, helpline, hub, food_bank, directory):
    referral = log(client, helpline, notes=SECRET_NOTES)
    act(client, hub, referral["id"], "accept")

    sent = act(
        client, hub, referral["id"], "transfer", to_org_id=directory["food_bank"], reason="needs food too"
    )
    assert sent["status"] == "transferred"
    assert sent["owner_org_id"] == directory["hub"], "the sender keeps it until the receiver accepts"
    assert sent["current_offer"]["org_id"] == directory["food_bank"]
    assert sent["current_offer"]["kind"] == "transfer"

    offered = read(client, food_bank, referral["id"])
    assert offered["personal_details"] is False
    assert offered["notes"] is None
    act(client, food_bank, referral["id"], "start", expected=409)
    queue = client.get("/api/v1/queue", headers=food_bank).get_json()
    assert [item["referral"]["id"] for item in queue["offers"]] == [referral["id"]]

    taken = act(client, food_bank, referral["id"], "accept")
    assert taken["owner_org_id"] == directory["food_bank"]
    assert taken["notes"] == SECRET_NOTES
    read(client, hub, referral["id"], expected=404)
    assert act(client, food_bank, referral["id"], "start")["status"] == "in_progress"


def test_a_declined_transfer_goes_back_to_the_sender(client, helpline, hub, food_bank, directory):
    referral = log(client, helpline)
    act(client, hub, referral["id"], "accept")
    act(client, hub, referral["id"], "start")
    act(client, hub, referral["id"], "transfer", to_org_id=directory["food_bank"], reason="needs food too")

    back = act(client, food_bank, referral["id"], "decline", reason="no parcels left this week")

    assert (back["status"], back["owner_org_id"], back["current_offer"]) == (
        "in_progress",
        directory["hub"],
        None,
    )
    assert [e["kind"] for e in back["timeline"]][-1] == "referral.transfer_declined"
    read(client, food_bank, referral["id"], expected=404)


def test_an_unanswered_transfer_returns_when_the_timer_sweeps(
    client, helpline, hub, directory, session_factory
):
    from datetime import timedelta

    from db.base import utcnow
    from referrals.actions import expire_due_offers
    from referrals.policy import load_lifecycle_policy

    referral = log(client, helpline)
    act(client, hub, referral["id"], "accept")
    act(client, hub, referral["id"], "transfer", to_org_id=directory["food_bank"], reason="needs food too")
    with session_factory() as session:
        assert expire_due_offers(session, load_lifecycle_policy(), now=utcnow() + timedelta(days=3)) == 1

    back = read(client, hub, referral["id"])
    assert (back["status"], back["owner_org_id"]) == ("accepted", directory["hub"])
    assert back["timeline"][-1]["kind"] == "referral.transfer_expired"


def test_a_transfer_to_another_council_is_refused(client, helpline, hub, session_factory):
    coventry = organisation(session_factory, name="Coventry Hub", area="coventry", coverage_outcodes=["CV1"])
    referral = log(client, helpline)
    act(client, hub, referral["id"], "accept")

    refused = act(
        client, hub, referral["id"], "transfer", expected=422, to_org_id=coventry, reason="try them"
    )

    assert "council area" in refused["errors"]["to_org_id"][0]
    assert read(client, hub, referral["id"])["status"] == "accepted"


def test_a_transfer_to_an_arms_length_group_is_refused(client, helpline, hub, session_factory):
    arms_length = organisation(
        session_factory, name="Arm's Length Aid", kind="mutual_aid", mutual_aid_mode="arms_length"
    )
    referral = log(client, helpline)
    act(client, hub, referral["id"], "accept")

    refused = act(
        client, hub, referral["id"], "transfer", expected=422, to_org_id=arms_length, reason="local"
    )

    assert "arm's-length" in refused["errors"]["to_org_id"][0]


def test_without_consent_a_referral_goes_only_to_the_councils_own_teams(client, helpline, officer, directory):
    referral = log(client, helpline)
    act(client, helpline, referral["id"], "escalate", reason="wants the council to call")
    act(client, officer, referral["id"], "accept")
    act(
        client,
        helpline,
        referral["id"],
        "consent",
        consent_to_share=False,
        reason="she rang back: no sharing",
    )

    refused = act(
        client,
        officer,
        referral["id"],
        "transfer",
        expected=422,
        to_org_id=directory["hub"],
        reason="shopping",
    )
    assert "consent" in refused["errors"]["to_org_id"][0]


def test_a_transfer_to_a_group_texts_its_lead(client, helpline, hub, directory, session_factory):
    referral = log(client, helpline)
    act(client, hub, referral["id"], "accept")

    sent = act(client, hub, referral["id"], "transfer", to_org_id=directory["mutual_aid"], reason="near them")

    with session_factory() as session:
        texts = session.scalars(
            select(OutboxMessage).where(OutboxMessage.offer_id == sent["current_offer"]["id"])
        ).all()
    assert [(text.to, text.kind) for text in texts] == [("+447700900600", "offer")]
    assert "Margaret" not in texts[0].body


def test_withdrawn_consent_takes_the_referral_back_from_the_organisation(client, helpline, hub, directory):
    referral = log(client, helpline, notes=SECRET_NOTES)
    act(client, hub, referral["id"], "accept")

    after = act(
        client, helpline, referral["id"], "consent", consent_to_share=False, reason="she rang: do not share"
    )

    assert after["consent_to_share"] is False
    assert (after["status"], after["owner_org_id"]) == ("escalated", directory["sutton_safety_net"])
    read(client, hub, referral["id"], expected=404)
    kinds = [e["kind"] for e in after["timeline"]]
    assert kinds[-2:] == ["referral.consent_withdrawn", "referral.escalated"]
    assert after["timeline"][-2]["reason"] == "she rang: do not share"


def test_consent_given_again_is_recorded_and_lets_the_council_hand_it_on(
    client, helpline, hub, officer, directory
):
    referral = log(client, helpline)
    act(client, helpline, referral["id"], "consent", consent_to_share=False, reason="she rang: not yet")

    after = act(client, helpline, referral["id"], "consent", consent_to_share=True, reason="she agreed today")

    assert after["consent_to_share"] is True
    assert after["timeline"][-1]["kind"] == "referral.consent_given"
    act(client, helpline, referral["id"], "consent", expected=409, consent_to_share=True, reason="again now")
    act(client, hub, referral["id"], "consent", expected=403, consent_to_share=False, reason="hub may not")
    act(client, officer, referral["id"], "transfer", to_org_id=directory["hub"], reason="they can shop")
    assert act(client, hub, referral["id"], "accept")["personal_details"] is True


def test_a_call_without_consent_is_only_signposted_and_consent_cannot_be_added_to_it(client, helpline):
    referral = log(client, helpline, consent_to_share=False)
    assert referral["status"] == "signposted"
    act(client, helpline, referral["id"], "consent", expected=409, consent_to_share=True, reason="she agreed")


def test_a_partner_referrer_never_sees_other_residents(client, helpline, headers_for):
    log(client, helpline)  # Margaret Test, already known
    partner = headers_for("partner_referrer")

    body = log(client, partner, channel="partner_referral")

    assert body["possible_duplicates"] == []
    assert body["duplicate_check"] == "The helpline will check whether this person is already known."
    again = read(client, partner, body["id"])
    assert "possible_duplicates" not in str(again["timeline"])
    assert log(client, helpline)["possible_duplicates"], "the helpline still sees them"


@pytest.mark.parametrize("who", ["helpline", "hub", "officer", "admin"])
def test_every_read_of_a_persons_details_is_audited(
    client, helpline, headers_for, directory, session_factory, who
):
    tokens = {
        "helpline": helpline,
        "hub": headers_for("hub_coordinator", directory["hub"]),
        "officer": headers_for("safety_net_officer", directory["sutton_safety_net"]),
        "admin": headers_for("admin"),
    }
    referral = log(client, helpline)
    if who == "hub":
        act(client, tokens["hub"], referral["id"], "accept")

    read(client, tokens[who], referral["id"])

    with session_factory() as session:
        reads = session.scalars(
            select(AuditEvent).where(
                AuditEvent.kind == "resident.read", AuditEvent.referral_id == referral["id"]
            )
        ).all()
    expected = [("api", referral["resident"]["id"])] * (
        2 if who == "hub" else 1
    )  # hub: the accept's answer too
    assert [(e.payload["door"], e.resident_id) for e in reads] == expected


def test_an_action_whose_answer_shows_the_person_is_audited_as_a_read(client, helpline, hub, session_factory):
    referral = log(client, helpline)
    act(client, hub, referral["id"], "accept")
    act(client, hub, referral["id"], "start")

    with session_factory() as session:
        reads = session.scalars(select(AuditEvent).where(AuditEvent.kind == "resident.read")).all()
    assert [(e.actor_role, e.payload["door"]) for e in reads] == [("hub_coordinator", "api")] * 2


def test_a_read_without_personal_details_is_not_logged_as_one(client, helpline, hub, session_factory):
    referral = log(client, helpline)
    read(client, hub, referral["id"])  # only offered: no details shown
    with session_factory() as session:
        assert session.scalars(select(AuditEvent).where(AuditEvent.kind == "resident.read")).all() == []


def test_withdrawn_consent_during_a_transfer_takes_it_back_from_both_organisations(
    client, helpline, hub, officer, directory
):
    referral = log(client, helpline)
    act(client, hub, referral["id"], "accept")
    act(
        client,
        hub,
        referral["id"],
        "transfer",
        to_org_id=directory["sutton_safety_net"],
        reason="council help",
    )

    after = act(
        client, helpline, referral["id"], "consent", consent_to_share=False, reason="she rang: no sharing"
    )

    assert (after["status"], after["owner_org_id"]) == ("escalated", directory["sutton_safety_net"])
    assert after["current_offer"] is None
    read(client, hub, referral["id"], expected=404)


def test_an_officer_of_another_council_is_not_told_who_is_known_there(
    client, helpline, headers_for, directory
):
    log(client, helpline)  # Margaret Test, a Sutton resident
    coventry = headers_for("safety_net_officer", directory["coventry_safety_net"])
    person = {"name": "Margaret Test", "phone": "07700 900123", "postcode": "SM1 1AA"}

    preview = client.post(
        "/api/v1/triage/preview", json={"notes": "shopping", "resident": person}, headers=coventry
    )
    assert preview.status_code == 200
    assert preview.get_json()["possible_duplicates"] == []
    sutton = headers_for("safety_net_officer", directory["sutton_safety_net"])
    shown = client.post(
        "/api/v1/triage/preview", json={"notes": "shopping", "resident": person}, headers=sutton
    )
    assert [d["resident_id"] for d in shown.get_json()["possible_duplicates"]] == [1]


def test_a_misspelt_word_of_the_notes_is_not_shown_to_an_offered_organisation(client, helpline, hub):
    referral = log(client, helpline, notes="Needs her shopng done, lives alone")
    assert "shopping" in referral["needs"]
    assert "shopng" in str(referral["triage"]), "the helpline sees why"

    before = read(client, hub, referral["id"])

    assert "shopng" not in str(before)
    assert [r["conclusion"] for r in before["triage"]["reasons"]]
