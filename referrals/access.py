"""Who may see and do what with a referral: the one rule every door asks (the API, the web pages, SMS replies,
transfers, exports and reports). Pure: it looks at the principal, the referral's stored facts and its pending
offer, and imports neither Flask nor the database.

What it answers, for a principal and a referral:
- `may_see`: whether the referral exists for them at all (otherwise every door answers "not found");
- `sees_personal_details`: name, phone, address, date of birth, the call notes and the words triage quoted
  from them; an organisation sees these only once it owns the referral, never as an arm's-length group, and
  without the person's consent only the council's own teams do;
- `refusal(…, action)`: None when the action is allowed now, else why not (not visible, the role may not,
  not in this state, not theirs); `allowed_actions` is the list of those with no refusal;
- `transfer_refusal`: whether an organisation may receive the referral by transfer;
- `pass_on_refusal`: whether the holder may pass the work on to one of its volunteers or to a group;
- `may_attach`: whether a call may be attached to a known person;
- `may_review`: who reviews a request from outside before anything is offered; `may_refer_as_group`: who
  refers someone for a mutual-aid group from a signed-in page; `referring_group_outcome`: what a mutual-aid
  group that referred someone is told of it;
- `sees_duplicate_candidates`: whether the intake answer may list other residents who may be this caller;
- `sees_match_results`: whether the candidates matching found (and why others were left out) are shown;
- `may_find_person`, `people_scope`, `shows_on_person_page`, `sees_person_details`: who may find whom in
  "Find a person" and what their person page shows.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from referrals.lifecycle import (
    HOLDING_STATES,
    LEGAL_ACTIONS,
    NOT_STARTED,
    PENDING_HANDOVER_STATES,
    TERMINAL_STATES,
    State,
)

ACTIONS = (
    "accept",
    "decline",
    "start",
    "complete",
    "record_occurrence",
    "transfer",
    "pass_on",
    "escalate",
    "cancel",
    "close",
)
WHO_MAY = {
    "accept": frozenset({"hub_coordinator", "safety_net_officer"}),
    "decline": frozenset({"hub_coordinator", "safety_net_officer"}),
    "start": frozenset({"hub_coordinator", "safety_net_officer"}),
    "complete": frozenset({"hub_coordinator", "safety_net_officer"}),
    "record_occurrence": frozenset({"hub_coordinator", "safety_net_officer"}),
    "transfer": frozenset({"hub_coordinator", "safety_net_officer"}),
    # The holding organisation's coordinator; the council's own teams hand work on by transfer instead.
    "pass_on": frozenset({"hub_coordinator"}),
    "escalate": frozenset({"hub_coordinator", "safety_net_officer", "helpline_staff"}),
    "cancel": frozenset({"hub_coordinator", "safety_net_officer", "helpline_staff"}),
    "close": frozenset({"safety_net_officer"}),
}
# Only the organisation that owns the referral does the work or hands it on.
OWNER_ONLY = frozenset({"start", "complete", "record_occurrence", "transfer", "pass_on"})
# ...and a group the owner passed the work on to, once it accepted, does the work too (its lead texts DONE).
DOER_ACTIONS = frozenset({"start", "complete", "record_occurrence"})
# The organisations that pass work on to their volunteers or to mutual-aid groups: a broker, a hub, a VCS.
PASSING_KINDS = frozenset({"infrastructure", "hub", "vcs"})
GROUP_KIND = "mutual_aid"
# The work itself: also by the sender while a transfer of work it had started is pending, and by whoever is
# doing it while the holder passes it on to someone else.
WORK_ACTIONS = frozenset({"complete", "record_occurrence"})
# A coordinator may cancel or escalate only what their organisation owns; the helpline and the area's
# safety-net officers may do it to any referral they can see (the council stays accountable).
OVERSIGHT = frozenset({"escalate", "cancel"})
SEES_EVERY_AREA = frozenset({"helpline_staff", "admin"})
CANDIDATE_READERS = frozenset({"helpline_staff", "safety_net_officer", "admin"})
PERSONAL_READ_AUDITED = frozenset(
    {"helpline_staff", "hub_coordinator", "safety_net_officer", "partner_referrer", "admin"}
)
COUNCIL_TEAM = "safety_net"
ARMS_LENGTH = "arms_length"


class Why(StrEnum):
    """Why an action is refused; each door maps these to its own answer (404, 403, 409; no button)."""

    NOT_VISIBLE = "not_visible"
    ROLE = "role"
    STATE = "state"
    NOT_YOURS = "not_yours"


@dataclass(frozen=True)
class Refusal:
    why: Why
    message: str


class Principal(Protocol):
    role: str
    org_id: int | None
    area: str | None  # the council area of the principal's organisation
    org_kind: str | None  # its kind (safety_net, hub, vcs, mutual_aid...) and mutual-aid mode
    org_mode: str | None
    token_id: int | None


@dataclass(frozen=True)
class OrgFacts:
    """What the rule needs to know of an organisation: a target of a transfer, or the principal's own."""

    id: int
    kind: str
    area: str
    mutual_aid_mode: str | None = None
    active: bool = True
    name: str = ""


