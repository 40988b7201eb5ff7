"""Time windows for urgency: is an organisation open, or which volunteer availability slots fall, between now
and now + the urgency's window? Opening hours and slots are local wall-clock times (Europe/London)."""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from matching.types import WEEKDAYS

SLOTS_PER_DAY = 3


@dataclass(frozen=True)
class Window:
    """Local wall-clock window; a zero-length window means "at this moment"."""

    start: datetime
    end: datetime

    @property
    def instant(self) -> bool:
        return self.start == self.end

    def overlaps(self, begin: datetime, finish: datetime) -> bool:
        if self.instant:
            return begin <= self.start < finish
        return begin < self.end and finish > self.start

    def dates(self, days_before: int = 0) -> Iterator[date]:
        day = self.start.date() - timedelta(days=days_before)
        while day <= self.end.date():
            yield day
            day += timedelta(days=1)


def local_window(now: datetime, hours: float, timezone: str) -> Window:
    zone = _zone(timezone)
    start = now.astimezone(zone).replace(tzinfo=None)
    end = (now + timedelta(hours=hours)).astimezone(zone).replace(tzinfo=None)
    return Window(start, end)


def describe_window(hours: float) -> str:
    if hours == 0:
        return "now"
    if hours <= 48:
        return f"within {hours:g} h"
    return f"within {hours / 24:g} days"


def availability_bit(weekday: str, slot_index: int) -> int:
    return 1 << (WEEKDAYS.index(weekday) * SLOTS_PER_DAY + slot_index)


def availability_slots_in(window: Window, slots: Sequence[tuple[time, time]]) -> int:
    """Bitmask (7 days × 3 slots) of the availability slots that overlap the window."""
    mask = 0
    for day in window.dates():
        for index, (begin, finish) in enumerate(slots):
            if window.overlaps(datetime.combine(day, begin), datetime.combine(day, finish)):
                mask |= 1 << (day.weekday() * SLOTS_PER_DAY + index)
    return mask


def is_open(opening_hours: Mapping[str, Sequence[Sequence[str]]] | None, window: Window) -> bool:
    """None means open 24/7. An interval ending at or before its start runs past midnight."""
    if opening_hours is None:
        return True
    for day in window.dates(days_before=1):
        for begin, finish in opening_hours.get(WEEKDAYS[day.weekday()], ()):
            opens = datetime.combine(day, _clock(begin))
            closes = datetime.combine(day, _clock(finish))
            if closes <= opens:
                closes += timedelta(days=1)
            if window.overlaps(opens, closes):
                return True
    return False


@cache
def _clock(text: str) -> time:
    return time(0) if text == "24:00" else time.fromisoformat(text)


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)
