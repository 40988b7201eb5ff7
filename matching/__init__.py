"""Matching and routing: a triaged referral and the directory in, ranked candidates with reasons out.

The names below are loaded on first use (PEP 562): importing `matching.types` or `matching.policy`, as the
models and the app factory do, does not load the engine or numpy (`matching/coverage.py`), which only a
match needs."""

from importlib import import_module
from typing import TYPE_CHECKING

WHERE = {
    "AreaConfig": "matching.types",
    "Candidate": "matching.types",
    "Directory": "matching.directory",
    "Exclusion": "matching.types",
    "MatchRequest": "matching.types",
    "MatchResult": "matching.types",
    "MatchingConfigError": "matching.errors",
    "MatchingPolicy": "matching.policy",
    "NoSafetyNetError": "matching.errors",
    "Organisation": "matching.types",
    "Volunteer": "matching.types",
    "capacity_failure": "matching.workload",
    "load_matching_policy": "matching.policy",
    "match": "matching.engine",
    "record_assignment": "matching.workload",
    "record_completion": "matching.workload",
    "record_org_acceptance": "matching.workload",
    "start_new_week": "matching.workload",
}
__all__ = [
    "AreaConfig",
    "Candidate",
    "Directory",
    "Exclusion",
    "MatchRequest",
    "MatchResult",
    "MatchingConfigError",
    "MatchingPolicy",
    "NoSafetyNetError",
    "Organisation",
    "Volunteer",
    "capacity_failure",
    "load_matching_policy",
    "match",
    "record_assignment",
    "record_completion",
    "record_org_acceptance",
    "start_new_week",
]


def __getattr__(name: str):
    if name not in WHERE:
        raise AttributeError(f"module 'matching' has no attribute {name!r}")
    value = getattr(import_module(WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *WHERE})


if TYPE_CHECKING:
    from matching.directory import Directory
    from matching.engine import match
    from matching.errors import MatchingConfigError, NoSafetyNetError
    from matching.policy import MatchingPolicy, load_matching_policy
    from matching.types import (
        AreaConfig,
        Candidate,
        Exclusion,
        MatchRequest,
        MatchResult,
        Organisation,
        Volunteer,
    )
    from matching.workload import (
        capacity_failure,
        record_assignment,
        record_completion,
        record_org_acceptance,
        start_new_week,
    )