def offered_org(offer: Any) -> int | None:
    return None if offer is None else offer.org_id


def may_see(principal: Principal, referral: Any, offer: Any = None) -> bool:
    """Whether the referral exists for this principal. Safety-net officers see their council's referrals
    (an officer bound to no organisation serves every area); coordinators what their organisation owns or
    has a pending offer of; partner referrers what they referred."""
    role = principal.role
    if role in SEES_EVERY_AREA:
        return True
    if role == "safety_net_officer":
        return _in_officers_council(principal, referral)
    if role == "partner_referrer":
        own_token = principal.token_id is not None and referral.created_by_token_id == principal.token_id
        return own_token or (principal.org_id is not None and referral.created_by_org_id == principal.org_id)
    if role == "hub_coordinator":
        return principal.org_id is not None and principal.org_id in (
            referral.owner_org_id,
            offered_org(offer),
            assigned_org(referral),
        )
    return False


def assigned_org(referral: Any) -> int | None:
    """The group doing the work for the organisation that holds the referral (a pass-on it accepted)."""
    return getattr(referral, "assigned_org_id", None)


def area_scope(principal: Principal) -> str | None:
    """The council area a principal's dashboards and reports are limited to, as `may_see` limits referrals:
    a safety-net officer's council; None (every area) for admins, the helpline and an unbound officer."""
    return principal.area if principal.role == "safety_net_officer" else None


# Who rings a lead back when a text could not reach them or their reply could not be acted on.
PHONE_TASK_ROLES = frozenset({"helpline_staff", "safety_net_officer"})


def may_work_phone_task(principal: Principal, referral: Any, status: str = "open") -> bool:
    """Whether the principal sees and works a phone task: the helpline and safety-net officers, for a task
    about a referral they may see (an officer: their council's) or about no referral; one escalated after
    two unanswered calls is the safety-net officers' alone."""
    if principal.role not in PHONE_TASK_ROLES:
        return False
    if status == "escalated" and principal.role != "safety_net_officer":
        return False
    return referral is None or may_see(principal, referral)


# Who reads emails to the helpline and makes calls of them (or dismisses them).
EMAIL_DRAFT_ROLES = frozenset({"helpline_staff"})


def may_work_email_drafts(principal: Principal) -> bool:
    return principal.role in EMAIL_DRAFT_ROLES


def may_manage_webhook(principal: Principal, webhook: Any) -> bool:
    """A partner organisation's webhooks (`webhook` None: whether it may make one): made with its token, or
    by another token of the same organisation."""
    if principal.role != "partner_referrer":
        return False
    if webhook is None:
        return True
    same_org = principal.org_id is not None and webhook.org_id == principal.org_id
    return same_org or (principal.token_id is not None and webhook.token_id == principal.token_id)


