"""The coordination model decides which organisations a VCS or mutual-aid referral goes to, and in what role.

- infrastructure_broker: the area's infrastructure organisation, which assigns the referral onward;
- hub_network: the community hub(s) covering the resident, then (when one does) the other hubs of the area's
  network, so one hub's decline tries the next hub before the council; their volunteers are not searched;
- multi_agency_cell: straight to the VCS organisations (tier vcs: kinds vcs and hub) or mutual-aid groups
  (tier mutual_aid) covering the resident and offering every need; independent volunteers (no group) too.
Without consent to share, the model is bypassed: the covering service organisations are signposted only.
Volunteers are offered only through an organisation that qualified in the plan (or independently, above).
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from matching.context import MatchContext
from matching.directory import Directory
from matching.errors import MatchingConfigError
from matching.organisations import OrgOutcome, Role, coverage_reason
from matching.types import AreaConfig, Organisation
from matching.volunteers import ARMS_LENGTH, NOT_ROUTED, ROUTED

SERVICE_KINDS = {"vcs": ("vcs", "hub"), "mutual_aid": ("mutual_aid",)}
# Who may keep a resident they already know: VCS organisations may take mutual-aid work, not the reverse.
CONTINUITY_KINDS = {
    "vcs": ("vcs", "hub", "infrastructure"),
    "mutual_aid": ("mutual_aid", "vcs", "hub", "infrastructure"),
}
_ROLE_BY_KIND: dict[str, Role] = {"infrastructure": "broker", "hub": "hub"}


@dataclass(frozen=True)
class RoutePlan:
    considered: list[tuple[Organisation, Role, str | None]]
    not_routed: list[tuple[Organisation, str]]
    independent_volunteers: bool
    # Hubs of the network that do not cover the resident: offered after those that do, never their volunteers.
    network: frozenset[int] = frozenset()


def plan_routes(
    area: AreaConfig, ctx: MatchContext, directory: Directory, covering: list[Organisation]
) -> RoutePlan:
    request = ctx.request
    kinds = SERVICE_KINDS[request.tier]
    model = area.coordination_model
    network: list[Organisation] = []
    if not request.consent_to_share:
        considered = [(org, "signpost", coverage_reason(org, ctx)) for org in covering if org.kind in kinds]
        why = "no consent to share: only organisations offering the needs are signposted"
    elif model == "infrastructure_broker":
        broker = _broker(area, directory)
        considered = [(broker, "broker", f"infrastructure organisation for {area.name}")]
        why = f"{model}: {request.tier} referrals go to the infrastructure organisation {broker.id}"
    elif model == "hub_network":
        considered = [(org, "hub", coverage_reason(org, ctx)) for org in covering if org.kind == "hub"]
        # Only behind a hub that covers the place: where none does, it stays a gap the reports show.
        network = _network_hubs(area, directory, {org.id for org, _, _ in considered}) if considered else []
        considered += [(org, "hub", NETWORK_HUB.format(area=area.name)) for org in network]
        why = f"{model}: {request.tier} referrals go to the community hub covering the resident"
    else:
        considered = [(org, "service", coverage_reason(org, ctx)) for org in covering if org.kind in kinds]
        why = f"{model}: {request.tier} referrals go to organisations of kind {' or '.join(kinds)}"
    chosen = {org.id for org, _role, _coverage in considered}
    not_routed = [(org, why) for org in covering if org.id not in chosen and org.kind != "safety_net"]
    independents = request.consent_to_share and model == "multi_agency_cell" and request.tier == "mutual_aid"
    return RoutePlan(considered, not_routed, independents, frozenset(org.id for org in network))


NETWORK_HUB = (
    "another hub of the {area} network: offered if the hubs covering the resident decline or do not answer"
)


def _network_hubs(area: AreaConfig, directory: Directory, covering: set[int]) -> list[Organisation]:
    """The area's other hubs, by id (the engine ranks them after the covering hubs, by score)."""
    return [org for org in directory.organisations_of(area.code, "hub") if org.id not in covering]


def continuity_role(org: Organisation, ctx: MatchContext) -> Role | None:
    """The role a known organisation takes for continuity, or None if its kind cannot take this tier."""
    if org.kind not in CONTINUITY_KINDS[ctx.request.tier]:
        return None
    if not ctx.request.consent_to_share:
        return "signpost"
    return _ROLE_BY_KIND.get(org.kind, "service")


def volunteer_group_codes(
    directory: Directory, plan: RoutePlan, outcomes: list[OrgOutcome], covering: list[Organisation]
) -> NDArray[np.int8]:
    """Per group slot: may its volunteers be offered the referral (ROUTED), is it arm's length, or neither."""
    store = directory.volunteers
    codes = np.full(store.org_slot_count, NOT_ROUTED, dtype=np.int8)
    for org in covering:
        if org.mutual_aid_mode == "arms_length":
            _set(codes, store.known_org_slot(org.id), ARMS_LENGTH)
    for outcome in outcomes:
        if outcome.qualified and outcome.org.id not in plan.network:
            _set(
                codes,
                store.known_org_slot(outcome.org.id),
                ROUTED if outcome.action == "offer" else ARMS_LENGTH,
            )
    if plan.independent_volunteers:
        codes[0] = ROUTED
    return codes


def continuity_group_codes(directory: Directory, ctx: MatchContext, org_id: int | None) -> NDArray[np.int8]:
    """For a volunteer who helped before: their group need only be active, of a kind for this tier and not
    arm's length (continuity overrides the model's routing, never the volunteer's own constraints)."""
    store = directory.volunteers
    codes = np.full(store.org_slot_count, NOT_ROUTED, dtype=np.int8)
    if org_id is None:
        codes[0] = ROUTED if ctx.request.tier == "mutual_aid" else NOT_ROUTED
        return codes
    org = directory.organisation(org_id)
    if org is None or not org.active or org.kind not in CONTINUITY_KINDS[ctx.request.tier]:
        return codes
    _set(codes, store.known_org_slot(org_id), ARMS_LENGTH if org.mutual_aid_mode == "arms_length" else ROUTED)
    return codes


def _set(codes: NDArray[np.int8], slot: int | None, value: np.int8) -> None:
    if slot is not None:
        codes[slot] = value


def _broker(area: AreaConfig, directory: Directory) -> Organisation:
    org_id = area.infrastructure_org_id
    broker = directory.organisation(org_id) if org_id is not None else None
    if broker is None or broker.kind != "infrastructure":
        raise MatchingConfigError(
            f"area {area.code!r} uses infrastructure_broker but has no infrastructure organisation "
            f"(infrastructure_org_id={org_id})"
        )
    return broker
