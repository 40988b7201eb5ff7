"""Logging a call on the page: validation with an error summary, saving, duplicates, the live helpers."""

import re

from sqlalchemy import func, select

from api.schemas import RESIDENT_FLAGS
from referrals.models import Referral
from tests.web.conftest import post_form
from tests.web.test_access import call_form_data
from web.call_form import FLAG_LABELS

FORM = "/calls/new"


def save(client, **overrides):
    return post_form(client, FORM, call_form_data(**overrides))


def referral_id_from(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.fullmatch(r"/referrals/(\d+)", response.headers["Location"]).group(1))


def test_the_form_offers_every_resident_flag_the_api_knows():
    assert set(FLAG_LABELS) == set(RESIDENT_FLAGS)


def test_the_empty_form_starts_on_the_name(signed_in):
    page = signed_in("helpline").get(FORM).get_data(as_text=True)
    assert re.search(r'<input[^>]+id="name"[^>]+autofocus', page)
    assert page.index('id="name"') < page.index('id="postcode"') < page.index('id="notes"')
    assert page.index("Save call") < page.index("Check triage"), "Enter submits with Save"


def test_an_empty_call_lists_every_problem_linked_to_its_field(signed_in):
    response = post_form(signed_in("helpline"), FORM, {"channel": "phone"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert page.startswith("<!doctype html>")
    assert "<title>Error: Log a call" in page
    for anchor, message in [
        ("#name", "Enter the caller&#39;s name"),
        ("#postcode", "Enter the caller&#39;s postcode"),
        ("#notes", "Write what the caller needs"),
        ("#consent_to_share-yes", "Choose whether the caller agrees"),
    ]:
        assert re.search(f'<a href="{anchor}">{message}', page), anchor
    assert 'id="consent_to_share-yes"' in page
    assert re.search(r'<input[^>]+id="name"[^>]+aria-describedby="name-error"', page)


def test_a_postcode_outside_the_councils_is_explained_on_the_field(signed_in, session):
    response = save(signed_in("helpline"), postcode="M1 1AE")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<a href="#postcode">' in page
    assert "signpost the caller to their own council" in page
    assert 'value="Margaret Test"' in page, "what was typed is kept"
    assert session.scalar(select(func.count()).select_from(Referral)) == 0


def test_a_saved_call_shows_its_referral(signed_in, directory):
    client = signed_in("helpline")
    referral_id = referral_id_from(save(client))
    page = client.get(f"/referrals/{referral_id}").get_data(as_text=True)
    assert "Call saved as referral" in page
    assert f"Referral {referral_id}" in page
    assert "Offered to Sutton Central Hub" in page
    assert "left)" in page
    assert "Margaret Test" in page
    assert "Call logged" in page
    assert "Matched to the directory" in page
    assert "by helpline-user (helpline staff)" in page


def test_pressing_save_twice_logs_one_referral(signed_in, session):
    client = signed_in("helpline")
    first = referral_id_from(save(client, form_id="form-1"))
    second = referral_id_from(save(client, form_id="form-1"))
    assert first == second
    assert session.scalar(select(func.count()).select_from(Referral)) == 1


def test_a_known_caller_is_offered_before_saving_and_can_be_attached(signed_in, session):
    client = signed_in("helpline")
    first = referral_id_from(save(client, form_id="a"))
    again = save(client, form_id="b", notes="Now needs a prescription collected")
    page = again.get_data(as_text=True)
    assert again.status_code == 422
    resident_id = session.get(Referral, first).resident_id
    assert f'<a href="#resident_choice-{resident_id}">The caller may already be known' in page
    assert f'id="resident_choice-{resident_id}"' in page
    assert "phone ending 0123" in page
    attached = referral_id_from(
        save(
            client, form_id="b", notes="Now needs a prescription collected", resident_choice=str(resident_id)
        )
    )
    session.rollback()
    assert session.get(Referral, attached).resident_id == resident_id


def test_a_new_person_with_a_similar_name_can_be_saved_as_new(signed_in, session):
    client = signed_in("helpline")
    first = referral_id_from(save(client, form_id="a"))
    second = referral_id_from(save(client, form_id="b", resident_choice="new", notes="Dog walking please"))
    session.rollback()
    assert session.get(Referral, first).resident_id != session.get(Referral, second).resident_id


def test_check_triage_shows_the_preview_and_saves_nothing(signed_in, session):
    client = signed_in("helpline")
    response = save(client, check="1", notes="He hits her when he has been drinking and she is frightened.")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Yes: safety net" in page
    assert "There is a problem" not in page
    assert session.scalar(select(func.count()).select_from(Referral)) == 0


def test_bad_dates_and_recurrence_are_explained(signed_in):
    response = save(
        signed_in("helpline"), date_of_birth="2199-01-01", recurrence_every_days="0", recurrence_count="x"
    )
    page = response.get_data(as_text=True)
    assert '<a href="#date_of_birth">Date of birth must be in the past' in page
    assert '<a href="#recurrence_every_days">' in page
    assert '<a href="#recurrence_count">' in page


def test_regular_support_is_saved_with_its_plan(signed_in, session):
    client = signed_in("helpline")
    referral_id = referral_id_from(
        save(
            client,
            notes="Lonely, would like a weekly check-in call",
            recurrence_every_days="7",
            recurrence_count="3",
        )
    )
    session.rollback()
    assert len(session.get(Referral, referral_id).occurrences) == 3


def test_the_postcode_is_checked_as_it_is_typed(signed_in):
    client = signed_in("helpline")
    good = client.get("/calls/postcode?postcode=sm11aa").get_json()
    assert good["ok"] is True
    assert good["postcode"] == "SM1 1AA"
    assert "Sutton" in good["message"]
    district = client.get("/calls/postcode?postcode=SM2").get_json()
    assert district["ok"] is True
    assert "district only" in district["message"]
    outside = client.get("/calls/postcode?postcode=M1 1AE").get_json()
    assert outside["ok"] is False
    assert "own council" in outside["message"]
    nonsense = client.get("/calls/postcode?postcode=12345").get_json()
    assert nonsense["ok"] is False


def test_the_live_preview_gives_triage_reasons_and_known_people(signed_in):
    client = signed_in("helpline")
    referral_id_from(save(client, form_id="a"))
    data = call_form_data(notes="needs her prescriptions collected from the chemist")
    response = post_form(client, "/calls/preview", data, form_page=FORM)
    body = response.get_json()
    assert body["triage"]["tier"] in ("mutual_aid", "vcs")
    assert [need["code"] for need in body["triage"]["needs"]] == ["prescriptions"]
    assert body["triage"]["reasons"]
    assert [person["name"] for person in body["people"]] == ["Margaret Test"]


def test_the_preview_needs_the_csrf_token(signed_in):
    response = signed_in("helpline").post("/calls/preview", data=call_form_data())
    assert response.status_code == 400
    assert "could not be sent" in response.get_json()["error"]
