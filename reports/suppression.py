"""Small-number suppression for open data: a count of people between 1 and the threshold minus one is not
published, so nobody can be picked out of a small cell. Zero is published (it identifies no one); figures
about organisations (capacity offered, providers) are published as they are."""

from dataclasses import replace
from typing import Any, TypeVar

PERSON_COUNTS = ("referrals", "accepted", "completed", "unmet")
MEDIAN_FIELD = "median_hours_to_accept"

Cell = TypeVar("Cell")


def is_disclosive(count: int | None, threshold: int) -> bool:
    return count is not None and 0 < count < threshold


def suppressed_fields(cell: Any, threshold: int) -> tuple[str, ...]:
    """The person counts of a cell under the threshold, and its median time to acceptance when fewer than
    the threshold were accepted (a median of one or two times is someone's own time)."""
    fields = [name for name in PERSON_COUNTS if is_disclosive(getattr(cell, name, None), threshold)]
    if getattr(cell, MEDIAN_FIELD, None) is not None and cell.accepted < threshold:
        fields.append(MEDIAN_FIELD)
    return tuple(fields)


def suppress(cell: Cell, threshold: int) -> Cell:
    """A copy of a dataclass cell with its disclosive fields set to None and listed in `suppressed`."""
    fields = suppressed_fields(cell, threshold)
    return replace(cell, **dict.fromkeys(fields), suppressed=fields)
