"""`flask --app wsgi users ...`: the people who sign in to the web pages (machines use API tokens)."""

import sys

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from accounts import second_factor, sso, throttle
from accounts.models import USER_ROLES, User
from accounts.passwords import UserError, check_password_rules, create_user, deactivate_user, set_password
from accounts.tokens import Principal

# Who the audit trail names for a change made at the command line (someone with the server's shell).
COMMAND_LINE = Principal(token_id=None, name="command line", role="system", org_id=None)


@click.group("users", help="People who sign in to the web pages.", cls=AppGroup)
def users_cli():
    pass


def _sessions():
    return current_app.extensions["oneroute"].session_factory


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        check_password_rules(password)
    except UserError as exc:
        raise click.UsageError(str(exc)) from exc
    return password


@users_cli.command("create", help="Create a user; the password is prompted for (or read from stdin).")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(USER_ROLES))
@click.option(
    "--org", "org_id", type=int, default=None, help="Organisation id (required for hub_coordinator)."
)
@click.option("--display-name", required=True, help="The name shown on the pages and in the audit trail.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def users_create(username, role, org_id, display_name, password_stdin):
    password = _read_password(password_stdin)
    with _sessions()() as session:
        try:
            user = create_user(
                session,
                username=username,
                display_name=display_name,
                password=password,
                role=role,
                org_id=org_id,
            )
        except UserError as exc:
            raise click.UsageError(str(exc)) from exc
        click.echo(
            f"user {user.id} {user.username} ({user.role}{f', organisation {org_id}' if org_id else ''})"
        )


def _user(session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().casefold()))
    if user is None:
        raise click.UsageError(f"no user {username!r}")
    return user


@users_cli.command(
    "set-password",
    help="Set a new password; this ends every session of the user and lifts any delay that wrong passwords"
    " put on the account.",
)
@click.option("--username", required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def users_set_password(username, password_stdin):
    password = _read_password(password_stdin)
    with _sessions()() as session:
        user = _user(session, username)
        set_password(session, user, password)
        current_app.extensions[throttle.EXTENSION].clear((throttle.ACCOUNT, user.username))
        click.echo(f"new password set for {user.username}; its sessions have ended")


@users_cli.command("deactivate", help="Stop a user signing in and end their sessions (their history stays).")
@click.option("--username", required=True)
def users_deactivate(username):
    with _sessions()() as session:
        user = _user(session, username)
        deactivate_user(session, user)
        click.echo(f"{user.username} can no longer sign in; their sessions have ended")


@users_cli.command("list", help="List users (never their passwords) and how each signs in.")
def users_list():
    with _sessions()() as session:
        for user in session.scalars(select(User).order_by(User.id)):
            state = "active" if user.active else "inactive"
            how = "council account" if user.oidc_subject else "password"
            if user.password_hash and second_factor.is_enrolled(user):
                how += "+app"
            role = user.role or "no role"
            click.echo(f"{user.id}\t{user.username}\t{role}\t{user.org_id or '-'}\t{state}\t{how}")


def _audit(session):
    from referrals import audit

    def record(kind: str, user: User | None, payload: dict) -> None:
        audit.record(session, kind, COMMAND_LINE, payload=payload)

    return record


@users_cli.command(
    "set-role",
    help="Give a person a role (someone who has signed in with their council account once, or anyone);"
    " it holds until the provider's groups give them one. --none takes their role away.",
)
@click.option("--username", required=True)
@click.option("--role", type=click.Choice(USER_ROLES), default=None)
@click.option("--org", "org_id", type=int, default=None, help="Organisation id (hub_coordinator needs one).")
@click.option("--none", "no_role", is_flag=True, help="Take the person's role away.")
def users_set_role(username, role, org_id, no_role):
    if (role is None) == (not no_role):
        raise click.UsageError("give either --role or --none")
    with _sessions()() as session:
        user = _user(session, username)
        try:
            sso.assign_role(session, user, role, org_id, audit=_audit(session), by="admin")
        except UserError as exc:
            raise click.UsageError(str(exc)) from exc
        click.echo(f"{user.username} is now {role or 'without a role'}")


@users_cli.command(
    "reset-two-factor",
    help="Forget a person's authenticator app and recovery codes (a lost phone) and end their sessions; they"
    " set up the app again at their next sign-in.",
)
@click.option("--username", required=True)
def users_reset_two_factor(username):
    with _sessions()() as session:
        user = _user(session, username)
        second_factor.reset(session, user, audit=_audit(session))
        click.echo(f"{user.username}'s authenticator app is forgotten; their sessions have ended")
