"""Readable test data for the matching tests: a small Sutton directory around one resident."""

from datetime import UTC, date, datetime

from matching import AreaConfig, Directory, MatchRequest, MatchResult, Organisation, Volunteer

# Monday 24 November 2025, 10:30 in London (GMT, so the same in UTC).
NOW = datetime(2025, 11, 24, 10, 30, tzinfo=UTC)
RESIDENT = (51.3618, -0.1945)
EVERY_SLOT = {
    day: ["morning", "afternoon", "evening"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}
VALID_DBS = date(2027, 1, 1)

SAFETY_NET, INFRASTRUCTURE, HUB, GROUP, VCS = 1, 2, 3, 4, 5


def organisation(org_id: int, kind: str, **fields) -> Organisation:
    defaults = {"name": f"{kind} {org_id}", "area": "sutton", "capacity": 10}
    if kind in ("hub", "vcs", "mutual_aid"):
        defaults["coverage_outcodes"] = ["SM1"]
    if kind == "vcs":
        defaults["services"] = ["food", "advice", "shopping"]
    if kind == "mutual_aid":
        defaults["services"] = [
            "shopping",
            "prescriptions",
            "befriending",
            "dog_walking",
            "transport",
            "gardening",
        ]
        defaults["mutual_aid_mode"] = "integrated"
        defaults["public_contact"] = "sm1-helpers@example.org"
    return Organisation(id=org_id, kind=kind, **{**defaults, **fields})


def standard_organisations() -> list[Organisation]:
    return [
        organisation(SAFETY_NET, "safety_net"),
        organisation(INFRASTRUCTURE, "infrastructure"),
        organisation(HUB, "hub"),
        organisation(GROUP, "mutual_aid"),
        organisation(VCS, "vcs"),
    ]


def volunteer(volunteer_id: int, **fields) -> Volunteer:
    defaults = {
        "lat": RESIDENT[0] + 0.005,
        "lon": RESIDENT[1],
        "org_id": GROUP,
        "skills": ("shopping", "prescriptions", "befriending"),
        "dbs_expires_on": VALID_DBS,
        "dbs_level": "enhanced_barred",
        "driver": True,
        "availability": EVERY_SLOT,
        "travel_radius_km": 5.0,
    }
    return Volunteer(id=volunteer_id, **{**defaults, **fields})


def area(model: str = "multi_agency_cell", **fields) -> AreaConfig:
    defaults = {"safety_net_org_id": SAFETY_NET, "infrastructure_org_id": INFRASTRUCTURE}
    return AreaConfig(
        code="sutton", name="London Borough of Sutton", coordination_model=model, **{**defaults, **fields}
    )


def directory(
    organisations: list[Organisation] | None = None,
    volunteers: list[Volunteer] = (),
    model: str = "multi_agency_cell",
) -> Directory:
    orgs = standard_organisations() if organisations is None else organisations
    return Directory(orgs, volunteers, [area(model)])


def with_orgs(*changed: Organisation) -> list[Organisation]:
    """The standard organisations with some replaced (same id) or added."""
    by_id = {org.id: org for org in standard_organisations()}
    by_id.update({org.id: org for org in changed})
    return list(by_id.values())


def request(**fields) -> MatchRequest:
    defaults = {
        "tier": "mutual_aid",
        "needs": ["shopping"],
        "urgency": "urgent",
        "lat": RESIDENT[0],
        "lon": RESIDENT[1],
        "outcode": "SM1",
        "area": "sutton",
        "now": NOW,
        "resident_age": 70,
    }
    return MatchRequest(**{**defaults, **fields})


def volunteer_ids(result: MatchResult) -> list[int]:
    return [c.volunteer_id for c in result.candidates if c.kind == "volunteer"]


def org_ids(result: MatchResult) -> list[int]:
    return [c.org_id for c in result.candidates if c.kind == "organisation"]


def exclusion_reasons(result: MatchResult, kind: str) -> dict[int, str]:
    """Organisation or volunteer id -> reason code, for single-entity exclusions."""
    key = "org_id" if kind == "organisation" else "volunteer_id"
    return {getattr(e, key): e.reason for e in result.excluded if e.kind == kind}


def volunteer_summary(result: MatchResult) -> dict[str, tuple[int, tuple[int, ...]]]:
    return {e.reason: (e.count, e.sample_ids) for e in result.excluded if e.kind == "volunteers"}
