"""What the ward map shows, as pure functions: how each ward is shaded and which wards are labelled. A ward
is coloured by its rate of unmet need (people whose need went unmet or waited longer than its urgency allows,
out of the people with a need there); a ward with fewer people than the suppression threshold, or whose unmet
count open data withholds, is drawn hatched grey as "fewer than N" and never coloured by its count (a rate
on a handful of people is noise, and its class could give the count away)."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from reports.colour_scale import SUPPRESSED_COLOUR

NO_DEMAND_COLOUR = "#ffffff"
# Upper bounds of the rate classes (share of people with an unmet need); ColorBrewer YlOrRd
RATE_CLASSES: tuple[tuple[float, str, str], ...] = (
    (0.0, "#ffffcc", "none unmet"),
    (0.10, "#fed976", "up to 10%"),
    (0.25, "#fd8d3c", "10% to 25%"),
    (0.50, "#e31a1c", "25% to 50%"),
    (1.0, "#800026", "over 50%"),
)
MOST_LABELS = 3

ShadeKind = Literal["no_demand", "suppressed", "rate"]


@dataclass(frozen=True)
class WardDemand:
    """One ward on the map: people with a need in the period (placed by their first referral) and those of
    them with a need that went unmet or waited too long."""

    code: str
    name: str
    council_area: str | None
    people: int | None
    unmet: int | None
    suppressed: tuple[str, ...] = ()


@dataclass(frozen=True)
class WardShade:
    kind: ShadeKind
    colour: str
    label: str
    rate: float | None = None


def rate_class(rate: float) -> tuple[str, str]:
    """The colour and legend label of a rate of unmet need (0 to 1)."""
    for high, colour, label in RATE_CLASSES:
        if rate <= high:
            return colour, label
    return RATE_CLASSES[-1][1], RATE_CLASSES[-1][2]


def ward_shade(ward: WardDemand | None, threshold: int) -> WardShade:
    """How to draw a ward: white without demand, hatched grey under the threshold (or with its unmet count
    withheld), else coloured by its rate class."""
    if ward is None or ward.people == 0:
        return WardShade("no_demand", NO_DEMAND_COLOUR, "nobody referred")
    if ward.people is None or ward.unmet is None or ward.people < threshold:
        return WardShade("suppressed", SUPPRESSED_COLOUR, f"fewer than {threshold}")
    rate = ward.unmet / ward.people
    colour, label = rate_class(rate)
    return WardShade("rate", colour, label, rate)


def wards_to_label(
    wards: Sequence[WardDemand], threshold: int, most: int = MOST_LABELS, too_many: int = 60
) -> list[str]:
    """The codes of the wards to name on the map: the `most` with the highest rate of unmet need above 0
    (ties: more people unmet first, then by name); none when the panel holds more than `too_many` wards to
    read between."""
    if len(wards) > too_many:
        return []
    shaded = [(ward, ward_shade(ward, threshold)) for ward in wards]
    ranked = sorted(
        ((ward, shade) for ward, shade in shaded if shade.kind == "rate" and shade.rate and shade.rate > 0),
        key=lambda pair: (-(pair[1].rate or 0), -(pair[0].unmet or 0), pair[0].name),
    )
    return [ward.code for ward, _shade in ranked[:most]]
