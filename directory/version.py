"""A version for the directory and one for workload, bumped in the same transaction as any change to them,
so every worker can tell cheaply whether its in-memory matching index is stale."""

from sqlalchemy import event, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from db.base import Base
from directory.models import Organisation, Volunteer

STATE_ID = 1
CHANGES = "oneroute_directory_changes"
_DIRECTORY_MODELS: tuple[type, ...] = (Organisation, Volunteer)
_workload_models: list[type] = []


class DirectoryState(Base):
    __tablename__ = "directory_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=0)
    workload_version: Mapped[int] = mapped_column(default=0)


def watch_workload(*models: type) -> None:
    """Changes to these models (offers, referrals) move the workload version."""
    _workload_models.extend(m for m in models if m not in _workload_models)


@event.listens_for(Session, "before_flush")
def _note_changes(session: Session, _context, _instances) -> None:
    touched = [*session.new, *session.dirty, *session.deleted]
    changes = session.info.setdefault(CHANGES, [False, False])
    changes[0] = changes[0] or any(isinstance(obj, _DIRECTORY_MODELS) for obj in touched)
    changes[1] = changes[1] or any(isinstance(obj, tuple(_workload_models)) for obj in touched)


@event.listens_for(Session, "before_commit")
def _bump_versions(session: Session) -> None:
    """Move the versions at commit, so the state row is locked only for the moment of the commit."""
    session.flush()
    directory, workload = session.info.pop(CHANGES, (False, False))
    if not (directory or workload):
        return
    session.connection().execute(
        update(DirectoryState)
        .where(DirectoryState.id == STATE_ID)
        .values(
            version=DirectoryState.version + int(directory),
            workload_version=DirectoryState.workload_version + int(workload),
        )
    )


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop(CHANGES, None)