# Who works a follow-up of recurring support (a missed visit, a check-in nobody answered): the safety net and
# the coordinator of the organisation holding the referral or doing it.
FOLLOW_UP_ROLES = frozenset({"safety_net_officer", "hub_coordinator"})


def may_work_follow_up(principal: Principal, referral: Any, status: str = "open") -> bool:
    """Whether the principal sees and closes a follow-up about this referral: a safety-net officer for their
    council's; a coordinator whose organisation holds it or does the work (not one only offered it), while
    it is theirs (an escalated follow-up is the safety net's alone)."""
    if principal.role == "safety_net_officer":
        return _in_officers_council(principal, referral)
    if principal.role == "hub_coordinator" and status != "escalated":
        return principal.org_id is not None and principal.org_id in (
            referral.owner_org_id,
            assigned_org(referral),
        )
    return False


def _in_officers_council(principal: Principal, thing: Any) -> bool:
    """A safety-net officer's reach: their council's referrals and residents (bound to none: every area)."""
    return principal.area is None or thing.area == principal.area


def may_hold_personal_data(consent_to_share: bool, kind: str | None, mode: str | None) -> bool:
    """Whether an organisation of this kind and mutual-aid mode may hold the person's details: never an
    arm's-length group (signpost only); without consent, only the council's own teams."""
    if mode == ARMS_LENGTH:
        return False
    return bool(consent_to_share) or kind == COUNCIL_TEAM


def sees_personal_details(principal: Principal, referral: Any, offer: Any = None) -> bool:
    """Name, contact details, call notes and quoted words."""
    if not may_see(principal, referral, offer):
        return False
    if principal.role == "hub_coordinator":
        if principal.org_id not in (referral.owner_org_id, assigned_org(referral)):
            return False
        return may_hold_personal_data(referral.consent_to_share, principal.org_kind, principal.org_mode)
    return principal.role in CANDIDATE_READERS or principal.role == "partner_referrer"


def audits_personal_read(principal: Principal) -> bool:
    """Every read of a person's details by a person is audited, whichever door it came through."""
    return principal.role in PERSONAL_READ_AUDITED


def sees_duplicate_candidates(principal: Principal) -> bool:
    """Partner referrers never see other residents' ids, names or scores: the helpline checks. Each candidate
    shown to the others is one they `may_attach` a call to (an officer: their council's residents)."""
    return principal.role in CANDIDATE_READERS


# Requests from outside (a resident's own, a group lead's) wait for one of these to review them before
# anything is offered (`referrals/requests.py`); a safety-net officer reviews their council's.
REVIEW_ROLES = frozenset({"helpline_staff", "safety_net_officer"})


def may_review(principal: Principal, referral: Any) -> bool:
    """Whether the principal may review (confirm, correct, or not take forward) a request from outside."""
    return principal.role in REVIEW_ROLES and may_see(principal, referral)


# What a mutual-aid group that referred someone is told of it: how far it has gone, in words; never who
# holds it, who is helping, nor anything more about the person than the group gave.
GROUP_OUTCOMES = {
    "waiting": "The council's helpline has your referral and is checking it.",
    "with_council": "The council's team is dealing with this person's request.",
    "being_arranged": "The council has checked your referral and is arranging help.",
    "helped": "Help was arranged and the request is finished.",
    "closed": "The request is closed. The council's helpline may contact the person or you if needed.",
}


def may_refer_as_group(principal: Principal) -> bool:
    """A mutual-aid group with accounts refers someone from a signed-in page: its coordinator (a lead)."""
    return (
        principal.role == "hub_coordinator"
        and principal.org_id is not None
        and principal.org_kind == GROUP_KIND
    )


