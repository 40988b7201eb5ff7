"""Needs week by week, pure (no database): for each council area and need, the people who first asked for the
need in the period during each week (Monday to Sunday, UTC), with the referrals that came in that week and,
of those people, how many were accepted, found no provider (unmet) or waited longer than their urgency
allows (late); and the same over all needs (people counted in the week of their first referral in the
period).

Each person-need is counted in exactly one week, so a council's weeks add up to its period total (a row
with `week` None), whose people, accepted, unmet and late are the needs report's own figures for the council
and need over the same period (its referrals are those that came in, each in its own week and area).
In open data, small counts are suppressed as in the needs report, and because the weeks add up to the
period total a second figure is withheld where one hidden week could be worked out from the others
(reports/suppression.py)."""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from reports.demand import PersonNeed, ReferralFacts
from reports.suppression import protect_total, suppress

ANY_NEED = "any"  # the row over all needs: each person once, in the week of their first referral
MAX_WEEKS = 260  # five years of weeks in one answer at most
TREND_NOTES = (
    "week: the Monday (UTC) starting the week; a row with no week is the whole period.",
    "people: the people who first asked for the need in the period during that week, each counted once "
    "however many referrals they made, so the weeks add up to the period; 'any' counts each person in the "
    "week of their first referral of the period.",
    "referrals: the referrals that asked for the need and came in that week; accepted, unmet, late: of the "
    "week's people, how many had it accepted, found no provider at all, or waited longer than its urgency "
    "allows (as the needs report counts them).",
)


@dataclass(frozen=True)
class TrendRow:
    week: date | None  # the Monday starting the week; None: the period's total
    council_area: str | None
    need: str
    people: int | None
    referrals: int | None
    accepted: int | None
    unmet: int | None
    late: int | None
    suppressed: tuple[str, ...] = ()
    withheld: tuple[str, ...] = ()


def week_of(moment: datetime | date) -> date:
    day = moment.date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday())


def weeks_between(first: date, last: date) -> list[date]:
    """Every week (its Monday) from the one holding `first` to the one holding `last`."""
    start, end = week_of(first), week_of(last)
    return [start + timedelta(weeks=n) for n in range((end - start).days // 7 + 1)]


@dataclass
class _Count:
    people: int = 0
    referrals: int = 0
    accepted: int = 0
    unmet: int = 0
    late: int = 0


def weekly_trend(
    facts: Sequence[ReferralFacts],
    needs: Iterable[PersonNeed],
    councils: Iterable[str],
    first: date,
    last: date,
    threshold: int | None = None,
) -> tuple[TrendRow, ...]:
    """Rows for each council, need (and ANY_NEED) and week from `first` to `last` (every week, so a week
    with nobody reads 0), then the council's period total for that need. `needs` are the period's
    person-needs (reports.demand.person_needs over `facts`); with `threshold`, the rows as open data."""
    councils = list(councils)
    weeks = weeks_between(first, last)
    counts: defaultdict[tuple[str | None, str, date], _Count] = defaultdict(_Count)
    for need in needs:
        if need.first_asked is None:
            continue
        count = counts[(need.area, need.need, week_of(need.first_asked))]
        count.people += 1
        count.accepted += need.accepted
        count.unmet += need.unmet
        count.late += need.late
    first_referral: dict[int, ReferralFacts] = {}
    for referral in sorted(facts, key=lambda f: (f.created_at, f.referral_id)):
        first_referral.setdefault(referral.person_id, referral)
        week = week_of(referral.created_at)
        counts[(referral.area, ANY_NEED, week)].referrals += 1
        for need in referral.need_codes:
            counts[(referral.area, need, week)].referrals += 1
    _people_over_all_needs(counts, first_referral, needs)
    listed = sorted({need for (_area, need, _week) in counts} - {ANY_NEED})
    rows: list[TrendRow] = []
    for council in councils:
        for need in (ANY_NEED, *listed):
            found = [counts.get((council, need, week), _Count()) for week in weeks]
            if not any(vars(count) != vars(_Count()) for count in found):
                continue
            parts = [_row(week, council, need, count) for week, count in zip(weeks, found, strict=True)]
            total = _row(None, council, need, _sum(found))
            if threshold is not None:
                parts = [suppress(part, threshold) for part in parts]
                total, parts = protect_total(suppress(total, threshold), parts)
            rows += [*parts, total]
    return tuple(rows)


def _people_over_all_needs(
    counts: Mapping, first_referral: Mapping[int, ReferralFacts], needs: Iterable[PersonNeed]
) -> None:
    """The ANY_NEED rows' people: each person once, in the week of their first referral of the period,
    with whether any of their needs was accepted, unmet or late."""
    outcome: defaultdict[int, list[bool]] = defaultdict(lambda: [False, False, False])
    for need in needs:
        found = outcome[need.person_id]
        found[0] |= need.accepted
        found[1] |= need.unmet
        found[2] |= need.late
    for person_id, referral in first_referral.items():
        count = counts[(referral.area, ANY_NEED, week_of(referral.created_at))]
        accepted, unmet, late = outcome[person_id]
        count.people += 1
        count.accepted += accepted
        count.unmet += unmet
        count.late += late


def _row(week: date | None, council: str, need: str, count: _Count) -> TrendRow:
    return TrendRow(
        week, council, need, count.people, count.referrals, count.accepted, count.unmet, count.late
    )


def _sum(found: Sequence[_Count]) -> _Count:
    total = _Count()
    for count in found:
        for name, value in vars(count).items():
            setattr(total, name, getattr(total, name) + value)
    return total
