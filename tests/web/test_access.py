"""Who may open which page, CSRF on every form, and errors shown as pages."""

import pytest

from tests.builders import auth, call, token_for
from tests.web.conftest import PASSWORD, csrf_token, post_form

ADMIN_PAGES = ["/admin/organisations", "/admin/volunteers", "/admin/imports/new", "/admin"]


@pytest.mark.parametrize(
    ("key", "path", "status"),
    [(key, path, 403) for key in ("hub", "helpline", "officer") for path in ADMIN_PAGES]
    + [
        ("helpline", "/queue", 403),
        ("helpline", "/safety-net", 403),
        ("hub", "/safety-net", 403),
        ("hub", "/calls/new", 403),
        ("admin", "/queue", 403),
        ("officer", "/queue", 200),
        ("officer", "/calls/new", 200),
        ("admin", "/calls/new", 200),
    ],
)
def test_pages_are_open_only_to_their_roles(signed_in, key, path, status):
    response = signed_in(key).get(path)
    assert response.status_code == status
    if status == 403:
        page = response.get_data(as_text=True)
        assert response.mimetype == "text/html"
        assert "You cannot use this page" in page


@pytest.mark.parametrize("path", ["/calls/new", "/queue", "/admin/organisations", "/referrals/1"])
def test_pages_ask_strangers_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")


def test_the_scripts_endpoints_answer_strangers_in_json(client):
    response = client.post("/calls/postcode", data={"postcode": "SM1 1AA"})
    assert response.status_code == 401
    assert "Sign in again" in response.get_json()["error"]


def test_every_page_declares_who_may_use_it(app):
    from web.auth import PUBLIC_ATTR, ROLES_ATTR

    for endpoint, view in app.view_functions.items():
        if endpoint.startswith("web.") and endpoint != "web.static":
            assert getattr(view, ROLES_ATTR, None) or getattr(view, PUBLIC_ATTR, False), endpoint


def test_a_form_without_its_csrf_token_is_refused(app, people):
    client = app.test_client()
    client.get("/sign-in")
    response = client.post("/sign-in", data={"username": "helpline-user", "password": PASSWORD})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This form could not be sent" in page
    assert "Traceback" not in page
    assert client.get("/calls/new").status_code == 302, "not signed in"


def test_a_forged_csrf_token_is_refused_even_when_signed_in(signed_in):
    client = signed_in("helpline")
    response = client.post("/calls/new", data={**call_form_data(), "csrf_token": "forged"})
    assert response.status_code == 400
    assert "This form could not be sent" in response.get_data(as_text=True)


def test_a_token_from_another_session_is_refused(app, signed_in):
    other = app.test_client()
    stolen = csrf_token(other)
    client = signed_in("helpline")
    response = client.post("/calls/new", data={**call_form_data(), "csrf_token": stolen})
    assert response.status_code == 400


def test_over_https_the_referrer_must_be_this_site(app, people):
    client = app.test_client()
    base = "https://localhost"
    token = csrf_token_at(client, base)
    data = {"username": "helpline-user", "password": PASSWORD, "csrf_token": token}
    refused = client.post("/sign-in", data=data, base_url=base, headers={"Referer": "https://evil.example/"})
    assert refused.status_code == 400
    accepted = client.post("/sign-in", data=data, base_url=base, headers={"Referer": f"{base}/sign-in"})
    assert accepted.status_code == 302


def csrf_token_at(client, base: str) -> str:
    from tests.web.conftest import CSRF_FIELD

    return CSRF_FIELD.search(client.get("/sign-in", base_url=base).get_data(as_text=True)).group(1)


def test_the_api_keeps_bearer_tokens_and_needs_no_csrf(client, session_factory):
    headers = auth(token_for(session_factory, "helpline_staff"))
    response = client.post("/api/v1/referrals", json=call(), headers=headers)
    assert response.status_code == 201


def test_an_unknown_action_is_a_page_not_a_trace(signed_in):
    client = signed_in("hub")
    unknown = post_form(client, "/referrals/1/actions/teleport", {}, form_page="/queue")
    assert unknown.status_code == 404
    assert unknown.mimetype == "text/html"
    assert "Page not found" in unknown.get_data(as_text=True)


def test_security_headers_on_pages(client):
    response = client.get("/sign-in")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"


def call_form_data(**overrides) -> dict:
    data = {
        "name": "Margaret Test",
        "phone": "07700 900123",
        "postcode": "SM1 1AA",
        "address": "1 Example Road, Sutton",
        "flags": ["lives_alone"],
        "notes": "Needs shopping picked up this week, lives alone.",
        "channel": "phone",
        "consent_to_share": "yes",
        "form_id": "",
    }
    data.update(overrides)
    return data


def test_an_unexpected_failure_is_a_page_without_internals(signed_in, monkeypatch):
    import web.oversight

    def broken(*_args, **_kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(web.oversight, "queue", broken)
    response = signed_in("hub").get("/queue")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Sorry, something went wrong" in page
    assert "secret internals" not in page
    assert "Traceback" not in page
