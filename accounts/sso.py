"""Keeping the people who sign in through the council's provider: found by the ID token's issuer and subject,
made on their first sign-in, given the role their groups map to (or none: then only an admin's assignment
gives one), refused when their domain is not allowed or their account here is deactivated, and checked again
at the provider while their session lasts (`recheck`). Every decision is handed to `audit`."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accounts.models import USER_ROLES, User
from accounts.oidc import OidcConfig, OidcError, decide
from accounts.passwords import USERNAME, UserError
from accounts.sealing import seal, unseal
from db.base import utcnow

if TYPE_CHECKING:  # the client (authlib, requests): loaded only where it is built
    from accounts.oidc_client import OidcClient

PURPOSE = "oidc-refresh"
Audit = Callable[[str, User | None, dict], None]


@dataclass(frozen=True)
class SsoResult:
    user: User | None
    refused: str = ""


def _refuse(audit: Audit, user: User | None, reason: str, **payload) -> SsoResult:
    audit("auth.sso_refused", user, {"why": reason, **payload})
    return SsoResult(None, reason)


def sign_in(
    session: Session,
    config: OidcConfig,
    claims: dict,
    refresh_token: str | None,
    *,
    secret_key: str,
    audit: Audit,
    now: datetime | None = None,
) -> SsoResult:
    """The person the checked ID token names, signed in (committed), or why not (audited, committed)."""
    now = now or utcnow()
    decision = decide(claims, config)
    user = session.scalar(
        select(User).where(User.oidc_issuer == claims["iss"], User.oidc_subject == str(claims["sub"]))
    )
    if not decision.allowed:
        domain = decision.email.rpartition("@")[2] if decision.email else ""
        result = _refuse(audit, user, decision.reason, domain=domain)
        session.commit()
        return result
    if user is None:
        username = decision.email[:80]
        taken = session.scalar(select(User.id).where(User.username == username))
        if not USERNAME.fullmatch(username) or taken is not None:
            result = _refuse(audit, None, "an account with this username already signs in with a password")
            session.commit()
            return result
        name = claims.get("name")
        user = User(
            username=username,
            display_name=(name if isinstance(name, str) and name.strip() else username)[:200],
            password_hash="",
            role=None,
            oidc_issuer=str(claims["iss"]),
            oidc_subject=str(claims["sub"]),
            created_at=now,
        )
        session.add(user)
        session.flush()
        audit("auth.sso_account_created", user, {"user_id": user.id})
    if not user.active:
        result = _refuse(audit, user, "this account has been deactivated here")
        session.commit()
        return result
    _apply_groups(user, decision.role, audit)
    user.oidc_refresh_sealed = seal(secret_key, PURPOSE, user.id, refresh_token) if refresh_token else None
    user.last_login_at = user.oidc_checked_at = now
    payload = {"user_id": user.id, "role": user.role, "from_groups": user.role_from_groups}
    audit("auth.sso_signed_in", user, payload)
    session.commit()
    return SsoResult(user)


def _apply_groups(user: User, mapped, audit: Audit) -> None:
    """A role the groups give replaces the one they gave before; when they no longer give one, a role that
    came from them goes too. A role an admin assigned stays until the groups give one."""
    before = (user.role, user.org_id)
    if mapped is not None:
        user.role, user.org_id, user.role_from_groups = mapped.role, mapped.org_id, True
    elif user.role_from_groups:
        user.role, user.org_id, user.role_from_groups = None, None, False
    if (user.role, user.org_id) != before:
        audit(
            "auth.role_changed",
            user,
            {"user_id": user.id, "role": user.role, "org_id": user.org_id, "by": "provider groups"},
        )


def recheck(
    session: Session,
    client: "OidcClient",
    user: User,
    *,
    secret_key: str,
    audit: Audit,
    now: datetime | None = None,
) -> bool:
    """Is the account still enabled at the provider? Its refresh token is used; a refusal ends every session
    of the user (audited). Without a refresh token nothing can be asked, so the session must end.

    The user's row is locked first and read again: of several requests (or workers) due to check at once,
    one asks the provider and the others take its answer, so a provider that rotates refresh tokens never
    sees the old one used twice."""
    now = now or utcnow()
    version = user.session_version
    query = select(User).where(User.id == user.id).with_for_update()
    user = session.scalars(query.execution_options(populate_existing=True)).one()
    if not user.active or user.session_version != version:
        session.commit()
        return False
    checked = user.oidc_checked_at
    if checked is not None and (now - checked).total_seconds() < client.config.recheck_seconds:
        session.commit()
        return True
    refresh_token = unseal(secret_key, PURPOSE, user.id, user.oidc_refresh_sealed)
    if refresh_token is None:
        audit("auth.sso_session_ended", user, {"user_id": user.id, "why": "no refresh token to check with"})
        _end_sessions(session, user)
        return False
    try:
        renewed = client.refresh(refresh_token)
    except OidcError as exc:
        audit("auth.sso_session_ended", user, {"user_id": user.id, "why": str(exc)[:300]})
        user.oidc_refresh_sealed = None
        _end_sessions(session, user)
        return False
    if renewed.claims:
        decision = decide(renewed.claims, client.config)
        if not decision.allowed:
            audit("auth.sso_session_ended", user, {"user_id": user.id, "why": decision.reason})
            _end_sessions(session, user)
            return False
        _apply_groups(user, decision.role, audit)
    if renewed.refresh_token:
        user.oidc_refresh_sealed = seal(secret_key, PURPOSE, user.id, renewed.refresh_token)
    user.oidc_checked_at = now
    session.commit()
    return True


def _end_sessions(session: Session, user: User) -> None:
    session.flush()
    session.execute(update(User).where(User.id == user.id).values(session_version=User.session_version + 1))
    session.commit()


def assign_role(
    session: Session, user: User, role: str | None, org_id: int | None, *, audit: Audit, by: str
) -> None:
    """An admin gives a person a role (or takes it away with None); it holds until the provider's groups give
    one. Takes effect on the person's next page."""
    if role is not None and role not in USER_ROLES:
        raise UserError(f"unknown role {role!r}; people sign in as one of {', '.join(USER_ROLES)}")
    if role == "hub_coordinator" and org_id is None:
        raise UserError("a hub_coordinator must belong to an organisation (--org)")
    user.role, user.org_id, user.role_from_groups = role, org_id if role else None, False
    audit("auth.role_changed", user, {"user_id": user.id, "role": role, "org_id": user.org_id, "by": by})
    session.commit()
