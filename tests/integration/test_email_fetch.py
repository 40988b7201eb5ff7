"""`flask email fetch` (issue 24) against a local IMAP server: each unseen message becomes a draft call for
the helpline (sender kept, HTML turned into plain text, attachments refused), marked seen only once its draft
is committed, and kept once however often it is fetched."""

from email.message import EmailMessage

import pytest
from sqlalchemy import select

from referrals.models import AuditEvent, EmailDraft
from tests.integration.fake_imap import FakeImap


def plain(sender: str, subject: str, text: str, message_id: str) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "help@council.example", subject
    message["Message-ID"] = message_id
    message["Date"] = "Mon, 07 Dec 2026 10:00:00 +0000"
    message.set_content(text)
    return bytes(message)


def html_with_attachment() -> bytes:
    message = EmailMessage()
    message["From"] = "Sam Carer <sam.carer@example.org>"
    message["Subject"] = "My neighbour needs shopping"
    message["Message-ID"] = "<html-1@example.org>"
    message.set_content(
        "<html><head><style>p{color:red}</style><script>alert('x')</script></head><body>"
        "<p>Mrs Example at 4 Test Road, SM1 1AA</p><p>needs shopping &amp; a prescription.</p></body></html>",
        subtype="html",
    )
    message.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="letter.pdf")
    return bytes(message)


@pytest.fixture
def imap():
    with FakeImap() as server:
        yield server


@pytest.fixture
def fetching(app, imap):
    app.extensions["oneroute"].settings.update(
        IMAP_HOST="127.0.0.1",
        IMAP_PORT=imap.port,
        IMAP_SECURITY="none",
        IMAP_USER=imap.user,
        IMAP_PASSWORD=imap.password,
    )

    def fetch():
        return app.test_cli_runner().invoke(args=["email", "fetch"])

    return fetch


def drafts(session) -> list[EmailDraft]:
    session.rollback()
    return list(session.scalars(select(EmailDraft).order_by(EmailDraft.id)))


def test_each_unseen_email_becomes_one_draft_call_and_is_then_marked_seen(fetching, imap, session):
    imap.add(plain("Pat Person <Pat@Example.org>", "Help with shopping", "I can't get out.\nPat", "<a@x>"))
    imap.add(html_with_attachment())

    result = fetching()
    assert result.exit_code == 0, result.output
    assert "2 draft call(s) kept" in result.output
    first, second = drafts(session)
    assert (first.sender, first.sender_name, first.subject) == (
        "pat@example.org",
        "Pat Person",
        "Help with shopping",
    )
    assert first.body == "I can't get out.\nPat"
    assert (first.source, first.status, first.referral_id) == ("imap", "draft", None)
    assert second.body == "Mrs Example at 4 Test Road, SM1 1AA\n\nneeds shopping & a prescription."
    assert "alert" not in second.body
    assert "color" not in second.body
    assert second.attachments_refused == ["letter.pdf"]
    assert imap.seen == [1, 2]
    assert "FETCH 1 (BODY.PEEK[])" in " ".join(imap.commands), "read without marking it seen"

    events = session.scalars(select(AuditEvent).where(AuditEvent.kind == "email.draft_received")).all()
    assert [e.payload["email_draft_id"] for e in events] == [first.id, second.id]
    assert events[1].reason == "an attachment was refused"
    assert "pat@example.org" not in str([e.payload for e in events]), "no address in the trail"

    imap.add(plain("pat@example.org", "Again", "Still need help", "<b@x>"))
    assert "1 draft call(s) kept" in fetching().output, "only what is unseen"


def test_nothing_is_marked_seen_before_its_draft_is_kept_and_a_refetch_keeps_it_once(fetching, imap, session):
    imap.add(plain("pat@example.org", "Help", "Shopping please", "<c@x>"))
    imap.fail_store = True  # the draft is committed, then marking it seen fails
    assert fetching().exit_code != 0
    assert imap.seen == []
    assert len(drafts(session)) == 1

    imap.fail_store = False
    result = fetching()
    assert "0 draft call(s) kept, 1 already kept" in result.output
    assert len(drafts(session)) == 1
    assert imap.seen == [1]


def test_a_wrong_password_is_a_clear_error(app, fetching, imap, session):
    app.extensions["oneroute"].settings["IMAP_PASSWORD"] = "wrong"
    result = fetching()
    assert result.exit_code == 1
    assert "cannot read 127.0.0.1" in result.output
    assert drafts(session) == []
