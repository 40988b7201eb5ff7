"""An offer's text needs the phone of whoever gets the offer, read from the database when the offer is made.
Routing already knows from its directory which organisations are not mutual-aid groups (a safety-net team, a
hub, a charity), and they are sent no offer text, so for an offer to one of them nobody's phone is looked up;
an offer to a mutual-aid group or a volunteer still reads it and is texted."""

from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from notify.models import OutboxMessage
from tests.integration.notify.sms_builders import (
    GROUP_PHONE,
    LEAD_PHONE,
    coventry_directory,
    log_coventry_call,
    pending_offer,
)

SAFEGUARDING = "Neighbour says he is being hit by his son and is frightened to go home; needs shopping"


@contextmanager
def phone_lookups(session_factory):
    """The statements that read an offer's recipient (`offer_texts.recipient`) while the block runs (building
    the matching directory reads every organisation's columns, its phone among them: not counted)."""
    engine = session_factory.kw["bind"]
    seen: list[str] = []

    def spy(_conn, _cursor, statement, *_args):
        if statement.startswith("SELECT organisation.kind, organisation.mutual_aid_mode, organisation.sms_"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", spy)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", spy)


def texts(session, referral_id: int) -> list[str]:
    session.rollback()
    return list(session.scalars(select(OutboxMessage.to).where(OutboxMessage.referral_id == referral_id)))


def test_an_offer_to_the_safety_net_looks_up_no_phone_and_sends_no_text(session_factory, session):
    ids = coventry_directory(session_factory)
    with phone_lookups(session_factory) as seen:
        referral_id = log_coventry_call(session_factory, notes=SAFEGUARDING)
    offer = pending_offer(session, referral_id)
    assert offer is not None
    assert offer.org_id == ids["safety_net"]
    assert offer.volunteer_id is None
    assert seen == []
    assert texts(session, referral_id) == []


@pytest.mark.parametrize(
    ("volunteers", "offered_volunteer", "phone"),
    [(0, None, GROUP_PHONE), (1, "volunteer1", LEAD_PHONE)],
    ids=["a mutual-aid group, texted to its lead", "a volunteer, texted to them"],
)
def test_an_offer_that_is_texted_looks_up_its_phone_once(
    session_factory, session, volunteers, offered_volunteer, phone
):
    ids = coventry_directory(session_factory, volunteers=volunteers)
    with phone_lookups(session_factory) as seen:
        referral_id = log_coventry_call(session_factory)
    offer = pending_offer(session, referral_id)
    assert offer is not None
    assert offer.org_id == ids["group"]
    assert offer.volunteer_id == (ids[offered_volunteer] if offered_volunteer else None)
    assert len(seen) == 1
    assert texts(session, referral_id) == [phone]
