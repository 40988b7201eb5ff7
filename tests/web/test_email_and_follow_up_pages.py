"""Emails to the helpline and follow-ups of recurring support in the browser (issue 24): an email is a draft
call until staff make a call of it (the form filled from it; saving routes it and completes the email) or set
it aside; a follow-up is closed from the queue or the dashboard, saying what was done."""

import html
import re

from sqlalchemy import select

from accounts.tokens import SYSTEM
from referrals.email_drafts import save_draft
from referrals.email_reading import from_fields
from referrals.models import AuditEvent, EmailDraft, FollowUp, Referral
from tests.api.http import act, log
from tests.builders import auth, token_for
from tests.web.conftest import post_form
from tests.web.test_access import call_form_data


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def kept(session_factory, **fields) -> int:
    email = from_fields(
        sender=fields.pop("sender", "Pat Person <pat@example.org>"),
        subject=fields.pop("subject", "Shopping for my mum"),
        text=fields.pop("text", "She can't get out this week."),
        attachments=fields.pop("attachments", ["scan.pdf"]),
        message_id=fields.pop("message_id", "<m1@example.org>"),
    )
    with session_factory() as session:
        draft, _new = save_draft(session, email, "webhook", SYSTEM)
        return draft.id


def test_an_email_is_made_into_a_call_which_routes_it_and_completes_the_email(
    client, signed_in, session_factory, session, directory
):
    draft_id = kept(session_factory)
    helpline = signed_in("helpline")
    page = text_of(helpline.get("/emails"))
    assert f"Email {draft_id}: Shopping for my mum" in page
    assert "pat@example.org" in page
    assert "Refused, not opened: scan.pdf" in page

    form = text_of(helpline.get(f"/calls/new?email={draft_id}"))
    assert f'name="email_draft" value="{draft_id}"' in form
    assert "She can&#39;t get out this week." in form or "She can't get out this week." in form
    assert "ask them to say in words what it showed" in form
    assert '<option value="email" selected>' in form

    saved = post_form(
        helpline, "/calls/new", call_form_data(channel="email", email_draft=str(draft_id), name="Pat Person")
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    referral_id = int(re.fullmatch(r"/calls/(\d+)/saved", saved.headers["Location"]).group(1))
    session.rollback()
    draft = session.get(EmailDraft, draft_id)
    assert (draft.status, draft.referral_id) == ("completed", referral_id)
    assert session.get(Referral, referral_id).channel == "email"
    assert session.get(Referral, referral_id).status == "offered", "routed once staff saved it"
    kinds = session.scalars(select(AuditEvent.kind).where(AuditEvent.referral_id == referral_id)).all()
    assert "email.draft_completed" in kinds
    assert "No emails are waiting." in text_of(helpline.get("/emails"))
    assert helpline.get(f"/referrals/{referral_id}").status_code == 200

    officer = auth(token_for(session_factory, "safety_net_officer", directory["sutton_safety_net"]))
    resident_id = session.get(Referral, referral_id).resident_id
    erased = client.post(f"/api/v1/residents/{resident_id}/erase", json={"reason": "asked"}, headers=officer)
    assert erased.status_code == 200, erased.get_json()
    session.rollback()
    draft = session.get(EmailDraft, draft_id, populate_existing=True)
    assert (draft.sender, draft.body, draft.attachments_refused) == ("(erased)", "(erased)", []), (
        "erasing the person blanks the email their call was made of"
    )


def test_an_email_that_is_not_a_call_is_set_aside_with_a_reason(signed_in, session_factory, session):
    draft_id = kept(session_factory, message_id="<spam@x>")
    helpline = signed_in("helpline")
    refused = post_form(helpline, f"/emails/{draft_id}/dismiss", {}, "/emails")
    assert refused.status_code == 302
    assert "choose why this email is not a call" in text_of(helpline.get("/emails"))
    done = post_form(helpline, f"/emails/{draft_id}/dismiss", {"reason": "not_help"}, "/emails")
    assert done.status_code == 302
    session.rollback()
    assert session.get(EmailDraft, draft_id).status == "dismissed"
    assert signed_in("hub").get("/emails").status_code == 403


def test_a_follow_up_is_listed_and_closed_from_the_queue_and_leaves_the_dashboard(
    client, signed_in, session_factory, session, directory
):
    helpline = auth(token_for(session_factory, "helpline_staff"))
    hub = auth(token_for(session_factory, "hub_coordinator", directory["hub"]))
    referral = log(
        client, helpline, notes="Lonely, weekly check-in call", recurrence={"every_days": 7, "count": 3}
    )
    act(client, hub, referral["id"], "accept")
    act(client, hub, referral["id"], "start")
    act(client, hub, referral["id"], "occurrences/0", outcome_code="no_answer")
    task_id = session.scalar(select(FollowUp.id).where(FollowUp.referral_id == referral["id"]))

    board = text_of(signed_in("officer").get("/safety-net"))
    assert f"Close follow-up {task_id}" in board
    coordinator = signed_in("hub")
    queue = text_of(coordinator.get("/queue"))
    assert "No answer on a check-in call or visit: try again today (time 1 of 3)" in queue

    closed = post_form(
        coordinator, f"/follow-ups/{task_id}/done", {"note": "Rang at 3pm: she is fine"}, "/queue"
    )
    assert closed.status_code == 302
    assert closed.headers["Location"].endswith("/queue#section-follow_ups")
    page = text_of(coordinator.get("/queue"))
    assert f"Follow-up {task_id} (referral {referral['id']}) is closed." in page
    assert "No follow-ups are open." in page
    assert f"Close follow-up {task_id}" not in text_of(signed_in("officer").get("/safety-net"))
    trail = text_of(signed_in("officer").get(f"/referrals/{referral['id']}/audit"))
    assert "raised a follow-up task for time 1 of 3 of the recurring plan" in trail
    assert "closed the follow-up task for time 1 of 3 of the recurring plan" in trail


def test_a_one_off_check_in_nobody_answered_twice_goes_from_the_queue_to_the_safety_net(
    client, signed_in, session_factory, session, directory
):
    helpline = auth(token_for(session_factory, "helpline_staff"))
    hub = auth(token_for(session_factory, "hub_coordinator", directory["hub"]))
    referral = log(client, helpline, notes="Lonely, would like a check-in call today")
    act(client, hub, referral["id"], "accept")
    act(client, hub, referral["id"], "start")
    act(client, hub, referral["id"], "complete", outcome_code="no_answer")
    task_id = session.scalar(select(FollowUp.id).where(FollowUp.referral_id == referral["id"]))

    coordinator = signed_in("hub")
    queue = text_of(coordinator.get("/queue"))
    assert "No answer on a check-in call or visit: try again today (one-off call)" in queue
    assert f"Did you reach them when you tried again? (follow-up {task_id})" in queue
    answer = {"outcome": "no_answer", "note": "Rang at 5pm and 7pm"}
    moved = post_form(coordinator, f"/follow-ups/{task_id}/done", answer, "/queue")
    assert moved.status_code == 302
    page = text_of(coordinator.get("/queue"))
    assert f"No answer again: follow-up {task_id} (referral {referral['id']}) goes to the safety net." in page
    assert "No follow-ups are open." in page

    officer = signed_in("officer")
    board = text_of(officer.get("/safety-net"))
    assert "No answer twice in a row: the safety net takes it on" in board
    assert f"Did you reach them when you tried again? (follow-up {task_id})" not in board, "asked once"
    closed = post_form(
        officer, f"/follow-ups/{task_id}/done", {"note": "Welfare visit: she is fine"}, "/safety-net"
    )
    assert closed.status_code == 302
    assert f"Close follow-up {task_id}" not in text_of(officer.get("/safety-net"))
    trail = text_of(officer.get(f"/referrals/{referral['id']}/audit"))
    assert "raised a follow-up task for the one-off call" in trail
    assert "passed the follow-up task for the one-off call to the safety-net team" in trail
    assert "closed the follow-up task for the one-off call" in trail


def test_an_email_set_aside_is_blanked_after_the_shortest_retention_period(
    signed_in, session_factory, session
):
    from datetime import timedelta

    from db.base import utcnow
    from referrals.erasure import forget_set_aside_emails, load_retention_policy

    draft_id = kept(session_factory, message_id="<old@x>")
    assert post_form(signed_in("helpline"), f"/emails/{draft_id}/dismiss", {"reason": "not_help"}, "/emails")
    retention = load_retention_policy()
    with session_factory() as writing:
        assert forget_set_aside_emails(writing, retention, utcnow() + timedelta(days=364)) == 0
        assert forget_set_aside_emails(writing, retention, utcnow() + timedelta(days=366)) == 1
    session.rollback()
    draft = session.get(EmailDraft, draft_id, populate_existing=True)
    assert (draft.sender, draft.body) == ("(erased)", "(erased)")
