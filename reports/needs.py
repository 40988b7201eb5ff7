"""Needs against provision. For each place (council area, community hub, postcode district, electoral ward)
and need: how
many people asked for it (and in how many referrals), how many of them were accepted and completed, how many
went unmet for lack of any provider (a matching gap) or waited longer than their urgency allows, the median
hours to acceptance, and the capacity and providers offering it there (more providers than the demand needs
is flagged as duplication). The counting rules are reports/demand.py; see reports/README.md."""

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, Text, cast, func, or_, select
from sqlalchemy.orm import Session

import matching
from db.base import utcnow
from directory.areas import Areas
from directory.models import Organisation
from geo import OutcodeCentroids, default_outcode_centroids
from geo.models import Boundary, Postcode
from referrals.errors import DomainValidationError
from referrals.models import AuditEvent, Offer, Referral, Resident
from referrals.policy import load_lifecycle_policy
from referrals.snapshot import to_matching_org
from reports.demand import (
    NO_NEED,
    NOTES,
    PersonNeed,
    ReferralFacts,
    capacity_share,
    person_needs,
    person_places,
    person_wards,
    providers_needed,
)
from reports.geography import (
    District,
    Place,
    covering,
    district_authority,
    outcode_key,
    places,
    served_districts,
)
from reports.needs_sql import NeedCell, PeopleCell, demand_in_sql
from reports.statistics import median, rounded
from reports.suppression import is_disclosive, protect_total, suppress
from reports.trend import MAX_WEEKS, TREND_NOTES, TrendRow, week_of, weekly_trend, weeks_between
from reports.ward_map import WardDemand

ALL_AREAS = "All served areas"
WARD_UNKNOWN = "unknown"  # the place code of a council's people whose postcode's ward is not known
WARD_UNKNOWN_NAME = "Ward not known"
DEFAULT_TREND_WEEKS = 12  # a trend with no first day: the last twelve weeks


@dataclass(frozen=True)
class NeedsRow:
    area_type: str
    area: str
    area_name: str
    council_area: str | None
    need: str
    people: int | None  # demand: people with the need, however many referrals they made
    referrals: int | None
    accepted: int | None
    completed: int | None
    unmet: int | None
    late: int | None
    median_hours_to_accept: float | None
    capacity_offered: float  # each organisation's capacity split over the needs it offers
    providers: int
    providers_needed: int
    duplicated: bool
    gap: bool
    # The ONS code(s) and name(s) of the local authority district(s) the place is in (";" between several)
    ons_code: str | None = None
    ons_name: str | None = None
    suppressed: tuple[str, ...] = ()
    withheld: tuple[str, ...] = ()  # of `suppressed`, the figures withheld only to protect another


@dataclass(frozen=True)
class PlaceTotal:
    """A place over all needs: people with any need there, and its providers with each organisation's
    capacity counted once."""

    area_type: str
    area: str
    area_name: str
    council_area: str | None
    people: int | None
    providers: int
    capacity: int
    ons_code: str | None = None
    ons_name: str | None = None
    suppressed: tuple[str, ...] = ()
    withheld: tuple[str, ...] = ()


@dataclass(frozen=True)
class DistrictDemand:
    """One postcode district on the map: people there with a need in the period, and how many of them had a
    need no provider could take."""

    outcode: str
    lat: float
    lon: float
    council_area: str | None
    people: int | None
    unmet: int | None
    suppressed: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProviderSite:
    """An active organisation with a base location, drawn on the map."""

    name: str
    kind: str
    council_area: str
    lat: float
    lon: float


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
    places: tuple[PlaceTotal, ...] = ()
    notes: tuple[str, ...] = NOTES
    # Council area → the ONS codes of its local authority districts (for drawing its wards)
    district_codes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Each ward people live in: people with a need and those with one unmet or waiting too long (the map)
    wards: tuple[WardDemand, ...] = ()
    provision: tuple[ProviderSite, ...] = ()
    # ONS ward code → its official boundary (GeoJSON geometry) from the `boundary` table, if loaded
    ward_boundaries: dict[str, dict] = field(default_factory=dict)
    # ONS ward code → its name, of those boundaries (a map names the wards nobody was referred from)
    boundary_names: dict[str, str] = field(default_factory=dict)
    # ONS ward code → the local authority district code of its postcodes (which council's map draws it)
    boundary_districts: dict[str, str] = field(default_factory=dict)

    def for_open_data(self, threshold: int) -> "NeedsReport":
        """The same report with every disclosive cell suppressed (reports/suppression.py)."""
        return replace(
            self,
            open_data=True,
            suppression_threshold=threshold,
            rows=_protect_council_totals([suppress(row, threshold) for row in self.rows]),
            districts=tuple(suppress(district, threshold) for district in self.districts),
            places=_protect_council_totals([suppress(total, threshold) for total in self.places]),
            wards=tuple(suppress(ward, threshold) for ward in self.wards),
        )


