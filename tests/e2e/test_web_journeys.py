"""The web pages' journeys in headless Chromium: helpline staff log calls with the keyboard, a hub coordinator
accepts and completes one and declines another, which the safety net then finds on its dashboard; refused
sign-ins and forms; the directory and a CSV import. axe-core checks every page; screenshots are saved under
test-artifacts/screenshots."""

import re

from sqlalchemy import select

from referrals.models import Referral
from tests.e2e.conftest import axe_violations, web_check, web_sign_in, web_sign_out

try:
    from playwright.sync_api import expect
except ImportError:  # the web_browser fixture then skips these tests with the reason (or fails when CI=true)
    expect = None


SAVED = re.compile(r"/calls/(\d+)/saved$")


def focused_id(page) -> str:
    return page.evaluate("document.activeElement.id")


def log_call_with_the_keyboard(page, name: str, phone: str, notes: str) -> int:
    page.goto("/calls/new")
    expect(page.locator("#name")).to_be_focused()
    page.keyboard.type(name)
    page.keyboard.press("Tab")
    assert focused_id(page) == "phone"
    page.keyboard.type(phone)
    page.keyboard.press("Tab")
    assert focused_id(page) == "postcode"
    page.keyboard.type("sm1 1aa")
    expect(page.locator("#postcode-status")).to_contain_text("SM1 1AA, London Borough of Sutton")
    page.keyboard.press("Tab")
    assert focused_id(page) == "address"
    page.keyboard.type("2 Journey Close, Sutton")
    page.focus("#notes")
    page.keyboard.type(notes)
    expect(page.locator("#triage-preview")).to_contain_text("Why")
    page.focus("#consent_to_share-yes")
    page.keyboard.press("Space")
    page.focus("#address")
    page.keyboard.press("Enter")
    page.wait_for_url(SAVED)
    return int(SAVED.search(page.url).group(1))


def test_a_call_is_accepted_and_completed_and_the_safety_net_sees_the_declined_one(
    web_page, web_server, session_factory
):
    page = web_page
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in"))
    web_check(page, "sign-in")

    web_sign_in(page, "helpline")
    expect(page.locator("h1")).to_have_text("Log a call")
    web_check(page, "call-form")
    shopping = log_call_with_the_keyboard(
        page, "Margaret Journey", "07700 900321", "Needs her shopping picked up this week, lives alone"
    )
    expect(page.locator("h1")).to_have_text("Call saved")
    expect(page.locator(".confirmation-reference")).to_have_text(str(shopping))
    expect(page.locator(".tell-caller")).to_contain_text("Sutton Central Hub")
    web_check(page, "call-saved")
    page.click(f"a:has-text('See referral {shopping}')")
    expect(page.locator("h1")).to_contain_text("Offered")
    expect(page.locator("main")).to_contain_text("Offered to Sutton Central Hub")
    expect(page.locator("#timeline + ol")).to_contain_text("Call logged")
    web_check(page, "referral-helpline")

    prescriptions = log_call_with_the_keyboard(
        page, "Albert Second", "07700 900654", "Could someone collect his prescription from the chemist"
    )
    web_sign_out(page)

    web_sign_in(page, "hub")
    expect(page.locator("h1")).to_have_text("Queue")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    expect(page.locator(".skip-link")).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert focused_id(page) == "main-content"
    offers = page.locator("#section-offers + ul, section[aria-labelledby='section-offers'] ul")
    expect(offers).to_contain_text(f"Referral {shopping}")
    expect(offers).to_contain_text("left)")
    web_check(page, "queue")

    page.click(f"a[href='/referrals/{shopping}']")
    expect(page.locator("main")).to_contain_text("Shown after your organisation accepts the referral")
    expect(page.locator("main")).not_to_contain_text("Margaret Journey")
    web_check(page, "referral-before-acceptance")
    page.click("button:has-text('Accept this referral')")
    expect(page.locator(".banner")).to_contain_text("Accepted")
    expect(page.locator("main")).to_contain_text("Margaret Journey")
    page.click("button:has-text('Start the work')")
    page.click("button:has-text('Complete')")
    expect(page.locator(".error-summary")).to_contain_text("Choose what came of it")
    expect(page.locator(".error-summary")).to_be_focused()
    web_check(page, "referral-complete-error")
    page.check("#complete-outcome_codes-shopping_delivered")
    page.check("#complete-outcome_codes-prescription_collected")
    page.fill("#complete-note", "Delivered on Tuesday")
    page.click("button:has-text('Complete')")
    expect(page.locator("h1")).to_contain_text("Completed")
    expect(page.locator("main")).to_contain_text(
        "Completed: Shopping delivered, Prescription collected and delivered"
    )
    web_check(page, "referral-completed")

    page.goto(f"/referrals/{prescriptions}")
    page.click("summary:has-text('Decline')")
    page.fill("#decline-reason", "No one free to go to the chemist this week")
    page.click("form button:has-text('Decline')")
    expect(page.locator(".banner")).to_contain_text("Declined")
    web_sign_out(page)

    web_sign_in(page, "officer")
    expect(page.locator("h1")).to_have_text("Safety net")
    escalations = page.locator("section[aria-labelledby='section-escalations']")
    expect(escalations).to_contain_text(f"Referral {prescriptions}")
    web_check(page, "safety-net")
    escalations.locator(f"a[href='/referrals/{prescriptions}/audit']").click()
    expect(page.locator("main")).to_contain_text(
        # the reason, read back for an officer
        "declined the offer: no one free to go to the chemist this week"
    )
    web_check(page, "audit-trail")
    page.goto(f"/referrals/{shopping}")
    expect(page.locator("main")).to_contain_text("Completed: Shopping delivered")
    web_check(page, "referral-safety-net")

    with session_factory() as session:
        statuses = dict(session.execute(select(Referral.id, Referral.status)).all())
    assert statuses == {shopping: "completed", prescriptions: "escalated"}


