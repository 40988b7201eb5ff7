"""The directory the engine matches against: organisations, volunteers (columnar, spatially indexed) and the
areas' coordination settings. Every change bumps `version`, so callers can tell a stale snapshot."""

from collections.abc import Iterable

from matching.coverage import CoverageIndex
from matching.errors import MatchingConfigError, NoSafetyNetError
from matching.types import AreaConfig, Organisation, Volunteer
from matching.volunteer_store import VolunteerStore


class Directory:
    def __init__(
        self,
        organisations: Iterable[Organisation],
        volunteers: Iterable[Volunteer],
        areas: Iterable[AreaConfig],
    ) -> None:
        self._organisations: dict[int, Organisation] = {}
        self._by_area_kind: dict[tuple[str, str], list[Organisation]] | None = None  # built on first use
        self._coverage = CoverageIndex()
        for org in organisations:
            if org.id in self._organisations:
                raise ValueError(f"duplicate organisation id {org.id}")
            self._add_organisation(org)
        self._areas = {area.code: area for area in areas}
        self.volunteers = VolunteerStore(volunteers)
        self._version = 0

    @property
    def version(self) -> int:
        return self._version

    def organisation(self, org_id: int) -> Organisation | None:
        return self._organisations.get(org_id)

    def organisations(self) -> Iterable[Organisation]:
        return self._organisations.values()

    def organisations_of(self, area_code: str, kind: str) -> list[Organisation]:
        """An area's organisations of one kind, by id: an index kept until an organisation changes, so a
        routing asks it instead of scanning the national directory."""
        if self._by_area_kind is None:
            index: dict[tuple[str, str], list[Organisation]] = {}
            for org in sorted(self._organisations.values(), key=lambda org: org.id):
                index.setdefault((org.area, org.kind), []).append(org)
            self._by_area_kind = index
        return self._by_area_kind.get((area_code, kind), [])

    def volunteer(self, volunteer_id: int) -> Volunteer | None:
        if volunteer_id not in self.volunteers:
            return None
        return self.volunteers.volunteer(volunteer_id)

    def area(self, code: str) -> AreaConfig:
        area = self._areas.get(code)
        if area is None:
            raise MatchingConfigError(f"area {code!r} is not configured")
        return area

    def safety_net(self, area_code: str) -> Organisation:
        """The council safety-net team that owns every referral in the area that nobody else takes."""
        area = self.area(area_code)
        if area.safety_net_org_id is None:
            raise NoSafetyNetError(f"area {area_code!r} has no council safety-net team configured")
        org = self._organisations.get(area.safety_net_org_id)
        if org is None or org.kind != "safety_net" or not org.active:
            raise NoSafetyNetError(
                f"area {area_code!r}: safety-net organisation {area.safety_net_org_id} "
                "is missing, inactive or not of kind safety_net"
            )
        return org

    def covering_organisations(self, lat: float, lon: float, outcode: str, area: str) -> list[Organisation]:
        ids = self._coverage.covering(lat, lon, outcode, area)
        return [self._organisations[org_id] for org_id in sorted(ids)]

    def upsert_area(self, area: AreaConfig) -> None:
        self._areas[area.code] = area
        self._version += 1

    def upsert_organisation(self, org: Organisation) -> None:
        previous = self._organisations.get(org.id)
        if previous is not None:
            self._coverage.discard(previous)
        self._add_organisation(org)
        self._version += 1

    def remove_organisation(self, org_id: int) -> bool:
        org = self._organisations.pop(org_id, None)
        if org is None:
            return False
        self._by_area_kind = None
        self._coverage.discard(org)
        self._version += 1
        return True

    def upsert_volunteer(self, volunteer: Volunteer) -> None:
        self.volunteers.upsert(volunteer)
        self._version += 1

    def remove_volunteer(self, volunteer_id: int) -> bool:
        removed = self.volunteers.remove(volunteer_id)
        if removed:
            self._version += 1
        return removed

    def add_volunteer_workload(self, volunteer_id: int, active: int, this_week: int) -> None:
        self.volunteers.add_workload(volunteer_id, active, this_week)
        self._version += 1

    def set_volunteer_workload(self, volunteer_id: int, active: int, this_week: int) -> None:
        """Counts as read from elsewhere (a database), replacing what the directory had."""
        self.volunteers.set_workload(volunteer_id, active, this_week)
        self._version += 1

    def reset_weekly_counts(self) -> None:
        self.volunteers.reset_week()
        self._version += 1

    def _add_organisation(self, org: Organisation) -> None:
        self._organisations[org.id] = org
        self._by_area_kind = None
        self._coverage.add(org)
