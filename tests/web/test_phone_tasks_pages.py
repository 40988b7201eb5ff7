"""Phone tasks worked in the browser, and the safety net's page: who holds each referral, the time left, and
what is late or waiting in one list (issue 19). The page asks the same question as the API's dashboard."""

import re
from datetime import timedelta

from sqlalchemy import select

from accounts.tokens import SYSTEM
from db.base import utcnow
from notify.models import PhoneTask
from referrals.models import AuditEvent, Offer
from tests.builders import auth, call, token_for
from tests.web.conftest import post_form
from texting.phone_tasks import raise_phone_task


def log(client, session_factory, **fields) -> dict:
    helpline = auth(token_for(session_factory, "helpline_staff"))
    response = client.post("/api/v1/referrals", json=call(**fields), headers=helpline)
    assert response.status_code == 201
    return response.get_json()


def task_for(session_factory, referral_id: int | None) -> int:
    with session_factory() as session:
        task = raise_phone_task(
            session,
            "+447700900321",
            "the offer text could not be delivered",
            SYSTEM,
            utcnow(),
            referral_id=referral_id,
        )
        session.commit()
        return task.id


def test_a_phone_task_is_listed_rung_and_ended_in_the_browser(client, signed_in, session_factory):
    referral = log(client, session_factory)
    task_id = task_for(session_factory, referral["id"])
    helpline = signed_in("helpline")

    listed = helpline.get("/phone-tasks").get_data(as_text=True)
    assert f'href="/phone-tasks/{task_id}"' in listed
    assert 'href="tel:+447700900321"' in listed
    assert "the offer text could not be delivered" in listed

    path = f"/phone-tasks/{task_id}"
    missing = post_form(helpline, f"{path}/calls", {"note": "rang"}, form_page=path)
    assert missing.status_code == 422
    assert "Choose what happened on the call" in missing.get_data(as_text=True)

    tried = post_form(helpline, f"{path}/calls", {"outcome": "no_answer"}, form_page=path)
    assert tried.status_code == 302
    assert tried.headers["Location"].endswith(path), "the task stays open"
    page = helpline.get(path).get_data(as_text=True)
    assert "No answer, by helpline-user (helpline staff)" in page

    done = post_form(
        helpline,
        f"{path}/calls",
        {"outcome": "will_do", "note": "Mrs T will go at 3pm", "done": "yes"},
        form_page=path,
    )
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/phone-tasks")
    landing = helpline.get("/phone-tasks").get_data(as_text=True)
    assert f"Phone task {task_id} is done" in landing
    assert "No phone tasks are open." in landing
    assert "Note: Mrs T will go at 3pm" in helpline.get(path).get_data(as_text=True), "read back, unsealed"
    with session_factory() as session:
        assert session.get(PhoneTask, task_id).status == "done"
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.kind.like("sms.phone_task_%")).order_by(AuditEvent.seq)
        ).all()
    assert [(e.kind, e.reason) for e in events] == [
        ("sms.phone_task_call", "No answer"),
        ("sms.phone_task_call", "Spoke to them: they will do it"),
        ("sms.phone_task_done", "done"),
    ]
    assert "Mrs T" not in str(events[1].payload), "the note is sealed with the person's key"

    again = post_form(helpline, f"{path}/calls", {"outcome": "no_answer"}, form_page="/phone-tasks")
    assert again.status_code == 302, "a task already done is not recorded twice"
    assert "already done" in helpline.get("/phone-tasks").get_data(as_text=True)


def test_another_councils_officer_and_a_hub_cannot_see_the_task(
    client, signed_in, session_factory, coventry_officer
):
    referral = log(client, session_factory)
    task_id = task_for(session_factory, referral["id"])
    assert coventry_officer.get(f"/phone-tasks/{task_id}").status_code == 404
    assert f"/phone-tasks/{task_id}" not in coventry_officer.get("/phone-tasks").get_data(as_text=True)
    assert signed_in("hub").get(f"/phone-tasks/{task_id}").status_code == 403
    assert f"/phone-tasks/{task_id}" in signed_in("officer").get("/phone-tasks").get_data(as_text=True)