def referring_group_outcome(group_id: int | None, referral: Any, reviewed: bool) -> str | None:
    """What the group `group_id` may see of a referral: its outcome in words when the group made the referral
    (a mutual-aid referral created for that group), otherwise None (nothing at all)."""
    if group_id is None or referral is None:
        return None
    if referral.channel != "mutual_aid_referral" or referral.created_by_org_id != group_id:
        return None
    state = State(referral.status)
    if state is State.COMPLETED:
        return GROUP_OUTCOMES["helped"]
    if state in TERMINAL_STATES:
        return GROUP_OUTCOMES["closed"]
    if not reviewed:
        return GROUP_OUTCOMES["with_council" if state is State.ESCALATED else "waiting"]
    return GROUP_OUTCOMES["being_arranged"]


def sees_every_resident(principal: Principal) -> bool:
    """Who may see which residents a call was matched against (in the trail) whatever their council."""
    return principal.role in SEES_EVERY_AREA


def sees_match_results(principal: Principal) -> bool:
    """The candidates matching found and why others were left out (volunteer ids, scores, distances, who has
    helped the person before): the helpline, officers and admins; never an organisation or a partner."""
    return principal.role in CANDIDATE_READERS


def may_attach(principal: Principal, resident: Any, referred_before: bool = False) -> bool:
    """A call may be attached to a known person by helpline staff and admins, by a safety-net officer of the
    person's council, and by a partner referrer who referred them before."""
    if principal.role in SEES_EVERY_AREA:
        return True
    if principal.role == "safety_net_officer":
        return _in_officers_council(principal, resident)
    if principal.role == "partner_referrer":
        return referred_before
    return False


ERASERS = frozenset({"admin", "system"})


def may_erase(principal: Principal, resident: Any) -> bool:
    """Who may erase whom: admins (and retention, as the system) anyone; a safety-net officer the people of
    their own council area (an officer bound to no organisation, anyone's)."""
    if principal.role == "safety_net_officer":
        return _in_officers_council(principal, resident)
    return principal.role in ERASERS


def acting_org(principal: Principal, referral: Any) -> int | None:
    """The organisation a person acts for: a coordinator's own; a safety-net officer's team (their own
    organisation, or the referral's safety-net team for an officer bound to none)."""
    if principal.role == "safety_net_officer":
        return principal.org_id or referral.safety_net_org_id
    return principal.org_id


def pending_occurrences(referral: Any) -> list[dict]:
    return [o for o in referral.occurrences or [] if o.get("outcome_code") is None]


