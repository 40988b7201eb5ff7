"""A second factor after a password: admins and safety-net officers must enrol an authenticator app (by
default), then give a code each time (each code good once) or a recovery code (each good once); wrong codes
earn delays like wrong passwords; an admin's reset makes them enrol again. Everything is audited."""

import re
import time
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from accounts.models import RecoveryCode, User
from db.base import utcnow
from referrals.models import AuditEvent
from tests.conftest import RELAXED_LIMITS
from tests.web.conftest import PASSWORD, csrf_token, post_form, sign_in

KEY = re.compile(r"data-totp-key>([A-Z2-7 ]+)<")
RECOVERY = re.compile(r"<code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code>")


@pytest.fixture
def app(database_url, session_factory):
    from api import create_app

    app = create_app(
        {
            "DATABASE_URL": database_url,
            "TESTING": True,
            **RELAXED_LIMITS,
            "TOTP_REQUIRED_ROLES": "admin,safety_net_officer",
            "AUTH_FREE_FAILURES_PER_ACCOUNT": 3,
        }
    )
    yield app
    app.extensions["oneroute"].engine.dispose()


def kinds(session) -> list[str]:
    session.rollback()
    return list(session.scalars(select(AuditEvent.kind).order_by(AuditEvent.seq)))


def enrol(client, person) -> tuple[pyotp.TOTP, list[str]]:
    """Sign in with the password, add the key to the "app" and confirm it: the app and the recovery codes."""
    answer = sign_in(client, person)
    assert answer.headers["Location"] == "/sign-in/two-factor"
    page = client.get("/sign-in/two-factor").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page  # the QR code
    app = pyotp.TOTP(KEY.search(page).group(1).replace(" ", ""))
    done = post_form(client, "/sign-in/two-factor", {"code": app.now()})
    assert done.status_code == 200, done.get_data(as_text=True)
    codes = RECOVERY.findall(done.get_data(as_text=True))
    assert len(codes) == 10
    return app, codes


def code_step_later(app: pyotp.TOTP, steps: int = 1) -> str:
    return app.at(utcnow() + timedelta(seconds=30 * steps))


def test_an_admin_enrols_at_the_first_sign_in_and_is_then_signed_in(app, people, session):
    client = app.test_client()
    _app, codes = enrol(client, people["admin"])
    assert client.get("/admin/organisations").status_code == 200
    user = session.scalar(select(User).where(User.username == "admin-user"))
    assert user.totp_secret_sealed.startswith("sealed:v1:")
    hashes = set(session.scalars(select(RecoveryCode.code_hash)))
    assert len(hashes) == 10
    assert not any(code in hash_ for code in codes for hash_ in hashes)
    assert kinds(session) == ["auth.second_factor_enrolled", "auth.signed_in"]


def test_before_the_second_step_no_page_opens(app, people):
    client = app.test_client()
    sign_in(client, people["officer"])
    assert client.get("/safety-net").headers["Location"].startswith("/sign-in")
    assert client.get("/sign-in/code").headers["Location"] == "/sign-in"  # not enrolled: nothing to enter


def test_a_wrong_code_at_enrolment_keeps_nothing(app, people, session):
    client = app.test_client()
    sign_in(client, people["admin"])
    client.get("/sign-in/two-factor")
    answer = post_form(client, "/sign-in/two-factor", {"code": "000000"})
    assert answer.status_code == 422
    assert "The code is not right" in answer.get_data(as_text=True)
    session.rollback()
    assert session.scalar(select(User.totp_secret_sealed).where(User.username == "admin-user")) is None
    assert client.get("/admin/organisations").status_code == 302


def test_the_next_sign_in_asks_for_a_code_and_each_code_works_once(app, people, session):
    totp, _codes = enrol(app.test_client(), people["admin"])
    client = app.test_client()
    assert sign_in(client, people["admin"]).headers["Location"] == "/sign-in/code"
    code = code_step_later(totp)
    answer = post_form(client, "/sign-in/code", {"code": code})
    assert answer.headers["Location"] == "/admin/organisations"
    assert client.get("/admin/organisations").status_code == 200
    again = app.test_client()
    sign_in(again, people["admin"])
    assert post_form(again, "/sign-in/code", {"code": code}).status_code == 422
    assert "auth.second_factor_failed" in kinds(session)


def test_a_recovery_code_stands_in_once(app, people, session):
    _totp, codes = enrol(app.test_client(), people["officer"])
    client = app.test_client()
    sign_in(client, people["officer"])
    answer = post_form(client, "/sign-in/code", {"code": codes[3].upper()})
    assert answer.headers["Location"] == "/safety-net"
    other = app.test_client()
    sign_in(other, people["officer"])
    assert post_form(other, "/sign-in/code", {"code": codes[3]}).status_code == 422
    assert kinds(session).count("auth.recovery_code_used") == 1


def test_wrong_codes_earn_a_delay(app, people):
    enrol(app.test_client(), people["admin"])
    client = app.test_client()
    sign_in(client, people["admin"])
    statuses = [post_form(client, "/sign-in/code", {"code": "123456"}).status_code for _ in range(5)]
    assert statuses[:3] == [422, 422, 422]
    assert statuses[-1] == 429


def test_roles_that_need_none_are_not_asked(app, people):
    client = app.test_client()
    assert sign_in(client, people["helpline"]).headers["Location"] == "/calls/new"


def test_a_half_finished_sign_in_runs_out(app, people):
    enrol(app.test_client(), people["admin"])
    client = app.test_client()
    sign_in(client, people["admin"])
    with client.session_transaction() as cookie:
        cookie["pending_at"] = time.time() - 601
    assert client.get("/sign-in/code").headers["Location"] == "/sign-in"


def test_an_admins_reset_ends_sessions_and_asks_for_enrolment_again(app, people, session):
    client = app.test_client()
    enrol(client, people["admin"])
    result = app.test_cli_runner().invoke(args=["users", "reset-two-factor", "--username", "admin-user"])
    assert result.exit_code == 0, result.output
    assert client.get("/admin/organisations").status_code == 302
    again = app.test_client()
    assert sign_in(again, people["admin"]).headers["Location"] == "/sign-in/two-factor"
    assert session.scalar(select(RecoveryCode.id)) is None
    event = session.scalar(select(AuditEvent).where(AuditEvent.kind == "auth.second_factor_reset"))
    assert event.actor == "command line"
    listing = app.test_cli_runner().invoke(args=["users", "list"]).output
    assert "admin-user\tadmin\t-\tactive\tpassword\n" in listing


def test_a_wrong_password_is_audited_without_the_password(app, people, session):
    client = app.test_client()
    answer = client.post(
        "/sign-in",
        data={"username": "admin-user", "password": "wrong guess!", "csrf_token": csrf_token(client)},
    )
    assert answer.status_code == 422
    event = session.scalar(select(AuditEvent).where(AuditEvent.kind == "auth.sign_in_failed"))
    assert "wrong guess" not in str(event.payload)
    assert PASSWORD not in str(event.payload)


def test_the_password_again_in_a_fresh_browser_earns_no_new_code_guesses(app, people):
    enrol(app.test_client(), people["admin"])
    client = app.test_client()
    sign_in(client, people["admin"])
    for _ in range(4):  # the free failures, and one past them
        assert post_form(client, "/sign-in/code", {"code": "123456"}).status_code == 422
    fresh = app.test_client()
    assert sign_in(fresh, people["admin"]).status_code == 429