def test_a_known_caller_is_found_while_typing_and_the_call_is_attached_to_them(
    web_page, web_server, session_factory
):
    page = web_page
    web_sign_in(page, "helpline")
    first = log_call_with_the_keyboard(page, "Margaret Journey", "07700 900321", "Needs shopping this week")
    page.goto("/calls/new")
    page.fill("#name", "Margaret Journey")
    page.fill("#phone", "07700 900321")
    page.fill("#postcode", "SM1 1AA")
    page.fill("#notes", "Now she needs a prescription collected")
    known = page.locator("#known-people")
    expect(known).to_contain_text("Is the caller someone already known?")
    expect(known).to_contain_text("phone ending 0321")
    web_check(page, "call-form-known-person")
    known.locator("input[type=radio]").first.check()
    page.click("#consent_to_share-yes")
    page.click("button:has-text('Save call')")
    page.wait_for_url(SAVED)
    second = int(SAVED.search(page.url).group(1))
    with session_factory() as session:
        assert session.get(Referral, second).resident_id == session.get(Referral, first).resident_id


def test_the_call_form_works_without_javascript(web_context, web_server):
    page = web_context(javascript=False).new_page()
    web_sign_in(page, "helpline")
    page.goto("/calls/new")
    page.fill("#name", "Nora Noscript")
    page.fill("#notes", "Needs some shopping")
    page.click("button:has-text('Save call')")
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Enter the caller's postcode")
    expect(summary).to_contain_text("Choose whether the caller agrees to share their details")
    expect(summary).to_contain_text("Enter a phone number or an address")
    expect(page).to_have_title(re.compile(r"^Error: Log a call"))
    web_check(page, "call-form-errors")
    summary.locator("a[href='#postcode']").click()
    assert focused_id(page) == "postcode"
    page.fill("#postcode", "SM2 5AA")
    page.fill("#phone", "07700 900876")
    page.click("button:has-text('Check triage')")
    expect(page.locator("#triage-preview")).to_contain_text("Why")
    web_check(page, "call-form-checked")
    page.check("#consent_to_share-no")
    page.click("button:has-text('Save call')")
    page.wait_for_url(SAVED)
    expect(page.locator("h1")).to_have_text("Call saved")


def test_a_wrong_password_and_a_missing_csrf_token_are_refused(web_page, web_server):
    page = web_page
    web_sign_in(page, "helpline", "not the password at all")
    expect(page.locator(".error-summary")).to_contain_text("The username or password is not right")
    expect(page).to_have_url(re.compile(r"/sign-in"))
    web_check(page, "sign-in-wrong-password")

    page.goto("/sign-in")
    page.fill("#username", "helpline")
    page.fill("#password", "a browser test password")
    page.evaluate("document.querySelector('input[name=csrf_token]').remove()")
    page.click("button:has-text('Sign in')")
    expect(page.locator("h1")).to_have_text("This form could not be sent")
    web_check(page, "csrf-refused")
    page.goto("/calls/new")
    expect(page).to_have_url(re.compile(r"/sign-in"))

    web_sign_in(page, "helpline")
    page.goto("/calls/new")
    page.evaluate("document.querySelector('#call-form input[name=csrf_token]').value = 'forged'")
    page.fill("#name", "Forged Call")
    page.click("button:has-text('Save call')")
    expect(page.locator("h1")).to_have_text("This form could not be sent")


