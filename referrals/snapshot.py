"""Each worker's in-memory matching directory, rebuilt when the directory version moves and given fresh
workload counts when the workload version moves (both read with one cheap query per check)."""

import threading
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

OWNED_STATUSES = ("accepted", "in_progress", "transferred")
watch_workload(Offer, Referral)


def to_matching_org(org: Organisation) -> matching.Organisation:
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
    )


def to_matching_volunteer(v: Volunteer) -> matching.Volunteer:
    return matching.Volunteer(
        id=v.id,
        lat=v.lat,
        lon=v.lon,
        org_id=v.org_id,
        skills=tuple(v.skills),
        dbs_expires_on=v.dbs_expires_on,
        availability=v.availability or {},
        travel_radius_km=v.travel_radius_km,
        max_active_tasks=v.max_active_tasks,
        max_tasks_per_week=v.max_tasks_per_week,
        active=v.active,
        sms_opted_out=v.sms_opted_out,
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
        self._lock = threading.Lock()
        self._directory: matching.Directory | None = None
        self._versions: tuple[int, int] | None = None
        self._volunteer_load: dict[int, tuple[int, int]] = {}
        self._org_load: dict[int, int] = {}
        self.rebuilds = 0

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
        orgs = [to_matching_org(o) for o in session.scalars(select(Organisation).where(Organisation.active))]
        volunteers = [
            to_matching_volunteer(v) for v in session.scalars(select(Volunteer).where(Volunteer.active))
        ]
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
