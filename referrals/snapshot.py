"""Each worker's in-memory matching directory, kept up to date from the directory version and its change log,
with workload counts re-read every few seconds."""

from __future__ import annotations  # `matching.Directory` loads numpy: on first use, not for an annotation

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

import matching
from db.base import utcnow
from directory.areas import Areas
from directory.models import Organisation, Volunteer
from directory.version import STATE_ID, DirectoryState, changes_since
from referrals.lifecycle import OWNED_STATUSES
from referrals.models import Offer, Referral
from reports import response

logger = logging.getLogger(__name__)
CLAIM_SAVEPOINT = "volunteer_claim"
CLAIM_LOCK_TIMEOUT_MS = 1000  # another intake holds a volunteer for tens of milliseconds
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for a lock wait that timed out


def to_matching_org(org: Organisation, accepts_within_hours: float | None = None) -> matching.Organisation:
    return matching.Organisation(
        id=org.id,
        name=org.name,
        kind=org.kind,
        area=org.area,
        services=tuple(org.services),
        coverage_outcodes=tuple(org.coverage_outcodes),
        base_lat=org.base_lat,
        base_lon=org.base_lon,
        radius_km=org.radius_km,
        capacity=org.capacity,
        mutual_aid_mode=org.mutual_aid_mode,
        opening_hours=org.opening_hours,
        min_age=org.min_age,
        max_age=org.max_age,
        active=org.active,
        sms_opted_out=org.sms_opted_out,
        public_contact=org.public_contact,
        accepts_within_hours=accepts_within_hours,
    )


VOLUNTEER_COLUMNS = (
    Volunteer.id,
    Volunteer.lat,
    Volunteer.lon,
    Volunteer.org_id,
    Volunteer.skills,
    Volunteer.dbs_expires_on,
    Volunteer.dbs_level,
    Volunteer.driver,
    Volunteer.availability,
    Volunteer.travel_radius_km,
    Volunteer.max_active_tasks,
    Volunteer.max_tasks_per_week,
    Volunteer.active,
    Volunteer.sms_opted_out,
)


def to_matching_volunteer(row, load: tuple[int, int] = (0, 0)) -> matching.Volunteer:
    return matching.Volunteer(
        id=row.id,
        lat=row.lat,
        lon=row.lon,
        org_id=row.org_id,
        skills=tuple(row.skills),
        dbs_expires_on=row.dbs_expires_on,
        dbs_level=row.dbs_level,
        driver=row.driver,
        availability=row.availability or {},
        travel_radius_km=row.travel_radius_km,
        max_active_tasks=row.max_active_tasks,
        max_tasks_per_week=row.max_tasks_per_week,
        active=row.active,
        sms_opted_out=row.sms_opted_out,
        active_tasks=load[0],
        tasks_this_week=load[1],
    )


def active_volunteers(session: Session, batch: int = 20_000):
    """Active volunteers streamed as plain rows (no ORM objects): a million build in bounded memory."""
    query = select(*VOLUNTEER_COLUMNS).where(Volunteer.active).execution_options(yield_per=batch)
    for row in session.execute(query):
        yield to_matching_volunteer(row)


def area_configs(session: Session, areas: Areas) -> list[matching.AreaConfig]:
    """Each area's coordination model and its first active safety-net and infrastructure organisation."""
    first: dict[tuple[str, str], int] = {
        (area, kind): org_id
        for area, kind, org_id in session.execute(
            select(Organisation.area, Organisation.kind, func.min(Organisation.id))
            .where(Organisation.active, Organisation.kind.in_(("safety_net", "infrastructure")))
            .group_by(Organisation.area, Organisation.kind)
        )
    }
    return [
        matching.AreaConfig(
            code=area.code,
            name=area.name,
            coordination_model=area.coordination_model,
            safety_net_org_id=first.get((area.code, "safety_net")),
            infrastructure_org_id=first.get((area.code, "infrastructure")),
        )
        for area in areas.by_code.values()
    ]


