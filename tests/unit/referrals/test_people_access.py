"""Who may find whom ("Find a person" and the person page), on its own: plain values in, answers out."""

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from referrals import access
from referrals.access import PeopleScope

SAFETY_NET, HUB, FOOD_BANK = 1, 4, 5
PARTNER_TOKEN = 100


@dataclass(frozen=True)
class P:
    role: str
    org_id: int | None = None
    area: str | None = None
    org_kind: str | None = None
    org_mode: str | None = None
    token_id: int | None = None


@dataclass(frozen=True)
class Person:
    area: str | None = "sutton"
    erased_at: datetime | None = None


@dataclass(frozen=True)
class R:
    id: int = 7
    status: str = "accepted"
    area: str = "sutton"
    owner_org_id: int | None = HUB
    safety_net_org_id: int = SAFETY_NET
    escalated_to_org_id: int | None = None
    consent_to_share: bool = True
    created_by_token_id: int | None = 999
    created_by_org_id: int | None = None


@dataclass(frozen=True)
class Off:
    org_id: int


HELPLINE = P("helpline_staff")
ADMIN = P("admin")
OFFICER = P("safety_net_officer", SAFETY_NET, "sutton", "safety_net")
COVENTRY_OFFICER = P("safety_net_officer", 2, "coventry", "safety_net")
UNBOUND_OFFICER = P("safety_net_officer")
HUB_COORDINATOR = P("hub_coordinator", HUB, "sutton", "hub")
FOOD_BANK_COORDINATOR = P("hub_coordinator", FOOD_BANK, "sutton", "vcs")
PARTNER = P("partner_referrer", token_id=PARTNER_TOKEN)
OWNED = (R(), None)
OFFERED_ONLY = (R(status="offered", owner_org_id=SAFETY_NET), Off(HUB))
REFERRED_BY_PARTNER = (R(created_by_token_id=PARTNER_TOKEN, owner_org_id=SAFETY_NET), None)


@pytest.mark.parametrize(
    ("principal", "referrals", "finds"),
    [
        (HELPLINE, [], True),
        (ADMIN, [], True),
        (OFFICER, [], True),  # their council's people, referrals or not
        (COVENTRY_OFFICER, [OWNED], False),
        (UNBOUND_OFFICER, [], True),
        (HUB_COORDINATOR, [OWNED], True),
        (HUB_COORDINATOR, [OFFERED_ONLY], False),  # offered, not accepted: a district, not a name
        (HUB_COORDINATOR, [], False),
        (FOOD_BANK_COORDINATOR, [OWNED], False),
        (PARTNER, [REFERRED_BY_PARTNER], True),
        (PARTNER, [OWNED], False),
        (P("system"), [OWNED], False),
    ],
)
def test_who_may_find_a_person(principal, referrals, finds):
    assert access.may_find_person(principal, Person(), referrals) is finds
    assert access.sees_person_details(principal, Person(), referrals) is finds


def test_a_coordinator_who_may_not_hold_the_details_finds_no_one():
    """Without consent, only the council's own teams hold a person's details; an arm's-length group never."""
    without_consent = (R(consent_to_share=False), None)
    assert not access.may_find_person(HUB_COORDINATOR, Person(), [without_consent])
    arms_length = P("hub_coordinator", HUB, "sutton", "mutual_aid", access.ARMS_LENGTH)
    assert not access.may_find_person(arms_length, Person(), [OWNED])


def test_an_officer_finds_their_own_councils_people_only():
    assert not access.may_find_person(OFFICER, Person(area="coventry"))
    assert access.may_find_person(COVENTRY_OFFICER, Person(area="coventry"))


def test_an_erased_person_may_be_found_but_shows_no_details():
    erased = Person(erased_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert access.may_find_person(HELPLINE, erased)
    assert not access.sees_person_details(HELPLINE, erased)


def test_a_person_page_lists_only_referrals_shown_with_the_persons_details():
    assert access.shows_on_person_page(HUB_COORDINATOR, *OWNED)
    assert not access.shows_on_person_page(HUB_COORDINATOR, *OFFERED_ONLY)
    assert not access.shows_on_person_page(PARTNER, *OWNED)
    assert access.shows_on_person_page(PARTNER, *REFERRED_BY_PARTNER)
    assert access.shows_on_person_page(OFFICER, *OFFERED_ONLY)
    assert not access.shows_on_person_page(COVENTRY_OFFICER, *OWNED)


@pytest.mark.parametrize(
    ("principal", "scope"),
    [
        (HELPLINE, PeopleScope(everyone=True)),
        (ADMIN, PeopleScope(everyone=True)),
        (UNBOUND_OFFICER, PeopleScope(everyone=True)),
        (OFFICER, PeopleScope(area="sutton")),
        (HUB_COORDINATOR, PeopleScope(owned_by_org=HUB)),
        (PARTNER, PeopleScope(referred_by_token=PARTNER_TOKEN)),
        (P("hub_coordinator"), PeopleScope()),
        (P("system"), PeopleScope()),
    ],
)
def test_the_scope_a_query_narrows_by(principal, scope):
    assert access.people_scope(principal) == scope
    assert scope.nobody is (scope == PeopleScope())


@pytest.mark.parametrize(
    ("principal", "person", "referrals"),
    [
        (HELPLINE, Person(area="coventry"), []),
        (OFFICER, Person(), []),
        (HUB_COORDINATOR, Person(), [OWNED]),
        (PARTNER, Person(), [REFERRED_BY_PARTNER]),
    ],
)
def test_the_scope_is_never_narrower_than_the_rule(principal, person, referrals):
    """Everyone the rule lets a principal find is inside their scope (the query must not hide them)."""
    assert access.may_find_person(principal, person, referrals)
    scope = access.people_scope(principal)
    inside = (
        scope.everyone
        or (scope.area is not None and person.area == scope.area)
        or any(r.owner_org_id == scope.owned_by_org for r, _ in referrals if scope.owned_by_org)
        or any(
            r.created_by_token_id == scope.referred_by_token for r, _ in referrals if scope.referred_by_token
        )
    )
    assert inside
