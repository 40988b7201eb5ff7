"""Signing in and out with a session cookie: right and wrong passwords, cookie flags, redirects (the delays
after wrong passwords: test_sign_in_delays.py; revocable sessions: test_sessions.py)."""

import pytest
from sqlalchemy import select

import accounts.passwords
from accounts.models import User
from accounts.passwords import set_password
from config.settings import ConfigError
from tests.web.conftest import PASSWORD, csrf_token, post_form, sign_in
from web.blueprint import cookie_is_secure


@pytest.mark.parametrize(
    ("key", "home"),
    [
        ("helpline", "/calls/new"),
        ("hub", "/queue"),
        ("officer", "/safety-net"),
        ("admin", "/admin/organisations"),
    ],
)
def test_each_role_lands_on_its_own_page(app, people, key, home):
    client = app.test_client()
    response = sign_in(client, people[key])
    assert response.status_code == 302
    assert response.headers["Location"] == home
    assert client.get(home).status_code == 200


def test_the_session_cookie_is_httponly_and_samesite_lax(app, people):
    response = sign_in(app.test_client(), people["helpline"])
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie, "plain http on 127.0.0.1 in development"


def test_a_secure_cookie_when_configured(database_url, session_factory, people):
    from api import create_app

    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "SESSION_COOKIE_SECURE": "true"})
    try:
        client = app.test_client()
        response = client.get("/sign-in", base_url="https://localhost")
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith("__Host-session=")
        assert "Secure" in cookie
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
    finally:
        app.extensions["oneroute"].engine.dispose()


@pytest.mark.parametrize(
    ("settings", "environ", "secure"),
    [
        ({"APP_ENV": "development", "PUBLIC_BASE_URL": "http://127.0.0.1:5000"}, {}, False),
        ({"APP_ENV": "development", "PUBLIC_BASE_URL": "https://help.example.gov.uk"}, {}, True),
        ({"APP_ENV": "production", "PUBLIC_BASE_URL": "http://internal"}, {}, True),
        ({"APP_ENV": "development"}, {"SESSION_COOKIE_SECURE": "true"}, True),
        (
            {"APP_ENV": "development", "SESSION_COOKIE_SECURE": False},
            {"SESSION_COOKIE_SECURE": "true"},
            False,
        ),
        ({"APP_ENV": "production"}, {"SESSION_COOKIE_SECURE": "1"}, True),
    ],
)
def test_cookie_security_follows_the_settings(settings, environ, secure):
    assert cookie_is_secure(settings, environ) is secure


def test_production_refuses_insecure_cookies():
    with pytest.raises(ConfigError, match="SESSION_COOKIE_SECURE"):
        cookie_is_secure({"APP_ENV": "production"}, {"SESSION_COOKIE_SECURE": "false"})


@pytest.mark.parametrize("username", ["helpline-user", "nobody-here"])
def test_a_wrong_password_or_unknown_user_is_refused_the_same_way(app, people, username):
    client = app.test_client()
    response = client.post(
        "/sign-in",
        data={"username": username, "password": "not the password", "csrf_token": csrf_token(client)},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<a href="#username">The username or password is not right</a>' in page
    assert "<title>Error: Sign in" in page
    assert client.get("/calls/new").status_code == 302


def test_missing_fields_are_listed_in_the_error_summary(app, people):
    client = app.test_client()
    response = client.post("/sign-in", data={"csrf_token": csrf_token(client)})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<a href="#username">Enter your username</a>' in page
    assert '<a href="#password">Enter your password</a>' in page
    assert 'aria-describedby="password-error"' in page


def test_a_right_password_records_the_sign_in(app, people, session_factory):
    client = app.test_client()
    sign_in(client, people["admin"], "wrong password!")
    assert sign_in(client, people["admin"]).status_code == 302
    with session_factory() as session:
        user = session.scalar(select(User).where(User.username == "admin-user"))
        assert user.last_login_at is not None


def test_sign_out_ends_the_session(signed_in):
    client = signed_in("helpline")
    response = post_form(client, "/sign-out", {}, form_page="/calls/new")
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in"
    assert "You have signed out" in client.get("/sign-in").get_data(as_text=True)
    assert client.get("/calls/new").status_code == 302


def test_a_new_password_ends_sessions_signed_in_with_the_old_one(signed_in, session_factory):
    client = signed_in("helpline")
    with session_factory() as session:
        user = session.scalar(select(User).where(User.username == "helpline-user"))
        set_password(session, user, "another long password")
    response = client.get("/calls/new")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_a_deactivated_user_cannot_use_the_pages(signed_in, session_factory):
    client = signed_in("admin")
    with session_factory() as session:
        session.scalar(select(User).where(User.username == "admin-user")).active = False
        session.commit()
    assert client.get("/admin/organisations").status_code == 302


@pytest.mark.parametrize(
    ("next_path", "lands_on"),
    [
        ("/referrals/1", "/referrals/1"),
        ("//evil.example/phish", "/calls/new"),
        ("https://evil.example/", "/calls/new"),
        ("/\\evil.example", "/calls/new"),
    ],
)
def test_after_sign_in_only_a_path_on_this_site_is_followed(app, people, next_path, lands_on):
    client = app.test_client()
    token = csrf_token(client)
    response = client.post(
        "/sign-in",
        data={"username": "helpline-user", "password": PASSWORD, "csrf_token": token, "next": next_path},
    )
    assert response.headers["Location"] == lands_on


def test_a_page_asked_for_before_signing_in_is_shown_after(app, people):
    client = app.test_client()
    response = client.get("/safety-net")
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?next=/safety-net?"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="next" value="/safety-net?"' in page


def test_weak_hashes_are_upgraded_on_sign_in(app, people, session_factory, monkeypatch):
    from argon2 import PasswordHasher

    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    monkeypatch.setattr(accounts.passwords, "HASHER", stronger)
    assert sign_in(app.test_client(), people["officer"]).status_code == 302
    with session_factory() as session:
        stored = session.scalar(select(User.password_hash).where(User.username == "officer-user"))
    assert stored.startswith("$argon2id$")
    assert "m=2048,t=2,p=1" in stored