def _protect_council_totals(rows: list) -> tuple:
    """Each council's row for a need is the sum of its districts' rows for that need (every person-need is
    in exactly one district), and each council's total of people the sum of its districts' (every person
    is); likewise of its wards' (people whose ward is not known are a ward row of their own): secondary
    suppression over each such group (reports/suppression.py). Hub rows overlap districts and
    each other, and are not protected this way."""
    parts: defaultdict[tuple, list[int]] = defaultdict(list)
    totals: dict[tuple, int] = {}
    for i, row in enumerate(rows):
        need = getattr(row, "need", None)
        if row.area_type == "council_area":
            totals[(row.area, need)] = i
        elif row.area_type in ("outcode", "ward"):
            parts[(row.area_type, row.council_area, need)].append(i)
    for kind in ("outcode", "ward"):
        for (area, need), total_index in totals.items():
            members = parts.get((kind, area, need), [])
            total, protected = protect_total(rows[total_index], [rows[i] for i in members])
            rows[total_index] = total
            for i, row in zip(members, protected, strict=True):
                rows[i] = row
    return tuple(rows)


@dataclass
class _Tally:
    people: int = 0
    referrals: int = 0
    accepted: int = 0
    completed: int = 0
    unmet: int = 0
    late: int = 0
    hours: list[float] = field(default_factory=list)

    def add(self, need: PersonNeed) -> None:
        self.people += 1
        self.referrals += need.referrals
        self.accepted += need.accepted
        self.completed += need.completed
        self.unmet += need.unmet
        self.late += need.late
        if need.hours_to_accept is not None:
            self.hours.append(need.hours_to_accept)

    def merge(self, other: "_Tally") -> None:
        self.people += other.people
        self.referrals += other.referrals
        self.accepted += other.accepted
        self.completed += other.completed
        self.unmet += other.unmet
        self.late += other.late
        self.hours.extend(other.hours)

    def cell(self, kind: str, area: str | None, place: str | None, need: str) -> NeedCell:
        return NeedCell(
            kind,
            area,
            place,
            need,
            self.people,
            self.referrals,
            self.accepted,
            self.completed,
            self.unmet,
            self.late,
            median(self.hours),
        )


def demand_in_python(
    facts: Sequence[ReferralFacts],
    allowances: Mapping[str, timedelta],
    now: datetime,
    hubs: Mapping[str, Iterable[str]],
) -> tuple[list[NeedCell], list[PeopleCell]]:
    """The reference definition of the figures `reports.needs_sql.demand_in_sql` aggregates in the database,
    from each referral (reports/demand.py): the person-needs summed by council area, district, (council
    area, ward) and hub (hub id → its districts), and the people by where their first referral placed
    them. SQLite's path; tests/integration/reports/test_needs_in_sql.py checks the two agree."""
    by_place: defaultdict[tuple[str, str | None, str | None], defaultdict[str, _Tally]] = defaultdict(
        lambda: defaultdict(_Tally)
    )
    needs = person_needs(facts, allowances, now)
    for need in needs:
        by_place[("council_area", need.area, need.area)][need.need].add(need)
        by_place[("outcode", None, need.outcode)][need.need].add(need)
        by_place[("ward", need.area, need.ward_code)][need.need].add(need)
    for hub, outcodes in hubs.items():
        merged = by_place[("hub", None, hub)]
        for outcode in outcodes:
            for need, tally in by_place.get(("outcode", None, outcode), {}).items():
                merged[need].merge(tally)
    cells = [
        tally.cell(kind, area, place, need)
        for (kind, area, place), tallies in by_place.items()
        for need, tally in tallies.items()
    ]
    names = {f.ward_code: f.ward_name for f in facts if f.ward_code}
    wards = person_wards(facts)
    gap = {f.person_id for f in facts if f.unmet}
    short = {need.person_id for need in needs if need.unmet or need.late}
    people: defaultdict[tuple[str | None, str, str | None], list[int]] = defaultdict(lambda: [0, 0, 0])
    for person_id, (area, outcode) in person_places(facts).items():
        counts = people[(area, outcode, wards.get(person_id))]
        counts[0] += 1
        counts[1] += person_id in gap
        counts[2] += person_id in short
    return cells, [
        PeopleCell(area, outcode, ward, names.get(ward) if ward else None, *counts)
        for (area, outcode, ward), counts in people.items()
    ]


