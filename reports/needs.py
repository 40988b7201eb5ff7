"""Needs against provision. For each place (council area, community hub, postcode district) and need: how
many referrals asked for it, how many were accepted and completed, how many went unmet for lack of any
provider (a matching gap), the median hours to acceptance, and the capacity and providers offering it there
(several providers of one need in one place is flagged as duplication). See reports/README.md."""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

import matching
from db.base import utcnow
from directory.areas import Areas
from directory.models import Organisation
from geo import OutcodeCentroids, default_outcode_centroids
from referrals.errors import DomainValidationError
from referrals.models import AuditEvent, Offer, Referral, Resident
from referrals.snapshot import to_matching_org
from reports.geography import District, Place, covering, outcode_key, places, served_districts
from reports.statistics import hours_between, median, rounded
from reports.suppression import protect_total, suppress

NO_NEED = "none_recognised"
ALL_AREAS = "All served areas"


@dataclass(frozen=True)
class ReferralFacts:
    """What the report needs to know about one referral (the first acceptance from the audit trail or the
    accepted offer, whichever is earlier)."""

    referral_id: int
    area: str | None
    outcode: str
    lat: float
    lon: float
    needs: tuple[str, ...]
    unmet_needs: tuple[str, ...]
    gap: bool
    status: str
    created_at: datetime
    accepted_at: datetime | None

    @property
    def need_codes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.needs)) or (NO_NEED,)

    @property
    def unmet(self) -> frozenset[str]:
        if not self.gap:
            return frozenset()
        return frozenset(self.unmet_needs or self.need_codes)

    @property
    def hours_to_accept(self) -> float | None:
        return None if self.accepted_at is None else hours_between(self.created_at, self.accepted_at)


@dataclass(frozen=True)
class NeedsRow:
    area_type: str
    area: str
    area_name: str
    council_area: str | None
    need: str
    referrals: int | None
    accepted: int | None
    completed: int | None
    unmet: int | None
    median_hours_to_accept: float | None
    capacity_offered: int
    providers: int
    duplicated: bool
    suppressed: tuple[str, ...] = ()
    withheld: tuple[str, ...] = ()  # of `suppressed`, the figures withheld only to protect another


@dataclass(frozen=True)
class DistrictDemand:
    """One postcode district on the map: referrals from residents there, and how many were a gap."""

    outcode: str
    lat: float
    lon: float
    council_area: str | None
    referrals: int | None
    unmet: int | None
    suppressed: tuple[str, ...] = ()


@dataclass(frozen=True)
class NeedsReport:
    generated_at: datetime
    since: date | None
    until: date
    area: str | None
    area_name: str
    councils: dict[str, str]
    open_data: bool
    suppression_threshold: int
    rows: tuple[NeedsRow, ...]
    districts: tuple[DistrictDemand, ...]

    def for_open_data(self, threshold: int) -> "NeedsReport":
        """The same report with every disclosive cell suppressed (reports/suppression.py)."""
        return replace(
            self,
            open_data=True,
            suppression_threshold=threshold,
            rows=_protect_council_totals([suppress(row, threshold) for row in self.rows]),
            districts=tuple(suppress(district, threshold) for district in self.districts),
        )


def _protect_council_totals(rows: list[NeedsRow]) -> tuple[NeedsRow, ...]:
    """Each council's row for a need is the sum of its districts' rows for that need (every referral is in
    exactly one district): secondary suppression over each such group (reports/suppression.py). Hub rows
    overlap districts and each other, and are not protected this way."""
    parts: defaultdict[tuple, list[int]] = defaultdict(list)
    totals: dict[tuple, int] = {}
    for i, row in enumerate(rows):
        if row.area_type == "council_area":
            totals[(row.area, row.need)] = i
        elif row.area_type == "outcode":
            parts[(row.council_area, row.need)].append(i)
    for key, total_index in totals.items():
        members = parts.get(key, [])
        total, protected = protect_total(rows[total_index], [rows[i] for i in members])
        rows[total_index] = total
        for i, row in zip(members, protected, strict=True):
            rows[i] = row
    return tuple(rows)


