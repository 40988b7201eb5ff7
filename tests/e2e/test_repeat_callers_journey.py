"""Repeat callers in headless Chromium: a partner's referral of someone the helpline already knows is not held
(partners are never shown other people) but listed for the helpline, who settles it from the "Repeat callers"
page with the keyboard; the call then sits on the known person's page. axe-core checks each page."""

import re

from sqlalchemy import select

from referrals.models import Referral
from tests.builders import call, token_for
from tests.e2e.api_calls import post_call
from tests.e2e.conftest import web_check, web_sign_in

try:
    from playwright.sync_api import expect
except ImportError:  # the web_browser fixture then skips these tests with the reason (or fails when CI=true)
    expect = None

KNOWN = {"name": "Dorothy Ringback", "phone": "07700 900432", "postcode": "SM1 1AA", "address": "9 Bell Lane"}


def test_the_helpline_settles_a_partners_referral_of_someone_known(web_page, web_server, session_factory):
    known = post_call(web_server, token_for(session_factory, "helpline_staff"), call(resident=KNOWN))
    partner_call = call(
        channel="partner_referral",
        resident={**KNOWN, "name": "Dot Ringback", "phone": "+44 7700 900432"},
        notes="GP surgery: she needs her prescriptions collected while her hip heals",
    )
    partner_call.pop("new_person")
    referred = post_call(web_server, token_for(session_factory, "partner_referrer"), partner_call)
    assert referred["duplicate_check"], "the partner is told the helpline checks, and shown no one"

    page = web_page
    web_sign_in(page, "helpline")
    page.get_by_role("link", name="Repeat callers").click()
    card = page.locator(f"#check-{referred['id']}")
    expect(card).to_contain_text("Dot Ringback")
    expect(card).to_contain_text("Yes: Dorothy Ringback, 9 Bell Lane, SM1 1AA")
    web_check(page, "repeat-callers")

    card.get_by_label("Yes: Dorothy Ringback", exact=False).focus()
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    expect(page.locator(".banner").first).to_contain_text("now on the known person's record")
    expect(page.locator("main")).to_contain_text("Nothing to check")
    web_check(page, "repeat-callers-settled")

    page.goto(f"/people/{known['resident']['id']}")
    expect(page.locator("main")).to_contain_text(f"Referral {referred['id']}")
    web_check(page, "person-page-after-repeat-caller")


SAVED = re.compile(r"/calls/(\d+)/saved$")


def type_caller(page, name: str, phone: str, address: str, notes: str) -> None:
    page.goto("/calls/new")
    page.fill("#name", name)
    page.fill("#phone", phone)
    page.fill("#postcode", "SM1 1AA")
    page.fill("#address", address)
    page.fill("#notes", notes)


def save(page) -> int:
    page.click("#consent_to_share-yes")
    page.click("button:has-text('Save call')")
    page.wait_for_url(SAVED)
    return int(SAVED.search(page.url).group(1))


def test_a_repeat_caller_is_found_by_phone_and_by_name_and_postcode(web_page, web_server, session_factory):
    helpline = token_for(session_factory, "helpline_staff")
    by_phone = post_call(web_server, helpline, call(resident=KNOWN))
    by_address = post_call(
        web_server,
        helpline,
        call(
            resident={
                "name": "Bernard Pettigrew",
                "phone": "",
                "postcode": "SM1 1AA",
                "address": "4 Lark Rise",
            }
        ),
    )
    page = web_page
    web_sign_in(page, "helpline")

    # A shortened first name and the same phone written another way.
    type_caller(page, "Dot Ringback", "+44 7700 900432", "", "Her shopping again please")
    known = page.locator("#known-people")
    expect(known).to_contain_text("Dorothy Ringback")
    expect(known).to_contain_text("phone ending 0432")
    web_check(page, "repeat-caller-by-phone")

    # One letter of the surname different, no phone, the same postcode and address.
    type_caller(page, "Bernard Petigrew", "", "4 Lark Rise", "Needs a prescription collected")
    expect(known).to_contain_text("Bernard Pettigrew")
    known.get_by_label("Bernard Pettigrew", exact=False).check()
    save(page)
    expect(page.locator("main")).to_contain_text("Call saved")
    with session_factory() as session:
        newest = session.scalars(select(Referral).order_by(Referral.id.desc())).first()
        assert newest.resident_id == by_address["resident"]["id"], "the call is on the known person's record"
    assert by_phone["resident"]["id"] != by_address["resident"]["id"]


def test_a_known_callers_new_call_for_the_same_need_is_added_to_their_open_referral(
    web_page, web_server, session_factory
):
    first = post_call(web_server, token_for(session_factory, "helpline_staff"), call(resident=KNOWN))
    page = web_page
    web_sign_in(page, "helpline")
    page.goto(f"/calls/new?person={first['resident']['id']}")
    page.fill("#notes", "Rang again: still needs her shopping, the milk has run out")
    save(page)
    expect(page.locator("main")).to_contain_text(
        f"We have added this to your open request (reference {first['id']})"
    )
    expect(page.locator("main")).to_contain_text(f"Your reference is {first['id']}.")
    web_check(page, "call-saved-added-to-open-referral")

    page.get_by_role("link", name=f"See their open referral {first['id']}").click()
    expect(page.locator("main")).to_contain_text("They rang again about this")
    expect(page.locator("main")).to_contain_text("the milk has run out")
    web_check(page, "referral-rang-again")
