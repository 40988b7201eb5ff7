"""A referral's page for each role: redaction before acceptance, the actions and their validation, the queue,
the safety-net dashboard and the audit trail."""

import re

from sqlalchemy import select

from accounts.passwords import create_user
from referrals.models import Referral
from tests.web.conftest import PASSWORD, Person, post_form, sign_in
from tests.web.test_calls import referral_id_from, save


def logged(signed_in, **overrides) -> int:
    return referral_id_from(save(signed_in("helpline"), **overrides))


def act(client, referral_id: int, action: str, **fields):
    """Send an action's form as the page names its fields: decline-reason, complete-outcome_code..."""
    page = f"/referrals/{referral_id}"
    named = {f"{action}-{key}": value for key, value in fields.items()}
    return post_form(client, f"{page}/actions/{action}", named, form_page=page)


def test_a_coordinator_accepts_starts_and_completes_from_the_pages(signed_in, session):
    referral_id = logged(signed_in)
    hub = signed_in("hub")
    queue = hub.get("/queue").get_data(as_text=True)
    assert f"Referral {referral_id}: Shopping" in queue
    assert re.search(r"\(1 d 23 h left\)|\(2 d 0 h left\)|\(1 d 2\d h left\)", queue)
    before = hub.get(f"/referrals/{referral_id}").get_data(as_text=True)
    assert "Margaret Test" not in before
    assert "07700" not in before
    assert "Shown after your organisation accepts the referral" in before
    assert "Accept this referral" in before
    assert "Start the work" not in before

    accepted = act(hub, referral_id, "accept")
    assert accepted.status_code == 302
    after = hub.get(f"/referrals/{referral_id}").get_data(as_text=True)
    assert "Accepted: the resident&#39;s details are shown below." in after
    assert "Margaret Test" in after
    assert "07700 900123" in after, "phones in UK format"
    assert act(hub, referral_id, "start").status_code == 302

    missing = act(hub, referral_id, "complete", note="All fine")
    assert missing.status_code == 422
    link = '<a href="#complete-outcome_codes-shopping_delivered">Choose what came of it: at least one outcome'
    assert link in missing.get_data(as_text=True)
    page = f"/referrals/{referral_id}"
    both = {
        "complete-outcome_codes": ["shopping_delivered", "prescription_collected"],
        "complete-note": "All fine",
    }
    assert post_form(hub, f"{page}/actions/complete", both, form_page=page).status_code == 302
    session.rollback()
    row = session.get(Referral, referral_id)
    assert (row.status, row.outcome_code) == ("completed", "shopping_delivered")
    assert row.outcome_codes == ["shopping_delivered", "prescription_collected"]
    done = hub.get(f"/referrals/{referral_id}").get_data(as_text=True)
    assert "Completed: Shopping delivered, Prescription collected and delivered" in done
    assert "What you can do" not in done
    audit = signed_in("officer").get(f"/referrals/{referral_id}/audit").get_data(as_text=True)
    assert '<p class="audit-note">Note: All fine</p>' in audit, "the sealed note, read back for an officer"


def test_declining_needs_a_reason_on_the_field(signed_in):
    referral_id = logged(signed_in)
    response = act(signed_in("hub"), referral_id, "decline")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<a href="#decline-reason">Enter the reason: why are you declining?</a>' in page
    assert re.search(r'<details class="details" open>\s*<summary class="details-summary">Decline', page)


def test_a_decline_escalates_to_the_safety_net_dashboard(signed_in):
    referral_id = logged(signed_in)
    assert act(signed_in("hub"), referral_id, "decline", reason="no volunteers free").status_code == 302
    officer = signed_in("officer")
    board = officer.get("/safety-net").get_data(as_text=True)
    escalations = board[
        board.index('id="section-escalations"') : board.index('id="section-open_safeguarding"')
    ]
    assert f'href="/referrals/{referral_id}"' in escalations
    assert f'href="/referrals/{referral_id}/audit"' in escalations
    audit = officer.get(f"/referrals/{referral_id}/audit").get_data(as_text=True)
    assert "Hub Person (hub coordinator, Sutton Central Hub) declined the offer: no volunteers free." in audit
    assert "sealed:v1:" in audit, "read back with the person's key, stored sealed (the raw record)"
    assert re.search(r'<code class="hash">[0-9a-f]{64}</code>', audit)


def test_another_organisations_referral_is_not_found(signed_in):
    referral_id = logged(signed_in)
    food_bank = signed_in("food_bank")
    assert food_bank.get(f"/referrals/{referral_id}").status_code == 404
    response = act(food_bank, referral_id, "accept")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
    assert f"Referral {referral_id}" not in food_bank.get("/queue").get_data(as_text=True)


def test_an_action_that_no_longer_fits_is_explained(signed_in):
    referral_id = logged(signed_in)
    hub = signed_in("hub")
    act(hub, referral_id, "accept")
    again = act(hub, referral_id, "accept")
    page = again.get_data(as_text=True)
    assert again.status_code == 409
    assert "This could not be done: cannot accept a referral that is accepted" in page


def test_only_officers_and_admins_open_the_audit_trail(signed_in):
    referral_id = logged(signed_in)
    assert signed_in("admin").get(f"/referrals/{referral_id}/audit").status_code == 200
    assert signed_in("helpline").get(f"/referrals/{referral_id}/audit").status_code == 403
    assert signed_in("hub").get(f"/referrals/{referral_id}/audit").status_code == 403


def test_safeguarding_and_gaps_show_on_the_dashboard(app, signed_in, session_factory):
    worrying = logged(
        signed_in, form_id="w", notes="He hits her when he has been drinking and she is frightened."
    )
    gap = logged(
        signed_in,
        form_id="g",
        name="Bob Gap",
        phone="",
        postcode="CV1 1AH",
        address="",
        no_contact_reason="Staying with friends, rings the helpline back on Mondays",
        notes="Wants help getting online to do video calls",
    )
    with session_factory() as db:
        create_user(
            db, username="all-areas", display_name="All", password=PASSWORD, role="safety_net_officer"
        )
    everywhere = app.test_client()
    sign_in(everywhere, Person("all-areas", "safety_net_officer", None))
    board = everywhere.get("/safety-net").get_data(as_text=True)
    safeguarding = board[board.index('id="section-open_safeguarding"') : board.index('id="section-gaps"')]
    gaps = board[board.index('id="section-gaps"') :]
    assert f'href="/referrals/{worrying}"' in safeguarding
    assert f'href="/referrals/{gap}"' in gaps
    assert re.search(r"<dt>Unmet needs</dt><dd>[^<]*(online|[Dd]igital)", gaps)


def test_helpline_staff_may_cancel_but_not_accept(signed_in, session):
    referral_id = logged(signed_in)
    helpline = signed_in("helpline")
    page = helpline.get(f"/referrals/{referral_id}").get_data(as_text=True)
    assert "Cancel the referral" in page
    assert "Accept this referral" not in page
    assert act(helpline, referral_id, "accept").status_code == 403
    assert act(helpline, referral_id, "cancel", reason="daughter is helping").status_code == 302
    session.rollback()
    assert session.scalar(select(Referral.status).where(Referral.id == referral_id)) == "cancelled"
