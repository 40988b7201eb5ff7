"""Issue 19 in headless Chromium: a hub's decline and transfer each land on a page the hub may see, with a
clear message; the safety net's dashboard then shows the transfer, late, with who holds it, and a phone task,
which the officer works to the end in the browser. axe-core checks every page."""

from datetime import timedelta

import requests
from sqlalchemy import select

from accounts.tokens import SYSTEM
from db.base import utcnow
from notify.models import PhoneTask
from referrals.models import Offer
from tests.builders import call, token_for
from tests.e2e.api_calls import post_call
from tests.e2e.conftest import web_check, web_sign_in, web_sign_out
from texting.phone_tasks import raise_phone_task

try:
    from playwright.sync_api import expect
except ImportError:  # the web_browser fixture then skips these tests with the reason (or fails when CI=true)
    expect = None


def test_decline_and_transfer_land_on_pages_the_hub_may_see_and_the_dashboard_shows_what_is_late(
    web_page, web_server, session_factory
):
    page = web_page
    helpline = token_for(session_factory, "helpline_staff")
    moving = post_call(web_server, helpline, call(resident={"name": "Ivy Transfer", "phone": "07700 900611"}))
    declined = post_call(
        web_server, helpline, call(resident={"name": "Stan Decline", "phone": "07700 900622"})
    )

    web_sign_in(page, "hub")
    page.goto(f"/referrals/{moving['id']}")
    page.click("button:has-text('Accept this referral')")
    page.click("summary:has-text('Transfer')")
    page.select_option("#transfer-to_org_id", label="Sutton Food Bank")
    page.fill("#transfer-reason", "They have a van on Thursdays")
    page.click("form button:has-text('Transfer')")
    expect(page.locator(".banner")).to_contain_text("Transfer offered: the referral stays with you")
    expect(page.locator("h1")).to_contain_text("Transferred")
    web_check(page, "hub-after-transfer")

    page.goto(f"/referrals/{declined['id']}")
    page.click("summary:has-text('Decline')")
    page.fill("#decline-reason", "No volunteers free this week")
    page.click("form button:has-text('Decline')")
    expect(page.locator("h1")).to_have_text("Queue"), "not 'Page not found': the hub can no longer see it"
    expect(page.locator(".banner")).to_contain_text("Declined: the referral has moved on.")
    web_check(page, "hub-after-decline")
    web_sign_out(page)

    with session_factory() as session:  # the food bank has not answered in time, and a text failed
        transfer = session.scalar(
            select(Offer).where(Offer.referral_id == moving["id"], Offer.status == "pending")
        )
        transfer.expires_at = utcnow() - timedelta(minutes=45)
        task = raise_phone_task(
            session,
            "+447700900633",
            "the offer text could not be delivered",
            SYSTEM,
            utcnow(),
            referral_id=declined["id"],
        )
        session.commit()
        task_id = task.id

    web_sign_in(page, "officer")
    expect(page.locator("h1")).to_have_text("Safety net")
    late = page.locator("section[aria-labelledby='section-late']")
    transfer_card = late.locator("li.card", has_text=f"Referral {moving['id']}:")
    expect(transfer_card).to_contain_text("Transfer waiting for an answer")
    expect(transfer_card).to_contain_text(
        "Sutton Central Hub holds it and has offered it to Sutton Food Bank by transfer"
    )
    expect(transfer_card).to_contain_text("overdue by 45 min")
    task_card = late.locator("li.card", has_text=f"Referral {declined['id']}:")
    expect(task_card).to_contain_text("the offer text could not be delivered")
    expect(task_card).to_contain_text("Escalated to Sutton Council safety net")
    web_check(page, "safety-net-late")

    page.locator("section[aria-labelledby='section-phone_tasks']").locator(
        f"a[href='/phone-tasks/{task_id}']"
    ).click()
    expect(page.locator("h1")).to_contain_text("Ring")
    page.click("button:has-text('Record the call')")
    expect(page.locator(".error-summary")).to_contain_text("Choose what happened on the call")
    web_check(page, "phone-task-error")
    page.check("#outcome-will_do")
    page.fill("#note", "The lead will go this afternoon")
    page.check("#done-yes")
    page.click("button:has-text('Record the call')")
    expect(page.locator("h1")).to_have_text("Phone tasks")
    expect(page.locator(".banner")).to_contain_text(f"Phone task {task_id} is done")
    web_check(page, "phone-tasks-done")
    with session_factory() as session:
        assert session.get(PhoneTask, task_id).status == "done"


def test_the_officer_lets_a_lowered_tier_stand_from_the_late_list(web_page, web_server, session_factory):
    page = web_page
    helpline = token_for(session_factory, "helpline_staff", name="Hana Helpline")
    logged = post_call(
        web_server,
        helpline,
        call(notes="Needs food bank referral", resident={"name": "Lowe Tier", "phone": "07700 900644"}),
    )
    lowered = requests.post(
        f"{web_server.url}/api/v1/referrals/{logged['id']}/triage",
        json={"tier": "mutual_aid", "reason": "A neighbour already brings food, only shopping is needed"},
        headers={"Authorization": f"Bearer {helpline}"},
        timeout=10,
    )
    assert lowered.status_code == 200, lowered.text

    web_sign_in(page, "officer")
    late = page.locator("section[aria-labelledby='section-late']")
    card = late.locator("li.card", has_text=f"Referral {logged['id']}:")
    expect(card).to_contain_text("Tier lowered by a person: check it")
    expect(card).to_contain_text("From Local charity or hub to Mutual aid by Hana Helpline")
    web_check(page, "safety-net-lowered-tier")
    card.locator("button:has-text('Checked: the lower tier stands')").click()
    expect(page.locator("h1")).to_have_text("Safety net")
    expect(page.locator(".banner")).to_contain_text("the lower tier stands, checked by you")
    expect(late.locator("li.card", has_text=f"Referral {logged['id']}:")).to_have_count(0)
    web_check(page, "safety-net-tier-checked")
    page.goto(f"/referrals/{logged['id']}/audit")
    expect(page.locator("main")).to_contain_text("checked the lowered tier and let it stand")
