"""What the ward map shows: which wards are hatched as "fewer than N", the colour class of each rate of
unmet need, and which wards are named."""

import pytest

from reports.colour_scale import SUPPRESSED_COLOUR
from reports.ward_map import (
    NO_DEMAND_COLOUR,
    RATE_CLASSES,
    WardDemand,
    rate_class,
    ward_shade,
    wards_to_label,
)


def ward(code: str, people: int | None, unmet: int | None, name: str | None = None) -> WardDemand:
    return WardDemand(code, name or code, "sutton", people, unmet)


@pytest.mark.parametrize(
    ("people", "unmet", "kind"),
    [
        (0, 0, "no_demand"),
        (4, 4, "suppressed"),  # fewer people than the threshold: never coloured by its count
        (1, 0, "suppressed"),
        (None, None, "suppressed"),  # open data withheld the people
        (9, None, "suppressed"),  # open data withheld the unmet count: its rate class could give it away
        (5, 0, "rate"),
        (5, 3, "rate"),
    ],
)
def test_which_wards_are_suppressed(people, unmet, kind):
    shade = ward_shade(ward("E05000001", people, unmet), threshold=5)

    assert shade.kind == kind
    if kind == "suppressed":
        assert (shade.colour, shade.label, shade.rate) == (SUPPRESSED_COLOUR, "fewer than 5", None)


def test_a_ward_nobody_was_referred_from_is_white():
    assert ward_shade(None, 5).colour == NO_DEMAND_COLOUR


@pytest.mark.parametrize(
    ("rate", "label"),
    [
        (0.0, "none unmet"),
        (0.05, "up to 10%"),
        (0.10, "up to 10%"),
        (0.2, "10% to 25%"),
        (0.5, "25% to 50%"),
        (0.51, "over 50%"),
        (1.0, "over 50%"),
    ],
)
def test_colour_classes_of_the_rate(rate, label):
    colour, found = rate_class(rate)

    assert found == label
    assert colour == next(c for _high, c, named in RATE_CLASSES if named == label)


def test_the_shade_is_the_rate_of_people_unmet():
    shade = ward_shade(ward("E05000001", 20, 6), threshold=5)

    assert (shade.rate, shade.label) == (0.3, "25% to 50%")


def test_only_the_wards_with_the_highest_unmet_need_are_named():
    wards = [
        ward("A", 10, 1),
        ward("B", 10, 8),
        ward("C", 3, 3),  # suppressed: never named for its count
        ward("D", 20, 10),
        ward("E", 10, 0),
        ward("F", 10, 5, name="Aardvark"),  # ties with D on rate; fewer people unmet
    ]

    assert wards_to_label(wards, threshold=5, most=3) == ["B", "D", "F"]


def test_no_ward_is_named_when_there_are_too_many_to_read():
    wards = [ward(f"W{i}", 10, 5) for i in range(61)]

    assert wards_to_label(wards, threshold=5) == []


def test_official_boundaries_are_drawn_when_loaded_for_every_ward_with_people():
    from datetime import date, datetime

    from reports.geography import ward_areas
    from reports.needs import NeedsReport
    from reports.ward_shapes import panel_shapes

    drawn = ward_areas(("E09000029",))
    code = sorted(drawn)[0]
    square = {"type": "Polygon", "coordinates": [[[-0.2, 51.3], [-0.1, 51.3], [-0.1, 51.4], [-0.2, 51.3]]]}
    wards = (ward(code, 10, 2),)

    def report(boundaries: dict) -> NeedsReport:
        return NeedsReport(
            generated_at=datetime(2026, 3, 31),
            since=None,
            until=date(2026, 3, 31),
            area="sutton",
            area_name="Sutton",
            councils={"sutton": "Sutton"},
            open_data=False,
            suppression_threshold=5,
            rows=(),
            districts=(),
            district_codes={"sutton": ("E09000029",)},
            wards=wards,
            ward_boundaries=boundaries,
        )

    shapes, official = panel_shapes(report({code: square}), "sutton", wards)
    assert official
    assert set(shapes) == {code}
    shapes, official = panel_shapes(report({}), "sutton", wards)
    assert not official
    assert set(shapes) == set(drawn), "none loaded: drawn from the postcodes"
    shapes, official = panel_shapes(report({"E05999999": square}), "sutton", wards)
    assert not official, "a ward with people has no loaded boundary"