def workload(session: Session, now: datetime) -> tuple[dict[int, tuple[int, int]], dict[int, int]]:
    """(volunteer id → (active tasks, tasks this week)), (organisation id → open accepted referrals)."""
    week_ago = now - timedelta(days=7)
    active = dict(
        session.execute(
            select(Offer.volunteer_id, func.count())
            .where(Offer.volunteer_id.is_not(None), Offer.status == "pending")
            .group_by(Offer.volunteer_id)
        ).all()
    )
    for volunteer_id, count in session.execute(
        select(Referral.volunteer_id, func.count())
        .where(Referral.volunteer_id.is_not(None), Referral.status.in_(OWNED_STATUSES))
        .group_by(Referral.volunteer_id)
    ):
        active[volunteer_id] = active.get(volunteer_id, 0) + count
    weekly = dict(
        session.execute(
            select(Offer.volunteer_id, func.count())
            .where(
                Offer.volunteer_id.is_not(None),
                Offer.created_at >= week_ago,
                or_(Offer.status == "pending", Offer.status == "accepted"),
            )
            .group_by(Offer.volunteer_id)
        ).all()
    )
    volunteers = {vid: (active.get(vid, 0), weekly.get(vid, 0)) for vid in set(active) | set(weekly)}
    orgs = dict(
        session.execute(
            select(Referral.owner_org_id, func.count())
            .where(Referral.status.in_(OWNED_STATUSES))
            .group_by(Referral.owner_org_id)
        ).all()
    )
    return volunteers, orgs


def volunteer_load(session: Session, volunteer_id: int, now: datetime) -> tuple[int, int]:
    """One volunteer's (active tasks, tasks this week) as they stand now, counted the way `workload` does."""
    return volunteer_loads(session, [volunteer_id], now)[volunteer_id]


def volunteer_loads(
    session: Session, volunteer_ids: Iterable[int], now: datetime
) -> dict[int, tuple[int, int]]:
    """Each volunteer's (active tasks, tasks this week) as they stand now, in three grouped queries for any
    number of them: offers waiting for an answer and open referrals they are doing are active; offers made in
    the last seven days, waiting or accepted, count towards the week."""
    ids = sorted(set(volunteer_ids))
    loads = {volunteer_id: [0, 0] for volunteer_id in ids}
    if not ids:
        return {}
    week_ago = now - timedelta(days=7)
    counted = (
        # Active: offers waiting for an answer.
        (0, Offer.volunteer_id, (Offer.volunteer_id.in_(ids), Offer.status == "pending")),
        # Active: open referrals they are doing.
        (0, Referral.volunteer_id, (Referral.volunteer_id.in_(ids), Referral.status.in_(OWNED_STATUSES))),
        # This week: offers made in the last seven days, waiting or accepted.
        (
            1,
            Offer.volunteer_id,
            (
                Offer.volunteer_id.in_(ids),
                Offer.created_at >= week_ago,
                or_(Offer.status == "pending", Offer.status == "accepted"),
            ),
        ),
    )
    with session.no_autoflush:  # the caller's unflushed changes are not offers of these volunteers
        for slot, column, conditions in counted:
            for volunteer_id, count in session.execute(
                select(column, func.count()).where(*conditions).group_by(column)
            ):
                loads[volunteer_id][slot] += int(count)
    return {volunteer_id: (load[0], load[1]) for volunteer_id, load in loads.items()}


class Claim:
    """A volunteer's row lock for one offer: `keep()` holds it until the transaction ends."""

    def __init__(self) -> None:
        self.kept = False

    def keep(self) -> None:
        self.kept = True


@contextmanager
def claimed(session: Session, volunteer_id: int) -> Iterator[Claim]:
    """On PostgreSQL, lock one volunteer's row inside a savepoint of the caller's transaction, waiting at
    most CLAIM_LOCK_TIMEOUT_MS (a row held longer, e.g. by a long directory import, is counted without the
    lock, as before it existed, rather than keep the caller waiting). `claim.keep()` keeps the lock until the
    transaction ends; otherwise leaving rolls back to the savepoint, which lets the lock go (PostgreSQL
    releases row locks taken after a savepoint rolled back to). Nothing is written inside, so the ORM
    session has nothing to undo: the savepoint is plain SQL, not `begin_nested` (which would flush the
    caller's pending changes first). On SQLite there is nothing to lock: every read-write transaction already
    holds the database's write lock (db/session.py)."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        yield Claim()
        return
    connection.exec_driver_sql(
        f"SAVEPOINT {CLAIM_SAVEPOINT}; SET LOCAL lock_timeout = '{CLAIM_LOCK_TIMEOUT_MS}ms'"
    )
    claim = Claim()
    try:
        connection.execute(select(Volunteer.id).where(Volunteer.id == volunteer_id).with_for_update())
    except OperationalError as error:
        if getattr(error.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        _let_go(connection)
        logger.warning(
            "volunteer %s: row held elsewhere for over %s ms; counted without a lock",
            volunteer_id,
            CLAIM_LOCK_TIMEOUT_MS,
        )
        yield claim  # keeping it keeps nothing: there is no lock and no savepoint left
        return
    try:
        yield claim
    except BaseException:
        with suppress(DBAPIError):  # the transaction is failing anyway: let the first error through
            connection.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {CLAIM_SAVEPOINT}")
        raise
    if claim.kept:  # the lock stays; the rest of the transaction waits for locks as long as the server says
        connection.exec_driver_sql(f"SET LOCAL lock_timeout TO DEFAULT; RELEASE SAVEPOINT {CLAIM_SAVEPOINT}")
    else:
        _let_go(connection)


def _let_go(connection) -> None:
    """Undo the claim's savepoint (its lock and its lock timeout with it) and drop it."""
    connection.exec_driver_sql(
        f"ROLLBACK TO SAVEPOINT {CLAIM_SAVEPOINT}; RELEASE SAVEPOINT {CLAIM_SAVEPOINT}"
    )