@dataclass(frozen=True)
class _Demand:
    """Need → figures for each council area, district, (council area, ward) and hub, each person-need
    counted once; and the people in each council area, district and ward, each person counted once."""

    needs: Mapping[tuple[str, object], Mapping[str, NeedCell]]
    people_by_area: Mapping[str | None, int]
    people_by_outcode: Mapping[str, int]
    people_by_ward: Mapping[tuple[str | None, str], int]

    @classmethod
    def of(cls, needs: Iterable[NeedCell], people: Iterable[PeopleCell]) -> "_Demand":
        by_place: defaultdict[tuple[str, object], dict[str, NeedCell]] = defaultdict(dict)
        for cell in needs:
            key = (cell.area, cell.place or WARD_UNKNOWN) if cell.kind == "ward" else cell.place
            by_place[(cell.kind, key)][cell.need] = cell
        people_by_area: defaultdict[str | None, int] = defaultdict(int)
        people_by_outcode: defaultdict[str, int] = defaultdict(int)
        people_by_ward: defaultdict[tuple[str | None, str], int] = defaultdict(int)
        for cell in people:
            people_by_area[cell.area] += cell.people
            people_by_outcode[cell.outcode] += cell.people
            people_by_ward[(cell.area, cell.ward_code or WARD_UNKNOWN)] += cell.people
        return cls(by_place, people_by_area, people_by_outcode, people_by_ward)

    def in_place(self, place: Place) -> Mapping[str, NeedCell]:
        key = (place.council_area, place.code) if place.kind == "ward" else place.code
        return self.needs.get((place.kind, key), {})

    def people_in(self, place: Place) -> int:
        if place.kind == "council_area":
            return self.people_by_area.get(place.code, 0)
        if place.kind == "ward":
            return self.people_by_ward.get((place.council_area, place.code), 0)
        return sum(self.people_by_outcode.get(outcode, 0) for outcode in place.outcodes)


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
    allowances: Mapping[str, timedelta] | None = None,
    until: date | None = None,
    in_sql: bool | None = None,
) -> NeedsReport:
    """The report over referrals created from `since` to `until` (days, UTC, both included; `until` defaults
    to today), for one council area or all; with `open_data`,
    small counts suppressed. Provision is the directory as it stands now: active organisations, covering a
    district by the matching engine's own rule (coverage list, radius from base, or the whole area). How long
    each urgency may wait for an acceptance is the offer window of config/lifecycle.yaml (`allowances`).
    The demand is aggregated in the database where it can be (`in_sql`, default: on PostgreSQL,
    reports/needs_sql.py), else from each referral in Python (`demand_in_python`): the same figures."""
    now = now or utcnow()
    allowances = allowances or load_lifecycle_policy().offer_expiry
    councils = _councils(areas, area)
    until = check_period(since, until, now)
    centroids = centroids or default_outcode_centroids()
    districts = _served(areas, centroids, councils)
    served = list(districts)  # the referrals: of residents in the councils or their own districts
    in_sql = session.get_bind().dialect.name == "postgresql" if in_sql is None else in_sql
    facts: list[ReferralFacts] = []
    if in_sql:
        districts.update(residents_districts(session, since, until, councils, districts, centroids))
    else:
        facts = load_facts(session, since, councils, districts, until)
        districts.update(_districts_of_residents(facts, districts, centroids))
    orgs = {
        org.id: to_matching_org(org)
        for org in session.scalars(select(Organisation).where(Organisation.active))
    }
    coverage = covering(matching.Directory(orgs.values(), (), ()), districts.values())
    hubs = [org for org in orgs.values() if org.kind == "hub"]
    found = places(councils, districts, coverage, hubs)
    hub_districts = {place.code: place.outcodes for place in found if place.kind == "hub"}
    if in_sql:
        start, end = _period(since, until)
        need_cells, people_cells = demand_in_sql(
            session,
            councils=councils,
            districts=served,
            hubs=hub_districts,
            allowances=allowances,
            now=now,
            start=start,
            end=end,
        )
    else:
        need_cells, people_cells = demand_in_python(facts, allowances, now, hub_districts)
    demand = _Demand.of(need_cells, people_cells)
    publish = threshold if open_data else None
    ons = _OnsNames(areas, districts, centroids.district_names)
    rows, totals = [], []
    wards = ward_places(people_cells, councils)
    for place in found + wards:
        providers = _providers(place, coverage, orgs)
        code, name = ons.of(place)
        rows += [
            replace(row, ons_code=code, ons_name=name)
            for row in _rows(place, demand.in_place(place), providers, publish)
        ]
        totals.append(
            replace(_total(place, demand.people_in(place), providers), ons_code=code, ons_name=name)
        )
    boundaries = ward_boundaries(
        session,
        [p.code for p in wards if p.code != WARD_UNKNOWN],
        districts,
        [code for council in councils for code in areas.by_code[council].admin_district_codes],
    )
    report = NeedsReport(
        generated_at=now,
        since=since,
        until=until,
        area=area,
        area_name=councils[area] if area else ALL_AREAS,
        councils=councils,
        open_data=False,
        suppression_threshold=threshold,
        rows=tuple(rows),
        districts=_district_demand(districts, people_cells),
        places=tuple(totals),
        district_codes={code: areas.by_code[code].admin_district_codes for code in councils},
        wards=_ward_demand(wards, demand, people_cells),
        provision=tuple(
            ProviderSite(org.name, org.kind, org.area, org.base_lat, org.base_lon)
            for org in orgs.values()
            if org.area in councils and org.base_lat is not None and org.base_lon is not None
        ),
        ward_boundaries={code: geometry for code, (_name, geometry, _district) in boundaries.items()},
        boundary_names={code: name for code, (name, _geometry, _district) in boundaries.items()},
        boundary_districts={
            code: district for code, (_name, _geometry, district) in boundaries.items() if district
        },
    )
    return report.for_open_data(threshold) if open_data else report


