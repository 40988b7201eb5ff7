"""Hand-made bad input at the API's JSON doors is a 4xx problem+json, never a 500: JSON nested thousands of
levels deep, a number longer than Python will read, control characters in the body or the query string."""

import pytest

from tests.builders import call

PROBLEM = "application/problem+json"
DEEP_ARRAY = "[" * 10_000
DEEP_OBJECT = '{"a":' * 10_000
DEEP_MIXED = '{"resident": ' + '[{"x":' * 5_000
LONG_NUMBER = (
    '{"channel": "phone", "resident": {"name": "A", "postcode": "SM1 1AA"}, "x": ' + "7" * 5_000 + "}"
)


@pytest.fixture
def referral_id(client, helpline) -> int:
    response = client.post("/api/v1/referrals", json=call(), headers=helpline)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


@pytest.fixture
def doors(referral_id) -> list[str]:
    """Intake, an action (cancel, which helpline staff may take) and the triage preview."""
    return ["/api/v1/referrals", f"/api/v1/referrals/{referral_id}/cancel", "/api/v1/triage/preview"]


def post_raw(client, headers, path: str, body: str):
    return client.post(path, data=body, content_type="application/json", headers=headers)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (DEEP_ARRAY, "nested"),
        (DEEP_OBJECT, "nested"),
        (DEEP_MIXED, "nested"),
        (LONG_NUMBER, "too many digits"),
        ('{"notes": "a' + "\\u0000" * 3, "not valid JSON"),
        ('{"notes": "unterminated', "not valid JSON"),
    ],
    ids=["deep-array", "deep-object", "deep-mixed", "5000-digits", "broken-1", "broken-2"],
)
def test_a_body_that_cannot_be_read_is_400_at_every_door(client, helpline, doors, body, words):
    for path in doors:
        response = post_raw(client, helpline, path, body)
        assert response.status_code == 400, (path, response.get_data(as_text=True)[:300])
        assert response.mimetype == PROBLEM
        assert words in response.get_json()["detail"]


def test_nesting_just_past_the_limit_is_400_and_a_long_float_is_a_validation_error(client, helpline):
    response = post_raw(client, helpline, "/api/v1/triage/preview", '{"notes": ' + "[" * 40 + "]" * 40 + "}")
    assert response.status_code == 400
    assert "nested more than 32" in response.get_json()["detail"]
    response = post_raw(client, helpline, "/api/v1/triage/preview", '{"notes": 1.' + "5" * 5_000 + "}")
    assert response.status_code == 422
    assert response.mimetype == PROBLEM


@pytest.mark.parametrize("text", ["Ann\x00Smith", "Ann\x1bSmith", "Ann\x7fSmith", "Ann\x08"])
def test_control_characters_in_a_body_are_422_naming_the_field(client, helpline, doors, text):
    body = call(resident={"name": text})
    response = client.post(doors[0], json=body, headers=helpline)
    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    assert response.get_json()["errors"] == {"resident.name": ["must not contain control characters"]}
    response = client.post(doors[1], json={"reason": f"no longer needed {text}"}, headers=helpline)
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["reason"]
    response = client.post(doors[2], json={"notes": text, "postcode": "SM1 1AA"}, headers=helpline)
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["notes"]


def test_a_control_character_in_a_key_or_a_list_is_named_by_where_it_is(client, helpline):
    body = call(needs=["shopping", "food\x00"])
    body["resident"]["flags"]["lives\x00alone"] = True
    response = client.post("/api/v1/referrals", json=body, headers=helpline)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"needs.1", "resident.flags"}


def test_tabs_and_line_breaks_in_a_body_are_kept(client, helpline, session):
    from referrals.models import Referral

    notes = "Needs shopping.\r\nLives alone;\tdog in the garden."
    response = client.post("/api/v1/referrals", json=call(notes=notes), headers=helpline)

    assert response.status_code == 201, response.get_data(as_text=True)
    assert session.get(Referral, response.get_json()["id"]).notes == notes


@pytest.mark.parametrize("query", [{"q": "a\x00b"}, {"status": "open\n"}, {"x\x00": "1"}])
def test_control_characters_in_a_query_string_are_422(client, helpline, query):
    response = client.get("/api/v1/residents/search", query_string=query, headers=helpline)
    assert response.status_code == 422
    assert response.mimetype == PROBLEM


def test_the_openapi_schema_says_a_search_is_one_line_without_control_characters(client):
    parameters = client.get("/openapi.json").get_json()["paths"]["/api/v1/residents/search"]["get"][
        "parameters"
    ]
    q = next(parameter for parameter in parameters if parameter["name"] == "q")
    assert q["schema"]["pattern"] == "^[^\\x00-\\x1f\\x7f]*$"
