"""Matching and routing: a triaged referral and the directory in, ranked candidates with reasons out."""

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
