"""People who sign in: argon2id password hashes, creating users, and checking a sign-in.

Wrong passwords are answered with temporary, growing delays (`accounts/throttle.py`, asked by the sign-in
page), never by locking the account: other people's failures cannot shut anyone out for good. Unknown
usernames cost the same time as known ones.

Sessions are revocable: each user has a `session_version`, written into their session cookie when they sign in
and checked on every request; signing out, a new password and deactivation move it on, which ends every
session of that user at once, wherever it was copied to.
"""

import functools
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accounts.models import USER_ROLES, User
from accounts.tokens import Principal, org_facts
from db.base import utcnow
from directory.models import Organisation

HASHER = PasswordHasher()
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1000
USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{1,79}")


class UserError(ValueError):
    pass


class SignInOutcome(StrEnum):
    OK = "ok"
    WRONG = "wrong"


@dataclass(frozen=True)
class SignIn:
    outcome: SignInOutcome
    user: User | None = None


def normalise_username(username: str) -> str:
    return username.strip().casefold()


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError(f"a password may have at most {MAX_PASSWORD_LENGTH} characters")


def hash_password(password: str) -> str:
    check_password_rules(password)
    return HASHER.hash(password)


def _matches(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    return HASHER.hash("not a password anyone has: it only makes unknown usernames take as long")


def create_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    password: str,
    role: str,
    org_id: int | None = None,
    now: datetime | None = None,
) -> User:
    username = normalise_username(username)
    if not USERNAME.fullmatch(username):
        raise UserError(
            "a username is 2 to 80 lower-case letters, digits or . _ @ -, starting with a letter or digit"
        )
    if role not in USER_ROLES:
        raise UserError(f"unknown role {role!r}; people sign in as one of {', '.join(USER_ROLES)}")
    if role == "hub_coordinator" and org_id is None:
        raise UserError("a hub_coordinator must belong to an organisation (--org)")
    if not display_name.strip():
        raise UserError("a display name is required")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UserError(f"the username {username!r} is taken")
    user = User(
        username=username,
        display_name=display_name.strip(),
        password_hash=hash_password(password),
        role=role,
        org_id=org_id,
        created_at=now or utcnow(),
    )
    session.add(user)
    session.commit()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """A new password; it ends every existing session of the user."""
    user.password_hash = hash_password(password)
    end_sessions(session, user)


def deactivate_user(session: Session, user: User) -> None:
    """The user can no longer sign in, and every session of theirs ends now (their history stays)."""
    user.active = False
    end_sessions(session, user)


def end_sessions(session: Session, user: User) -> None:
    """Every session of the user ends (signing out ends them all, as a new password and deactivation do)."""
    session.flush()
    session.execute(update(User).where(User.id == user.id).values(session_version=User.session_version + 1))
    session.commit()


def check_sign_in(session: Session, username: str, password: str, now: datetime | None = None) -> SignIn:
    user = session.scalar(select(User).where(User.username == normalise_username(username)))
    if user is None or not user.active:
        _matches(_dummy_hash(), password)
        return SignIn(SignInOutcome.WRONG)
    if not _matches(user.password_hash, password):
        return SignIn(SignInOutcome.WRONG)
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = HASHER.hash(password)
    user.last_login_at = now or utcnow()
    session.commit()
    return SignIn(SignInOutcome.OK, user)


def principal_for(session: Session, user: User) -> Principal:
    """The same principal a token of this role and organisation gets: the council area included, so the
    web pages ask the access rule exactly what the API asks."""
    org = session.get(Organisation, user.org_id) if user.org_id is not None else None
    return Principal(
        token_id=None, name=f"user:{user.id}:{user.username}", role=user.role, **org_facts(user.org_id, org)
    )
