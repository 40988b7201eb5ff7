"""Leads' replies through the service: YES/NO/DONE act through the lifecycle, only from the phone the offer
was texted to; HELP, typos, ambiguity, opting out and back in; retried webhooks act once; what each text
may carry under each relationship mode."""

import itertools

import pytest
from sqlalchemy import select

from directory.models import Volunteer
from notify.models import InboundMessage
from notify.sms_text import segment_count
from referrals.erasure import forget_texts
from referrals.models import AuditEvent, Offer
from referrals.policy import load_lifecycle_policy
from tests.integration.notify.sms_builders import (
    GROUP_PHONE,
    LEAD_PHONE,
    RESIDENT,
    SECOND_PHONE,
    ResidentDetails,
    coventry_directory,
    log_coventry_call,
    pending_offer,
    referral,
    texts,
)
from texting.replies import HELP_TEXT, NOT_UNDERSTOOD, InboundText, handle_inbound

POLICY = load_lifecycle_policy()
_sids = itertools.count(1)


def reply(session_factory, body: str, from_phone: str = LEAD_PHONE, sid: str | None = None) -> str:
    text = InboundText(
        sid=sid or f"SM{next(_sids):032x}", from_phone=from_phone, to_phone="+447700900000", body=body
    )
    with session_factory() as session:
        return handle_inbound(session, text, POLICY)


@pytest.fixture
def directory(session_factory) -> dict[str, int]:
    return coventry_directory(session_factory)


@pytest.fixture
def offered(session_factory, session, directory) -> tuple[int, Offer]:
    referral_id = log_coventry_call(session_factory)
    offer = pending_offer(session, referral_id)
    assert offer.volunteer_id == directory["volunteer1"]
    return referral_id, offer


def kinds(session, referral_id: int) -> list[str]:
    session.rollback()
    query = select(AuditEvent.kind).where(AuditEvent.referral_id == referral_id).order_by(AuditEvent.seq)
    return list(session.scalars(query))


def test_yes_with_the_code_accepts_and_sends_the_details(session_factory, session, directory, offered):
    referral_id, offer = offered
    answer = reply(session_factory, f"YES {offer.task_code}")
    assert answer == f"Thank you! Task {offer.task_code} is yours. Details follow in a separate text."
    row = referral(session, referral_id)
    assert (row.status, row.accepted_org_id, row.volunteer_id) == (
        "accepted",
        directory["group"],
        directory["volunteer1"],
    )
    details = texts(session, kind="details")
    assert [(t.to, t.offer_id) for t in details] == [(LEAD_PHONE, offer.id)]
    assert all(part in details[0].body for part in ("Dorothy Example", "+447700900321", "12 Sample Street"))
    assert f"DONE {offer.task_code}" in details[0].body
    assert kinds(session, referral_id)[-2:] == ["sms.received", "referral.accepted"]
    actor = session.scalar(select(AuditEvent.actor).where(AuditEvent.kind == "referral.accepted"))
    assert actor == f"sms:{LEAD_PHONE}"


@pytest.mark.parametrize("body", ["yes", "YES pls", "Yse", "  y  ", "ok thanks"])
def test_a_lead_with_one_open_offer_may_reply_just_yes(session_factory, session, offered, body):
    referral_id, _offer = offered
    assert "is yours" in reply(session_factory, body)
    assert referral(session, referral_id).status == "accepted"


def test_only_the_phone_the_offer_was_texted_to_can_act(session_factory, session, offered):
    referral_id, offer = offered
    for phone in (SECOND_PHONE, GROUP_PHONE, "+447700900999"):
        answer = reply(session_factory, f"YES {offer.task_code}", from_phone=phone)
        assert answer.startswith(f"We couldn't find task {offer.task_code} for this phone.")
        assert reply(session_factory, f"NO {offer.task_code}", from_phone=phone).startswith(
            "We couldn't find"
        )
    assert (
        reply(session_factory, "YES", from_phone=SECOND_PHONE)
        == "You have no open task offers right now. Thank you!"
    )
    assert referral(session, referral_id).status == "offered"
    assert texts(session, kind="details") == []