def test_the_dashboard_lists_a_late_transfer_and_a_phone_task_with_who_holds_each(
    client, signed_in, session_factory, directory
):
    hub = auth(token_for(session_factory, "hub_coordinator", directory["hub"]))
    referral = log(client, session_factory)
    rid = referral["id"]
    for action, body in (
        ("accept", {}),
        ("transfer", {"to_org_id": directory["food_bank"], "reason": "a van"}),
    ):
        assert client.post(f"/api/v1/referrals/{rid}/{action}", json=body, headers=hub).status_code == 200
    with session_factory() as session:
        offer = session.scalar(select(Offer).where(Offer.referral_id == rid, Offer.status == "pending"))
        offer.expires_at = utcnow() - timedelta(minutes=20)
        session.commit()
    other = log(client, session_factory, resident={"name": "Albert Other", "phone": "07700 900888"})
    task_id = task_for(session_factory, other["id"])

    board = signed_in("officer").get("/safety-net").get_data(as_text=True)
    late = board[board.index('id="section-late"') : board.index('id="section-phone_tasks"')]
    cards = re.split(r'<li class="card">', late)[1:]
    transfer = next(card for card in cards if f"Referral {rid}:" in card)
    assert "Transfer waiting for an answer" in transfer
    assert "Sutton Central Hub holds it and has offered it to Sutton Food Bank by transfer" in transfer
    assert "(overdue by 20 min)" in transfer
    phoned = next(card for card in cards if f"Referral {other['id']}:" in card)
    assert "the offer text could not be delivered" in phoned
    assert "Offered to Sutton Central Hub" in phoned
    tasks = board[board.index('id="section-phone_tasks"') :]
    assert f'href="/phone-tasks/{task_id}"' in tasks


def test_an_officer_is_not_offered_escalating_to_their_own_team(
    client, signed_in, session_factory, directory
):
    referral = log(client, session_factory, notes="He hits her and she is frightened. Needs shopping.")
    page = signed_in("officer").get(f"/referrals/{referral['id']}").get_data(as_text=True)
    assert "Escalate to the safety net" not in page
    hub = auth(token_for(session_factory, "hub_coordinator", directory["hub"]))
    offered = log(client, session_factory, resident={"name": "Albert Other", "phone": "07700 900888"})
    assert client.post(f"/api/v1/referrals/{offered['id']}/accept", json={}, headers=hub).status_code == 200
    held_by_hub = signed_in("officer").get(f"/referrals/{offered['id']}").get_data(as_text=True)
    assert "Escalate to the safety net" in held_by_hub, "an officer may take work back from a hub"


def test_a_second_unanswered_call_sends_the_phone_task_to_the_safety_net(client, signed_in, session_factory):
    referral = log(client, session_factory)
    task_id = task_for(session_factory, referral["id"])
    helpline, path = signed_in("helpline"), f"/phone-tasks/{task_id}"
    post_form(helpline, f"{path}/calls", {"outcome": "no_answer"}, form_page=path)
    again = post_form(helpline, f"{path}/calls", {"outcome": "no_answer"}, form_page=path)
    assert again.headers["Location"].endswith("/phone-tasks"), "no longer the helpline's to see"
    landing = helpline.get("/phone-tasks").get_data(as_text=True)
    assert f"No answer twice in a row: phone task {task_id} goes to the safety net." in landing
    assert helpline.get(path).status_code == 404

    officer = signed_in("officer")
    page = officer.get(path).get_data(as_text=True)
    assert "with the safety net: two calls in a row went unanswered" in page
    assert "Record a call" in page, "the officer works it"
    trail = officer.get(f"/referrals/{referral['id']}/audit").get_data(as_text=True)
    assert "passed the phone task to the safety-net team" in trail
