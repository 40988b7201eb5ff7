"""The helpline's page of partner referrals whose person may already be known: the same list and the same
settling as the API's (referrals/repeat_callers.py), each answer ending back on the list with a message."""

from tests.builders import auth, call, token_for
from tests.web.conftest import post_form

KNOWN = {
    "name": "Margaret Holloway",
    "phone": "07700 900777",
    "postcode": "SM1 1AA",
    "address": "14 Cedar Road",
}


def referred_by_a_partner(client, session_factory) -> tuple[dict, dict]:
    helpline = auth(token_for(session_factory, "helpline_staff"))
    known = client.post("/api/v1/referrals", json=call(resident=KNOWN), headers=helpline).get_json()
    partner = auth(token_for(session_factory, "partner_referrer"))
    body = call(channel="partner_referral", resident={**KNOWN, "name": "Maggie Holloway"})
    body.pop("new_person")
    referred = client.post("/api/v1/referrals", json=body, headers=partner).get_json()
    return known, referred


def test_the_list_shows_the_call_and_who_it_may_be_and_settles_it(client, session_factory, signed_in):
    known, referred = referred_by_a_partner(client, session_factory)
    browser = signed_in("helpline")

    page = browser.get("/repeat-callers").get_data(as_text=True)
    for shown in ("Maggie Holloway", "Margaret Holloway", "07700 900777"):
        assert shown in page
    assert 'href="/repeat-callers"' in browser.get("/calls/new").get_data(as_text=True), "in the menu"

    unanswered = post_form(browser, f"/repeat-callers/{referred['id']}", {}, "/repeat-callers")
    assert unanswered.status_code == 302
    assert "choose who the person is" in browser.get(unanswered.location).get_data(as_text=True)

    answer = post_form(
        browser, f"/repeat-callers/{referred['id']}", {"same_as": known["resident"]["id"]}, "/repeat-callers"
    )
    assert answer.status_code == 302
    assert answer.location.endswith("/repeat-callers")
    after = browser.get(answer.location).get_data(as_text=True)
    assert "now on the known person" in after
    assert "Nothing to check" in after
    helpline = auth(token_for(session_factory, "helpline_staff"))
    moved = client.get(f"/api/v1/referrals/{referred['id']}", headers=helpline).get_json()
    assert moved["resident"]["id"] == known["resident"]["id"]


def test_the_page_and_the_api_list_the_same_calls_for_each_role(client, session_factory, signed_in):
    _known, referred = referred_by_a_partner(client, session_factory)
    for key, role in (("helpline", "helpline_staff"), ("officer", "safety_net_officer")):
        browser = signed_in(key)
        page = browser.get("/repeat-callers").get_data(as_text=True)
        on_page = f'Referral <a href="/referrals/{referred["id"]}">{referred["id"]}</a>' in page
        token = auth(token_for(session_factory, role))
        via_api = [
            item["referral_id"] for item in client.get("/api/v1/repeat-callers", headers=token).get_json()
        ]
        assert on_page == (referred["id"] in via_api), key
    assert signed_in("hub").get("/repeat-callers").status_code == 403
