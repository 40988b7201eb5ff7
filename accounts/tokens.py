"""API tokens: 256 random bits shown once, stored only as a SHA-256 hash, with expiry and revocation."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import ROLES, ApiToken
from db.base import utcnow
from directory.models import Organisation

TOKEN_PREFIX = "ori_"


@dataclass(frozen=True)
class Principal:
    """Who is making a request: the token's identity, role and (for coordinators) organisation."""

    token_id: int | None
    name: str
    role: str
    org_id: int | None
    area: str | None = None  # the council area of the principal's organisation, if bound to one
    org_kind: str | None = None  # that organisation's kind and mutual-aid mode (what it may hold)
    org_mode: str | None = None

    @property
    def label(self) -> str:
        return f"token:{self.token_id}:{self.name}" if self.token_id else self.name


SYSTEM = Principal(token_id=None, name="system", role="system", org_id=None)


class TokenError(ValueError):
    pass


def hash_token(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def create_token(
    session: Session,
    *,
    role: str,
    name: str,
    org_id: int | None = None,
    expires_in: timedelta | None = None,
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    if role not in ROLES:
        raise TokenError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if role == "hub_coordinator" and org_id is None:
        raise TokenError("a hub_coordinator token must be bound to an organisation (--org)")
    if expires_in is not None and expires_in <= timedelta(0):
        raise TokenError("a token must expire in the future; give no expiry for one that never expires")
    now = now or utcnow()
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        role=role,
        org_id=org_id,
        token_hash=hash_token(plaintext),
        created_at=now,
        expires_at=now + expires_in if expires_in else None,
    )
    session.add(token)
    session.commit()
    return token, plaintext


def authenticate(session: Session, plaintext: str, now: datetime | None = None) -> Principal | None:
    if not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > 100:
        return None
    # The columns the principal needs, not the token and organisation as objects (on every API call).
    token = session.execute(
        select(
            ApiToken.id,
            ApiToken.name,
            ApiToken.role,
            ApiToken.org_id,
            ApiToken.revoked_at,
            ApiToken.expires_at,
            Organisation.area,
            Organisation.kind,
            Organisation.mutual_aid_mode,
        )
        .outerjoin(Organisation, Organisation.id == ApiToken.org_id)
        .where(ApiToken.token_hash == hash_token(plaintext))
    ).first()
    now = now or utcnow()
    if token is None:
        return None
    if token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
        return None
    return Principal(
        token_id=token.id,
        name=token.name,
        role=token.role,
        org_id=token.org_id,
        area=token.area,
        org_kind=token.kind,
        org_mode=token.mutual_aid_mode,
    )


def org_facts(org_id: int | None, org: Organisation | None) -> dict:
    """The principal's organisation as the access rule needs it: id, council area, kind and mode."""
    return {
        "org_id": org_id,
        "area": org and org.area,
        "org_kind": org and org.kind,
        "org_mode": org and org.mutual_aid_mode,
    }


def token_state(token: ApiToken, now: datetime | None = None) -> str:
    """revoked, expired or active: what `authenticate` would make of the token now."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= (now or utcnow()):
        return "expired"
    return "active"


def revoke_token(session: Session, token_id: int, now: datetime | None = None) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise TokenError(f"no token with id {token_id}")
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
        session.commit()
    return token