def check_period(since: date | None, until: date | None, now: datetime) -> date:
    """The last day of a period (when not given: today, or the first day if that is later), or
    DomainValidationError when it ends before it starts."""
    if until is None:
        return max(now.date(), since) if since is not None else now.date()
    if since is not None and until < since:
        raise DomainValidationError("until", "the last day comes before the first day")
    return until


def _served(areas: Areas, centroids: OutcodeCentroids, councils: Mapping[str, str]) -> dict[str, District]:
    return {
        outcode: district
        for outcode, district in served_districts(areas, centroids).items()
        if district.council_area in councils
    }


@dataclass(frozen=True)
class NeedsTrend:
    """Needs week by week over a period (reports/trend.py)."""

    generated_at: datetime
    since: date
    until: date
    area: str | None
    area_name: str
    councils: dict[str, str]
    open_data: bool
    suppression_threshold: int
    rows: tuple[TrendRow, ...]
    ons_codes: dict[str, str] = field(default_factory=dict)  # council area → its ONS code(s), ";" between
    notes: tuple[str, ...] = TREND_NOTES


def needs_trend(
    session: Session,
    areas: Areas,
    *,
    since: date | None = None,
    area: str | None = None,
    open_data: bool = False,
    threshold: int = 5,
    until: date | None = None,
    now: datetime | None = None,
    centroids: OutcodeCentroids | None = None,
    allowances: Mapping[str, timedelta] | None = None,
) -> NeedsTrend:
    """Needs week by week from `since` (default: twelve weeks before `until`) to `until` (default today),
    counted as the needs report counts them over the same referrals; at most MAX_WEEKS weeks."""
    now = now or utcnow()
    allowances = allowances or load_lifecycle_policy().offer_expiry
    councils = _councils(areas, area)
    until = check_period(since, until, now)
    since = since or week_of(until) - timedelta(weeks=DEFAULT_TREND_WEEKS - 1)
    if len(weeks_between(since, until)) > MAX_WEEKS:
        raise DomainValidationError(
            "since", f"a trend covers at most {MAX_WEEKS} weeks; choose a later first day"
        )
    districts = _served(areas, centroids or default_outcode_centroids(), councils)
    facts = load_facts(session, since, councils, districts, until)
    facts = [fact for fact in facts if fact.area in councils]
    rows = weekly_trend(
        facts, person_needs(facts, allowances, now), councils, since, until, threshold if open_data else None
    )
    return NeedsTrend(
        generated_at=now,
        since=since,
        until=until,
        area=area,
        area_name=councils[area] if area else ALL_AREAS,
        councils=councils,
        open_data=open_data,
        suppression_threshold=threshold,
        rows=rows,
        ons_codes={code: ";".join(areas.by_code[code].admin_district_codes) for code in councils},
    )


