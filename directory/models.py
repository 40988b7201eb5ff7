from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, utcnow
from matching.types import DBS_LEVELS  # lowest first; enhanced_barred: enhanced with the barred-list check

ORG_KINDS = ("safety_net", "infrastructure", "hub", "vcs", "mutual_aid")
MUTUAL_AID_MODES = ("integrated", "supported", "arms_length")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Organisation(Base):
    __tablename__ = "organisation"
    __table_args__ = (
        CheckConstraint(_in("kind", ORG_KINDS), name="kind"),
        CheckConstraint(
            f"mutual_aid_mode IS NULL OR {_in('mutual_aid_mode', MUTUAL_AID_MODES)}", name="mode"
        ),
        CheckConstraint("capacity >= 0", name="capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    area: Mapped[str] = mapped_column(String(40), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    services: Mapped[list] = mapped_column(default=list)
    coverage_outcodes: Mapped[list] = mapped_column(default=list)
    base_postcode: Mapped[str | None] = mapped_column(String(10))
    # The first line(s) of the base's address (building and street), for HSDS addresses and the public feed.
    base_address: Mapped[str] = mapped_column(String(200), default="", server_default="")
    base_lat: Mapped[float | None]
    base_lon: Mapped[float | None]
    radius_km: Mapped[float | None]
    capacity: Mapped[int] = mapped_column(default=10)
    mutual_aid_mode: Mapped[str | None] = mapped_column(String(20))
    opening_hours: Mapped[dict | None]
    min_age: Mapped[int | None]
    max_age: Mapped[int | None]
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(20), default="")
    contact_email: Mapped[str] = mapped_column(String(200), default="")
    public_contact: Mapped[str] = mapped_column(String(300), default="")
    sms_opted_out: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Volunteer(Base):
    __tablename__ = "volunteer"
    __table_args__ = (
        Index("ix_volunteer_active_org", "active", "org_id"),
        CheckConstraint(f"dbs_level IS NULL OR {_in('dbs_level', DBS_LEVELS)}", name="dbs_level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(10))
    lat: Mapped[float]
    lon: Mapped[float]
    skills: Mapped[list] = mapped_column(default=list)
    dbs_checked_on: Mapped[date | None]
    dbs_expires_on: Mapped[date | None]
    dbs_level: Mapped[str | None] = mapped_column(String(20))
    driver: Mapped[bool] = mapped_column(default=False, server_default=false())
    availability: Mapped[dict] = mapped_column(default=dict)
    travel_radius_km: Mapped[float] = mapped_column(default=3.0)
    max_active_tasks: Mapped[int] = mapped_column(default=3)
    max_tasks_per_week: Mapped[int] = mapped_column(default=5)
    sms_opted_out: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
