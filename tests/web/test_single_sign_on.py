"""Signing in through the council's OpenID provider (the local one, started on a free port): group mapping, a
role an admin assigns, refused domains, tampered tokens, the state bound to the browser, sessions that expire,
accounts disabled at the provider, signing out of the provider too — and the same access rules whichever
way a person signed in (the whole page matrix again, with everyone signed in through the provider)."""

import time
from datetime import timedelta
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import pytest
import requests
from sqlalchemy import select, update

from accounts.fake_oidc import FakeOidc, FakeUser
from accounts.models import User
from db.base import utcnow
from referrals.models import AuditEvent
from tests.conftest import RELAXED_LIMITS
from tests.integration.test_oidc_client import tampered
from tests.web import test_page_access_matrix as page_matrix
from tests.web.conftest import csrf_token

ANN = FakeUser("sub-ann", "ann@sutton.example", "Ann Admin", ["g-admins"])
NIA = FakeUser("sub-nia", "nia@sutton.example", "Nia New", [])
OLLY = FakeUser("sub-olly", "olly@elsewhere.example", "Olly Outsider", ["g-admins"])
# One person of the page matrix per key, each in a group that gives their role and organisation.
MATRIX = [FakeUser(f"sub-{key}", f"{key}@sutton.example", key, [f"g-{key}"]) for key in page_matrix.WHO]


@pytest.fixture
def idp():
    with FakeOidc(users=[ANN, NIA, OLLY, *MATRIX]) as provider:
        yield provider


@pytest.fixture
def app(database_url, session_factory, directory, idp):
    from api import create_app

    groups = ["g-admins=admin", "g-helpers=helpline_staff"]
    for key, (role, org) in page_matrix.WHO.items():
        groups.append(f"g-{key}={role}" + (f":{directory[org]}" if org else ""))
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "TESTING": True,
            **RELAXED_LIMITS,
            "OIDC_ISSUER": idp.url,
            "OIDC_CLIENT_ID": idp.client_id,
            "OIDC_CLIENT_SECRET": idp.client_secret,
            "OIDC_ALLOWED_DOMAINS": "sutton.example",
            "OIDC_GROUP_ROLES": ";".join(groups),
            "OIDC_RECHECK_SECONDS": 600,
            "TOTP_REQUIRED_ROLES": "admin,safety_net_officer",
        }
    )
    yield app
    app.extensions["oneroute"].engine.dispose()


def press(idp: FakeOidc, url: str, sub: str) -> dict:
    """The person presses their own button on the provider's page: what it sends back to the callback."""
    assert url.startswith(f"{idp.url}/authorize?")
    params = dict(parse_qsl(urlsplit(url).query))
    answer = requests.post(
        f"{idp.url}/authorize", data={**params, "user": sub}, allow_redirects=False, timeout=5
    )
    assert answer.status_code == 303, answer.text
    return {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["Location"]).query).items()}


def sso_sign_in(client, idp: FakeOidc, sub: str, next_page: str | None = None):
    start = client.get("/sign-in/sso" + (f"?next={next_page}" if next_page else ""))
    assert start.status_code == 303
    return client.get("/sign-in/sso/callback?" + urlencode(press(idp, start.headers["Location"], sub)))


def kinds(session) -> list[str]:
    session.rollback()
    return list(session.scalars(select(AuditEvent.kind).order_by(AuditEvent.seq)))


def test_a_group_mapped_to_admin_signs_in_as_admin_without_a_password_or_an_app(app, idp, session):
    client = app.test_client()
    answer = sso_sign_in(client, idp, "sub-ann")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/admin/organisations"
    assert client.get("/admin/organisations").status_code == 200  # no second factor asked: the provider's own
    user = session.scalar(select(User).where(User.oidc_subject == "sub-ann"))
    assert (user.username, user.role, user.role_from_groups, user.password_hash) == (
        "ann@sutton.example",
        "admin",
        True,
        "",
    )
    assert user.oidc_refresh_sealed.startswith("sealed:v1:")
    assert kinds(session) == ["auth.sso_account_created", "auth.role_changed", "auth.sso_signed_in"]


