"""Small-number suppression for open data: a count of people between 1 and the threshold minus one is not
published, so nobody can be picked out of a small cell. Zero is published (it identifies no one); figures
about organisations (capacity offered, providers) are published as they are.

Secondary suppression: where parts add up to a published total (the districts of a council, for one need),
one withheld part could be worked out as the total minus the other parts, so a second figure is withheld
too: the smallest non-zero published part, or, when every other part is zero, the total. Those figures are
listed in `withheld` as well as in `suppressed` (they are not small themselves)."""

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, TypeVar

PERSON_COUNTS = ("people", "referrals", "accepted", "completed", "unmet", "late")
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


def withhold(cell: Cell, name: str) -> Cell:
    """A copy of the cell with one more count withheld to protect a suppressed neighbour."""
    return replace(cell, **{name: None}, suppressed=(*cell.suppressed, name), withheld=(*cell.withheld, name))


def protect_total(total: Cell, parts: Sequence[Cell]) -> tuple[Cell, list[Cell]]:
    """Secondary suppression of one total and the parts that add up to it, count by count."""
    parts = list(parts)
    for name in PERSON_COUNTS:
        hidden = [part for part in parts if name in part.suppressed]
        if name in total.suppressed or len(hidden) != 1:
            continue  # an unpublished total, nothing hidden, or two or more hidden: none can be worked out
        shown = [(getattr(part, name), i) for i, part in enumerate(parts) if name not in part.suppressed]
        nonzero = [(value, i) for value, i in shown if value]
        if nonzero:
            _, i = min(nonzero)
            parts[i] = withhold(parts[i], name)
        else:
            total = withhold(total, name)
    return total, parts