@dataclass
class _Tally:
    referrals: int = 0
    accepted: int = 0
    completed: int = 0
    unmet: int = 0
    hours: list[float] = field(default_factory=list)

    def add(self, hours_to_accept: float | None, completed: bool, unmet: bool) -> None:
        self.referrals += 1
        self.completed += completed
        self.unmet += unmet
        if hours_to_accept is not None:
            self.accepted += 1
            self.hours.append(hours_to_accept)

    def merge(self, other: "_Tally") -> None:
        self.referrals += other.referrals
        self.accepted += other.accepted
        self.completed += other.completed
        self.unmet += other.unmet
        self.hours.extend(other.hours)


Tallies = Mapping[str, _Tally]


@dataclass(frozen=True)
class _Demand:
    """Need → tally for each council area and each district, counted once; a hub merges its districts'."""

    by_area: Mapping[str | None, Tallies]
    by_outcode: Mapping[str, Tallies]

    @classmethod
    def of(cls, facts: Iterable[ReferralFacts]) -> "_Demand":
        by_area: defaultdict = defaultdict(lambda: defaultdict(_Tally))
        by_outcode: defaultdict = defaultdict(lambda: defaultdict(_Tally))
        for facts_row in facts:
            hours, completed, unmet = (
                facts_row.hours_to_accept,
                facts_row.status == "completed",
                facts_row.unmet,
            )
            for need in facts_row.need_codes:
                by_area[facts_row.area][need].add(hours, completed, need in unmet)
                by_outcode[facts_row.outcode][need].add(hours, completed, need in unmet)
        return cls(by_area, by_outcode)

    def in_place(self, place: Place) -> Tallies:
        if place.kind == "council_area":
            return self.by_area.get(place.code, {})
        merged: defaultdict[str, _Tally] = defaultdict(_Tally)
        for outcode in place.outcodes:
            for need, tally in self.by_outcode.get(outcode, {}).items():
                merged[need].merge(tally)
        return merged


def needs_report(
    session: Session,
    areas: Areas,
    *,
    since: date | None = None,
    area: str | None = None,
    open_data: bool = False,
    threshold: int = 5,
    now: datetime | None = None,
    centroids: OutcodeCentroids | None = None,
) -> NeedsReport:
    """The report over referrals created since `since` (UTC), for one council area or all; with `open_data`,
    small counts suppressed. Provision is the directory as it stands now: active organisations, covering a
    district by the matching engine's own rule (coverage list, radius from base, or the whole area)."""
    now = now or utcnow()
    councils = _councils(areas, area)
    centroids = centroids or default_outcode_centroids()
    districts = {
        outcode: district
        for outcode, district in served_districts(areas, centroids).items()
        if district.council_area in councils
    }
    facts = load_facts(session, since, councils, districts)
    districts.update(_districts_of_residents(facts, districts, centroids))
    orgs = {
        org.id: to_matching_org(org)
        for org in session.scalars(select(Organisation).where(Organisation.active))
    }
    coverage = covering(matching.Directory(orgs.values(), (), ()), districts.values())
    hubs = [org for org in orgs.values() if org.kind == "hub"]
    demand = _Demand.of(facts)
    rows = [
        row
        for place in places(councils, districts, coverage, hubs)
        for row in _rows(place, demand.in_place(place), _providers(place, coverage, orgs))
    ]
    report = NeedsReport(
        generated_at=now,
        since=since,
        until=now.date(),
        area=area,
        area_name=councils[area] if area else ALL_AREAS,
        councils=councils,
        open_data=False,
        suppression_threshold=threshold,
        rows=tuple(rows),
        districts=_district_demand(districts, facts),
    )
    return report.for_open_data(threshold) if open_data else report


def _councils(areas: Areas, area: str | None) -> dict[str, str]:
    if area is None:
        return {code: found.name for code, found in areas.by_code.items()}
    if area not in areas.by_code:
        raise DomainValidationError(
            "area", f"unknown area {area!r}; choose one of {', '.join(areas.by_code)}"
        )
    return {area: areas.by_code[area].name}


