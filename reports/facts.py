"""The needs report's facts on PostgreSQL: one narrow row per referral and need (`needs_fact`), kept in step
with the referrals, residents, offers and acceptances they are read from, so a report reads a year of them
without joining the referral, resident, postcode, offer and audit tables again (reports/needs_sql.py).

How they stay in step: triggers (migration 0026) note in `needs_dirty` the resident of every referral that is
written, every resident whose postcode or same-person link changes, every offer accepted and every
"referral.accepted" event; a change to the postcode table notes "everything" (a row with no resident).
`refresh` then recomputes the facts of the people those residents are (a person is a resident or the record
they were found to be the same person as): the report calls it first, so it always reads the facts as of
now, and the worker calls it every pass so the report finds little to do. A refresh holds an advisory lock,
so two never interleave; new notes written meanwhile wait for the next one.

Each row also knows the referrals of the same person and need just before and after it, and of the same
person (`*_prev_at`, `*_next_at`): a row with neither inside a period is the person-need (or the person) on
its own in that period, which is most of them, and the report folds only the rest. SQLite keeps no facts:
its report folds the referrals in Python (reports/needs.py, `demand_in_python`)."""

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Identity, Text, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from db.base import Base
from reports.demand import NO_NEED

# pg_advisory_xact_lock's key for a refresh ("needfact" in ASCII)
REFRESH_LOCK = int.from_bytes(b"needfact", "big") - 2**63
# Past this many residents noted, one rebuild of every fact is quicker than recomputing them person by person
REBUILD_FROM = 50_000
NO_NEED_LIST = f'["{NO_NEED}"]'  # a referral with no need recognised has this one fact

# Sorting and grouping by these columns in byte order ("C"), not by the database's language rules: the
# report's groups are the same either way, and the sorts are several times quicker.
_BYTES = Text().with_variant(Text(collation="C"), "postgresql")


class NeedsFact(Base):
    __tablename__ = "needs_fact"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    referral_id: Mapped[int] = mapped_column(BigInteger, index=True)
    need: Mapped[str] = mapped_column(_BYTES)
    person_id: Mapped[int] = mapped_column(BigInteger, index=True)
    resident_id: Mapped[int] = mapped_column(BigInteger, index=True)
    area: Mapped[str | None] = mapped_column(_BYTES)
    outcode: Mapped[str] = mapped_column(_BYTES)
    ward: Mapped[str | None] = mapped_column(_BYTES)
    ward_name: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(_BYTES)
    urgency: Mapped[str | None] = mapped_column(_BYTES)
    gap: Mapped[bool] = mapped_column(Boolean)
    unmet_need: Mapped[bool] = mapped_column(Boolean)  # the referral is a gap and this need went unmet
    any_unmet: Mapped[bool] = mapped_column(Boolean)  # of any of the referral's needs
    first_need: Mapped[bool] = mapped_column(Boolean)  # one row of each referral (its first need)
    event_accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    offer_accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    need_prev_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    need_next_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    person_prev_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    person_next_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class NeedsDirty(Base):
    """A resident whose facts are to be recomputed (`resident_id` None: every fact). Appended to by triggers,
    never updated, so writers never wait for a refresh."""

    __tablename__ = "needs_dirty"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    resident_id: Mapped[int | None] = mapped_column(BigInteger)


_COLUMNS = (
    "referral_id, need, person_id, resident_id, area, outcode, ward, ward_name, created_at, status, "
    "urgency, gap, unmet_need, any_unmet, first_need, event_accepted_at, offer_accepted_at, need_prev_at, "
    "need_next_at, person_prev_at, person_next_at"
)


