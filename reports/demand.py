"""The counting rules of the needs report, pure (no database): demand is counted per person and need, not per
referral; capacity once per organisation, not once per need it offers; duplication is more providers of a
need in a place than its demand needs; a gap is demand that went unmet or waited longer than its urgency
allows. See reports/README.md ("How the figures are counted")."""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from reports.statistics import hours_between

NO_NEED = "none_recognised"
# The report's own notes: what each figure counts, carried in the JSON, the text table and the page.
NOTES = (
    "people: the people who asked for the need in the period, each counted once however many referrals "
    "they made (a record found to be the same person as another counts as that person), placed where their "
    "first referral for it placed them; referrals: the referrals that asked for it.",
    "accepted, completed, unmet, late: of those people, how many had a referral for the need accepted, "
    "completed, found no provider at all (a matching gap: unmet), or waited longer than its urgency allows "
    "(late: the first acceptance came after the offer window for the urgency in config/lifecycle.yaml, or "
    "nobody has accepted it yet and that long has passed); median hours: from each person's first referral "
    "to the first acceptance.",
    "capacity_offered: each organisation providing the need here, its capacity split evenly over the needs "
    "it offers, so that an organisation counts once in a place however many needs it offers; a place's "
    "total (places) counts each organisation's whole capacity once.",
    "duplicated: more providers of the need here than its demand needs, the providers it needs being the "
    "fewest, largest capacity first, whose capacity covers its people (at least one where anyone provides "
    "it). In open data, a withheld number of people is taken as the threshold minus one for this.",
    "gap: someone's need here went unmet or waited longer than its urgency allows.",
)
ROUTINE = "routine"
# A referral in one of these states has not been accepted by anyone and is still waiting for someone to.
WAITING = frozenset({"received", "triaged", "offered", "declined", "escalated", "transferred"})


@dataclass(frozen=True)
class ReferralFacts:
    """What the report needs to know about one referral (the first acceptance from the audit trail or the
    accepted offer, whichever is earlier). `person_id` is the resident, or the record they were found to be
    the same person as."""

    referral_id: int
    person_id: int
    area: str | None
    outcode: str
    lat: float
    lon: float
    needs: tuple[str, ...]
    unmet_needs: tuple[str, ...]
    gap: bool
    status: str
    urgency: str | None
    created_at: datetime
    accepted_at: datetime | None
    # The ONS electoral ward of the resident's postcode (postcode.admin_ward_code), when the table knows it
    ward_code: str | None = None
    ward_name: str | None = None

    @property
    def need_codes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.needs)) or (NO_NEED,)

    @property
    def unmet(self) -> frozenset[str]:
        if not self.gap:
            return frozenset()
        return frozenset(self.unmet_needs or self.need_codes)


@dataclass(frozen=True)
class PersonNeed:
    """One person's need over the period, however many referrals asked for it. It is placed where their
    first referral for it placed them; it was accepted, completed or unmet when any of those referrals was;
    its wait runs from the first referral to the first acceptance of any of them."""

    person_id: int
    need: str
    area: str | None
    outcode: str
    referrals: int
    accepted: bool
    completed: bool
    unmet: bool
    late: bool
    hours_to_accept: float | None
    ward_code: str | None = None
    first_asked: datetime | None = None  # when the first referral for it came in (the trend's week)


def allowance_for(urgencies: Iterable[str | None], allowances: Mapping[str, timedelta]) -> timedelta:
    """How long the most urgent of the referrals may wait for an acceptance (no urgency: routine)."""
    return min(allowances.get(urgency or ROUTINE, allowances[ROUTINE]) for urgency in urgencies)


def person_needs(
    facts: Iterable[ReferralFacts], allowances: Mapping[str, timedelta], now: datetime
) -> list[PersonNeed]:
    """Fold referrals into one record per person and need. A need waited too long ("late") when its first
    acceptance came later than its urgency allows after the first referral for it, or when nobody has
    accepted it yet, one of its referrals is still waiting, and that long has already passed."""
    grouped: defaultdict[tuple[int, str], list[ReferralFacts]] = defaultdict(list)
    for referral in sorted(facts, key=lambda f: (f.created_at, f.referral_id)):
        for need in referral.need_codes:
            grouped[(referral.person_id, need)].append(referral)
    found = []
    for (person_id, need), referrals in grouped.items():
        first = referrals[0]
        accepted = [r.accepted_at for r in referrals if r.accepted_at is not None]
        accepted_at = min(accepted) if accepted else None
        allowed = allowance_for((r.urgency for r in referrals), allowances)
        if accepted_at is not None:
            late = accepted_at - first.created_at > allowed
        else:
            late = any(r.status in WAITING for r in referrals) and now - first.created_at > allowed
        found.append(
            PersonNeed(
                person_id=person_id,
                need=need,
                area=first.area,
                outcode=first.outcode,
                referrals=len(referrals),
                accepted=accepted_at is not None,
                completed=any(r.status == "completed" for r in referrals),
                unmet=any(need in r.unmet for r in referrals),
                late=late,
                hours_to_accept=None if accepted_at is None else hours_between(first.created_at, accepted_at),
                ward_code=first.ward_code,
                first_asked=first.created_at,
            )
        )
    return found


def person_places(facts: Iterable[ReferralFacts]) -> dict[int, tuple[str | None, str]]:
    """Each person's council area and postcode district, from their first referral in the period (so each
    person is in exactly one district for the totals)."""
    places: dict[int, tuple[str | None, str]] = {}
    for referral in sorted(facts, key=lambda f: (f.created_at, f.referral_id)):
        places.setdefault(referral.person_id, (referral.area, referral.outcode))
    return places


def capacity_share(capacity: int, services: Sequence[str]) -> float:
    """An organisation's capacity split evenly over the needs it offers, so that its capacity counts once
    in a place, however many needs it offers there."""
    offered = len(set(services))
    return capacity / offered if offered else 0.0


def providers_needed(people: int, shares: Sequence[float]) -> int:
    """The fewest providers, largest first, whose capacity for the need covers its people; one wherever
    anyone provides it (a place keeps one provider even with no demand in the period); all of them when
    even all together fall short."""
    if not shares:
        return 0
    total, needed = 0.0, 0
    for share in sorted(shares, reverse=True):
        if total >= people:
            break
        total += share
        needed += 1
    return max(needed, 1)


def duplicated(people: int, shares: Sequence[float]) -> bool:
    """More providers of a need in a place than its demand needs."""
    return len(shares) > providers_needed(people, shares)


def person_wards(facts: Iterable[ReferralFacts]) -> dict[int, str | None]:
    """Each person's ONS ward code (None: not known), from their first referral in the period, as
    `person_places` places them."""
    wards: dict[int, str | None] = {}
    for referral in sorted(facts, key=lambda f: (f.created_at, f.referral_id)):
        wards.setdefault(referral.person_id, referral.ward_code)
    return wards
