"""How organisations answer offers: "usually accepts within N hours" (the median time from an offer to its
acceptance), the acceptance rate, and the counts behind them, over the last 90 days of offers made to the
organisation itself (offers to one of its volunteers measure the volunteer, not the organisation)."""

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.base import utcnow
from referrals.models import Offer
from reports.statistics import hours_between, median, rounded

RESPONSE_WINDOW = timedelta(days=90)
ANSWERED = ("accepted", "declined", "expired")


@dataclass(frozen=True)
class ResponseStats:
    offers: int
    accepted: int
    declined: int
    expired: int
    withdrawn: int
    pending: int
    accepts_within_hours: float | None
    acceptance_rate: float | None


NO_OFFERS = ResponseStats(0, 0, 0, 0, 0, 0, None, None)


def summarise(counts: Mapping[str, int], hours: Iterable[float]) -> ResponseStats:
    """Counts by status; the median hours to accept; accepted / (accepted + declined + expired), leaving
    out offers still pending and offers withdrawn before anyone answered."""
    answered = sum(counts.get(status, 0) for status in ANSWERED)
    accepted = counts.get("accepted", 0)
    return ResponseStats(
        offers=sum(counts.values()),
        accepted=accepted,
        declined=counts.get("declined", 0),
        expired=counts.get("expired", 0),
        withdrawn=counts.get("withdrawn", 0),
        pending=counts.get("pending", 0),
        accepts_within_hours=rounded(median(hours), 1),
        acceptance_rate=rounded(accepted / answered, 3) if answered else None,
    )


def _in_window(now: datetime, window: timedelta, org_ids: Collection[int] | None) -> list:
    conditions = [Offer.volunteer_id.is_(None), Offer.created_at >= now - window, Offer.created_at <= now]
    if org_ids is not None:
        conditions.append(Offer.org_id.in_(list(org_ids)))
    return conditions


def hours_to_accept(
    session: Session,
    now: datetime | None = None,
    org_ids: Collection[int] | None = None,
    window: timedelta = RESPONSE_WINDOW,
) -> dict[int, list[float]]:
    """Organisation id → hours from offer to acceptance of each offer it accepted in the window."""
    query = select(Offer.org_id, Offer.created_at, Offer.responded_at).where(
        *_in_window(now or utcnow(), window, org_ids),
        Offer.status == "accepted",
        Offer.responded_at.is_not(None),
    )
    found: defaultdict[int, list[float]] = defaultdict(list)
    for org_id, created_at, responded_at in session.execute(query):
        found[org_id].append(hours_between(created_at, responded_at))
    return found


def response_stats(
    session: Session,
    now: datetime | None = None,
    org_ids: Collection[int] | None = None,
    window: timedelta = RESPONSE_WINDOW,
) -> dict[int, ResponseStats]:
    """Organisation id → its statistics, for organisations offered anything in the window: the counts in
    one grouped query, the acceptance times in another."""
    now = now or utcnow()
    counts: defaultdict[int, dict[str, int]] = defaultdict(dict)
    grouped = (
        select(Offer.org_id, Offer.status, func.count())
        .where(*_in_window(now, window, org_ids))
        .group_by(Offer.org_id, Offer.status)
    )
    for org_id, status, count in session.execute(grouped):
        counts[org_id][status] = count
    hours = hours_to_accept(session, now, org_ids, window)
    return {org_id: summarise(found, hours.get(org_id, ())) for org_id, found in counts.items()}


def accepts_within_hours(
    session: Session, now: datetime | None = None, org_ids: Collection[int] | None = None
) -> dict[int, float]:
    """Organisation id → the median hours it takes to accept, for the matching engine (one query)."""
    return {
        org_id: rounded(median(hours), 1)
        for org_id, hours in hours_to_accept(session, now, org_ids).items()
        if hours
    }


def usually_accepts(stats: ResponseStats) -> str | None:
    """The directory's line: "usually accepts within 4 hours" (or minutes, under an hour)."""
    hours = stats.accepts_within_hours
    if hours is None:
        return None
    if hours < 1:
        minutes = max(1, round(hours * 60))
        return f"usually accepts within {minutes} minute{'s' if minutes != 1 else ''}"
    return f"usually accepts within {hours:g} hour{'s' if hours != 1 else ''}"