@dataclass(frozen=True)
class _OnsNames:
    """The ONS local authority district code(s) and name(s) of a place: a council area's own
    (config/areas.yaml `admin_district_codes`), a hub's council's, a postcode district's majority
    authority's."""

    areas: Areas
    districts: Mapping[str, District]
    names: Mapping[str, str]

    def of(self, place: Place) -> tuple[str | None, str | None]:
        if place.kind == "ward":  # the ward's own ONS code and name
            return (None, None) if place.code == WARD_UNKNOWN else (place.code, place.name)
        if place.kind == "outcode":
            district = self.districts.get(place.code)
            codes = (district.ons_code,) if district and district.ons_code else ()
        else:
            area = self.areas.by_code.get(place.council_area or "")
            codes = area.admin_district_codes if area else ()
        if not codes:
            return None, None
        return ";".join(codes), ";".join(self.names.get(code, code) for code in codes)


def _ward_demand(
    wards: Sequence[Place], demand: "_Demand", people: Iterable[PeopleCell]
) -> tuple[WardDemand, ...]:
    """Each known ward's people, and how many of them had a need go unmet or wait too long."""
    unmet: defaultdict[str, int] = defaultdict(int)
    for cell in people:
        unmet[cell.ward_code or WARD_UNKNOWN] += cell.short
    return tuple(
        WardDemand(place.code, place.name, place.council_area, demand.people_in(place), unmet[place.code])
        for place in wards
        if place.code != WARD_UNKNOWN
    )


def ward_boundaries(
    session: Session, codes: Sequence[str], outcodes: Iterable[str], district_codes: Sequence[str]
) -> dict[str, tuple[str, dict, str | None]]:
    """The official boundaries (`flask geo import-boundaries`) the `boundary` table holds of the wards with
    these codes and of every ward of the councils' postcodes (`postcode` rows in these districts, in these
    local authorities): ONS code → (name, GeoJSON geometry, the local authority district code its postcodes
    are in, if any). Nothing is read when no ward boundary is loaded."""
    if session.scalar(select(Boundary.code).where(Boundary.level == "ward").limit(1)) is None:
        return {}
    postcode_wards = select(Postcode.admin_ward_code, Postcode.admin_district_code).where(
        Postcode.outcode.in_(list(outcodes)),
        Postcode.admin_district_code.in_(list(district_codes)),
        Postcode.admin_ward_code.is_not(None),
    )
    district_of = dict(session.execute(postcode_wards.distinct()).all())
    wanted = set(codes) | set(district_of)
    query = select(Boundary.code, Boundary.name, Boundary.geometry).where(
        Boundary.level == "ward", Boundary.code.in_(sorted(wanted))
    )
    return {row.code: (row.name, row.geometry, district_of.get(row.code)) for row in session.execute(query)}


def ward_places(people: Iterable[PeopleCell], councils: Mapping[str, str]) -> list[Place]:
    """A place for each (council area, ward) the people of the served councils live in, placed by their
    first referral as `person_places` places them, with the postcode districts they live in (for the
    providers covering them); people whose postcode's ward is not known are a place of their own in their
    council, so each council's wards add up to it. Ordered by council, then ward name."""
    names: dict[str, str] = {}
    outcodes: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    for cell in people:
        if cell.ward_code:
            names.setdefault(cell.ward_code, cell.ward_name or cell.ward_code)
        if cell.area in councils:
            outcodes[(cell.area, cell.ward_code or WARD_UNKNOWN)].add(cell.outcode)
    found = [
        Place(
            "ward",
            ward,
            WARD_UNKNOWN_NAME if ward == WARD_UNKNOWN else names.get(ward, ward),
            area,
            frozenset(found_outcodes),
        )
        for (area, ward), found_outcodes in outcodes.items()
    ]
    return sorted(found, key=lambda p: (p.council_area or "", p.code == WARD_UNKNOWN, p.name, p.code))


