"""Quiet hours: when no offer or reminder is texted (they wait in the outbox), in the council's time zone.
Pure; read from the QUIET_HOURS and COUNCIL_TIMEZONE settings."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


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
            raise ValueError(f"QUIET_HOURS {text!r}: write them as HH:MM-HH:MM, e.g. 21:00-08:00") from exc
        try:
            found = ZoneInfo(zone)
        except (ValueError, KeyError) as exc:
            raise ValueError(f"COUNCIL_TIMEZONE {zone!r} is not a time zone such as Europe/London") from exc
        return cls(first, second, found)

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
