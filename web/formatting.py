"""Jinja filters: times in UK local time, time left on an offer, codes as words."""

from datetime import datetime
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Europe/London")
EVENT_WORDS = {
    "referral.received": "Call logged",
    "referral.matched": "Matched to the directory",
    "referral.linked": "Linked to an open referral",
    "referral.triaged": "Candidates lined up",
    "triage.decided": "Triage decided",
    "triage.overridden": "Triage overridden",
}


def when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(LOCAL)
    return f"{local.day} {local:%b %Y, %H:%M}"


def iso(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else ""


def duration(seconds: int) -> str:
    minutes = max(abs(seconds), 0) // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def time_left(seconds: int | None) -> str:
    if seconds is None:
        return ""
    if seconds < 0:
        return f"overdue by {duration(seconds)}"
    return f"{duration(seconds)} left"


def words(code: str | None) -> str:
    """'in_progress' → 'In progress'."""
    if not code:
        return ""
    text = str(code).replace("_", " ")
    return text[:1].upper() + text[1:]


def event_words(kind: str) -> str:
    if kind in EVENT_WORDS:
        return EVENT_WORDS[kind]
    _, _, name = kind.partition(".")
    return words(name or kind)


FILTERS = {"when": when, "iso": iso, "time_left": time_left, "words": words, "event_words": event_words}
