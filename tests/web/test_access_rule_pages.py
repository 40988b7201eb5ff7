"""The issue's reproductions on the web pages: an officer's council, the buttons and what an organisation sees
before it accepts, the transfer form, audited reads, and every action ending on a page the user may see."""

import pytest
from sqlalchemy import select

from referrals.models import AuditEvent
from tests.builders import auth, call, organisation, token_for
from tests.web.conftest import csrf_token, post_form

SECRET_NOTES = "Key safe code 4471, HIV positive. Needs shopping picked up."


@pytest.fixture
def api(client, session_factory, directory):
    tokens = {
        "helpline": auth(token_for(session_factory, "helpline_staff")),
        "hub": auth(token_for(session_factory, "hub_coordinator", directory["hub"])),
    }

    def post(who: str, path: str, body: dict) -> dict:
        response = client.post(path, json=body, headers=tokens[who])
        assert response.status_code in (200, 201), response.get_json()
        return response.get_json()

    return post


def test_an_officer_of_another_council_cannot_open_or_act_on_a_referral(api, coventry_officer):
    referral = api("helpline", "/api/v1/referrals", call())

    assert coventry_officer.get(f"/referrals/{referral['id']}").status_code == 404
    assert coventry_officer.get(f"/referrals/{referral['id']}/audit").status_code == 404
    for name in ("cancel", "escalate", "close"):
        response = post_form(
            coventry_officer,
            f"/referrals/{referral['id']}/actions/{name}",
            {f"{name}-reason": "not my council", f"{name}-outcome_code": "help_given"},
            form_page="/calls/new",
        )
        assert response.status_code == 404, name


def test_an_officer_of_another_council_cannot_find_or_attach_its_residents(api, coventry_officer):
    referral = api("helpline", "/api/v1/referrals", call())
    form = {
        "name": "Margaret Test",
        "phone": "07700 900123",
        "postcode": "SM1 1AA",
        "address": "1 Example Road, Sutton",
        "notes": "Needs shopping",
        "consent_to_share": "yes",
        "channel": "phone",
    }
    preview = coventry_officer.post(
        "/calls/preview", data={**form, "csrf_token": csrf_token(coventry_officer, "/calls/new")}
    )
    assert preview.status_code == 200
    assert preview.get_json()["people"] == []
    assert "Example Road" not in preview.get_data(as_text=True)

    attached = post_form(
        coventry_officer, "/calls/new", {**form, "resident_choice": str(referral["resident"]["id"])}
    )
    assert attached.status_code == 422
    assert "no longer on record" in attached.get_data(as_text=True)


def test_an_officer_is_offered_what_the_api_lets_them_do_on_hub_work(api, signed_in, directory):
    referral = api("helpline", "/api/v1/referrals", call())
    api("hub", f"/api/v1/referrals/{referral['id']}/accept", {})

    page = signed_in("officer").get(f"/referrals/{referral['id']}").get_data(as_text=True)

    for name in ("escalate", "cancel", "close"):
        assert f'/actions/{name}"' in page
    for name in ("start", "complete", "transfer", "accept"):
        assert f'/actions/{name}"' not in page
    started = post_form(signed_in("officer"), f"/referrals/{referral['id']}/actions/start", {}, "/queue")
    assert started.status_code == 403


def test_an_offered_hub_sees_the_summary_not_the_notes_on_the_page(api, signed_in):
    summary = "Weekly shop, lives alone, needs it by Friday"
    referral = api("helpline", "/api/v1/referrals", call(notes=SECRET_NOTES, summary=summary))

    page = signed_in("hub").get(f"/referrals/{referral['id']}").get_data(as_text=True)

    assert summary in page
    assert "4471" not in page
    assert "HIV" not in page
    assert "Margaret Test" not in page
    assert "Shown after your organisation accepts the referral." in page


def test_the_transfer_form_lists_and_accepts_only_allowed_organisations(
    api, signed_in, directory, session_factory
):
    coventry = organisation(session_factory, name="Coventry Hub", area="coventry", coverage_outcodes=["CV1"])
    arms_length = organisation(
        session_factory, name="Arm's Length Aid", kind="mutual_aid", mutual_aid_mode="arms_length"
    )
    referral = api("helpline", "/api/v1/referrals", call())
    api("hub", f"/api/v1/referrals/{referral['id']}/accept", {})
    hub = signed_in("hub")

    page = hub.get(f"/referrals/{referral['id']}").get_data(as_text=True)
    assert "Sutton Food Bank" in page
    assert "Coventry Hub" not in page
    assert "Arm&#39;s Length Aid" not in page
    assert "Arm's Length Aid" not in page

    for target in (coventry, arms_length):
        refused = post_form(
            hub,
            f"/referrals/{referral['id']}/actions/transfer",
            {"transfer-to_org_id": str(target), "transfer-reason": "try them"},
            f"/referrals/{referral['id']}",
        )
        assert refused.status_code == 422
        assert "Cannot transfer to organisation" in refused.get_data(as_text=True)


def test_after_a_decline_the_hub_lands_on_its_queue_not_a_missing_page(api, signed_in):
    referral = api("helpline", "/api/v1/referrals", call())
    hub = signed_in("hub")

    declined = post_form(
        hub,
        f"/referrals/{referral['id']}/actions/decline",
        {"decline-reason": "nobody free this week"},
        f"/referrals/{referral['id']}",
    )

    assert declined.status_code == 302
    assert declined.headers["Location"] == "/queue"
    landing = hub.get("/queue")
    assert landing.status_code == 200
    assert "Declined" in landing.get_data(as_text=True)


@pytest.mark.parametrize("who", ["officer", "admin", "helpline"])
def test_web_reads_of_a_person_are_audited(api, signed_in, session_factory, who):
    referral = api("helpline", "/api/v1/referrals", call())

    assert signed_in(who).get(f"/referrals/{referral['id']}").status_code == 200

    with session_factory() as session:
        reads = session.scalars(
            select(AuditEvent).where(
                AuditEvent.kind == "resident.read", AuditEvent.referral_id == referral["id"]
            )
        ).all()
    assert [(event.payload["door"], event.actor_role) for event in reads] == [
        ("web", {"officer": "safety_net_officer", "admin": "admin", "helpline": "helpline_staff"}[who])
    ]


def test_the_helpline_records_withdrawn_consent_on_the_page_and_the_hub_loses_the_referral(
    api, signed_in, directory
):
    referral = api("helpline", "/api/v1/referrals", call())
    api("hub", f"/api/v1/referrals/{referral['id']}/accept", {})
    helpline = signed_in("helpline")
    path = f"/referrals/{referral['id']}"
    assert "The person withdraws consent" in helpline.get(path).get_data(as_text=True)

    empty = post_form(helpline, f"{path}/consent", {"consent_to_share": "no"}, path)
    assert empty.status_code == 422
    done = post_form(
        helpline, f"{path}/consent", {"consent_to_share": "no", "consent-reason": "rang back"}, path
    )

    assert done.status_code == 302
    page = helpline.get(path).get_data(as_text=True)
    assert "Consent withdrawn" in page
    assert "Escalated" in page
    assert signed_in("hub").get(path).status_code == 404
