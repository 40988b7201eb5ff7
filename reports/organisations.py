"""The directory as staff read it: each organisation with its open accepted work and response statistics."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from directory.models import Organisation
from matching.coverage import is_area_wide
from referrals.errors import NotFound
from referrals.lifecycle import OWNED_STATUSES
from referrals.models import Referral
from referrals.snapshot import to_matching_org
from reports.response import NO_OFFERS, ResponseStats, response_stats


@dataclass(frozen=True)
class DirectoryFilter:
    area: str | None = None
    kind: str | None = None
    service: str | None = None
    active: bool | None = None


@dataclass(frozen=True)
class OrganisationSummary:
    organisation: Organisation
    open_accepted: int
    response: ResponseStats

    @property
    def area_wide(self) -> bool:
        """No districts and no radius recorded: it covers its whole council area (the matching rule)."""
        return is_area_wide(to_matching_org(self.organisation))


def list_organisations(
    session: Session, filters: DirectoryFilter = DirectoryFilter(), now: datetime | None = None
) -> list[OrganisationSummary]:
    query = select(Organisation).order_by(Organisation.area, Organisation.name, Organisation.id)
    if filters.area is not None:
        query = query.where(Organisation.area == filters.area)
    if filters.kind is not None:
        query = query.where(Organisation.kind == filters.kind)
    if filters.active is not None:
        query = query.where(Organisation.active.is_(filters.active))
    orgs = [
        org for org in session.scalars(query) if filters.service is None or filters.service in org.services
    ]
    return summarise(session, orgs, now)


def get_organisation(session: Session, org_id: int, now: datetime | None = None) -> OrganisationSummary:
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound(f"no organisation with id {org_id}")
    return summarise(session, [org], now)[0]


def summarise(
    session: Session, orgs: list[Organisation], now: datetime | None = None
) -> list[OrganisationSummary]:
    """Open work and response statistics for many organisations in two queries."""
    ids = [org.id for org in orgs]
    open_work = dict(
        session.execute(
            select(Referral.owner_org_id, func.count())
            .where(Referral.owner_org_id.in_(ids), Referral.status.in_(OWNED_STATUSES))
            .group_by(Referral.owner_org_id)
        ).all()
    )
    stats = response_stats(session, now, org_ids=ids)
    return [OrganisationSummary(org, open_work.get(org.id, 0), stats.get(org.id, NO_OFFERS)) for org in orgs]
