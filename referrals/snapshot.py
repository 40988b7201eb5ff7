"""Each worker's in-memory matching directory, rebuilt when the directory version moves and given fresh
workload counts when the workload version moves (both read with one cheap query per check)."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

import matching
from db.base import utcnow
from directory.areas import Areas
from directory.models import Organisation, Volunteer
from directory.version import STATE_ID, DirectoryState, watch_workload
from referrals.models import Offer, Referral
from reports import response

OWNED_STATUSES = ("accepted", "in_progress", "transferred")
watch_workload(Offer, Referral)


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
    Volunteer.availability,
    Volunteer.travel_radius_km,
    Volunteer.max_active_tasks,
    Volunteer.max_tasks_per_week,
    Volunteer.active,
    Volunteer.sms_opted_out,
)


def active_volunteers(session: Session, batch: int = 20_000):
    """Active volunteers streamed as plain rows (no ORM objects): a million build in bounded memory."""
    query = select(*VOLUNTEER_COLUMNS).where(Volunteer.active).execution_options(yield_per=batch)
    for row in session.execute(query):
        yield matching.Volunteer(
            id=row.id,
            lat=row.lat,
            lon=row.lon,
            org_id=row.org_id,
            skills=tuple(row.skills),
            dbs_expires_on=row.dbs_expires_on,
            availability=row.availability or {},
            travel_radius_km=row.travel_radius_km,
            max_active_tasks=row.max_active_tasks,
            max_tasks_per_week=row.max_tasks_per_week,
            active=row.active,
            sms_opted_out=row.sms_opted_out,
        )


def area_configs(session: Session, areas: Areas) -> list[matching.AreaConfig]:
    configs = []
    for area in areas.by_code.values():
        first = {}
        for kind in ("safety_net", "infrastructure"):
            first[kind] = session.scalar(
                select(Organisation.id)
                .where(Organisation.area == area.code, Organisation.kind == kind, Organisation.active)
                .order_by(Organisation.id)
            )
        configs.append(
            matching.AreaConfig(
                code=area.code,
                name=area.name,
                coordination_model=area.coordination_model,
                safety_net_org_id=first["safety_net"],
                infrastructure_org_id=first["infrastructure"],
            )
        )
    return configs


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


class DirectorySnapshot:
    def __init__(self, session_factory: sessionmaker[Session], areas: Areas) -> None:
        self._session_factory = session_factory
        self._areas = areas
        self._lock = threading.RLock()
        self._directory: matching.Directory | None = None
        self._versions: tuple[int, int] | None = None
        self._volunteer_load: dict[int, tuple[int, int]] = {}
        self._org_load: dict[int, int] = {}
        self.rebuilds = 0

    @contextmanager
    def in_use(self, now: datetime | None = None) -> Iterator[matching.Directory]:
        """The fresh directory, held for this thread while it matches (the index is not thread-safe)."""
        with self._lock:
            yield self.current(now)

    def current(self, now: datetime | None = None) -> matching.Directory:
        now = now or utcnow()
        with self._lock, self._session_factory() as session:
            state = session.get(DirectoryState, STATE_ID)
            versions = (state.version, state.workload_version)
            if self._directory is None or versions[0] != (self._versions or (None,))[0]:
                self._rebuild(session, now)
            elif versions != self._versions:
                self._refresh_workload(session, now)
            self._versions = versions
            return self._directory

    def _rebuild(self, session: Session, now: datetime) -> None:
        speeds = response.accepts_within_hours(session, now)
        orgs = [
            to_matching_org(o, speeds.get(o.id))
            for o in session.scalars(select(Organisation).where(Organisation.active))
        ]
        volunteers = active_volunteers(session)
        self._directory = matching.Directory(orgs, volunteers, area_configs(session, self._areas))
        self._volunteer_load, self._org_load = {}, {}
        self._refresh_workload(session, now)
        self.rebuilds += 1

    def _refresh_workload(self, session: Session, now: datetime) -> None:
        directory = self._directory
        volunteer_load, org_load = workload(session, now)
        for volunteer_id in set(volunteer_load) | set(self._volunteer_load):
            load = volunteer_load.get(volunteer_id, (0, 0))
            current = directory.volunteer(volunteer_id)
            if current is not None and (current.active_tasks, current.tasks_this_week) != load:
                directory.upsert_volunteer(replace(current, active_tasks=load[0], tasks_this_week=load[1]))
        for org_id in set(org_load) | set(self._org_load):
            current = directory.organisation(org_id)
            count = org_load.get(org_id, 0)
            if current is not None and current.open_accepted != count:
                directory.upsert_organisation(replace(current, open_accepted=count))
        self._volunteer_load, self._org_load = volunteer_load, org_load
