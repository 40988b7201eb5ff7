"""Residents: finding the same person again at intake, and keeping the blocking keys that make it fast."""

from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from referrals.duplicates import DuplicateMatch, PersonRecord, blocking_keys, find_duplicates
from referrals.models import Resident, ResidentKey

MAX_CANDIDATES = 200
MAX_KEY_ROWS = 5 * MAX_CANDIDATES  # a person has at most five keys


def age_on(date_of_birth: date | None, today: date) -> int | None:
    if date_of_birth is None:
        return None
    return (
        today.year
        - date_of_birth.year
        - ((today.month, today.day) < (date_of_birth.month, date_of_birth.day))
    )


MAX_REPORTED = 5


def person_record(resident: Resident) -> PersonRecord:
    return PersonRecord(
        id=resident.id,
        name=resident.name,
        phone=resident.phone or None,
        postcode=resident.postcode,
        address=resident.address or None,
        date_of_birth=resident.date_of_birth,
    )


def index_resident(session: Session, resident: Resident, new: bool = False) -> None:
    """(Re)write the person's blocking keys; a resident `new` in this transaction has none to delete."""
    if not new:
        session.execute(delete(ResidentKey).where(ResidentKey.resident_id == resident.id))
    session.add_all(
        ResidentKey(resident_id=resident.id, key=key) for key in blocking_keys(person_record(resident))
    )


def possible_duplicates(
    session: Session, person: PersonRecord, limit: int = MAX_REPORTED
) -> list[DuplicateMatch]:
    keys = blocking_keys(person)
    if not keys:
        return []
    # Two index lookups: as one statement (DISTINCT ... LIMIT in a subquery) PostgreSQL's generic plan,
    # used once psycopg prepares it, walks every blocking key in id order (docs/scaling.md).
    found = session.scalars(
        select(ResidentKey.resident_id).where(ResidentKey.key.in_(keys)).limit(MAX_KEY_ROWS)
    )
    ids = list(dict.fromkeys(found))[:MAX_CANDIDATES]
    if not ids:
        return []
    existing = session.scalars(
        select(Resident).where(Resident.id.in_(ids), Resident.erased_at.is_(None))
    ).all()
    return find_duplicates(person, (person_record(r) for r in existing))[:limit]


REINDEX_BATCH = 1000


def reindex_residents(session: Session, batch: int = REINDEX_BATCH) -> int:
    """Rewrite every live record's blocking keys (after the matcher's name reading changes: a new nickname,
    "O Brien" read as one word), in batches, each committed: returns how many were reindexed. Erased records
    and records folded into another (`same_as_id`) keep none, so intake never finds them."""
    done, after = 0, 0
    while True:
        people = session.scalars(
            select(Resident)
            .where(Resident.id > after, Resident.erased_at.is_(None), Resident.same_as_id.is_(None))
            .order_by(Resident.id)
            .limit(batch)
        ).all()
        if not people:
            return done
        for resident in people:
            index_resident(session, resident)
        session.commit()
        done += len(people)
        after = people[-1].id


MAX_FOLDS = 10


def current_record(session: Session, resident: Resident | None) -> Resident | None:
    """The record a person's details live on: a record the helpline folded into another
    (`referrals/repeat_callers.py`) stands for that one."""
    for _ in range(MAX_FOLDS):
        if resident is None or resident.same_as_id is None:
            return resident
        resident = session.get(Resident, resident.same_as_id)
    return None