class DirectorySnapshot:
    """The matching directory one worker holds. On each use it reads the directory version (one primary-key
    read): unchanged, it is used as it is; moved, the organisations and volunteers the change log names are
    re-read and patched in (a full rebuild only on first use or when the log no longer reaches back far
    enough). Workload counts (tasks per volunteer, accepted referrals per organisation) are re-counted at most
    every `workload_refresh_s` seconds; between counts the worker adds the offers it makes itself, and the
    volunteer an offer is about to go to is checked against the database (`volunteer_load`) first. The
    organisations' response times (a ranking signal) are re-read every `speeds_refresh_s` seconds."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        areas: Areas,
        workload_refresh_s: float = 5.0,
        speeds_refresh_s: float = 600.0,
    ) -> None:
        self._session_factory = session_factory
        self._areas = areas
        self._workload_refresh = timedelta(seconds=workload_refresh_s)
        self._lock = threading.RLock()
        self._directory: matching.Directory | None = None
        self._version: int | None = None
        self._workload_at: datetime | None = None
        self._speeds_refresh = timedelta(seconds=speeds_refresh_s)
        self._speeds_at: datetime | None = None
        self._volunteer_load: dict[int, tuple[int, int]] = {}
        self._org_load: dict[int, int] = {}
        self.rebuilds = 0
        self.patches = 0

    @contextmanager
    def in_use(
        self, now: datetime | None = None, session: Session | None = None
    ) -> Iterator[matching.Directory]:
        """The fresh directory, held for this thread while it matches (the index is not thread-safe)."""
        with self._lock:
            yield self.current(now, session)

    def current(self, now: datetime | None = None, session: Session | None = None) -> matching.Directory:
        """The version and the workload counts are read through `session` (the caller's: no transaction of
        its own, no ORM objects loaded into it) or, without one, a session of the snapshot's; catching up and
        rebuilding always use the snapshot's own session, so rows the caller holds cannot stand in for what
        the database now says."""
        now = now or utcnow()
        with (
            self._lock,
            nullcontext(session) if session is not None else self._session_factory() as reader,
            reader.no_autoflush,  # nothing read here depends on the caller's unflushed changes
        ):
            version = reader.scalar(select(DirectoryState.version).where(DirectoryState.id == STATE_ID))
            if self._directory is None or version != self._version:
                with self._session_factory() as own:
                    if self._directory is None or not self._catch_up(own, version, now):
                        self._rebuild(own, now)
            if self._workload_due(now):
                self._refresh_workload(reader, now)
            if self._speeds_due(now):
                with self._session_factory() as own:
                    self._refresh_speeds(own, now)
            self._version = version
            return self._directory

    def record_offer(self, volunteer_id: int) -> None:
        """This worker has just offered a task to the volunteer: count it until the next re-count."""
        with self._lock:
            current = self._directory and self._directory.volunteer(volunteer_id)
            if current:
                self.note_load(volunteer_id, (current.active_tasks + 1, current.tasks_this_week + 1))

    def note_load(self, volunteer_id: int, load: tuple[int, int]) -> None:
        """The volunteer's counts as just read from the database (or as this worker has just changed them)."""
        with self._lock:
            if self._directory is not None and volunteer_id in self._directory.volunteers:
                self._directory.set_volunteer_workload(volunteer_id, *load)
                self._volunteer_load[volunteer_id] = load

    def _workload_due(self, now: datetime) -> bool:
        return _due(self._workload_at, self._workload_refresh, now)

    def _speeds_due(self, now: datetime) -> bool:
        return _due(self._speeds_at, self._speeds_refresh, now)

    def _refresh_speeds(self, session: Session, now: datetime) -> None:
        """Each organisation's "usually accepts within" (a ranking signal) moves with every answered offer,
        not with the directory: re-read on its own slower timer."""
        directory = self._directory
        speeds = response.accepts_within_hours(session, now)
        for org in list(directory.organisations()):
            if org.accepts_within_hours != speeds.get(org.id):
                directory.upsert_organisation(replace(org, accepts_within_hours=speeds.get(org.id)))
        self._speeds_at = now

    def _catch_up(self, session: Session, version: int, now: datetime) -> bool:
        """Patch in what changed since this worker's version; False when only a rebuild will do."""
        if self._version is None or version < self._version:
            return False
        touched = changes_since(session, self._version, version)
        if touched is None:
            return False
        self._patch_volunteers(session, touched["volunteer"])
        if touched["organisation"]:
            self._patch_organisations(session, touched["organisation"], now)
        self.patches += 1
        return True

    def _patch_volunteers(self, session: Session, ids: set[int]) -> None:
        directory = self._directory
        rows = {
            row.id: row
            for chunk in _chunks(sorted(ids))
            for row in session.execute(select(*VOLUNTEER_COLUMNS).where(Volunteer.id.in_(chunk)))
        }
        for volunteer_id in ids:
            row = rows.get(volunteer_id)
            if row is None or not row.active:
                directory.remove_volunteer(volunteer_id)
                continue
            current = directory.volunteer(volunteer_id)
            if current is not None:
                load = (current.active_tasks, current.tasks_this_week)
            else:  # new, or active again: its counts as last re-counted
                load = self._volunteer_load.get(volunteer_id, (0, 0))
            directory.upsert_volunteer(to_matching_volunteer(row, load))

    def _patch_organisations(self, session: Session, ids: set[int], now: datetime) -> None:
        directory = self._directory
        speeds = response.accepts_within_hours(session, now, org_ids=ids)
        rows = {org.id: org for org in session.scalars(select(Organisation).where(Organisation.id.in_(ids)))}
        for org_id in ids:
            org = rows.get(org_id)
            if org is None or not org.active:
                directory.remove_organisation(org_id)
                continue
            current = directory.organisation(org_id)
            directory.upsert_organisation(
                replace(
                    to_matching_org(org, speeds.get(org_id)),
                    open_accepted=current.open_accepted if current else self._org_load.get(org_id, 0),
                )
            )
        for area in area_configs(session, self._areas):
            directory.upsert_area(area)

    def _rebuild(self, session: Session, now: datetime) -> None:
        speeds = response.accepts_within_hours(session, now)
        self._speeds_at = now
        orgs = [
            to_matching_org(o, speeds.get(o.id))
            for o in session.scalars(select(Organisation).where(Organisation.active))
        ]
        self._directory = None  # let the old index go before the new one is built
        volunteers = active_volunteers(session)
        self._directory = matching.Directory(orgs, volunteers, area_configs(session, self._areas))
        self._volunteer_load, self._org_load = {}, {}
        self._refresh_workload(session, now)
        self.rebuilds += 1

    def _refresh_workload(self, session: Session, now: datetime) -> None:
        directory = self._directory
        volunteer_load, org_load = workload(session, now)
        for volunteer_id in set(volunteer_load) | set(self._volunteer_load):
            if volunteer_id in directory.volunteers:
                directory.set_volunteer_workload(volunteer_id, *volunteer_load.get(volunteer_id, (0, 0)))
        for org_id in set(org_load) | set(self._org_load):
            current = directory.organisation(org_id)
            count = org_load.get(org_id, 0)
            if current is not None and current.open_accepted != count:
                directory.upsert_organisation(replace(current, open_accepted=count))
        self._volunteer_load, self._org_load = volunteer_load, org_load
        self._workload_at = now


def _due(last: datetime | None, every: timedelta, now: datetime) -> bool:
    return last is None or not (timedelta(0) <= now - last < every)


def _chunks(ids: list[int], size: int = 5_000) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
