"""People who sign in: argon2id password hashes, creating users, and checking a sign-in.

A wrong password counts against the account; after MAX_FAILED_SIGN_INS in a row the account is locked until
an admin sets a new password (`flask users set-password`). Unknown usernames cost the same time as known
ones, and a locked account says so only to someone who gave its right password.
"""

import functools
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from accounts.models import USER_ROLES, User
from accounts.tokens import Principal, org_facts
from db.base import utcnow
from directory.models import Organisation

HASHER = PasswordHasher()
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1000
MAX_FAILED_SIGN_INS = 10
USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{1,79}")


class UserError(ValueError):
    pass


class SignInOutcome(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"


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
    """A new password; it also unlocks the account and ends the user's existing web sessions."""
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    session.commit()


def check_sign_in(session: Session, username: str, password: str, now: datetime | None = None) -> SignIn:
    user = session.scalar(select(User).where(User.username == normalise_username(username)))
    if user is None or not user.active:
        _matches(_dummy_hash(), password)
        return SignIn(SignInOutcome.WRONG)
    if not _matches(user.password_hash, password):
        session.execute(
            update(User)
            .where(User.id == user.id)
            .values(
                failed_logins=case(
                    (User.failed_logins < MAX_FAILED_SIGN_INS, User.failed_logins + 1),
                    else_=MAX_FAILED_SIGN_INS,
                )
            )
        )
        session.commit()
        return SignIn(SignInOutcome.WRONG)
    if user.failed_logins >= MAX_FAILED_SIGN_INS:
        return SignIn(SignInOutcome.LOCKED, user)
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = HASHER.hash(password)
    user.failed_logins = 0
    user.last_login_at = now or utcnow()
    session.commit()
    return SignIn(SignInOutcome.OK, user)


def session_fingerprint(user: User) -> str:
    """Changes whenever the password does, so a new password ends the sessions signed in with the old one."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def principal_for(session: Session, user: User) -> Principal:
    """The same principal a token of this role and organisation gets: the council area included, so the
    web pages ask the access rule exactly what the API asks."""
    org = session.get(Organisation, user.org_id) if user.org_id is not None else None
    return Principal(
        token_id=None, name=f"user:{user.id}:{user.username}", role=user.role, **org_facts(user.org_id, org)
    )
