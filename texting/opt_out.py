"""Opting a phone out of task texts (STOP, or the carrier's own opt-out) and back in (START)."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.models import Organisation, Volunteer


def set_opt_out(session: Session, phone: str, opted_out: bool) -> int:
    """Opt every volunteer and group lead with this phone out of (or back into) texts; returns how many
    changed. Changed through the ORM so the directory version moves and matching sees it."""
    rows = [
        *session.scalars(select(Volunteer).where(Volunteer.phone == phone)),
        *session.scalars(select(Organisation).where(Organisation.contact_phone == phone)),
    ]
    changed = [row for row in rows if row.sms_opted_out != opted_out]
    for row in changed:
        row.sms_opted_out = opted_out
    session.flush()
    return len(changed)
