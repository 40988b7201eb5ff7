"""Pure rules for following recurring support through (no Flask, no database): which visits or calls of a
plan are missed, when a volunteer is reminded, and when a missed visit or a call nobody answered is followed
up or escalated to the safety net.

An occurrence here is the stored form of `lifecycle.Occurrence`: a dict with `index`, `due_at` (ISO text
or a datetime) and `outcome_code` (None until recorded)."""

from collections.abc import Mapping, Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

NO_ANSWER = "no_answer"
MISSED = "missed_visit"
NOT_ANSWERED = "no_answer"
KINDS = (MISSED, NOT_ANSWERED)
KIND_WORDS = {
    MISSED: "Visit or call of a recurring plan missed: find out what happened",
    NOT_ANSWERED: "No answer on a check-in call or visit: try again today",
}
# A reminder goes this long before an occurrence is due ("the day before").
REMIND_BEFORE = timedelta(days=1)


def due_at(occurrence: Mapping) -> datetime:
    value = occurrence["due_at"]
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def is_missed(occurrence: Mapping, grace: timedelta, now: datetime) -> bool:
    """No outcome recorded by the end of its window (due time + the plan's grace)."""
    return occurrence.get("outcome_code") is None and due_at(occurrence) + grace < now


def missed(occurrences: Sequence[Mapping], grace: timedelta, now: datetime) -> list[Mapping]:
    """The occurrences missed by now, in plan order."""
    return [o for o in occurrences if is_missed(o, grace, now)]


def missed_twice(occurrences: Sequence[Mapping], index: int, grace: timedelta, now: datetime) -> bool:
    """Occurrence `index` is missed and so was the one before it: two in a row."""
    return (
        index >= 1
        and is_missed(occurrences[index], grace, now)
        and is_missed(occurrences[index - 1], grace, now)
    )


def not_answered_twice(occurrences: Sequence[Mapping], index: int) -> bool:
    """Occurrence `index` was recorded as 'no answer', and so was the one before it."""
    return (
        index >= 1
        and occurrences[index].get("outcome_code") == NO_ANSWER
        and occurrences[index - 1].get("outcome_code") == NO_ANSWER
    )


def reminder_due(occurrence: Mapping, now: datetime, before: timedelta = REMIND_BEFORE) -> bool:
    """The day before it is due, and nothing recorded for it yet: time to remind the volunteer."""
    when = due_at(occurrence)
    return occurrence.get("outcome_code") is None and when - before <= now < when


def end_of_day(now: datetime, zone: ZoneInfo) -> datetime:
    """A same-day follow-up is due by the end of the council's day (23:59 there, which reads as that day)."""
    local = now.astimezone(zone)
    return datetime.combine(local.date(), time(23, 59), tzinfo=zone)