def refusal(principal: Principal, referral: Any, offer: Any, action: str) -> Refusal | None:
    """None if `principal` may take `action` on `referral` now; otherwise why not."""
    if principal.role not in WHO_MAY.get(action, ()):  # said of any id, so it reveals nothing
        return Refusal(Why.ROLE, f"the {principal.role} role may not {_words(action)} a referral")
    if action == "pass_on" and principal.org_kind not in PASSING_KINDS:  # also of any id
        return Refusal(
            Why.ROLE, "only a broker, hub or VCS organisation passes work on to volunteers or groups"
        )
    if not may_see(principal, referral, offer):
        return Refusal(Why.NOT_VISIBLE, f"no referral with id {referral.id}")
    state = State(referral.status)
    if action not in LEGAL_ACTIONS[state]:
        return Refusal(Why.STATE, f"cannot {_words(action)} a referral that is {state}")
    org = acting_org(principal, referral)
    offer_org = offered_org(offer)
    if action == "accept":
        takers = (
            {offer_org} if offer is not None else {referral.escalated_to_org_id, referral.safety_net_org_id}
        )
        if org is None or org not in takers:
            return Refusal(Why.NOT_YOURS, "the referral is not offered to your organisation")
    if action == "decline" and (offer is None or org != offer_org):
        return Refusal(Why.NOT_YOURS, "the referral is not offered to your organisation")
    doer = action in DOER_ACTIONS and org is not None and org == assigned_org(referral)
    if action in OWNER_ONLY and org != referral.owner_org_id and not doer:
        return Refusal(Why.NOT_YOURS, f"only the owning organisation may {_words(action)} this referral")
    if action in OVERSIGHT and principal.role == "hub_coordinator" and org != referral.owner_org_id:
        return Refusal(Why.NOT_YOURS, f"only the owning organisation may {_words(action)} this referral")
    if (
        action == "escalate"
        and state in HOLDING_STATES
        and referral.owner_org_id == referral.safety_net_org_id
    ):
        return Refusal(Why.STATE, "the safety-net team already holds this referral")
    if (
        action == "escalate"
        and principal.role == "safety_net_officer"
        and org == (offer_org if offer is not None else referral.owner_org_id)
    ):
        # It is with their own team already (owned, or offered to it): escalating would send it to themselves.
        # With an offer open to another organisation, escalating takes it back, which an officer may do.
        return Refusal(Why.STATE, "your safety-net team already holds this referral")
    if (
        action in WORK_ACTIONS
        and state in PENDING_HANDOVER_STATES
        and getattr(offer, "return_state", None) != "in_progress"
    ):
        return Refusal(Why.STATE, NOT_STARTED[state])
    pending = pending_occurrences(referral)
    if action == "complete" and pending:
        return Refusal(
            Why.STATE, f"{len(pending)} occurrence(s) of the recurring plan have no outcome; close it early"
        )
    if action == "record_occurrence" and not pending:
        return Refusal(Why.STATE, "there is no occurrence left to record")
    return None


TRIAGE_ROLES = frozenset({"helpline_staff", "safety_net_officer", "hub_coordinator", "admin"})


def retriage_refusal(principal: Principal, referral: Any, offer: Any = None) -> Refusal | None:
    """Who may triage a referral again (with more notes, or an override; which tier changes each may make
    is `referrals.tier_changes`): the helpline, officers of its council, admins, and a coordinator only for
    what their organisation owns (an organisation only offered it declines instead)."""
    if principal.role not in TRIAGE_ROLES:
        return Refusal(Why.ROLE, f"the {principal.role} role may not triage a referral")
    if not may_see(principal, referral, offer):
        return Refusal(Why.NOT_VISIBLE, f"no referral with id {referral.id}")
    if principal.role == "hub_coordinator" and referral.owner_org_id != principal.org_id:
        return Refusal(
            Why.NOT_YOURS, "only the owning organisation may triage this referral again; decline it"
        )
    return None


TIER_CHECK_ROLES = frozenset({"safety_net_officer", "admin"})


def tier_check_refusal(
    principal: Principal, referral: Any, offer: Any, lowered_by: str | None
) -> Refusal | None:
    """Who may let a lowered tier stand (it leaves the safety net's late list): a safety-net officer of the
    referral's council or an admin, never the person who lowered it (`lowered_by`, their actor label), and
    only while a lowering waits for a check (`lowered_by` None: nothing does)."""
    if principal.role not in TIER_CHECK_ROLES:
        return Refusal(Why.ROLE, f"the {principal.role} role may not check a lowered tier")
    if not may_see(principal, referral, offer):
        return Refusal(Why.NOT_VISIBLE, f"no referral with id {referral.id}")
    if lowered_by is None:
        return Refusal(Why.STATE, "no lowered tier of this referral waits for a check")
    if lowered_by == getattr(principal, "label", None):
        return Refusal(Why.NOT_YOURS, "someone other than the person who lowered the tier checks it")
    return None


CONSENT_ROLES = frozenset({"helpline_staff", "safety_net_officer"})