def load_facts(
    session: Session, since: date | None, councils: Iterable[str], districts: Mapping[str, District]
) -> list[ReferralFacts]:
    """Referrals of residents in the councils or their districts. A call linked to a referral already open
    for the same needs is not counted again."""
    start = datetime.combine(since, time.min, UTC) if since is not None else None
    query = (
        select(
            Referral.id,
            Referral.area,
            Resident.outcode,
            Resident.lat,
            Resident.lon,
            Referral.needs,
            Referral.unmet_needs,
            Referral.gap,
            Referral.status,
            Referral.created_at,
        )
        .join(Resident, Resident.id == Referral.resident_id)
        .where(
            Referral.linked_referral_id.is_(None),
            or_(Referral.area.in_(list(councils)), Resident.outcode.in_(list(districts))),
        )
        .order_by(Referral.id)
    )
    if start is not None:
        query = query.where(Referral.created_at >= start)
    rows = session.execute(query).all()
    accepted = first_acceptances(session, start)
    return [
        ReferralFacts(
            referral_id=row.id,
            area=row.area,
            outcode=row.outcode,
            lat=row.lat,
            lon=row.lon,
            needs=tuple(row.needs or ()),
            unmet_needs=tuple(row.unmet_needs or ()),
            gap=row.gap,
            status=row.status,
            created_at=row.created_at,
            accepted_at=accepted.get(row.id),
        )
        for row in rows
    ]


def first_acceptances(session: Session, start: datetime | None) -> dict[int, datetime]:
    """Referral id → its first acceptance: the earlier of its first "referral.accepted" audit event and its
    accepted offer's answer. Two single-table aggregates, so the plans stay simple on both databases;
    nothing is accepted before it is created, so `start` bounds the moments too."""
    first: dict[int, datetime] = {}
    for referral_id, moment, condition in (
        (AuditEvent.referral_id, AuditEvent.created_at, AuditEvent.kind == "referral.accepted"),
        (Offer.referral_id, Offer.responded_at, Offer.status == "accepted"),
    ):
        query = select(referral_id, func.min(moment)).where(condition, referral_id.is_not(None))
        if start is not None:
            query = query.where(moment >= start)
        for found_id, at in session.execute(query.group_by(referral_id)):
            if at is not None and (found_id not in first or at < first[found_id]):
                first[found_id] = at
    return first


def _districts_of_residents(
    facts: Sequence[ReferralFacts], known: Mapping[str, District], centroids: OutcodeCentroids
) -> dict[str, District]:
    """Districts residents live in that are not a served council's own (a district straddling a boundary
    belongs to its majority council), placed at the centroid or, failing that, at the first resident."""
    extra: dict[str, District] = {}
    for facts_row in facts:
        if facts_row.outcode in known or facts_row.outcode in extra:
            continue
        location = centroids.lookup_outcode(facts_row.outcode)
        lat, lon = (location.lat, location.lon) if location else (facts_row.lat, facts_row.lon)
        extra[facts_row.outcode] = District(facts_row.outcode, lat, lon, facts_row.area)
    return extra


def _providers(
    place: Place, coverage: Mapping[str, frozenset[int]], orgs: Mapping[int, matching.Organisation]
) -> list[matching.Organisation]:
    ids = set().union(*(coverage.get(outcode, frozenset()) for outcode in place.outcodes))
    return [orgs[org_id] for org_id in sorted(ids)]


def _rows(place: Place, tallies: Tallies, providers: Sequence[matching.Organisation]) -> list[NeedsRow]:
    offered: defaultdict[str, list[matching.Organisation]] = defaultdict(list)
    for org in providers:
        for need in dict.fromkeys(org.services):
            offered[need].append(org)
    needs = sorted(set(tallies) | set(offered), key=lambda need: (need == NO_NEED, need))
    rows = []
    for need in needs:
        tally, offering = tallies.get(need, _Tally()), offered.get(need, [])
        rows.append(
            NeedsRow(
                area_type=place.kind,
                area=place.code,
                area_name=place.name,
                council_area=place.council_area,
                need=need,
                referrals=tally.referrals,
                accepted=tally.accepted,
                completed=tally.completed,
                unmet=tally.unmet,
                median_hours_to_accept=rounded(median(tally.hours)),
                capacity_offered=sum(org.capacity for org in offering),
                providers=len(offering),
                duplicated=len(offering) > 1,
            )
        )
    return rows


def _district_demand(
    districts: Mapping[str, District], facts: Sequence[ReferralFacts]
) -> tuple[DistrictDemand, ...]:
    referrals: defaultdict[str, int] = defaultdict(int)
    unmet: defaultdict[str, int] = defaultdict(int)
    for facts_row in facts:
        referrals[facts_row.outcode] += 1
        unmet[facts_row.outcode] += facts_row.gap
    return tuple(
        DistrictDemand(d.outcode, d.lat, d.lon, d.council_area, referrals[d.outcode], unmet[d.outcode])
        for d in sorted(districts.values(), key=lambda d: outcode_key(d.outcode))
    )