def test_no_declines_and_the_next_volunteer_is_texted(session_factory, session, directory, offered):
    referral_id, offer = offered
    answer = reply(session_factory, f"no {offer.task_code.lower()}, sorry")
    assert answer == f"Thanks for letting us know about task {offer.task_code}. We'll ask someone else."
    next_offer = pending_offer(session, referral_id)
    assert next_offer.volunteer_id == directory["volunteer2"]
    assert [t.to for t in texts(session, offer_id=next_offer.id)] == [SECOND_PHONE]
    reason = session.scalar(select(AuditEvent.reason).where(AuditEvent.kind == "referral.declined"))
    assert reason == "declined by text"


def test_done_starts_and_completes_the_task(session_factory, session, offered):
    referral_id, offer = offered
    assert reply(session_factory, "DONE") == "You have no tasks in progress with us."
    assert reply(session_factory, f"DONE {offer.task_code}").endswith(
        f"reply YES {offer.task_code} to take it."
    )
    reply(session_factory, f"YES {offer.task_code}")
    assert (
        reply(session_factory, f"done {offer.task_code}")
        == f"Thank you! Task {offer.task_code} is marked done."
    )
    row = referral(session, referral_id)
    assert (row.status, row.outcome_code) == ("completed", "done_by_sms")
    assert kinds(session, referral_id)[-3:] == ["referral.started", "sms.received", "referral.completed"]
    assert reply(session_factory, "DONE") == "You have no tasks in progress with us."


def test_a_second_yes_is_told_the_task_is_already_theirs(session_factory, session, offered):
    _referral_id, offer = offered
    reply(session_factory, f"YES {offer.task_code}")
    assert reply(session_factory, f"YES {offer.task_code}").startswith(
        f"Task {offer.task_code} is already yours."
    )
    assert len(texts(session, kind="details")) == 1


def test_a_retried_webhook_acts_once(session_factory, session, offered):
    referral_id, offer = offered
    first = reply(session_factory, f"YES {offer.task_code}", sid="SM" + "a" * 32)
    again = reply(session_factory, f"YES {offer.task_code}", sid="SM" + "a" * 32)
    assert first == again
    assert kinds(session, referral_id).count("referral.accepted") == 1
    assert len(session.scalars(select(InboundMessage)).all()) == 1


def test_help_and_text_we_cannot_read(session_factory, session, offered):
    referral_id, _offer = offered
    assert reply(session_factory, "HELP") == HELP_TEXT
    assert reply(session_factory, "who is this?") == NOT_UNDERSTOOD
    assert reply(session_factory, "yes but only after 5pm") == NOT_UNDERSTOOD
    assert referral(session, referral_id).status == "offered"
    stored = session.scalars(select(InboundMessage.command).order_by(InboundMessage.id)).all()
    assert stored == ["help", "unknown", "unknown"]


def test_several_open_offers_need_the_code(session_factory, session):
    coventry_directory(session_factory, volunteers=1)
    first = log_coventry_call(session_factory)
    second = log_coventry_call(
        session_factory, ResidentDetails(name="Albert Sample", postcode="CV1 2AA", phone="07700 900456")
    )
    codes = [pending_offer(session, rid).task_code for rid in (first, second)]
    answer = reply(session_factory, "YES")
    assert answer == f"Which task? Reply YES {codes[0]} or YES {codes[1]}."
    reply(session_factory, f"YES {codes[1]}")
    assert [referral(session, rid).status for rid in (first, second)] == ["offered", "accepted"]


def test_stop_opts_out_and_moves_open_offers_on_and_start_opts_back_in(
    session_factory, session, directory, offered
):
    referral_id, offer = offered
    assert reply(session_factory, "STOP") == ""
    session.rollback()
    assert session.get(Volunteer, directory["volunteer1"], populate_existing=True).sms_opted_out
    assert session.get(Offer, offer.id, populate_existing=True).status == "declined"
    assert pending_offer(session, referral_id).volunteer_id == directory["volunteer2"]
    received = session.scalars(select(AuditEvent).where(AuditEvent.kind == "sms.received")).all()
    assert [(e.actor, e.payload["command"], e.reason) for e in received] == [
        (f"sms:{LEAD_PHONE}", "opt_out", "opted out (1)")
    ]

    assert reply(session_factory, "start") == "You'll get task texts again. Reply HELP for help."
    session.rollback()
    assert not session.get(Volunteer, directory["volunteer1"], populate_existing=True).sms_opted_out