def _councils(areas: Areas, area: str | None) -> dict[str, str]:
    if area is None:
        return {code: found.name for code, found in areas.by_code.items()}
    if area not in areas.by_code:
        raise DomainValidationError(
            "area", f"unknown area {area!r}; choose one of {', '.join(areas.by_code)}"
        )
    return {area: areas.by_code[area].name}


def load_facts(
    session: Session,
    since: date | None,
    councils: Iterable[str],
    districts: Mapping[str, District],
    until: date | None = None,
) -> list[ReferralFacts]:
    """Referrals of residents in the councils or their districts, created from `since` to `until` (days,
    UTC, both included). A call linked to a referral already open for the same needs is not counted again."""
    start, end = _period(since, until)
    query = _referrals_in(
        select(
            Referral.id,
            Referral.resident_id,
            Resident.same_as_id,
            Referral.area,
            Resident.outcode,
            Resident.lat,
            Resident.lon,
            cast(Referral.needs, Text).label("needs"),
            cast(Referral.unmet_needs, Text).label("unmet_needs"),
            Referral.gap,
            Referral.status,
            Referral.urgency,
            Referral.created_at,
            Postcode.admin_ward_code,
            Postcode.admin_ward,
        ),
        start,
        end,
        councils,
        districts,
    )
    query = query.outerjoin(Postcode, Postcode.postcode == Resident.postcode).order_by(Referral.id)
    # Plain rows (no ORM layer), and the needs lists read as text and parsed once per distinct text: a
    # year's referrals repeat a few hundred lists (bench.scale: a third of the time went on json.loads).
    rows = session.connection().execute(query).all()
    accepted = first_acceptances(session, start)
    lists: dict[str | None, tuple[str, ...]] = {}

    def needs_of(stored: str | None) -> tuple[str, ...]:
        found = lists.get(stored)
        if found is None:
            found = lists[stored] = tuple(json.loads(stored) or ()) if stored else ()
        return found

    return [
        ReferralFacts(
            referral_id=row.id,
            person_id=row.same_as_id or row.resident_id,
            area=row.area,
            outcode=row.outcode,
            lat=row.lat,
            lon=row.lon,
            needs=needs_of(row.needs),
            unmet_needs=needs_of(row.unmet_needs),
            gap=row.gap,
            status=row.status,
            urgency=row.urgency,
            created_at=row.created_at,
            accepted_at=accepted.get(row.id),
            ward_code=row.admin_ward_code,
            ward_name=row.admin_ward,
        )
        for row in rows
    ]