def test_a_password_cannot_open_an_account_that_signs_in_through_the_provider(app, idp):
    sso_sign_in(app.test_client(), idp, "sub-ann")
    client = app.test_client()
    answer = client.post(
        "/sign-in",
        data={"username": "ann@sutton.example", "password": "a guess", "csrf_token": csrf_token(client)},
    )
    assert answer.status_code == 422
    assert "The username or password is not right" in answer.get_data(as_text=True)


def test_the_role_follows_the_groups_at_each_sign_in(app, idp, session):
    sso_sign_in(app.test_client(), idp, "sub-ann")
    idp.set_groups("sub-ann", ["g-helpers"])
    assert sso_sign_in(app.test_client(), idp, "sub-ann").headers["Location"] == "/calls/new"
    idp.set_groups("sub-ann", [])
    client = app.test_client()
    assert sso_sign_in(client, idp, "sub-ann").headers["Location"] == "/no-role"
    assert client.get("/admin/organisations").headers["Location"] == "/no-role"
    session.rollback()
    assert session.scalar(select(User.role).where(User.oidc_subject == "sub-ann")) is None


def test_nobody_gets_a_role_they_were_not_given_until_an_admin_assigns_one(app, idp, session):
    client = app.test_client()
    assert sso_sign_in(client, idp, "sub-nia").headers["Location"] == "/no-role"
    page = client.get("/no-role")
    assert page.status_code == 403
    assert "no role here yet" in page.get_data(as_text=True)
    for path in ("/calls/new", "/admin/organisations", "/safety-net", "/search?q=x"):
        assert client.get(path).headers["Location"] == "/no-role", path
    result = app.test_cli_runner().invoke(
        args=["users", "set-role", "--username", "nia@sutton.example", "--role", "helpline_staff"]
    )
    assert result.exit_code == 0, result.output
    assert client.get("/calls/new").status_code == 200  # at the next page, without signing in again
    # The provider's groups still give nothing: the admin's role stays.
    assert sso_sign_in(app.test_client(), idp, "sub-nia").headers["Location"] == "/calls/new"
    assert "auth.role_changed" in kinds(session)


def test_a_domain_not_allowed_is_refused_and_audited_without_the_address(app, idp, session):
    client = app.test_client()
    answer = sso_sign_in(client, idp, "sub-olly")
    assert answer.status_code == 403
    assert "elsewhere.example may not sign in here" in answer.get_data(as_text=True)
    assert client.get("/admin/organisations").status_code == 302
    assert session.scalar(select(User.id)) is None
    event = session.scalar(select(AuditEvent).where(AuditEvent.kind == "auth.sso_refused"))
    assert event.payload["domain"] == "elsewhere.example"
    assert "olly" not in str(event.payload)


def test_a_tampered_id_token_is_refused(app, idp, session):
    idp.forge = lambda token: tampered(token, sub="sub-someone-else")
    client = app.test_client()
    answer = sso_sign_in(client, idp, "sub-ann")
    assert answer.status_code == 403
    assert client.get("/admin/organisations").status_code == 302
    assert session.scalar(select(User.id)) is None
    assert kinds(session) == ["auth.sso_refused"]


def test_the_state_is_bound_to_the_browser_that_started(app, idp):
    starter, other = app.test_client(), app.test_client()
    start = starter.get("/sign-in/sso")
    back = press(idp, start.headers["Location"], "sub-ann")
    assert other.get("/sign-in/sso/callback?" + urlencode(back)).status_code == 400
    forged = {**back, "state": "not-the-state"}
    assert starter.get("/sign-in/sso/callback?" + urlencode(forged)).status_code == 400
    # The state is used up by the failed attempt too: nothing can be replayed.
    assert starter.get("/sign-in/sso/callback?" + urlencode(back)).status_code == 400


def test_an_account_disabled_at_the_provider_cannot_sign_in(app, idp, session):
    idp.disable("sub-ann")
    answer = sso_sign_in(app.test_client(), idp, "sub-ann")
    assert answer.status_code == 403
    assert "did not let you in" in answer.get_data(as_text=True)
    assert kinds(session) == ["auth.sso_refused"]


def age_the_check(client, session_factory, seconds: int = 601) -> None:
    """As if the provider was last asked `seconds` ago (this browser's note of it and the account's)."""
    with client.session_transaction() as cookie:
        cookie["sso_checked_at"] = time.time() - seconds
    with session_factory() as session:
        session.execute(update(User).values(oidc_checked_at=utcnow() - timedelta(seconds=seconds)))
        session.commit()