def test_an_opted_out_volunteer_is_skipped_by_matching(session_factory, session, directory):
    reply(session_factory, "STOP")
    referral_id = log_coventry_call(session_factory)
    assert pending_offer(session, referral_id).volunteer_id == directory["volunteer2"]
    assert [t.to for t in texts(session)] == [SECOND_PHONE]


def test_the_offer_text_carries_no_personal_data(session_factory, session, offered):
    _referral_id, offer = offered
    [message] = texts(session, kind="offer")
    body = message.body
    for personal in (RESIDENT.name, "Dorothy", "900321", "07700", "Sample Street", "CV1 1AH", "1AH"):
        assert personal not in body
    for expected in (offer.task_code, "Shopping", "CV1", "YES", "NO"):
        assert expected in body
    assert segment_count(body) <= 2


def test_many_needs_still_fit_two_segments(session_factory, session, directory):
    notes = "Needs shopping, prescriptions collected from the chemist, a dog walk and a friendly phone call"
    referral_id = log_coventry_call(session_factory, notes=notes)
    assert len(referral(session, referral_id).needs) >= 4
    [message] = texts(session, referral_id=referral_id)
    assert segment_count(message.body) <= 2
    assert message.body.endswith("Details come after YES.")


@pytest.mark.parametrize(("mode", "texts_details"), [("integrated", True), ("supported", True)])
def test_details_after_yes_follow_the_groups_relationship(session_factory, session, mode, texts_details):
    coventry_directory(session_factory, mode=mode)
    referral_id = log_coventry_call(session_factory)
    offer = pending_offer(session, referral_id)
    reply(session_factory, f"YES {offer.task_code}")
    assert bool(texts(session, kind="details")) is texts_details


def test_an_arms_length_group_is_never_texted_an_offer(session_factory, session):
    coventry_directory(session_factory, mode="arms_length")
    referral_id = log_coventry_call(session_factory)
    assert (
        referral(session, referral_id).status != "offered"
        or pending_offer(session, referral_id).volunteer_id is None
    )
    assert texts(session) == []


def test_erasure_can_forget_the_texts_about_a_person(session_factory, session, offered):
    referral_id, offer = offered
    reply(session_factory, f"YES {offer.task_code}")
    with session_factory() as writer:
        assert forget_texts(writer, [referral_id]) == 3
        writer.commit()
    session.rollback()
    stored = [m.body for m in texts(session)] + list(session.scalars(select(InboundMessage.body)))
    assert stored == ["(erased)"] * 3
    assert {t.status for t in texts(session)} == {"dead"}, "queued texts about the person never leave"


def test_a_volunteer_who_took_a_task_is_told_when_the_person_rings_again_about_it(
    session_factory, session, offered
):
    from referrals.intake import CallLog, log_call
    from tests.integration.notify.sms_builders import HELPLINE, intake_context

    referral_id, offer = offered
    reply(session_factory, f"YES {offer.task_code}")
    resident_id = referral(session, referral_id).resident_id
    again = CallLog(
        channel="phone",
        resident=RESIDENT,
        notes="Rang again: still needs the shopping, no bread left",
        consent_to_share=True,
        resident_id=resident_id,
        needs=["shopping"],
    )
    with session_factory() as call_session:
        added = log_call(call_session, again, HELPLINE, intake_context(session_factory)).added_to
    assert added is not None
    assert added.id == referral_id

    notice = texts(session, kind="notice")
    assert [(t.to, t.referral_id) for t in notice] == [(LEAD_PHONE, referral_id)]
    assert offer.task_code in notice[0].body
    assert "rang the helpline again" in notice[0].body
    assert "Dorothy" not in notice[0].body
    assert "Sample Street" not in notice[0].body


def test_the_details_text_gives_only_the_safe_way_to_reach_someone_not_safe_to_call(
    session_factory, session, directory
):
    from dataclasses import replace

    from referrals.contact import ContactDetails

    unsafe = replace(
        RESIDENT,
        contact=ContactDetails(
            safe_to_contact="no", safe_phone="020 7946 0555", safe_times="weekday mornings", no_message=True
        ),
    )
    referral_id = log_coventry_call(session_factory, unsafe)
    offer = pending_offer(session, referral_id)
    reply(session_factory, f"YES {offer.task_code}")

    body = texts(session, kind="details")[0].body
    assert "+442079460555" in body
    assert "weekday mornings" in body
    assert "leave no message" in body
    assert "+447700900321" not in body, "never the number it is not safe to ring"
