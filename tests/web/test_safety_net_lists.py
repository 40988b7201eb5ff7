"""The safety-net dashboard shows the first of each list and how many there are in all, counted by the
database, with a link to the list in full, a page at a time: its work stays the same whatever the backlog."""

import re

from referrals import oversight
from tests.web.test_referral_pages import act, logged


def escalated(signed_in, count: int) -> list[int]:
    hub = signed_in("hub")
    ids = []
    for n, name in enumerate(["Ada Lovelace", "Grace Hopper", "Mary Somerville"][:count]):
        referral_id = logged(signed_in, name=name, phone=f"07700 90012{n}", address=f"{n + 2} Other Road")
        assert act(hub, referral_id, "decline", reason="no volunteers free").status_code == 302
        ids.append(referral_id)
    return ids


def section(board: str, key: str) -> str:
    start = board.index(f'id="section-{key}"')
    end = board.find("<section", start)
    return board[start : end if end >= 0 else None]


def test_the_dashboard_shows_the_first_of_a_list_and_how_many_in_all(signed_in, monkeypatch):
    ids = escalated(signed_in, 3)
    monkeypatch.setattr(oversight, "DASHBOARD_LISTED", 2)
    monkeypatch.setattr(oversight, "SECTION_PAGE", 2)
    officer = signed_in("officer")

    board = officer.get("/safety-net").get_data(as_text=True)
    assert 'href="#section-escalations">Escalations (3)' in board
    escalations = section(board, "escalations")
    assert "Showing 2 of 3" in escalations
    assert 'href="/safety-net/escalations"' in escalations
    shown = [int(n) for n in re.findall(r'href="/referrals/(\d+)"', escalations)]
    assert shown == ids[:2], "oldest first"

    first = officer.get("/safety-net/escalations").get_data(as_text=True)
    assert "Showing 1 to 2 of 3 (page 1 of 2)" in first
    assert [int(n) for n in re.findall(r'href="/referrals/(\d+)"', first)] == ids[:2]
    assert 'href="/safety-net/escalations?page=2"' in first
    second = officer.get("/safety-net/escalations?page=2").get_data(as_text=True)
    assert "Showing 3 to 3 of 3 (page 2 of 2)" in second
    assert [int(n) for n in re.findall(r'href="/referrals/(\d+)"', second)] == ids[2:]
    assert 'href="/safety-net/escalations?page=1"' in second
    assert officer.get("/safety-net/escalations?page=3").status_code == 404
    assert officer.get("/safety-net/nothing-of-the-sort").status_code == 404


def test_the_late_list_in_full_and_an_empty_list(signed_in):
    officer = signed_in("officer")
    late = officer.get("/safety-net/late")
    assert late.status_code == 200
    assert "Late or waiting on you" in late.get_data(as_text=True)
    gaps = officer.get("/safety-net/gaps").get_data(as_text=True)
    assert "No gaps." in gaps
    assert signed_in("hub").get("/safety-net/late").status_code == 403
