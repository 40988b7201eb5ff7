import pytest

from notify.fake_twilio import Outcome, Switches, TwilioError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("delivered", Outcome("delivered", None)),
        ("undelivered", Outcome("undelivered", 30003)),
        ("undelivered:30005", Outcome("undelivered", 30005)),
        ("failed", Outcome("failed", 30008)),
        ({"status": "failed", "error_code": 30007}, Outcome("failed", 30007)),
        ({"status": "delivered", "error_code": 30007}, Outcome("delivered", None)),
    ],
)
def test_outcome_parse(value, expected):
    assert Outcome.parse(value) == expected


@pytest.mark.parametrize("value", ["lost", "sent", 42, {"status": "queued"}])
def test_outcome_parse_rejects_other_statuses(value):
    with pytest.raises(ValueError, match="outcome"):
        Outcome.parse(value)


def test_limited_outage_counts_down_then_ends():
    switches = Switches()
    switches.update({"outage_requests": 2})
    assert [switches.take_outage() for _ in range(4)] == [True, True, False, False]
    assert switches.outage is False


def test_open_ended_outage_lasts_until_switched_off():
    switches = Switches()
    switches.update({"outage": True})
    assert all(switches.take_outage() for _ in range(10))
    switches.update({"outage": False})
    assert switches.take_outage() is False


def test_update_changes_only_the_keys_given_and_null_clears_a_number():
    switches = Switches()
    switches.update({"create_errors": {"+447700900001": 21211, "+447700900002": 21610}})
    switches.update({"create_errors": {"+447700900001": None}, "outcomes": {"+447700900003": "failed"}})
    switches.update({"delay": 1.5})
    assert switches.create_errors == {"+447700900002": 21610}
    assert switches.outcome_for("+447700900003") == Outcome("failed", 30008)
    assert switches.outcome_for("+447700900004") == Outcome()
    assert switches.as_json()["delay"] == 1.5
    assert switches.callbacks is True


@pytest.mark.parametrize(
    "changes",
    [{"delay": -1}, {"colour": "red"}, {"create_errors": ["+447700900001"]}, {"outcomes": {"+4477": "lost"}}],
)
def test_update_rejects_bad_control_requests(changes):
    with pytest.raises(ValueError, match=r"must|unknown"):
        Switches().update(changes)


@pytest.mark.parametrize(
    ("code", "status"), [(21211, 400), (21610, 400), (20003, 401), (20429, 429), (20503, 503)]
)
def test_twilio_error_body_has_twilios_shape(code, status):
    error = TwilioError(code)
    assert error.body() == {
        "code": code,
        "message": error.message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    assert error.message
