"""Small, pure statistics the reports share."""

import statistics
from collections.abc import Iterable
from datetime import datetime

SECONDS_PER_HOUR = 3600


def median(values: Iterable[float]) -> float | None:
    """The median, or None when there are no values (a report shows "no data", not zero)."""
    ordered = sorted(values)
    return statistics.median(ordered) if ordered else None


def hours_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / SECONDS_PER_HOUR


def rounded(value: float | None, places: int = 2) -> float | None:
    return None if value is None else round(value, places)
