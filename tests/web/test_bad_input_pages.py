"""Control characters at the pages' doors: a NUL byte (which PostgreSQL refuses: it was a 500 with the
person's details in the log) or an escape code in a form or a query string is a 400 page saying what to do;
tabs and line breaks in the boxes that take several lines are kept."""

import pytest
from sqlalchemy import func, select

from referrals.models import Referral
from tests.web.conftest import csrf_token, post_form
from tests.web.test_access import call_form_data

FORM = "/calls/new"


def count(session) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(Referral))


@pytest.mark.parametrize(
    "field", [{"name": "Margaret\x00Test"}, {"postcode": "SM1\x001AA"}, {"notes": "shopping\x1b[2J"}]
)
def test_a_control_character_in_the_call_form_is_a_400_page_and_saves_nothing(signed_in, session, field):
    response = post_form(signed_in("helpline"), FORM, call_form_data(**field))

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "holds characters that cannot be used" in page
    assert "Traceback" not in page
    assert count(session) == 0


def test_a_control_character_in_a_field_name_or_in_the_sign_in_form_is_400(app, signed_in, people):
    response = post_form(signed_in("helpline"), FORM, {**call_form_data(), "x\x00": "1"})
    assert response.status_code == 400
    client = app.test_client()
    token = csrf_token(client)
    response = client.post(
        "/sign-in", data={"username": "helpline-user\x00", "password": "x", "csrf_token": token}
    )
    assert response.status_code == 400


@pytest.mark.parametrize("query", ["/search?q=Ann%00", "/calls/new?x=%0a", "/calls/new?%00=1"])
def test_a_control_character_in_a_query_string_is_400(signed_in, query):
    assert signed_in("helpline").get(query).status_code == 400


def test_tabs_and_line_breaks_in_the_notes_are_saved(signed_in, session):
    notes = "Needs shopping.\r\nLives alone;\tdog in the garden."
    response = post_form(signed_in("helpline"), FORM, call_form_data(notes=notes))

    assert response.status_code == 302, response.get_data(as_text=True)
    assert count(session) == 1
    assert session.scalars(select(Referral.notes)).one() in (notes, notes.replace("\r\n", "\n"))