def consent_refusal(principal: Principal, referral: Any, offer: Any = None) -> Refusal | None:
    """Consent is recorded or withdrawn when the person rings back: by the helpline or a safety-net officer of
    their council, while the referral is open."""
    if principal.role not in CONSENT_ROLES:
        return Refusal(Why.ROLE, f"the {principal.role} role may not record consent")
    if not may_see(principal, referral, offer):
        return Refusal(Why.NOT_VISIBLE, f"no referral with id {referral.id}")
    if State(referral.status) in TERMINAL_STATES:
        return Refusal(Why.STATE, f"the referral is {referral.status}: consent is recorded on an open one")
    return None


def allowed_actions(principal: Principal, referral: Any, offer: Any = None) -> list[str]:
    return [name for name in ACTIONS if refusal(principal, referral, offer, name) is None]


def transfer_refusal(referral: Any, target: OrgFacts | None) -> str | None:
    """None if the referral may be offered to `target` by transfer; otherwise why not. Same council area;
    never an arm's-length group (signpost only: no data, no transfer); without the person's consent only
    to the council's own teams; never to the organisation that already owns it."""
    if target is None or not target.active:
        return "no active organisation with that id"
    if target.id == referral.owner_org_id:
        return "the referral is already with that organisation"
    if target.area != referral.area:
        return "a referral can only be transferred within its own council area"
    if target.mutual_aid_mode == ARMS_LENGTH:
        return "an arm's-length group is signposted to, never sent a referral or personal data"
    if not may_hold_personal_data(referral.consent_to_share, target.kind, target.mutual_aid_mode):
        return "without the person's consent a referral can only go to the council's own teams"
    return None


def transfer_targets(referral: Any, organisations: Iterable[OrgFacts]) -> list[OrgFacts]:
    return [org for org in organisations if transfer_refusal(referral, org) is None]


@dataclass(frozen=True)
class PassOnTarget:
    """Who the holder may pass the work on to, as the rule needs to know them: one of its own volunteers
    (`org` is the volunteer's organisation) or a mutual-aid group (`volunteer_id` None)."""

    org: OrgFacts
    volunteer_id: int | None = None
    name: str = ""
    reachable: bool = True  # a phone to text that has not opted out of texts
    covers: bool = True  # a group: its coverage includes where the person lives
    unavailable: str | None = None  # a volunteer: why matching would not offer them this task now
    detail: str = ""  # how they fit (distance, skills), shown to the coordinator choosing

    @property
    def key(self) -> str:
        """The one value a form or an API body names the target by."""
        return f"volunteer:{self.volunteer_id}" if self.volunteer_id is not None else f"group:{self.org.id}"


def pass_on_refusal(referral: Any, target: PassOnTarget | None) -> str | None:
    """None if the holder may pass the work on to `target`; otherwise why not. A volunteer: the holder's own,
    active, reachable by text, and fit for the task as matching judges it (skills, DBS, caps...). A group the
    holder works with: an active mutual-aid group of the referral's council area whose coverage includes the
    person, never an arm's-length one (no personal data), and only with the person's consent."""
    if target is None or not target.org.active:
        return "no active volunteer or group with that id"
    if target.volunteer_id is not None:
        if target.org.id != referral.owner_org_id:
            return "only a volunteer of the organisation holding the referral"
        if target.volunteer_id == getattr(referral, "volunteer_id", None):
            return "they are already doing it"
        if not target.reachable:
            return "the volunteer has no phone to text or has opted out of texts"
        return target.unavailable
    if target.org.id == assigned_org(referral):
        return "they are already doing it"
    if target.org.kind != GROUP_KIND:
        return "work is passed on to a mutual-aid group; another organisation is offered a transfer"
    if target.org.area != referral.area:
        return "only a group of the referral's own council area"
    if target.org.mutual_aid_mode == ARMS_LENGTH:
        return "an arm's-length group is signposted to, never passed personal work"
    if not may_hold_personal_data(referral.consent_to_share, target.org.kind, target.org.mutual_aid_mode):
        return "without the person's consent the work stays with the council's own teams"
    if not target.covers:
        return "the group does not cover where the person lives"
    if not target.reachable:
        return "the group's lead has no phone to text or has opted out of texts"
    return None


