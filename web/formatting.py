"""Jinja filters: times in UK local time, time left on an offer, codes as words, tiers and triage reasons in
plain English, phone numbers as people in the UK write them."""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from triage import TIER_NAMES
from triage.rules import TIER_PHRASES

LOCAL = ZoneInfo("Europe/London")
EVENT_WORDS = {
    "referral.received": "Call logged",
    "referral.matched": "Matched to the directory",
    "referral.linked": "Linked to an open referral",
    "referral.call_added": "They rang again about this",
    "referral.new_request": "They rang again for something else",
    "referral.repeat_caller_check": "May be someone already known: the helpline checks",
    "referral.repeat_caller_checked": "Checked against people already known",
    "referral.tier_lowering_checked": "Lowered tier checked: it stands",
    "resident.details_updated": "Phone, address or contact details updated",
    "resident.folded": "Another record of theirs folded in",
    "referral.triaged": "Candidates lined up",
    "triage.decided": "Triage decided",
    "triage.overridden": "Triage overridden",
    "referral.passed_on": "Passed on to a volunteer or group: the holder keeps it",
    "referral.pass_on_accepted": "Taken on by the volunteer or group it was passed to",
    "referral.pass_on_declined": "Passed on, declined: back with the holder",
    "referral.pass_on_expired": "Passed on, not answered in time: back with the holder",
    "referral.doer_deactivated": "Whoever was doing it was deactivated: back with the holder",
    "directory.organisation_added": "Organisation added to the directory",
    "directory.organisation_changed": "Organisation's directory entry changed",
    "directory.organisation_deactivated": "Organisation deactivated: offered no new work",
    "directory.organisation_reactivated": "Organisation reactivated",
    "directory.volunteer_added": "Volunteer added to the directory",
    "directory.volunteer_changed": "Volunteer's directory entry changed",
    "directory.volunteer_deactivated": "Volunteer deactivated: offered no new work",
    "directory.volunteer_reactivated": "Volunteer reactivated",
    "directory.import_started": "Directory CSV import started",
    "directory.import_finished": "Directory CSV import finished",
    "directory.feed_imported": "Open Referral UK feed imported",
}


def when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(LOCAL)
    return f"{local.day} {local:%b %Y, %H:%M}"


def day(moment: date | datetime | None) -> str:
    """'27 March 1948'; a time is shown as its day in the UK."""
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        moment = moment.astimezone(LOCAL).date()
    return f"{moment.day} {moment:%B %Y}"


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


def tier_words(tier: str | None) -> str:
    """'statutory' → 'Council safety net', 'vcs' → 'Local charity or hub', 'mutual_aid' → 'Mutual aid'."""
    if not tier:
        return ""
    return TIER_NAMES.get(tier, words(tier))


# Reasons stored before triage gave them in plain words (the words are now made that way in triage/engine.py).
_OLD_NEED_TIER = re.compile(r"^(?P<need>.+) goes to (?P<tier>\w+) \(need_tiers in policy\.yaml\)$")
_OLD_REASONS = {
    "no urgency rule matched": "nothing in the call makes it urgent",
    "unclear: call back": "not clear yet what they need: ask them, or call back to find out",
}


def reason_words(text: str | None) -> str:
    """A triage reason as the call-taker reads it: no file or rule names."""
    if not text:
        return ""
    found = _OLD_NEED_TIER.match(text)
    if found and found["tier"] in TIER_PHRASES:
        text = f"{found['need']}: usually for {TIER_PHRASES[found['tier']]}"
    text = _OLD_REASONS.get(text, text)
    return text[:1].upper() + text[1:]


_UK = re.compile(r"^(?:\+44|0)(?P<rest>[1-9]\d{9})$")


def phone(number: str | None) -> str:
    """A UK number as people write it: '+447700900123' → '07700 900123', '+442079460000' → '020 7946 0000';
    anything else (another country, an extension, words) as it was given."""
    if not number:
        return ""
    text = str(number).strip()
    found = _UK.match(text.replace(" ", ""))
    if not found:
        return text
    national = "0" + found["rest"]
    if national.startswith("02"):  # London, Cardiff, Belfast...: 020 7946 0000
        return f"{national[:3]} {national[3:7]} {national[7:]}"
    if national.startswith("01") and "1" in (national[2], national[3]):  # 011x and 01x1: 0121 496 0000
        return f"{national[:4]} {national[4:7]} {national[7:]}"
    if national.startswith(("03", "08", "09")):  # 0300 123 4567, 0800 123 4567
        return f"{national[:4]} {national[4:7]} {national[7:]}"
    return f"{national[:5]} {national[5:]}"  # 07700 900123, 01632 960123


def within(span: timedelta) -> str:
    """How long, as the caller is told: '30 minutes', '4 hours', '48 hours', '7 days'."""
    minutes = int(span.total_seconds() // 60)
    if minutes % 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = minutes // 60
    if hours <= 72 or hours % 24:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{hours // 24} days"


FILTERS = {
    "when": when,
    "iso": iso,
    "day": day,
    "time_left": time_left,
    "words": words,
    "event_words": event_words,
    "tier_words": tier_words,
    "reason_words": reason_words,
    "phone": phone,
}
