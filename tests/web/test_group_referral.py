"""A mutual-aid group's lead refers someone they met: REFER by text from the lead's phone returns a one-time,
expiring link (only its hash stored); the short form behind it saves a `mutual_aid_referral` tagged with the
group, for the helpline to review; the lead's status link shows what the access rule lets the group see."""

import html
import re
from datetime import timedelta

from sqlalchemy import select

from notify.models import InboundMessage
from referrals import access
from referrals.models import AuditEvent, Referral, ReferralLink
from referrals.policy import load_lifecycle_policy
from referrals.requests import hash_link
from tests.web.conftest import post_form
from texting.replies import InboundText, ReferLinks, handle_inbound

LEAD = "+447700900600"  # the Sutton mutual-aid group's contact phone in tests.builders.small_directory
LINK = re.compile(r"https?://\S+/refer/([A-Za-z0-9_-]+)")
STATUS = re.compile(r'href="https?://[^"]+/refer/status/([A-Za-z0-9_-]+)"')
PERSON = {
    "details": "Met him at the food bank queue, he needs help getting his prescriptions collected",
    "name": "Len Groupmet",
    "postcode": "SM1 1AA",
    "phone": "07700 900222",
    "safe_to_contact": "yes",
    "consent": "yes",
    "agreed": "yes",
    "group_contact": "Priya, 07700 900333",
}


def text(session_factory, body: str, phone: str = LEAD, sid: str = "SM1") -> str:
    links = ReferLinks("http://localhost", timedelta(hours=24))
    with session_factory() as session:
        return handle_inbound(
            session, InboundText(sid, phone, "+447700900000", body), load_lifecycle_policy(), links=links
        )


def refer_link(session_factory) -> str:
    answer = text(session_factory, "Refer")
    return LINK.search(answer).group(1)


def test_a_lead_refers_someone_and_follows_what_came_of_it(client, session_factory, signed_in, directory):
    token = refer_link(session_factory)
    with session_factory() as session:
        link = session.scalars(select(ReferralLink)).one()
        assert link.token_hash == hash_link(token)
        assert link.org_id == directory["mutual_aid"]
        stored = session.scalars(select(InboundMessage)).one()
        assert token not in stored.reply, "the link is not kept in the stored reply"
        assert stored.command == "refer"

    form = client.get(f"/refer/{token}")
    assert form.status_code == 200
    assert "Refer someone to the council" in form.get_data(as_text=True)
    sent = post_form(client, f"/refer/{token}", PERSON)
    assert sent.status_code == 302
    thanks = client.get(sent.location).get_data(as_text=True)
    status_token = STATUS.search(thanks).group(1)

    with session_factory() as session:
        referral = session.scalars(select(Referral)).one()
        assert referral.channel == "mutual_aid_referral"
        assert referral.created_by_org_id == directory["mutual_aid"]
        assert referral.created_by_role == "mutual_aid_lead"
        assert referral.status == "triaged", "nothing offered before the helpline reviews it"
        assert "Priya, 07700 900333" in referral.notes

    assert client.get(f"/refer/{token}").status_code == 404, "the link works once"
    assert post_form(client, "/ask-for-help", {}).status_code == 400  # (a form from the public page)

    status = html.unescape(client.get(f"/refer/status/{status_token}").get_data(as_text=True))
    assert access.GROUP_OUTCOMES["waiting"] in status
    assert "Len Groupmet" not in status
    assert "07700 900222" not in status

    browser = signed_in("helpline")
    post_form(browser, f"/requests/{referral.id}/confirm", {"needs": referral.needs}, "/requests")
    status = html.unescape(client.get(f"/refer/status/{status_token}").get_data(as_text=True))
    assert access.GROUP_OUTCOMES["being_arranged"] in status
    assert client.get(f"/refer/status/{token}").status_code == 404, "a refer link is not a status link"


def test_refer_from_a_phone_that_is_not_a_known_lead_points_to_the_public_page(session_factory):
    answer = text(session_factory, "REFER", phone="+447700900999")
    assert "/ask-for-help" in answer
    assert not LINK.search(answer)
    with session_factory() as session:
        assert session.scalars(select(ReferralLink)).all() == []


def test_an_expired_or_made_up_link_is_not_found(client, session_factory):
    token = refer_link(session_factory)
    assert client.get("/refer/not-a-real-token").status_code == 404
    with session_factory() as session:
        link = session.scalars(select(ReferralLink)).one()
        link.expires_at = link.created_at - timedelta(seconds=1)
        session.commit()
    assert client.get(f"/refer/{token}").status_code == 404


def test_the_lead_must_say_the_person_agreed(client, session_factory):
    token = refer_link(session_factory)
    answer = post_form(client, f"/refer/{token}", {**PERSON, "agreed": ""})
    assert answer.status_code == 400
    assert "agreed to you passing on their details" in answer.get_data(as_text=True)
    assert client.get(f"/refer/{token}").status_code == 200, "a form with mistakes does not use the link"


def test_the_timeline_says_what_happened_in_plain_words(client, session_factory, signed_in):
    token = refer_link(session_factory)
    post_form(client, f"/refer/{token}", PERSON)
    with session_factory() as session:
        referral = session.scalars(select(Referral)).one()
        kinds = list(session.scalars(select(AuditEvent.kind).where(AuditEvent.referral_id == referral.id)))
    assert "referral.awaiting_review" in kinds
    browser = signed_in("helpline")
    post_form(browser, f"/requests/{referral.id}/confirm", {"needs": referral.needs}, "/requests")
    officer = signed_in("officer")
    page = html.unescape(officer.get(f"/referrals/{referral.id}/audit").get_data(as_text=True))
    for words in (
        "SM1 Mutual Aid's lead referred the person through the group's one-time link",
        "listed it for the helpline to review: nothing is offered until they confirm it",
        "confirmed the request after review",
    ):
        assert words in page


def test_a_group_with_accounts_refers_from_a_signed_in_page(app, session_factory, directory, signed_in):
    from accounts.passwords import create_user
    from tests.web.conftest import PASSWORD, Person, sign_in

    with session_factory() as session:
        create_user(
            session,
            username="group-lead",
            display_name="Gail Group",
            password=PASSWORD,
            role="hub_coordinator",
            org_id=directory["mutual_aid"],
        )
    lead = app.test_client()
    assert sign_in(lead, Person("group-lead", "hub_coordinator", directory["mutual_aid"])).status_code == 302
    listing = lead.get("/group-referrals").get_data(as_text=True)
    assert 'href="/group-referrals"' in listing, "in the menu"
    assert "has not referred anyone yet" in listing

    sent = post_form(lead, "/group-referrals/new", PERSON)
    assert sent.status_code == 302
    listing = html.unescape(lead.get(sent.location).get_data(as_text=True))
    assert "Referral sent. Its reference is" in listing
    assert access.GROUP_OUTCOMES["waiting"] in listing
    assert "Len Groupmet" not in listing
    with session_factory() as session:
        referral = session.scalars(select(Referral)).one()
        assert referral.channel == "mutual_aid_referral"
        assert referral.created_by_org_id == directory["mutual_aid"]
        assert referral.status == "triaged"

    hub = signed_in("hub")  # a hub's coordinator: not a mutual-aid group
    assert hub.get("/group-referrals").status_code == 403
    assert 'href="/group-referrals"' not in hub.get("/queue").get_data(as_text=True)
