"""A version for the directory, bumped in the same transaction as any change to an organisation or volunteer,
and a change log saying which ones each version touched, so every worker can tell cheaply whether its
in-memory matching index is stale and bring it up to date by re-reading only what changed.

The version row is locked from the bump to the commit, so directory changes commit in version order: a
reader that sees version N also sees every change-log row up to N."""

from datetime import datetime

from sqlalchemy import Index, String, delete, event, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from db.base import Base, utcnow
from directory.models import Organisation, Volunteer

STATE_ID = 1
CHANGES = "oneroute_directory_changes"
KINDS: dict[type, str] = {Organisation: "organisation", Volunteer: "volunteer"}


class DirectoryState(Base):
    __tablename__ = "directory_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=0)


class DirectoryChange(Base):
    """One organisation or volunteer touched by the transaction that moved the version to `version`."""

    __tablename__ = "directory_change"
    __table_args__ = (Index("ix_directory_change_version", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@event.listens_for(DirectoryState.__table__, "after_create")
def _first_state(table, connection, **_kw) -> None:
    """The one state row, in a schema made with `create_all` as migration 0004 makes it in a migrated one."""
    connection.execute(insert(table).values(id=STATE_ID, version=0))


def _note_changes(session: Session, _context, _instances) -> None:
    touched = [obj for obj in (*session.new, *session.dirty, *session.deleted) if type(obj) in KINDS]
    if touched:
        session.info.setdefault(CHANGES, []).extend(touched)


def _bump_version(session: Session) -> None:
    """Move the version at commit and log what moved it, so the state row is locked only for the commit."""
    session.flush()
    touched = session.info.pop(CHANGES, None)
    if not touched:
        return
    entities = sorted({(KINDS[type(obj)], obj.id) for obj in touched if obj.id is not None})
    connection = session.connection()
    version = connection.execute(
        update(DirectoryState)
        .where(DirectoryState.id == STATE_ID)
        .values(version=DirectoryState.version + 1)
        .returning(DirectoryState.version)
    ).scalar_one()
    now = utcnow()
    connection.execute(
        insert(DirectoryChange),
        [{"version": version, "kind": kind, "entity_id": id_, "created_at": now} for kind, id_ in entities]
        or [{"version": version, "kind": "none", "entity_id": 0, "created_at": now}],
    )


def _forget_changes(session: Session, transaction) -> None:
    """Rolled back or closed without a commit: what it touched moved nothing."""
    if transaction.parent is None:
        session.info.pop(CHANGES, None)


def changes_since(session: Session, version: int, upto: int) -> dict[str, set[int]] | None:
    """What versions (version, upto] touched, by kind; None when the log no longer holds all of them (pruned),
    so the caller must rebuild from scratch."""
    rows = session.execute(
        select(DirectoryChange.version, DirectoryChange.kind, DirectoryChange.entity_id).where(
            DirectoryChange.version > version, DirectoryChange.version <= upto
        )
    ).all()
    if {row.version for row in rows} != set(range(version + 1, upto + 1)):
        return None
    touched: dict[str, set[int]] = {kind: set() for kind in KINDS.values()}
    for row in rows:
        if row.kind in touched:
            touched[row.kind].add(row.entity_id)
    return touched


def prune_changes(session: Session, before: datetime) -> int:
    """Forget change-log rows older than `before`; a worker further behind than that rebuilds its index."""
    result = session.execute(delete(DirectoryChange).where(DirectoryChange.created_at < before))
    return result.rowcount or 0


def listen() -> None:
    event.listen(Session, "before_flush", _note_changes)
    event.listen(Session, "before_commit", _bump_version)
    event.listen(Session, "after_transaction_end", _forget_changes)


listen()
