"""Pure rules for following support through (no Flask, no database): which visits or calls of a plan are
missed, when a volunteer is reminded, and when a missed visit or a call nobody answered is followed up or
escalated to the safety net: a check-in of a recurring plan, a one-off check-in call finished as 'no answer'
(`one_off_not_answered`; its follow-up closed as 'no answer again' escalates, `escalates_on_close`) and the
helpline's calls of a phone task (`calls_not_answered_twice`).

An occurrence here is the stored form of `lifecycle.Occurrence`: a dict with `index`, `due_at` (ISO text
or a datetime) and `outcome_code` (None until recorded)."""

from collections.abc import Callable, Iterable, Mapping, Sequence
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
# A one-off referral for one of these needs is a check-in or welfare call (config/triage/needs.yaml).
CHECK_IN_NEEDS = frozenset({"befriending"})
# A one-off call has one follow-up of each kind: it is "time 1 of 1".
ONE_OFF_INDEX = 0
# What the person working a 'no answer' follow-up says when they close it.
REACHED = "reached"
CLOSE_OUTCOMES = {
    REACHED: "Reached them",
    NO_ANSWER: "No answer again",
}
# A follow-up is open (its holder works it), escalated (the safety net's, after a second no answer) or done.
OPEN, ESCALATED, DONE = "open", "escalated", "done"
STATUSES = (OPEN, ESCALATED, DONE)
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


def is_no_answer(code: str | None, canonical: Callable[[str], str] = str) -> bool:
    """The outcome is 'no answer' (or an alias of it, as `canonical` maps them: could_not_contact)."""
    return code is not None and canonical(code) == NO_ANSWER


def one_off_not_answered(
    needs: Iterable[str],
    has_plan: bool,
    outcome_codes: Iterable[str],
    canonical: Callable[[str], str] = str,
) -> bool:
    """A one-off check-in or welfare call (no recurring plan, a check-in need) finished as 'no answer': the
    person was not reached, so someone tries again the same day."""
    return (
        not has_plan
        and bool(CHECK_IN_NEEDS.intersection(needs))
        and any(is_no_answer(code, canonical) for code in outcome_codes)
    )


def escalates_on_close(kind: str, status: str, outcome: str) -> bool:
    """Closing an open 'no answer' follow-up as 'no answer again' is the second no answer in a row: it goes to
    the safety net. (One already escalated is the safety net's: closing it ends it.)"""
    return kind == NOT_ANSWERED and status == OPEN and outcome == NO_ANSWER


def calls_not_answered_twice(outcomes: Sequence[str]) -> bool:
    """The last two calls made for a phone task (or for the phone tasks of one referral), oldest first, were
    both unanswered: two in a row."""
    return len(outcomes) >= 2 and outcomes[-1] == NO_ANSWER and outcomes[-2] == NO_ANSWER