def _facts_select(people: bool) -> str:
    """The facts of every referral, or (`people`) of the referrals of the people in :people."""
    chosen = (
        """
    JOIN resident res ON res.id = r.resident_id
    WHERE r.linked_referral_id IS NULL
      AND r.resident_id IN (SELECT id FROM resident WHERE id = ANY(:people) OR same_as_id = ANY(:people))"""
        if people
        else """
    JOIN resident res ON res.id = r.resident_id
    WHERE r.linked_referral_id IS NULL"""
    )
    if people:  # a few referrals: each one's first acceptance by its index
        accepted = """
    LEFT JOIN LATERAL (SELECT min(e.created_at) AS at FROM audit_event e
                       WHERE e.kind = 'referral.accepted' AND e.referral_id = r.id) AS ev ON true
    LEFT JOIN LATERAL (SELECT min(o.responded_at) AS at FROM offer o
                       WHERE o.status = 'accepted' AND o.referral_id = r.id) AS off ON true"""
        firsts = ""
    else:  # every referral: the first acceptances of all of them, in two passes
        accepted = """
    LEFT JOIN by_event ev ON ev.referral_id = r.id
    LEFT JOIN by_offer off ON off.referral_id = r.id"""
        firsts = """by_event AS (
    SELECT referral_id, min(created_at) AS at FROM audit_event
    WHERE kind = 'referral.accepted' AND referral_id IS NOT NULL GROUP BY referral_id
), by_offer AS (
    SELECT referral_id, min(responded_at) AS at FROM offer
    WHERE status = 'accepted' AND referral_id IS NOT NULL GROUP BY referral_id
), """
    return f"""
WITH {firsts}referrals AS MATERIALIZED (
    SELECT r.id, coalesce(res.same_as_id, r.resident_id) AS person, r.resident_id, r.area, res.outcode,
           res.postcode, r.created_at, r.status, r.urgency, r.gap,
           CAST(r.needs AS text) AS needs, CAST(r.unmet_needs AS text) AS unmet_needs
    FROM referral r{chosen}
), lists AS (
    -- each distinct pair of lists once (a year repeats a few hundred), not each referral's
    SELECT DISTINCT needs, unmet_needs FROM referrals
), listed AS MATERIALIZED (
    SELECT l.needs, l.unmet_needs, n.need,
           json_typeof(u.list) IS DISTINCT FROM 'array' OR json_array_length(u.list) = 0 OR EXISTS (
               SELECT 1 FROM json_array_elements_text(u.list) AS e(need) WHERE e.need = n.need
           ) AS in_unmet,
           n.need = min(n.need) OVER pair AS first_need
    FROM lists l
    CROSS JOIN LATERAL (SELECT CAST(l.needs AS json) AS list) AS c
    CROSS JOIN LATERAL (SELECT CAST(l.unmet_needs AS json) AS list) AS u
    CROSS JOIN LATERAL (
        SELECT DISTINCT e.need FROM json_array_elements_text(
            CASE WHEN json_typeof(c.list) = 'array' AND json_array_length(c.list) > 0
                 THEN c.list ELSE CAST(:no_need AS json) END
        ) AS e(need)
    ) AS n
    WINDOW pair AS (PARTITION BY l.needs, l.unmet_needs)
), marked AS (
    SELECT *, bool_or(in_unmet) OVER (PARTITION BY needs, unmet_needs) AS any_in_unmet FROM listed
), around AS (
    SELECT r.id, lag(r.created_at) OVER whole AS prev_at, lead(r.created_at) OVER whole AS next_at
    FROM referrals r WINDOW whole AS (PARTITION BY r.person ORDER BY r.created_at, r.id)
), found AS (
    SELECT r.id, listed.need, r.person, r.resident_id, r.area, r.outcode, pc.admin_ward_code AS ward,
           pc.admin_ward AS ward_name, r.created_at, r.status, r.urgency, r.gap,
           r.gap AND listed.in_unmet AS unmet_need,
           r.gap AND listed.any_in_unmet AS any_unmet,
           listed.first_need, ev.at AS event_at, off.at AS offer_at, a.prev_at, a.next_at
    FROM referrals r
    JOIN marked listed ON listed.needs = r.needs AND listed.unmet_needs = r.unmet_needs
    JOIN around a ON a.id = r.id
    LEFT JOIN postcode pc ON pc.postcode = r.postcode{accepted}
)
INSERT INTO needs_fact ({_COLUMNS})
SELECT id, need, person, resident_id, area, outcode, ward, ward_name, created_at, status, urgency, gap,
       unmet_need, any_unmet, first_need, event_at, offer_at,
       lag(created_at) OVER by_need, lead(created_at) OVER by_need, prev_at, next_at
FROM found WINDOW by_need AS (PARTITION BY person, need ORDER BY created_at, id)
"""  # noqa: S608 (fixed fragments; every value is bound)


def _settings(connection: Connection) -> None:
    for name, value in {"jit": "off", "work_mem": "256MB"}.items():
        connection.execute(text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value})


def rebuild(connection: Connection) -> int:
    """Every fact again, from the referrals (a new database, a changed postcode table, a long backlog).
    Returns how many rows it wrote. PostgreSQL only; the caller commits."""
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REFRESH_LOCK})
    connection.execute(text("DELETE FROM needs_dirty"))
    return _rebuild(connection)


def _rebuild(connection: Connection) -> int:
    _settings(connection)
    # DELETE, not TRUNCATE: a report reading the facts meanwhile (or any open transaction that read them)
    # keeps its snapshot instead of blocking the rebuild, and no reader queues behind the rebuild
    connection.execute(text("DELETE FROM needs_fact"))
    return connection.execute(text(_facts_select(people=False)), {"no_need": NO_NEED_LIST}).rowcount


def refresh(connection: Connection) -> int:
    """Recompute the facts of the people noted in `needs_dirty` since the last refresh; returns how many
    residents were noted (0: the facts were already in step). PostgreSQL only; the caller commits."""
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REFRESH_LOCK})
    noted = connection.execute(text("DELETE FROM needs_dirty RETURNING resident_id")).scalars().all()
    if not noted:
        return 0
    residents = sorted({resident for resident in noted if resident is not None})
    if None in noted or len(residents) >= REBUILD_FROM:
        _rebuild(connection)
        return len(noted)
    # each noted resident's person now, and the person their facts were counted under (a merge undone)
    people = (
        connection.execute(
            text(
                "SELECT coalesce(same_as_id, id) FROM resident WHERE id = ANY(:residents) "
                "UNION SELECT person_id FROM needs_fact WHERE resident_id = ANY(:residents)"
            ),
            {"residents": residents},
        )
        .scalars()
        .all()
    )
    connection.execute(text("DELETE FROM needs_fact WHERE person_id = ANY(:people)"), {"people": people})
    connection.execute(text(_facts_select(people=True)), {"people": people, "no_need": NO_NEED_LIST})
    return len(noted)


def refreshed(session: Session) -> int:
    """`refresh` before a report reads the facts: committed at once on a connection of its own (so the lock
    is held for the refresh, not the report), or in the session's own connection when it is bound to one."""
    bind = session.get_bind()
    if isinstance(bind, Engine):
        with bind.begin() as connection:
            return refresh(connection)
    return refresh(session.connection())
