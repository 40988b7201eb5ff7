from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, utcnow

IMPORT_KINDS = ("organisations", "volunteers")
IMPORT_STATES = ("queued", "checking", "importing", "finished", "failed")


class ImportJob(Base):
    """A directory CSV upload being checked and imported in the background; the progress page polls it."""

    __tablename__ = "import_job"
    __table_args__ = (
        CheckConstraint(f"kind IN ({', '.join(repr(k) for k in IMPORT_KINDS)})", name="kind"),
        CheckConstraint(f"state IN ({', '.join(repr(s) for s in IMPORT_STATES)})", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(200))
    batch_size: Mapped[int]
    state: Mapped[str] = mapped_column(String(20), default="queued")
    total_rows: Mapped[int] = mapped_column(default=0)
    checked_rows: Mapped[int] = mapped_column(default=0)
    invalid_rows: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list] = mapped_column(default=list)
    error_count: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(String(500), default="")
    created_by_user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
