"""What a match request means once the policy is applied: its time window, availability slots, DBS rule."""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from matching.geo import unit_vectors
from matching.policy import MatchingPolicy
from matching.schedule import Window, availability_slots_in, describe_window, local_window
from matching.types import DBS_LEVELS, MatchRequest


@dataclass(frozen=True)
class MatchContext:
    request: MatchRequest
    policy: MatchingPolicy
    window: Window
    window_text: str
    slot_mask: int
    dbs_required: bool
    dbs_level: str | None  # the lowest level accepted, when the needs name one
    dbs_min_rank: int  # the store's rank of that level (0: any recorded check)
    driver_required: bool
    dbs_valid_after: int
    position: NDArray[np.float64]


def build_context(request: MatchRequest, policy: MatchingPolicy) -> MatchContext:
    hours = policy.urgency_window_hours[request.urgency]
    window = local_window(request.now, hours, policy.timezone)
    level = policy.dbs_level_required(request.needs, request.flags)
    return MatchContext(
        request=request,
        policy=policy,
        window=window,
        window_text=describe_window(hours),
        slot_mask=availability_slots_in(window, policy.availability_slots),
        dbs_required=policy.dbs_required(request.needs, request.flags),
        dbs_level=level,
        dbs_min_rank=dbs_rank(level),
        driver_required=policy.driver_required(request.needs),
        dbs_valid_after=window.end.date().toordinal(),
        position=unit_vectors(request.lat, request.lon),
    )


def dbs_rank(level: str | None) -> int:
    """0 for no level (or none recorded), then 1 (basic) up to 4 (enhanced with barred-list check)."""
    return DBS_LEVELS.index(level) + 1 if level else 0
