"""A referral's audit page: entries in plain words (who, what, to whom, why, when), the raw record behind a
disclosure, and the Verify button that checks the hash chain, says whether it holds, and is audited."""

import html
import re

import pytest
from sqlalchemy import select, text

from referrals.audit_check import VERIFIED
from referrals.models import AuditEvent
from tests.web.conftest import csrf_token, post_form
from tests.web.test_referral_pages import act, logged

TAGS = re.compile(r"<[^>]+>")
SENTENCE = re.compile(r'<p class="audit-sentence">(.*?)</p>', re.S)


def sentences(page: str) -> list[str]:
    return [" ".join(html.unescape(TAGS.sub(" ", found)).split()) for found in SENTENCE.findall(page)]


def tamper(engine, statement: str) -> None:
    """Change a row as someone with database access could (on PostgreSQL, with the trigger off)."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(text(statement))


@pytest.fixture
def declined(signed_in) -> int:
    referral_id = logged(signed_in)
    assert act(signed_in("hub"), referral_id, "decline", reason="No volunteers this week").status_code == 302
    return referral_id


def verify(client, referral_id: int):
    return post_form(
        client, f"/referrals/{referral_id}/audit/verify", {}, form_page=f"/referrals/{referral_id}/audit"
    )


def test_each_entry_reads_as_a_sentence(signed_in, declined):
    page = signed_in("officer").get(f"/referrals/{declined}/audit").get_data(as_text=True)
    said = sentences(page)

    assert said[0].endswith(" Helpline Person (helpline staff) logged the call.")
    assert any("offered it to Sutton Central Hub" in line for line in said)
    assert any(
        line.endswith(
            "Hub Person (hub coordinator, Sutton Central Hub) declined the offer: no volunteers this week."
        )
        for line in said
    ), said
    assert not any("user:" in line or "sealed:v1:" in line for line in said), "no codes in the sentences"
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT[^"]+">\d{1,2} \w{3} \d{4}, \d\d:\d\d</time>', page)


def test_the_raw_record_is_one_click_away(signed_in, declined):
    page = signed_in("admin").get(f"/referrals/{declined}/audit").get_data(as_text=True)

    raw = page.split('<summary class="details-summary">Show the raw record', 1)[1]
    assert re.search(r'<code class="hash">[0-9a-f]{64}</code>', raw)
    assert (
        "&#34;kind&#34;: &#34;referral.declined&#34;" in page
        or '"kind": "referral.declined"' in html.unescape(page)
    )
    assert "sealed:v1:" in raw, "the stored reason is sealed; the sentence reads it back"
    assert page.count("Show the raw record") == page.count('class="audit-sentence"')


def test_automatic_events_are_not_credited_to_a_person(signed_in, session_factory, declined):
    with session_factory() as session:
        automatic = session.scalars(
            select(AuditEvent.seq).where(
                AuditEvent.referral_id == declined, AuditEvent.actor_role == "system"
            )
        ).all()
    page = signed_in("officer").get(f"/referrals/{declined}/audit").get_data(as_text=True)
    said = {int(line.split()[0][1:]): line for line in sentences(page)}

    for seq in automatic:
        assert said[seq].startswith(f"#{seq} Automatically "), said[seq]


@pytest.mark.parametrize(("key", "status"), [("helpline", 403), ("hub", 403), ("food_bank", 403)])
def test_only_officers_and_admins_open_or_verify(signed_in, declined, key, status):
    client = signed_in(key)
    assert client.get(f"/referrals/{declined}/audit").status_code == status
    token = csrf_token(client, "/sign-in")
    assert (
        client.post(f"/referrals/{declined}/audit/verify", data={"csrf_token": token}).status_code == status
    )


def test_another_councils_officer_finds_nothing(coventry_officer, declined):
    assert coventry_officer.get(f"/referrals/{declined}/audit").status_code == 404
    token = csrf_token(coventry_officer, "/sign-in")
    refused = coventry_officer.post(f"/referrals/{declined}/audit/verify", data={"csrf_token": token})
    assert refused.status_code == 404
    assert "Page not found" in refused.get_data(as_text=True)


def test_an_unknown_referral_is_not_found(signed_in):
    client = signed_in("admin")
    assert client.get("/referrals/999999/audit").status_code == 404
    token = csrf_token(client, "/sign-in")
    assert client.post("/referrals/999999/audit/verify", data={"csrf_token": token}).status_code == 404


def test_verify_needs_the_form_s_token(signed_in, declined):
    response = signed_in("officer").post(f"/referrals/{declined}/audit/verify")
    assert response.status_code == 400
    assert "This form could not be sent" in response.get_data(as_text=True)
    assert signed_in("officer").get(f"/referrals/{declined}/audit/verify").status_code == 405


def test_verify_says_the_trail_checks_out_and_is_audited(signed_in, session_factory, declined):
    response = verify(signed_in("officer"), declined)
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    found = re.search(
        r"The audit trail checks out: (\d+) entries for this referral, unbroken, in a chain of (\d+) "
        r"up to entry #(\d+) at <time",
        page,
    )
    assert found, page[page.index('id="audit-check"') :][:1500]
    entries, chain, last = map(int, found.groups())
    with session_factory() as session:
        own = session.scalars(select(AuditEvent.seq).where(AuditEvent.referral_id == declined)).all()
    assert entries == len([seq for seq in own if seq <= last]), "the page's own read is recorded after"
    assert chain == last
    with session_factory() as session:
        check = session.scalars(select(AuditEvent).where(AuditEvent.kind == VERIFIED)).one()
    assert (check.actor_role, check.referral_id) == ("safety_net_officer", None), (
        "not in the referral's own trail"
    )
    assert check.payload["referral_id"] == declined
    assert (check.payload["ok"], check.payload["entries_checked"], check.payload["door"]) == (
        True,
        chain,
        "web audit page",
    )
    assert check.seq > last, "the check is recorded after what it checked"


def test_a_tampered_chain_shows_broken(engine, signed_in, session_factory, declined):
    with session_factory() as session:
        declined_seq = session.scalar(
            select(AuditEvent.seq).where(
                AuditEvent.referral_id == declined, AuditEvent.kind == "referral.declined"
            )
        )
    tamper(engine, f"UPDATE audit_event SET reason = 'nothing to see' WHERE seq = {declined_seq}")

    response = verify(signed_in("admin"), declined)
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "The audit trail is broken" in page
    assert (
        f"Broken at entry #{declined_seq}: Its seal does not match what it says, so it was changed afterwards"
        in page
    )
    assert "of this referral's 1" in page
    assert "cannot be trusted" in page
    with session_factory() as session:
        check = session.scalars(select(AuditEvent).where(AuditEvent.kind == VERIFIED)).one()
    assert (check.payload["ok"], check.payload["first_bad_seq"]) == (False, declined_seq)
