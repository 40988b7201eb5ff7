"""Sessions are revocable: signing out, a new password (the users CLI included) and deactivation end every
session of the user, a copy of the cookie included (`app_user.session_version`, checked on every request)."""

from sqlalchemy import select

from accounts.models import User
from tests.web.conftest import post_form, sign_in

SESSION_COOKIE = "session"


def copy_session(source, target) -> None:
    """What someone who copied the cookie out of the browser (or its disk) holds."""
    target.set_cookie(SESSION_COOKIE, source.get_cookie(SESSION_COOKIE).value)


def is_signed_in(client, page: str = "/calls/new") -> bool:
    response = client.get(page)
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/sign-in")
        return False
    assert response.status_code == 200
    return True


def cli(app, *args, stdin: str | None = None):
    result = app.test_cli_runner().invoke(args=list(args), input=stdin)
    assert result.exit_code == 0, result.output
    return result


def test_a_cookie_copied_before_sign_out_is_refused_after_it(app, signed_in):
    browser = signed_in("helpline")
    thief = app.test_client()
    copy_session(browser, thief)
    assert is_signed_in(thief), "the copy works while the session lasts"
    post_form(browser, "/sign-out", {}, form_page="/calls/new")
    assert not is_signed_in(browser)
    assert not is_signed_in(thief), "signing out ended the copied session too"


def test_signing_out_in_one_browser_ends_the_users_sessions_in_the_others(signed_in, people, app):
    laptop, phone = signed_in("helpline"), signed_in("helpline")
    other_user = signed_in("officer")
    post_form(laptop, "/sign-out", {}, form_page="/calls/new")
    assert not is_signed_in(phone)
    assert is_signed_in(other_user, "/safety-net"), "only that user's sessions end"
    assert sign_in(phone, people["helpline"]).status_code == 302, "signing in again starts a new session"
    assert is_signed_in(phone)


def test_a_new_password_set_with_the_users_cli_ends_every_session(app, signed_in, people):
    first, second = signed_in("admin"), signed_in("admin")
    thief = app.test_client()
    copy_session(first, thief)
    cli(
        app,
        "users",
        "set-password",
        "--username",
        "admin-user",
        "--password-stdin",
        stdin="a new password!\n",
    )
    for browser in (first, second, thief):
        assert not is_signed_in(browser, "/admin/organisations")
    assert sign_in(second, people["admin"], "a new password!").status_code == 302
    assert is_signed_in(second, "/admin/organisations")


def test_deactivation_with_the_users_cli_ends_every_session(app, signed_in, people):
    first, second = signed_in("hub"), signed_in("hub")
    cli(app, "users", "deactivate", "--username", "hub-user")
    for browser in (first, second):
        assert not is_signed_in(browser, "/queue")
    assert sign_in(second, people["hub"]).status_code == 422


def test_a_rehashed_password_does_not_end_sessions(app, signed_in, session_factory, monkeypatch):
    """Upgrading the stored hash at sign-in is not a new password: the user's other sessions go on."""
    from argon2 import PasswordHasher

    import accounts.passwords

    laptop = signed_in("officer")
    monkeypatch.setattr(
        accounts.passwords, "HASHER", PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    )
    phone = signed_in("officer")
    with session_factory() as session:
        assert "m=2048,t=2" in session.scalar(
            select(User.password_hash).where(User.username == "officer-user")
        )
    assert is_signed_in(laptop, "/safety-net")
    assert is_signed_in(phone, "/safety-net")