def test_a_coordinator_cannot_open_the_admin_pages(web_page, web_server):
    page = web_page
    web_sign_in(page, "hub")
    response = page.goto("/admin/organisations")
    assert response.status == 403
    expect(page.locator("h1")).to_have_text("You cannot use this page")
    web_check(page, "forbidden")
    response = page.goto("/referrals/999999")
    assert response.status == 404
    web_check(page, "not-found")


def test_an_admin_browses_the_directory_and_imports_a_csv(web_page, web_server, tmp_path):
    page = web_page
    web_sign_in(page, "admin")
    expect(page.locator("h1")).to_have_text("Organisations")
    web_check(page, "organisations")
    page.click("a:has-text('SM1 Mutual Aid')")
    expect(page.locator("main")).to_contain_text("Dog walking")
    web_check(page, "organisation")
    page.click("a:has-text('Change its details')")
    page.fill("#base_address", "x" * 201)
    page.click("button:has-text('Save changes')")
    expect(page.locator(".error-summary")).to_contain_text("Address")
    web_check(page, "organisation-form-errors")
    page.fill("#base_address", "Community Centre, 1 Example Road")
    page.click("button:has-text('Save changes')")
    expect(page.locator("main")).to_contain_text("Community Centre, 1 Example Road")
    page.click("a:has-text('Organisations')")
    page.click("a:has-text('SM1 Mutual Aid')")
    page.click("a:has-text('1 volunteer')")
    expect(page.locator("h1")).to_have_text("Volunteers")
    web_check(page, "volunteers")
    page.click("a:has-text('Test Volunteer')")
    expect(page.locator("main")).to_contain_text("07700 900501")
    web_check(page, "volunteer")

    page.goto("/admin/imports/new")
    page.click("button:has-text('Upload and import')")
    expect(page.locator(".error-summary")).to_contain_text("Choose a CSV file to upload")
    web_check(page, "import-form-errors")

    lines = ["external_id,name,kind,area,services"]
    lines += [f"e2e:{n},Journey Group {n},vcs,sutton,food;advice" for n in range(1, 41)]
    lines[7] = "e2e:7,Journey Group 7,castle,sutton,food"
    upload = tmp_path / "organisations.csv"
    upload.write_text("\n".join(lines) + "\n", encoding="utf-8")
    page.check("#kind-organisations")
    page.set_input_files("#file", str(upload))
    page.fill("#batch_size", "10")
    page.click("button:has-text('Upload and import')")
    expect(page.locator("#import-state")).to_contain_text("Finished.", timeout=60_000)
    for term, value in [("Rows in the file", "40"), ("Created", "30"), ("Not imported", "10")]:
        expect(page.locator(".summary-row", has_text=term).locator("dd")).to_contain_text(value)
    expect(page.locator("table")).to_contain_text("'castle' is not one of")
    web_check(page, "import-result")


def test_the_import_page_follows_a_running_job_until_it_ends(web_page, web_server, session_factory):
    from accounts.models import User
    from web.models import ImportJob

    with session_factory() as session:
        admin_id = session.scalar(select(User.id).where(User.username == "admin"))
        job = ImportJob(kind="volunteers", filename="volunteers.csv", batch_size=100, state="checking",
                        total_rows=1000, checked_rows=250, created_by_user_id=admin_id)  # fmt: skip
        session.add(job)
        session.commit()
        job_id = job.id
    page = web_page
    web_sign_in(page, "admin")
    page.goto(f"/admin/imports/{job_id}")
    expect(page.locator("#import-state")).to_contain_text("Checking rows")
    assert page.eval_on_selector("#import-bar", "bar => bar.value") == 250
    expect(page.locator(".no-script-only")).to_be_hidden()
    web_check(page, "import-progress")
    with session_factory() as session:
        running = session.get(ImportJob, job_id)
        running.checked_rows = 600
        session.commit()
    expect(page.locator("#import-bar")).to_have_attribute("value", "600")
    with session_factory() as session:
        done = session.get(ImportJob, job_id)
        done.state, done.checked_rows, done.created = "finished", 1000, 1000
        session.commit()
    expect(page.locator("#import-state")).to_have_text("Finished.")
    expect(page.locator(".summary-row", has_text="Created").locator("dd")).to_have_text("1000")


def test_the_accessibility_check_itself_finds_problems(web_page, web_server):
    page = web_page
    page.goto("/sign-in")
    page.evaluate("document.querySelector('label[for=username]').remove()")
    found = {violation["id"]: violation["impact"] for violation in axe_violations(page)}
    assert found.get("label") == "critical"
