"""The safety-net page lists open referrals whose tier a person lowered: from, to, who and when."""

from tests.builders import auth, token_for
from tests.web.conftest import csrf_token
from tests.web.test_calls import referral_id_from, save


def lowered_by_the_helpline(app, signed_in, session_factory) -> int:
    """A call saved in the browser, then its tier lowered by Hana Helpline through the API: its id."""
    referral_id = referral_id_from(save(signed_in("helpline"), notes="Needs food bank referral"))
    helpline = auth(token_for(session_factory, "helpline_staff", name="Hana Helpline"))
    lowered = app.test_client().post(
        f"/api/v1/referrals/{referral_id}/triage",
        json={"tier": "mutual_aid", "reason": "A neighbour already brings food, only shopping is needed"},
        headers=helpline,
    )
    assert lowered.status_code == 200, lowered.get_json()
    return referral_id


def test_a_lowered_tier_shows_on_the_safety_net_page(app, signed_in, session_factory):
    referral_id = lowered_by_the_helpline(app, signed_in, session_factory)

    board = signed_in("officer").get("/safety-net").get_data(as_text=True)
    section = board[board.index('id="section-late"') : board.index('id="section-phone_tasks"')]
    assert "Tier lowered by a person: check it" in section
    assert f'href="/referrals/{referral_id}"' in section
    assert f'href="/referrals/{referral_id}/audit"' in section
    assert "From Local charity or hub to Mutual aid by Hana Helpline (helpline staff)" in section


def test_the_officer_marks_a_lowered_tier_checked_from_the_safety_net_page(app, signed_in, session_factory):
    referral_id = lowered_by_the_helpline(app, signed_in, session_factory)
    officer = signed_in("officer")
    board = officer.get("/safety-net").get_data(as_text=True)
    assert f'action="/referrals/{referral_id}/tier-check"' in board

    landed = officer.post(
        f"/referrals/{referral_id}/tier-check",
        data={"csrf_token": csrf_token(officer, "/safety-net")},
        follow_redirects=True,
    )

    page = landed.get_data(as_text=True)
    assert landed.status_code == 200
    assert landed.request.path == "/safety-net"
    assert "the lower tier stands, checked by you" in page
    section = page[page.index('id="section-late"') : page.index('id="section-phone_tasks"')]
    assert f'href="/referrals/{referral_id}"' not in section
    trail = officer.get(f"/referrals/{referral_id}/audit").get_data(as_text=True)
    assert "checked the lowered tier and let it stand" in trail
