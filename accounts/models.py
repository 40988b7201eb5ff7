from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, utcnow

ROLES = ("helpline_staff", "hub_coordinator", "safety_net_officer", "partner_referrer", "admin")


class ApiToken(Base):
    __tablename__ = "api_token"
    __table_args__ = (
        CheckConstraint(f"role IN ({', '.join(repr(r) for r in ROLES)})", name="role"),
        CheckConstraint("role != 'hub_coordinator' OR org_id IS NOT NULL", name="coordinator_org"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(30))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


USER_ROLES = ("helpline_staff", "hub_coordinator", "safety_net_officer", "admin")


class User(Base):
    """A person who signs in to the web pages: with a username and password (argon2id hash), or through the
    council's OpenID Connect provider (`oidc_issuer` and `oidc_subject`, no password: `password_hash` empty).

    `role` is empty for a person who has signed in through the provider but has not been given one (no group
    of theirs maps to a role, and no admin has assigned one): they can sign in and see that, nothing more."""

    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint(f"role IN ({', '.join(repr(r) for r in USER_ROLES)})", name="role"),
        CheckConstraint("role != 'hub_coordinator' OR org_id IS NOT NULL", name="coordinator_org"),
        UniqueConstraint("oidc_issuer", "oidc_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(30))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Written into each session cookie at sign-in and checked on every request: moving it on ends every
    # session of the user (sign-out, a new password, deactivation).
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Single sign-on: who the provider says this is (the ID token's iss and sub, never reused), whether the
    # role came from the provider's groups (then each sign-in sets it again from them) and the provider's
    # refresh token, sealed (accounts/sealing.py), with which the account is checked while a session lasts.
    oidc_issuer: Mapped[str | None] = mapped_column(String(500))
    oidc_subject: Mapped[str | None] = mapped_column(String(255))
    role_from_groups: Mapped[bool] = mapped_column(default=False, server_default="0")
    oidc_refresh_sealed: Mapped[str | None] = mapped_column(Text)
    oidc_checked_at: Mapped[datetime | None]  # the last time the provider said the account is still good
    # The second factor of a password sign-in: a TOTP secret, sealed; the last time step accepted (a code is
    # good once); when it was enrolled.
    totp_secret_sealed: Mapped[str | None] = mapped_column(Text)
    totp_last_step: Mapped[int | None]
    totp_enrolled_at: Mapped[datetime | None]


class RecoveryCode(Base):
    """A one-use code that stands in for the authenticator app (shown once at enrolment, stored hashed)."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]
