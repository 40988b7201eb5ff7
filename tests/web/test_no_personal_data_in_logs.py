"""No personal field (name, phone, postcode, address, coordinates) reaches the logs on an error: the engines
hide statement parameters, and a failure while a call is saved (by the API or the page) logs the error, not
the person."""

import logging

import pytest
from sqlalchemy import event, insert
from sqlalchemy.exc import DBAPIError

from referrals.models import Resident
from tests.builders import auth, call, token_for
from tests.web.conftest import post_form
from tests.web.test_access import call_form_data

NAME, PHONE, POSTCODE, ADDRESS = "Margaret Quennell", "07700 900461", "SM1 1AA", "17 Lavender Vale, Sutton"


def personal_fields(app) -> list[str]:
    where = app.extensions["oneroute"].geocoder.geocode(POSTCODE)
    return [
        NAME,
        PHONE,
        "+447700900461",
        "7700 900461",
        POSTCODE,
        ADDRESS,
        "Lavender",
        repr(where.lat),
        repr(where.lon),
    ]


# What the database fails with as a resident is written: an error of the statement itself (500), or the
# database unavailable, as a full disk or a lost connection is (503, db/faults.py); either way the driver's
# own exception, which SQLAlchemy wraps with the statement (and, unless hidden, its parameters).
FAILURES = {
    "error": ("DataError", "value too long for the column", 500),
    "outage": ("OperationalError", "database or disk is full", 503),
}


@pytest.fixture(params=sorted(FAILURES))
def broken_resident_insert(app, request):
    engine = app.extensions["oneroute"].engine
    kind, message, status = FAILURES[request.param]

    def fail(cursor, statement, parameters, context):
        if statement.lstrip().upper().startswith("INSERT INTO RESIDENT "):
            raise getattr(engine.dialect.loaded_dbapi, kind)(message)

    event.listen(engine, "do_execute", fail)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    yield message, status
    event.remove(engine, "do_execute", fail)


def assert_clean(text: str, fields: list[str]) -> None:
    leaked = [field for field in fields if field in text]
    assert not leaked, f"personal data in the log: {leaked}"


def test_a_database_error_names_no_parameters_and_no_row(app, session_factory, caplog):
    """A NOT NULL violation: PostgreSQL's message goes on "DETAIL: Failing row contains (…the values…)"."""
    engine = app.extensions["oneroute"].engine
    with engine.connect() as connection, pytest.raises(DBAPIError) as raised:
        connection.execute(insert(Resident).values(id=None, name=NAME, phone=PHONE, postcode=POSTCODE))
    logging.getLogger("test").error("failed", exc_info=raised.value)

    assert "hide_parameters" in str(raised.value)
    assert "violates not-null constraint" in str(raised.value) or "NOT NULL constraint" in str(raised.value)
    assert_clean(str(raised.value), personal_fields(app))
    assert_clean(caplog.text, personal_fields(app))


def test_a_failed_intake_logs_the_error_and_not_the_person(
    app, client, session_factory, broken_resident_insert, caplog
):
    body = call(resident={"name": NAME, "phone": PHONE, "postcode": POSTCODE, "address": ADDRESS})
    caplog.set_level(logging.DEBUG)

    response = client.post(
        "/api/v1/referrals", json=body, headers=auth(token_for(session_factory, "helpline_staff"))
    )

    message, status = broken_resident_insert
    assert response.status_code == status
    assert ("unhandled error" if status == 500 else "database unavailable") in caplog.text
    assert message in caplog.text
    assert_clean(caplog.text, personal_fields(app))
    assert_clean(response.get_data(as_text=True), personal_fields(app))


def test_a_failed_call_form_logs_the_error_and_not_the_person(app, signed_in, broken_resident_insert, caplog):
    client = signed_in("helpline")
    caplog.set_level(logging.DEBUG)

    data = call_form_data(name=NAME, phone=PHONE, postcode=POSTCODE, address=ADDRESS)
    response = post_form(client, "/calls/new", data)

    message, status = broken_resident_insert
    assert response.status_code == status
    assert message in caplog.text
    assert_clean(caplog.text, personal_fields(app))
    if status == 503:  # the form comes back as it was typed, so the call is not lost
        assert NAME in response.get_data(as_text=True)


@pytest.mark.parametrize("door", ["api", "page"])
def test_a_nul_byte_in_a_call_logs_nothing_personal(app, client, session_factory, signed_in, caplog, door):
    caplog.set_level(logging.DEBUG)
    if door == "api":
        body = call(
            resident={"name": NAME + "\x00", "phone": PHONE, "postcode": POSTCODE, "address": ADDRESS}
        )
        response = client.post(
            "/api/v1/referrals", json=body, headers=auth(token_for(session_factory, "helpline_staff"))
        )
        assert response.status_code == 422
    else:
        data = call_form_data(name=NAME + "\x00", phone=PHONE, postcode=POSTCODE, address=ADDRESS)
        response = post_form(signed_in("helpline"), "/calls/new", data)
        assert response.status_code == 400
    assert_clean(caplog.text, personal_fields(app))
