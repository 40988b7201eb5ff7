from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
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
    """A person who signs in to the web pages with a username and password (argon2id hash)."""

    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint(f"role IN ({', '.join(repr(r) for r in USER_ROLES)})", name="role"),
        CheckConstraint("role != 'hub_coordinator' OR org_id IS NOT NULL", name="coordinator_org"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(30))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Written into each session cookie at sign-in and checked on every request: moving it on ends every
    # session of the user (sign-out, a new password, deactivation).
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