def _period(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """The first moment of `since` and the first after `until` (UTC), each None when not given."""
    start = datetime.combine(since, time.min, UTC) if since is not None else None
    end = datetime.combine(until + timedelta(days=1), time.min, UTC) if until is not None else None
    return start, end


def _referrals_in(
    query: Select,
    start: datetime | None,
    end: datetime | None,
    councils: Iterable[str],
    districts: Iterable[str],
) -> Select:
    """The report's referrals (joined to their resident): of residents in the councils or their districts,
    created in the period, not a call linked to a referral already open for the same needs."""
    query = query.join(Resident, Resident.id == Referral.resident_id).where(
        Referral.linked_referral_id.is_(None),
        or_(Referral.area.in_(list(councils)), Resident.outcode.in_(list(districts))),
    )
    if start is not None:
        query = query.where(Referral.created_at >= start)
    if end is not None:
        query = query.where(Referral.created_at < end)
    return query


def residents_districts(
    session: Session,
    since: date | None,
    until: date | None,
    councils: Iterable[str],
    known: Mapping[str, District],
    centroids: OutcodeCentroids,
) -> dict[str, District]:
    """`_districts_of_residents` read in SQL: each district the period's residents live in that is not a
    served council's own, from the first referral (by id) of a resident there."""
    start, end = _period(since, until)
    first = (
        _referrals_in(
            select(Resident.outcode, func.min(Referral.id).label("id")), start, end, councils, known
        )
        .where(Resident.outcode.not_in(list(known)))
        .group_by(Resident.outcode)
        .subquery()
    )
    query = (
        select(Referral.id, Referral.area, Resident.outcode, Resident.lat, Resident.lon)
        .join(first, first.c.id == Referral.id)
        .join(Resident, Resident.id == Referral.resident_id)
        .order_by(Referral.id)
    )
    rows = session.connection().execute(query).all()
    return _districts_of_residents(rows, known, centroids)


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
        for found_id, at in session.connection().execute(query.group_by(referral_id)):
            if at is not None and (found_id not in first or at < first[found_id]):
                first[found_id] = at
    return first


def _districts_of_residents(
    facts: Sequence, known: Mapping[str, District], centroids: OutcodeCentroids
) -> dict[str, District]:
    """Districts residents live in that are not a served council's own (a district straddling a boundary
    belongs to its majority council), placed at the centroid or, failing that, at the first resident."""
    extra: dict[str, District] = {}
    for facts_row in facts:
        if facts_row.outcode in known or facts_row.outcode in extra:
            continue
        location = centroids.lookup_outcode(facts_row.outcode)
        lat, lon = (location.lat, location.lon) if location else (facts_row.lat, facts_row.lon)
        extra[facts_row.outcode] = District(
            facts_row.outcode, lat, lon, facts_row.area, district_authority(facts_row.outcode)
        )
    return extra


def _providers(
    place: Place, coverage: Mapping[str, frozenset[int]], orgs: Mapping[int, matching.Organisation]
) -> list[matching.Organisation]:
    ids = set().union(*(coverage.get(outcode, frozenset()) for outcode in place.outcodes))
    return [orgs[org_id] for org_id in sorted(ids)]


def _rows(
    place: Place,
    tallies: Mapping[str, NeedCell],
    providers: Sequence[matching.Organisation],
    publish: int | None,
) -> list[NeedsRow]:
    """A row per need asked for or provided in the place. In open data (`publish`: the threshold), the
    providers a withheld number of people needs are worked out as if it were threshold − 1, so the
    duplication flag says nothing the withheld count does not."""
    shares: defaultdict[str, list[float]] = defaultdict(list)
    for org in providers:
        for need in dict.fromkeys(org.services):
            shares[need].append(capacity_share(org.capacity, org.services))
    needs = sorted(set(tallies) | set(shares), key=lambda need: (need == NO_NEED, need))
    rows = []
    for need in needs:
        tally, offering = (
            tallies.get(need) or _Tally().cell(place.kind, None, None, need),
            shares.get(need, []),
        )
        people = tally.people
        if publish is not None and is_disclosive(people, publish):
            people = publish - 1
        needed = providers_needed(people, offering)
        rows.append(
            NeedsRow(
                area_type=place.kind,
                area=place.code,
                area_name=place.name,
                council_area=place.council_area,
                need=need,
                people=tally.people,
                referrals=tally.referrals,
                accepted=tally.accepted,
                completed=tally.completed,
                unmet=tally.unmet,
                late=tally.late,
                median_hours_to_accept=rounded(tally.median_hours),
                capacity_offered=rounded(sum(offering), 1) or 0.0,
                providers=len(offering),
                providers_needed=needed,
                duplicated=len(offering) > needed,
                gap=tally.unmet > 0 or tally.late > 0,
            )
        )
    return rows


def _total(place: Place, people: int, providers: Sequence[matching.Organisation]) -> PlaceTotal:
    """Providers of any need (an organisation offering no service, like a safety-net team, is the fallback
    for every need rather than a provider of one), each organisation's capacity counted once."""
    providers = [org for org in providers if org.services]
    return PlaceTotal(
        area_type=place.kind,
        area=place.code,
        area_name=place.name,
        council_area=place.council_area,
        people=people,
        providers=len(providers),
        capacity=sum(org.capacity for org in providers),
    )


def _district_demand(
    districts: Mapping[str, District], people: Iterable[PeopleCell]
) -> tuple[DistrictDemand, ...]:
    """Each district's people (placed by their first referral) and those of them with an unmet need."""
    counted: defaultdict[str, int] = defaultdict(int)
    unmet: defaultdict[str, int] = defaultdict(int)
    for cell in people:
        counted[cell.outcode] += cell.people
        unmet[cell.outcode] += cell.gap
    return tuple(
        DistrictDemand(d.outcode, d.lat, d.lon, d.council_area, counted[d.outcode], unmet[d.outcode])
        for d in sorted(districts.values(), key=lambda d: outcode_key(d.outcode))
    )
