"""`flask users ...` and the demo users that `flask demo load --tokens` prints."""

import re

import pytest
from sqlalchemy import select

from accounts import throttle
from accounts.demo_users import issue_demo_users
from accounts.models import User
from tests.auth_delays import FakeClock
from tests.web.conftest import Person, sign_in


def run(app, *args, stdin: str | None = None):
    return app.test_cli_runner().invoke(args=list(args), input=stdin)


def test_a_user_created_on_the_command_line_can_sign_in(app, directory):
    result = run(
        app, "users", "create", "--username", "Pat.Hub", "--role", "hub_coordinator",
        "--org", str(directory["hub"]), "--display-name", "Pat", "--password-stdin",
        stdin="a long enough password\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "pat.hub (hub_coordinator, organisation" in result.output
    response = sign_in(
        app.test_client(), Person("pat.hub", "hub_coordinator", None), "a long enough password"
    )
    assert response.headers["Location"] == "/queue"


@pytest.mark.parametrize(
    ("args", "stdin", "complaint"),
    [
        (["--role", "hub_coordinator"], "a long enough password\n", "must belong to an organisation"),
        (["--role", "admin"], "short\n", "at least 10 characters"),
        (["--role", "partner_referrer"], "a long enough password\n", "Invalid value for '--role'"),
    ],
)
def test_bad_users_are_refused_with_a_reason(app, args, stdin, complaint):
    create = ["users", "create", "--username", "someone", "--display-name", "Some One", "--password-stdin"]
    result = run(app, *create, *args, stdin=stdin)
    assert result.exit_code != 0
    assert complaint in result.output


def test_a_taken_username_is_refused(app):
    base = [
        "users",
        "create",
        "--username",
        "sam",
        "--role",
        "admin",
        "--display-name",
        "Sam",
        "--password-stdin",
    ]
    assert run(app, *base, stdin="a long enough password\n").exit_code == 0
    again = run(app, *base, stdin="a long enough password\n")
    assert again.exit_code != 0
    assert "is taken" in again.output


def test_the_password_can_be_typed_at_a_prompt(app, session_factory):
    result = run(
        app, "users", "create", "--username", "typed", "--role", "admin", "--display-name", "Typed",
        stdin="typed long password\ntyped long password\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "typed long password" not in result.output.replace("Password", "")


def test_set_password_lifts_the_accounts_delay_and_deactivate_stops_sign_in(app, people):
    app.extensions[throttle.EXTENSION].clock = FakeClock()  # it stands still: the delay lasts the test out
    stranger = app.test_client()
    statuses = [sign_in(stranger, people["admin"], "wrong password!").status_code for _ in range(7)]
    assert statuses == [422] * 6 + [429], "five free failures, then a delay"
    assert sign_in(stranger, people["admin"]).status_code == 429
    result = run(
        app,
        "users",
        "set-password",
        "--username",
        "admin-user",
        "--password-stdin",
        stdin="brand new password\n",
    )
    assert result.exit_code == 0, result.output
    assert sign_in(app.test_client(), people["admin"], "brand new password").status_code == 302
    assert run(app, "users", "deactivate", "--username", "admin-user").exit_code == 0
    assert sign_in(app.test_client(), people["admin"], "brand new password").status_code == 422
    listed = run(app, "users", "list").output
    assert re.search(r"admin-user\tadmin\t-\tinactive", listed)


def test_demo_users_cover_every_role_and_get_a_new_password_each_run(app, session_factory, directory):
    with session_factory() as session:
        first_password, people = issue_demo_users(session)
        second_password, again = issue_demo_users(session)
        roles = dict(session.execute(select(User.username, User.role)).all())
    assert first_password != second_password
    assert [username for username, _ in people] == [username for username, _ in again]
    assert set(roles.values()) == {"helpline_staff", "hub_coordinator", "safety_net_officer", "admin"}
    client = app.test_client()
    assert sign_in(client, Person("demo-hub", "hub_coordinator", None), first_password).status_code == 422
    assert sign_in(client, Person("demo-hub", "hub_coordinator", None), second_password).status_code == 302
