"""Never lose a call, on the pages: a call whose routing fails is saved from the call form and listed, with
the problem, on the safety-net dashboard."""

import matching
from tests.web.test_calls import referral_id_from, save


def test_a_call_whose_routing_fails_is_saved_and_on_the_dashboard(signed_in, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("index corrupted")

    monkeypatch.setattr(matching, "match", broken)
    referral_id = referral_id_from(save(signed_in("helpline")))

    officer = signed_in("officer")
    board = officer.get("/safety-net").get_data(as_text=True)
    assert 'href="#section-routing_problems">Routing problems (1)' in board
    section = board[board.index('id="section-routing_problems"') :]
    assert f'href="/referrals/{referral_id}"' in section
    assert "an unexpected error (RuntimeError) while routing" in section
    assert "Sutton Council safety net" in section, "the area's safety-net team holds it"
    page = officer.get(f"/referrals/{referral_id}")
    assert page.status_code == 200
