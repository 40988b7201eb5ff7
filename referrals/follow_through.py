"""Pure rules for following recurring support through (no Flask, no database): which visits or calls of a
plan are missed, when a volunteer is reminded, and when a missed visit or a call nobody answered is followed
up or escalated to the safety net.

An occurrence here is the stored form of `lifecycle.Occurrence`: a dict with `index`, `due_at` (ISO text
or a datetime) and `outcome_code` (None until recorded)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
    """A same-day follow-up is due by the end of the council's day."""
    local = now.astimezone(zone)
    return datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)


@dataclass(frozen=True)
class QuietHours:
    """Hours when no text goes out (offers and reminders wait in the outbox), in the council's time zone:
    `start` to `end`, across midnight when `start` is later than `end` (21:00-08:00). Equal: never quiet."""

    start: time
    end: time
    zone: ZoneInfo

    @classmethod
    def parse(cls, text: str, zone: str) -> "QuietHours | None":
        """'21:00-08:00' (empty: none)."""
        text = text.strip()
        if not text:
            return None
        try:
            first, second = (time.fromisoformat(part.strip()) for part in text.split("-"))
        except ValueError as exc:
            raise ValueError(f"quiet hours {text!r}: write them as HH:MM-HH:MM, e.g. 21:00-08:00") from exc
        return cls(first, second, ZoneInfo(zone))

    def is_quiet(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone).time().replace(tzinfo=None)
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def opens_at(self, moment: datetime) -> datetime:
        """When a text written at `moment` may go: at once outside quiet hours, else when they end."""
        if not self.is_quiet(moment):
            return moment
        local = moment.astimezone(self.zone)
        day = (
            local.date() if local.time().replace(tzinfo=None) < self.end else local.date() + timedelta(days=1)
        )
        # fold=0 and a round trip through UTC land on a real wall time across a clock change
        return datetime.combine(day, self.end, tzinfo=self.zone).astimezone(moment.tzinfo)
