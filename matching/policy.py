"""The matching policy (config/matching.yaml): DBS rule per need, caps, ranking weights, urgency windows."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import time
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

from matching.errors import MatchingConfigError
from matching.types import DBS_LEVELS, URGENCIES

DEFAULT_POLICY_PATH = Path(__file__).resolve().parent.parent / "config" / "matching.yaml"
SLOT_NAMES = ("morning", "afternoon", "evening")
DbsRule = Literal["always", "never", "if_vulnerable"]
DBS_RULES = ("always", "never", "if_vulnerable")


@dataclass(frozen=True)
class VolunteerWeights:
    distance: float
    weekly_load: float
    active_load: float
    distance_scale_km: float


@dataclass(frozen=True)
class OrganisationWeights:
    distance: float
    load: float
    response: float
    distance_scale_km: float
    response_scale_hours: float


@dataclass(frozen=True)
class MatchingPolicy:
    need_dbs: Mapping[str, DbsRule]
    need_dbs_level: Mapping[str, str]  # need → the lowest DBS level it accepts, for needs that name one
    driver_needs: frozenset[str]  # needs only a volunteer recorded as a driver can meet (a lift)
    unknown_need_dbs: DbsRule
    vulnerable_flags: tuple[str, ...]
    max_active_tasks: int
    max_tasks_per_week: int
    urgency_window_hours: Mapping[str, float]
    availability_slots: tuple[tuple[time, time], ...]
    timezone: str
    volunteer_weights: VolunteerWeights
    organisation_weights: OrganisationWeights
    max_volunteer_candidates: int
    excluded_sample_size: int

    def dbs_required(self, needs: Iterable[str], flags: Mapping[str, bool]) -> bool:
        return bool(self._needs_with_dbs(needs, flags))

    def dbs_level_required(self, needs: Iterable[str], flags: Mapping[str, bool]) -> str | None:
        """The highest level named by the needs that call for a check here; None when none names one (any
        recorded, unexpired check will do) or no check is needed."""
        named = self.need_dbs_level
        levels = [named[need] for need in self._needs_with_dbs(needs, flags) if need in named]
        return max(levels, key=DBS_LEVELS.index) if levels else None

    def driver_required(self, needs: Iterable[str]) -> bool:
        return any(need in self.driver_needs for need in needs)

    def _needs_with_dbs(self, needs: Iterable[str], flags: Mapping[str, bool]) -> list[str]:
        vulnerable = any(flags.get(flag) for flag in self.vulnerable_flags)
        return [
            need
            for need in needs
            if (rule := self.need_dbs.get(need, self.unknown_need_dbs)) == "always"
            or (rule == "if_vulnerable" and vulnerable)
        ]


def load_matching_policy(path: Path | str | None = None) -> MatchingPolicy:
    """Load and validate the policy; the default file is read once per process."""
    return _load(Path(path or DEFAULT_POLICY_PATH).resolve())


@cache
def _load(path: Path) -> MatchingPolicy:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise MatchingConfigError(f"cannot read matching policy {path}: {error}") from error
    try:
        return parse_policy(raw)
    except (KeyError, TypeError, ValueError) as error:
        raise MatchingConfigError(f"invalid matching policy {path}: {error}") from error


def parse_policy(raw: Mapping[str, Any]) -> MatchingPolicy:
    need_dbs = {str(code): _dbs_rule(rule["dbs"]) for code, rule in raw["needs"].items()}
    need_dbs_level = {
        str(code): _dbs_level(rule["dbs_level"])
        for code, rule in raw["needs"].items()
        if rule.get("dbs_level") is not None
    }
    driver_needs = frozenset(str(code) for code, rule in raw["needs"].items() if _flag(rule.get("driver")))
    windows = {urgency: float(raw["urgency_window_hours"][urgency]) for urgency in URGENCIES}
    if any(hours < 0 for hours in windows.values()):
        raise ValueError("urgency_window_hours must not be negative")
    caps = raw["volunteer_caps"]
    volunteer = raw["ranking"]["volunteer"]
    organisation = raw["ranking"]["organisation"]
    return MatchingPolicy(
        need_dbs=need_dbs,
        need_dbs_level=need_dbs_level,
        driver_needs=driver_needs,
        unknown_need_dbs=_dbs_rule(raw.get("unknown_need_dbs", "always")),
        vulnerable_flags=tuple(raw.get("vulnerable_flags", ())),
        max_active_tasks=_positive_int(caps["max_active_tasks"]),
        max_tasks_per_week=_positive_int(caps["max_tasks_per_week"]),
        urgency_window_hours=windows,
        availability_slots=tuple(_slot(raw["availability_slots"][name]) for name in SLOT_NAMES),
        timezone=str(raw.get("timezone", "Europe/London")),
        volunteer_weights=VolunteerWeights(
            distance=float(volunteer["distance"]),
            weekly_load=float(volunteer["weekly_load"]),
            active_load=float(volunteer["active_load"]),
            distance_scale_km=float(volunteer["distance_scale_km"]),
        ),
        organisation_weights=OrganisationWeights(
            distance=float(organisation["distance"]),
            load=float(organisation["load"]),
            response=float(organisation["response"]),
            distance_scale_km=float(organisation["distance_scale_km"]),
            response_scale_hours=float(organisation["response_scale_hours"]),
        ),
        max_volunteer_candidates=_positive_int(raw.get("max_volunteer_candidates", 10)),
        excluded_sample_size=_positive_int(raw.get("excluded_sample_size", 5)),
    )


def _dbs_rule(value: Any) -> DbsRule:
    if value not in DBS_RULES:
        raise ValueError(f"dbs rule must be one of {DBS_RULES}, not {value!r}")
    return value


def _dbs_level(value: Any) -> str:
    if value not in DBS_LEVELS:
        raise ValueError(f"dbs_level must be one of {DBS_LEVELS}, not {value!r}")
    return value


def _flag(value: Any) -> bool:
    if value not in (None, True, False):
        raise ValueError(f"driver must be true or false, not {value!r}")
    return bool(value)


def _positive_int(value: Any) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(f"expected a positive integer, got {value!r}")
    return number


def _slot(bounds: list[str]) -> tuple[time, time]:
    start, end = (time.fromisoformat(text) for text in bounds)
    if end <= start:
        raise ValueError(f"availability slot {bounds} ends before it starts")
    return start, end