def test_an_account_disabled_at_the_provider_is_signed_out_at_the_next_check(
    app, idp, session, session_factory
):
    client = app.test_client()
    sso_sign_in(client, idp, "sub-ann")
    age_the_check(client, session_factory)
    assert client.get("/admin/organisations").status_code == 200  # still enabled: checked, and on
    with client.session_transaction() as cookie:
        assert cookie["sso_checked_at"] > time.time() - 5
    age_the_check(client, session_factory)
    idp.disable("sub-ann")
    answer = client.get("/admin/organisations")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/sign-in")
    assert "auth.sso_session_ended" in kinds(session)


def test_a_check_within_the_interval_does_not_ask_the_provider(app, idp, session_factory):
    client = app.test_client()
    sso_sign_in(client, idp, "sub-ann")
    idp.disable("sub-ann")
    assert client.get("/admin/organisations").status_code == 200
    # Another browser (or worker) asked the provider a moment ago: its answer stands for this one too.
    age_the_check(client, session_factory)
    with session_factory() as session:
        session.execute(update(User).values(oidc_checked_at=utcnow()))
        session.commit()
    assert client.get("/admin/organisations").status_code == 200


def test_an_expired_session_signs_in_again(app, idp):
    client = app.test_client()
    sso_sign_in(client, idp, "sub-ann")
    with client.session_transaction() as cookie:
        cookie["signed_in_at"] = time.time() - 13 * 3600
    assert client.get("/admin/organisations").headers["Location"].startswith("/sign-in")


def test_a_person_deactivated_here_cannot_sign_in_through_the_provider(app, idp):
    client = app.test_client()
    sso_sign_in(client, idp, "sub-ann")
    result = app.test_cli_runner().invoke(args=["users", "deactivate", "--username", "ann@sutton.example"])
    assert result.exit_code == 0
    assert client.get("/admin/organisations").status_code == 302
    assert sso_sign_in(app.test_client(), idp, "sub-ann").status_code == 403


def test_signing_out_ends_the_provider_session_too(app, idp, session):
    client = app.test_client()
    sso_sign_in(client, idp, "sub-ann")
    page = client.get("/admin/organisations")
    assert f"form-action 'self' {idp.url}" in page.headers["Content-Security-Policy"]
    answer = client.post("/sign-out", data={"csrf_token": csrf_token(client, "/admin/organisations")})
    location = answer.headers["Location"]
    assert location.startswith(f"{idp.url}/end_session?")
    assert parse_qs(urlsplit(location).query)["post_logout_redirect_uri"] == ["http://localhost/sign-in"]
    back = requests.get(location, allow_redirects=False, timeout=5)
    assert back.headers["Location"].startswith("http://localhost/sign-in")
    assert idp.ended_sessions == [{"sub": "sub-ann", "client_id": idp.client_id}]
    assert client.get("/admin/organisations").status_code == 302
    assert "auth.signed_out" in kinds(session)


def test_the_sign_in_page_offers_the_council_account_first(app):
    page = app.test_client().get("/sign-in").get_data(as_text=True)
    assert page.index("Sign in with your council account") < page.index('name="password"')


def test_without_an_issuer_there_is_no_single_sign_on(database_url, session_factory):
    from api import create_app

    plain = create_app({"DATABASE_URL": database_url, "TESTING": True})
    client = plain.test_client()
    assert client.get("/sign-in/sso").status_code == 404
    assert client.get("/sign-in/sso/callback?state=x&code=y").status_code == 404
    assert "council account" not in client.get("/sign-in").get_data(as_text=True)
    plain.extensions["oneroute"].engine.dispose()


@pytest.fixture
def people_through_the_provider(app, idp):
    clients = {}
    for key in page_matrix.WHO:
        client = app.test_client()
        assert sso_sign_in(client, idp, f"sub-{key}").status_code == 302
        clients[key] = client
    return clients


def test_the_page_matrix_is_the_same_for_people_signed_in_through_the_provider(
    app, client, session_factory, directory, people_through_the_provider
):
    page_matrix.test_page_route_role_organisation_council_matrix(
        app, client, session_factory, directory, people_through_the_provider
    )