def pass_on_targets(referral: Any, targets: Iterable[PassOnTarget]) -> list[PassOnTarget]:
    return [target for target in targets if pass_on_refusal(referral, target) is None]


def _words(action: str) -> str:
    return action.replace("_", " ")


# Finding a person ("Find a person" and the person page)


@dataclass(frozen=True)
class PeopleScope:
    """Which people a principal may find, as a database query narrows them before `may_find_person` decides
    each one: everyone, a council area, the people a partner referred, or the people of the referrals an
    organisation owns. It only narrows (never wider than the rule): the rule decides every person shown."""

    everyone: bool = False
    area: str | None = None
    referred_by_token: int | None = None
    referred_by_org: int | None = None
    owned_by_org: int | None = None

    @property
    def nobody(self) -> bool:
        return not self.everyone and not any(
            (self.area, self.referred_by_token, self.referred_by_org, self.owned_by_org)
        )


def people_scope(principal: Principal) -> PeopleScope:
    """The people `may_find_person` can answer yes for, as a query's filter (see `PeopleScope`)."""
    role = principal.role
    if role in SEES_EVERY_AREA or (role == "safety_net_officer" and principal.area is None):
        return PeopleScope(everyone=True)
    if role == "safety_net_officer":
        return PeopleScope(area=principal.area)
    if role == "partner_referrer":
        return PeopleScope(referred_by_token=principal.token_id, referred_by_org=principal.org_id)
    if role == "hub_coordinator" and principal.org_id is not None:
        return PeopleScope(owned_by_org=principal.org_id)
    return PeopleScope()


def shows_on_person_page(principal: Principal, referral: Any, offer: Any = None) -> bool:
    """A referral listed on a person's page (and counted in a search result) names the person it is about,
    so it is listed only to those who see that referral's personal details: an organisation only offered a
    referral, which sees a district and not a name, does not learn whose it is from a person's page."""
    return sees_personal_details(principal, referral, offer)


def may_find_person(principal: Principal, resident: Any, referrals: Iterable[tuple[Any, Any]] = ()) -> bool:
    """Whether a person exists for this principal in "Find a person" and on a person page (otherwise: not
    found). `referrals`: the person's referrals, each with its pending offer (or None), needed only for
    partners and organisations. Helpline staff and admins find anyone; a safety-net officer the people of
    their council (bound to none: anyone), as they may attach a call to them; a partner referrer the people
    they referred; a hub coordinator only the people of a referral whose details their organisation sees
    (it owns it and may hold them), never someone whose referral it was only offered."""
    role = principal.role
    if role in SEES_EVERY_AREA or role == "safety_net_officer":
        return may_attach(principal, resident)
    if role == "partner_referrer":
        return any(may_see(principal, referral, offer) for referral, offer in referrals)
    if role == "hub_coordinator":
        return any(shows_on_person_page(principal, referral, offer) for referral, offer in referrals)
    return False


def sees_person_details(
    principal: Principal, resident: Any, referrals: Iterable[tuple[Any, Any]] = ()
) -> bool:
    """Name, phone, address, date of birth, circumstances and how to contact them safely, in a search result
    and on the person page: whoever may find the person, as on the referrals that led them there; never once
    the person is erased."""
    return resident.erased_at is None and may_find_person(principal, resident, referrals)


# The public Open Referral UK feed (`/oruk/...`, no token): anyone may read it. It shows an organisation
# while it is active, with what the public may know of it (name, description, needs served, opening hours,
# ages, its base's place and address, its public contact); never who receives its offers nor how many it
# can hold. Volunteers and residents never appear in it.
PUBLIC_DIRECTORY_WITHHELD = frozenset({"contact_name", "contact_phone", "contact_email", "capacity"})


def published_in_directory(organisation: Any) -> bool:
    return bool(organisation.active)
