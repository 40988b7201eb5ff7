"""Logging a call on the page: validation in one pass with an error summary, the date of birth in three
boxes, contactable and safe-contact details, saving and the page after it, duplicates, a call for someone
already known, the live helpers, and a session that ends while the form is open."""

import html
import re

import pytest
from sqlalchemy import func, select

from api.schemas import RESIDENT_FLAGS
from referrals.models import Referral
from tests.web.conftest import csrf_token, post_form, sign_in
from tests.web.test_access import call_form_data
from web.call_form import FLAG_LABELS

FORM = "/calls/new"


def save(client, **overrides):
    return post_form(client, FORM, call_form_data(**overrides))


def referral_id_from(response) -> int:
    """Saving ends on the page after saving, /calls/<referral id>/saved."""
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.fullmatch(r"/calls/(\d+)/saved", response.headers["Location"]).group(1))


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def summary_links(page: str) -> list[tuple[str, str]]:
    summary = page.split('class="error-summary-list"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)


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
        ("#no_contact_reason", "Enter a phone number or an address"),
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
    again = save(client, form_id="form-1")
    assert again.headers["Location"] == f"/calls/{first}/saved"
    assert first == referral_id_from(again)
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


def born(day: str, month: str, year: str) -> dict:
    return {"date_of_birth-day": day, "date_of_birth-month": month, "date_of_birth-year": year}


def test_bad_dates_and_recurrence_are_explained(signed_in):
    response = save(
        signed_in("helpline"), **born("1", "1", "2199"), recurrence_every_days="0", recurrence_count="x"
    )
    page = response.get_data(as_text=True)
    assert '<a href="#date_of_birth-day">Date of birth must be in the past' in page
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


def check(client, postcode: str):
    """The form's script checks the postcode by POST with the form's CSRF token: never in a URL."""
    return post_form(client, "/calls/postcode", {"postcode": postcode}, form_page=FORM)


def test_the_postcode_is_checked_as_it_is_typed(signed_in):
    client = signed_in("helpline")
    good = check(client, "sm11aa").get_json()
    assert good["ok"] is True
    assert good["postcode"] == "SM1 1AA"
    assert "Sutton" in good["message"]
    district = check(client, "SM2").get_json()
    assert district["ok"] is True
    assert "district only" in district["message"]
    outside = check(client, "M1 1AE").get_json()
    assert outside["ok"] is False
    assert "own council" in outside["message"]
    nonsense = check(client, "12345").get_json()
    assert nonsense["ok"] is False


def test_the_postcode_check_keeps_the_postcode_out_of_the_url(signed_in):
    client = signed_in("helpline")
    assert client.get("/calls/postcode?postcode=SM1+1AA").status_code == 405
    refused = client.post("/calls/postcode", data={"postcode": "SM1 1AA"})
    assert refused.status_code == 400, "the form's CSRF token is needed"
    page = client.get(FORM).get_data(as_text=True)
    assert 'data-postcode-url="/calls/postcode"' in page
    script = client.get("/static/web/call-form.js").get_data(as_text=True)
    assert '"?postcode="' not in script


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


def test_every_problem_is_shown_in_one_pass_each_once_in_plain_words(signed_in):
    response = save(signed_in("helpline"), name="", phone="12345", postcode="M1 1AE")
    page = text_of(response)
    assert response.status_code == 422
    links = summary_links(page)
    assert [anchor for anchor, _ in links] == ["name", "phone", "postcode"]
    messages = dict(links)
    assert messages["name"] == "Enter the caller's name"
    assert messages["phone"] == "Enter a phone number in the right format, like 07700 900123 or 020 7946 0000"
    assert "signpost the caller to their own council" in messages["postcode"]
    for message in messages.values():
        assert page.count(message) == 2, f"once in the summary, once at the field: {message}"
    assert "'12345'" not in page, "not the system's words"


def test_a_postcode_that_is_not_one_is_explained_with_an_example(signed_in):
    page = text_of(save(signed_in("helpline"), postcode="12345"))
    assert dict(summary_links(page))["postcode"] == (
        "Enter a real postcode, like SM1 1AA, or only its first half, like SM1"
    )


@pytest.mark.parametrize(
    ("parts", "anchor", "message"),
    [
        (("27", "3", ""), "date_of_birth-year", "Date of birth must include a year"),
        (("", "", "1948"), "date_of_birth-day", "Date of birth must include a day and month"),
        (("31", "2", "1950"), "date_of_birth-day", "Date of birth must be a real date"),
        (("3", "13", "1950"), "date_of_birth-month", "Date of birth must be a real date"),
        (("3", "4", "48"), "date_of_birth-year", "Year must include 4 numbers"),
        (("3", "4", "31944"), "date_of_birth-year", "Year must include 4 numbers"),
    ],
)
def test_the_date_of_birth_is_three_boxes_and_a_wrong_part_is_named(signed_in, parts, anchor, message):
    response = save(signed_in("helpline"), **born(*parts))
    page = text_of(response)
    assert response.status_code == 422, "an incomplete or impossible date is never dropped"
    assert re.search(f'<a href="#{anchor}">{re.escape(message)}', page), page
    assert re.search(rf'<input class="input date-input-\w+ input-error" id="{anchor}"', page)


def test_a_date_of_birth_in_boxes_is_saved(signed_in, session):
    client = signed_in("helpline")
    referral_id = referral_id_from(save(client, **born("27", "Mar", "1948")))
    session.rollback()
    assert session.get(Referral, referral_id).resident.date_of_birth.isoformat() == "1948-03-27"


def test_an_empty_form_has_day_month_and_year_boxes(signed_in):
    page = signed_in("helpline").get(FORM).get_data(as_text=True)
    for part in ("day", "month", "year"):
        assert re.search(rf'<input[^>]+id="date_of_birth-{part}"[^>]+inputmode="numeric"', page)
    assert 'type="date"' not in page


def test_a_call_needs_a_phone_or_an_address_or_a_reason(signed_in, session):
    client = signed_in("helpline")
    refused = save(client, phone="", address="")
    assert refused.status_code == 422
    assert dict(summary_links(text_of(refused)))["no_contact_reason"].startswith(
        "Enter a phone number or an address"
    )
    only_address = referral_id_from(save(client, phone="", form_id="a", resident_choice="new"))
    reason = "Sleeping rough, comes to the day centre most mornings"
    neither = referral_id_from(save(client, phone="", address="", no_contact_reason=reason, form_id="b"))
    session.rollback()
    assert session.get(Referral, only_address).resident.address
    assert session.get(Referral, neither).no_contact_reason == reason


def test_the_preview_names_tiers_and_reasons_in_plain_english(signed_in):
    client = signed_in("helpline")
    data = call_form_data(notes="Needs her shopping picked up, lives alone")
    body = post_form(client, "/calls/preview", data, form_page=FORM).get_json()
    shown = html.unescape(body["triage_html"])
    assert body["triage"]["tier_words"] in ("Mutual aid", "Local charity or hub")
    assert body["triage"]["tier_words"] in shown
    assert "Nothing in the call makes it urgent" in shown
    for jargon in ("policy.yaml", "need_tiers", "rule matched", "Vcs", "Statutory", "mutual_aid"):
        assert jargon not in shown, jargon
    assert body["summary"].startswith(f"Triage preview: goes to {body['triage']['tier_words']}")


def test_a_statutory_need_is_the_council_safety_net_on_every_page(signed_in):
    client = signed_in("helpline")
    notes = "Being evicted on Friday and will be homeless, nowhere to go"
    checked = text_of(save(client, check="1", notes=notes))
    assert "Council safety net" in checked
    assert "Statutory" not in checked
    referral_id = referral_id_from(save(client, notes=notes))
    assert "Council safety net" in text_of(client.get(f"/referrals/{referral_id}"))
    assert "Council safety net" in text_of(client.get(f"/calls/{referral_id}/saved"))


def test_an_emergency_shows_what_to_do_now_with_the_councils_numbers(signed_in):
    client = signed_in("helpline")
    data = call_form_data(notes="Her husband has collapsed on the floor and is not breathing")
    body = post_form(client, "/calls/preview", data, form_page=FORM).get_json()
    assert body["triage"]["urgency"] == "emergency"
    shown = html.unescape(body["triage_html"])
    assert "Emergency: what to do now" in shown
    assert "999" in shown
    assert "Stay on the line" in shown
    assert "020 7946 0901" in shown, "Sutton's out-of-hours number (config/areas.yaml)"
    assert "Demo number" in shown


def test_the_form_always_says_what_to_do_in_danger_and_about_safeguarding(signed_in):
    page = re.sub(r"<[^>]+>", "", text_of(signed_in("helpline").get(FORM)))
    assert "If someone is in danger now" in page
    assert "call 999 now" in page
    assert "even if they said no to sharing their details" in page
    postcode = check(signed_in("helpline"), "SM1 1AA").get_json()
    assert "020 7946 0900" in html.unescape(postcode["guidance"]), "Sutton's safeguarding team"


def test_safe_contact_details_are_saved_and_shown_to_the_helpline(signed_in, session):
    client = signed_in("helpline")
    details = {
        "safe_to_contact": "no",
        "safe_times": "Weekdays 10 to 12, when he is at work",
        "safe_phone": "020 7946 0555",
        "no_message": "yes",
        "emergency_contact": "Jean Test, daughter, 07700 900777",
        "access_notes": "Key safe by the back door, a friendly dog",
        "language": "Polish, needs an interpreter",
        "communication_needs": "Speak slowly",
    }
    referral_id = referral_id_from(save(client, **details))
    session.rollback()
    stored = session.get(Referral, referral_id).resident.contact
    assert stored["safe_phone"] == "+442079460555"
    assert stored["no_message"] is True
    after = text_of(client.get(f"/calls/{referral_id}/saved"))
    referral_page = text_of(client.get(f"/referrals/{referral_id}"))
    for page in (after, referral_page):
        for value in ("Weekdays 10 to 12, when he is at work", "020 7946 0555", "Key safe by the back door",
                      "Jean Test, daughter", "Polish, needs an interpreter", "Speak slowly"):  # fmt: skip
            assert value in page, value
        assert "+44" not in page, "phone numbers in UK format"
    assert "at a time you said is safe" in after
    assert "No one will leave a voicemail" in after


def test_not_safe_to_call_needs_a_time_or_a_number(signed_in):
    page = text_of(save(signed_in("helpline"), safe_to_contact="no"))
    assert dict(summary_links(page))["safe_times"].startswith("It is not safe to contact them as usual")


def test_after_saving_the_page_says_what_to_tell_the_caller(signed_in):
    client = signed_in("helpline")
    response = save(client)
    referral_id = referral_id_from(response)
    page = text_of(client.get(response.headers["Location"]))
    assert "Call saved" in page
    assert f'<strong class="confirmation-reference">{referral_id}</strong>' in page
    assert "What to tell the caller" in page
    hub = "Sutton Central Hub, the local community hub, will arrange help: someone will ring you"
    assert f"{hub} within 48 hours." in page
    assert f"Your reference is {referral_id}" in page
    assert re.search(r'<a class="button" href="/calls/new"[^>]*>Log another call</a>', page)
    assert f'href="/referrals/{referral_id}"' in page


def test_after_saving_a_safeguarding_call_says_what_happens_now(signed_in):
    client = signed_in("helpline")
    notes = "He hits her when he has been drinking and she is frightened."
    referral_id = referral_id_from(save(client, notes=notes, consent_to_share="no"))
    page = text_of(client.get(f"/calls/{referral_id}/saved"))
    assert "Safeguarding: what happens now" in page
    assert "even though they said no to sharing their details" in page
    assert "020 7946 0900" in page
    assert "only the council's own teams will see them" in page


def test_a_call_for_a_known_person_starts_filled_in_and_is_added_to_them(signed_in, session):
    client = signed_in("helpline")
    first = referral_id_from(
        save(client, safe_to_contact="yes", access_notes="Key safe 1234", **born("2", "5", "1940"))
    )
    session.rollback()
    resident_id = session.get(Referral, first).resident_id
    page = text_of(client.get(f"{FORM}?person={resident_id}"))
    assert "This call is for <strong>Margaret Test</strong>" in page
    assert 'value="07700 900123"' in page, "the phone in UK format"
    assert 'value="1 Example Road, Sutton"' in page
    assert re.search(r'id="date_of_birth-year"[^>]+value="1940"', page)
    assert "Key safe 1234" in page
    assert f'<input type="hidden" name="resident_choice" value="{resident_id}">' in page
    data = call_form_data(
        notes="Now needs a prescription collected", resident_choice=str(resident_id), person_fixed="1"
    )
    response = post_form(
        client, f"{FORM}?person={resident_id}", data, form_page=f"{FORM}?person={resident_id}"
    )
    second = referral_id_from(response)
    session.rollback()
    assert session.get(Referral, second).resident_id == resident_id


def test_a_person_the_user_may_not_add_a_call_to_is_an_empty_form(signed_in, coventry_officer, session):
    referral_id = referral_id_from(save(signed_in("helpline")))
    session.rollback()
    resident_id = session.get(Referral, referral_id).resident_id
    for client, person in ((coventry_officer, resident_id), (signed_in("helpline"), 999999)):
        response = client.get(f"{FORM}?person={person}")
        page = text_of(response)
        assert response.status_code == 200
        assert "you cannot add a call to them: this is an empty form" in page
        assert "Margaret Test" not in page
        assert 'name="resident_choice"' not in page


def test_a_session_that_has_ended_comes_back_to_the_form_after_signing_in(app, people):
    client = app.test_client()
    token = csrf_token(client, "/sign-in")
    response = client.post(FORM, data={**call_form_data(), "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?next=/calls/new?"
    sign_in_page = text_of(client.get(response.headers["Location"]))
    assert "Your session had ended, so that was not saved" in sign_in_page
    assert 'name="next" value="/calls/new?"' in sign_in_page
    preview = client.post("/calls/preview", data=call_form_data(), headers={"Accept": "application/json"})
    assert preview.status_code == 401
    assert "session has ended" in preview.get_json()["error"]
    assert client.get("/calls/session").status_code == 401
    assert client.post("/calls/postcode", data={"postcode": "SM1"}).status_code == 401


def test_the_session_check_renews_the_forms_token(app, people):
    client = app.test_client()
    sign_in(client, people["helpline"])
    answer = client.get("/calls/session").get_json()
    assert answer["signed_in"] is True
    saved = client.post(FORM, data={**call_form_data(), "csrf_token": answer["csrf_token"]})
    assert saved.status_code == 302
    assert re.fullmatch(r"/calls/\d+/saved", saved.headers["Location"])


def test_a_call_saved_for_someone_the_user_may_not_see_ends_on_the_page_after_saving(coventry_officer):
    response = save(coventry_officer)
    referral_id = referral_id_from(response)
    page = text_of(coventry_officer.get(response.headers["Location"]))
    assert f"Your reference is {referral_id}" in page
    assert "Margaret Test" not in page
    assert f'href="/referrals/{referral_id}"' not in page
    assert coventry_officer.get(f"/referrals/{referral_id}").status_code == 404
    assert coventry_officer.get(f"/calls/{referral_id + 1}/saved").status_code == 404


def test_a_person_known_only_by_the_time_of_saving_is_asked_about_not_saved_twice(
    signed_in, session, monkeypatch
):
    """The form found no one while typing (someone else logged the same person a moment ago, say): intake's
    own check holds the call and the form asks who they are, with nothing saved."""
    import web.calls

    client = signed_in("helpline")
    first = referral_id_from(save(client, form_id="a"))
    monkeypatch.setattr(web.calls, "known_people", lambda call: [])
    before = session.scalar(select(func.count()).select_from(Referral))

    held = save(client, form_id="b", notes="Now needs a prescription collected")

    assert held.status_code == 422
    resident_id = session.get(Referral, first).resident_id
    assert f'id="resident_choice-{resident_id}"' in held.get_data(as_text=True)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Referral)) == before
