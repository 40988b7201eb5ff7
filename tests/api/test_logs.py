"""JSON log lines with a request id, who asked (ids and role only) and timings; never a person's details."""

import io
import json
import logging
import re

import pytest

from api import create_app
from api.logs import log_handler
from config import ConfigError
from tests.builders import auth, call, token_for

RESIDENT = {"name": "Margaret Logline", "phone": "07700 900456", "postcode": "SM1 1AA"}


@pytest.fixture
def lines():
    """The JSON lines the app's own handler would write, read back as dicts."""
    stream = io.StringIO()
    handler = log_handler("json", stream)
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def request_lines(found):
    return [line for line in found if line["logger"] == "oneroute.request"]


def test_a_request_line_carries_the_callers_request_id_route_status_and_time(client, lines):
    response = client.get("/healthz/live", headers={"X-Request-ID": "lb-7f3a.2_x"})
    assert response.headers["X-Request-ID"] == "lb-7f3a.2_x"
    [line] = request_lines(lines())
    assert line["message"] == "request"
    assert line["request_id"] == "lb-7f3a.2_x"
    assert (line["method"], line["route"], line["status"]) == ("GET", "/healthz/live", 200)
    assert line["duration_ms"] >= 0
    assert {"time", "level", "user", "role"} <= set(line)


@pytest.mark.parametrize("header", [None, "", "has space", "x" * 129, "tab\there", "<script>", "ünïcode"])
def test_a_missing_or_unsafe_request_id_is_replaced_by_a_new_one(client, lines, header):
    headers = {} if header is None else {"X-Request-ID": header}
    response = client.get("/healthz/live", headers=headers)
    made = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert request_lines(lines())[0]["request_id"] == made


def test_each_request_gets_its_own_id(client):
    first = client.get("/healthz/live").headers["X-Request-ID"]
    assert client.get("/healthz/live").headers["X-Request-ID"] != first


def test_a_token_request_names_the_token_and_role_never_the_person(client, session_factory, directory, lines):
    token = token_for(session_factory, "helpline_staff", name="Alice Smith at the helpline")
    response = client.post("/api/v1/referrals", json=call(resident=RESIDENT), headers=auth(token))
    assert response.status_code == 201
    [line] = request_lines(lines())
    assert line["role"] == "helpline_staff"
    assert re.fullmatch(r"token:\d+", line["user"])
    assert line["route"] == "/api/v1/referrals"
    written = json.dumps(lines())
    for personal in ("Margaret", "Logline", "07700", "900456", "SM1 1AA", "Alice Smith"):
        assert personal not in written


def test_lines_logged_during_a_request_carry_its_id(database_url, lines):
    down = create_app({"DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"})
    response = down.test_client().get("/healthz", headers={"X-Request-ID": "probe-1"})
    assert response.status_code == 503
    failure = [line for line in lines() if line["message"] == "health check: database unreachable"]
    assert failure
    assert failure[0]["request_id"] == "probe-1"
    assert failure[0]["level"] == "ERROR"


def test_each_worker_tick_has_an_id_of_its_own(app, lines):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["worker", "--once"]).exit_code == 0
    assert runner.invoke(args=["worker", "--once"]).exit_code == 0
    ticks = [line for line in lines() if line["message"] == "worker tick"]
    assert len(ticks) == 2
    assert ticks[0]["request_id"] != ticks[1]["request_id"]
    assert all(tick["role"] == "worker" and "duration_ms" in tick for tick in ticks)
    assert {"expired_offers", "texts_claimed"} <= set(ticks[0])


def test_text_format_for_a_terminal_keeps_the_request_id(client):
    stream = io.StringIO()
    handler = log_handler("text", stream)
    logging.getLogger("oneroute.request").addHandler(handler)
    try:
        client.get("/healthz/live", headers={"X-Request-ID": "term-1"})
    finally:
        logging.getLogger("oneroute.request").removeHandler(handler)
    assert "[term-1]: request" in stream.getvalue()


def test_an_unknown_log_format_refuses_to_start(database_url):
    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        create_app({"DATABASE_URL": database_url, "LOG_FORMAT": "xml"})
