"""A database outage (restart, failover) seen on the pages: a plain 503 page, and the call form shown again
with everything typed, never a lost call. The outage is raised where the page reaches the database, as the
driver raises it; the real thing on PostgreSQL is tests/integration/test_faults.py."""

import html

import psycopg
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

import web.auth
import web.calls
from referrals.models import Referral
from tests.web.conftest import csrf_token
from tests.web.test_access import call_form_data

FORM = "/calls/new"
TYPED = call_form_data(
    name="Winifred Outage", notes="Needs her prescription collected; her daughter is away.", form_id="f-1"
)


def connection_lost(*_args, **_kwargs):
    raise OperationalError(
        "SELECT ...", {}, psycopg.OperationalError("connection failed: server closed the connection")
    )


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_a_call_saved_during_an_outage_comes_back_filled_in_and_saves_after(signed_in, session, monkeypatch):
    client = signed_in("helpline")
    token = csrf_token(client, FORM)
    monkeypatch.setattr(web.calls, "log_call", connection_lost)
    response = client.post(FORM, data={**TYPED, "csrf_token": token})
    page = page_text(response)
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    assert "The service is briefly unavailable" in page
    assert "Your form is kept" in page
    assert 'value="Winifred Outage"' in page
    assert "Needs her prescription collected; her daughter is away." in page
    assert 'name="form_id" value="f-1"' in page, "the same form: a second press cannot save it twice"
    assert session.scalar(select(func.count()).select_from(Referral)) == 0
    monkeypatch.undo()
    saved = client.post(FORM, data={**TYPED, "csrf_token": token})
    assert saved.status_code == 302
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Referral)) == 1


def test_the_call_form_is_kept_even_when_the_signed_in_user_cannot_be_read(signed_in, monkeypatch):
    """The outage hits before the page knows who is signed in: the form still comes back as typed, under
    the draft key of the user the session cookie names."""
    client = signed_in("helpline")
    token = csrf_token(client, FORM)
    monkeypatch.setattr(web.auth, "signed_in_user", connection_lost)
    response = client.post(FORM, data={**TYPED, "csrf_token": token})
    page = page_text(response)
    assert response.status_code == 503
    assert 'value="Winifred Outage"' in page
    assert 'data-draft-key="oneroute.call-draft.' in page


def test_any_other_page_during_an_outage_says_so_plainly(signed_in, monkeypatch):
    client = signed_in("helpline")
    monkeypatch.setattr(web.auth, "signed_in_user", connection_lost)
    response = client.get("/queue")
    page = page_text(response)
    assert response.status_code == 503
    assert "The service is briefly unavailable" in page
    assert "Your form is kept" in page
    assert "Traceback" not in page
    assert "OperationalError" not in page
