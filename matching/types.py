"""Plain values the matching engine works on: the directory's organisations and volunteers, an area's
coordination settings, a match request, and the ranked result with its audit trail."""

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, Literal, get_args

OrgKind = Literal["safety_net", "infrastructure", "hub", "vcs", "mutual_aid"]
MutualAidMode = Literal["integrated", "supported", "arms_length"]
CoordinationModel = Literal["infrastructure_broker", "hub_network", "multi_agency_cell"]
Tier = Literal["statutory", "vcs", "mutual_aid"]
Urgency = Literal["emergency", "urgent", "routine"]
Action = Literal["offer", "signpost"]
DataSharing = Literal["full", "minimal_until_accept", "none"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
COORDINATION_MODELS = ("infrastructure_broker", "hub_network", "multi_agency_cell")
TIERS = get_args(Tier)  # which tiers a request may name; their order is triage's (`triage.TIERS`)
URGENCIES = ("emergency", "urgent", "routine")
# DBS check levels, lowest first: a need that names a level is met by that level or a higher one.
# "enhanced_barred" is an enhanced check with a check of the adults' barred list.
DBS_LEVELS = ("basic", "standard", "enhanced", "enhanced_barred")
DBS_LEVEL_WORDS = {
    "basic": "basic",
    "standard": "standard",
    "enhanced": "enhanced",
    "enhanced_barred": "enhanced with barred-list check",
}


@dataclass(frozen=True)
class Organisation:
    id: int
    name: str
    kind: OrgKind
    area: str
    services: Sequence[str] = ()
    coverage_outcodes: Sequence[str] = ()
    base_lat: float | None = None
    base_lon: float | None = None
    radius_km: float | None = None
    capacity: int = 10
    open_accepted: int = 0
    mutual_aid_mode: MutualAidMode | None = None
    opening_hours: Mapping[str, Sequence[Sequence[str]]] | None = None
    min_age: int | None = None
    max_age: int | None = None
    active: bool = True
    sms_opted_out: bool = False
    public_contact: str = ""
    accepts_within_hours: float | None = None


@dataclass(frozen=True)
class Volunteer:
    id: int
    lat: float
    lon: float
    org_id: int | None = None
    skills: Sequence[str] = ()
    dbs_expires_on: date | None = None
    dbs_level: str | None = None  # one of DBS_LEVELS; None when the level is not recorded
    driver: bool = False
    availability: Mapping[str, Sequence[str]] = field(default_factory=dict)
    travel_radius_km: float = 3.0
    max_active_tasks: int = 3
    max_tasks_per_week: int = 5
    active_tasks: int = 0
    tasks_this_week: int = 0
    active: bool = True
    sms_opted_out: bool = False


@dataclass(frozen=True)
class AreaConfig:
    code: str
    name: str
    coordination_model: CoordinationModel
    safety_net_org_id: int | None
    infrastructure_org_id: int | None = None

    def __post_init__(self) -> None:
        if self.coordination_model not in COORDINATION_MODELS:
            raise ValueError(f"area {self.code}: unknown coordination model {self.coordination_model!r}")


@dataclass(frozen=True)
class MatchRequest:
    tier: Tier
    needs: Sequence[str]
    urgency: Urgency
    lat: float
    lon: float
    outcode: str
    area: str
    now: datetime
    resident_age: int | None = None
    flags: Mapping[str, bool] = field(default_factory=dict)
    consent_to_share: bool = True
    known_volunteer_ids: Sequence[int] = ()
    known_org_ids: Sequence[int] = ()
    referral_id: int | None = None

    def __post_init__(self) -> None:
        if self.tier not in TIERS:
            raise ValueError(f"unknown tier {self.tier!r}")
        if self.urgency not in URGENCIES:
            raise ValueError(f"unknown urgency {self.urgency!r}")
        if self.now.tzinfo is None:
            raise ValueError("MatchRequest.now must be timezone-aware")


@dataclass(frozen=True)
class Candidate:
    kind: Literal["organisation", "volunteer"]
    org_id: int | None
    volunteer_id: int | None
    tier: Tier
    action: Action
    data_sharing: DataSharing
    score: float
    distance_km: float | None
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Exclusion:
    """Who was left out and why. A `volunteers` entry summarises many volunteers excluded for one reason."""

    kind: Literal["organisation", "volunteer", "volunteers"]
    reason: str
    detail: str
    org_id: int | None = None
    volunteer_id: int | None = None
    count: int = 1
    sample_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class MatchResult:
    candidates: tuple[Candidate, ...]
    excluded: tuple[Exclusion, ...]
    gap: bool
    unmet_needs: tuple[str, ...]
    owner_of_last_resort: int
    coordination_model: CoordinationModel
    referral_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
