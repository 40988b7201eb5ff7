"""What a match request means once the policy is applied: its time window, availability slots, DBS rule."""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from matching.geo import unit_vectors
from matching.policy import MatchingPolicy
from matching.schedule import Window, availability_slots_in, describe_window, local_window
from matching.types import MatchRequest


@dataclass(frozen=True)
class MatchContext:
    request: MatchRequest
    policy: MatchingPolicy
    window: Window
    window_text: str
    slot_mask: int
    dbs_required: bool
    dbs_valid_after: int
    position: NDArray[np.float64]


def build_context(request: MatchRequest, policy: MatchingPolicy) -> MatchContext:
    hours = policy.urgency_window_hours[request.urgency]
    window = local_window(request.now, hours, policy.timezone)
    return MatchContext(
        request=request,
        policy=policy,
        window=window,
        window_text=describe_window(hours),
        slot_mask=availability_slots_in(window, policy.availability_slots),
        dbs_required=policy.dbs_required(request.needs, request.flags),
        dbs_valid_after=window.end.date().toordinal(),
        position=unit_vectors(request.lat, request.lon),
    )
