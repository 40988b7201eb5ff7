from dataclasses import dataclass, replace

import pytest

from reports.needs import DistrictDemand, NeedsRow
from reports.render import cell_text
from reports.suppression import is_disclosive, protect_total, suppress, suppressed_fields, withhold


@pytest.mark.parametrize(
    ("count", "threshold", "disclosive"),
    [
        (0, 5, False),
        (1, 5, True),
        (4, 5, True),
        (5, 5, False),
        (120, 5, False),
        (None, 5, False),
        (1, 1, False),
        (2, 3, True),
    ],
)
def test_is_disclosive(count, threshold, disclosive):
    assert is_disclosive(count, threshold) is disclosive


def row(referrals=10, accepted=6, completed=5, unmet=0, median=4.5, late=0) -> NeedsRow:
    """A row where each person made one referral (people = referrals)."""
    return NeedsRow(
        area_type="outcode",
        area="SM1",
        area_name="SM1",
        council_area="sutton",
        need="shopping",
        people=referrals,
        referrals=referrals,
        accepted=accepted,
        completed=completed,
        unmet=unmet,
        late=late,
        median_hours_to_accept=median,
        capacity_offered=3.0,
        providers=1,
        providers_needed=1,
        duplicated=False,
        gap=bool(unmet or late),
    )


@pytest.mark.parametrize(
    ("cell", "suppressed"),
    [
        (row(), ()),
        (row(completed=4), ("completed",)),
        (row(unmet=5), ()),
        (row(unmet=2), ("unmet",)),
        (row(late=3), ("late",)),
        (
            row(referrals=4, accepted=4, completed=0, unmet=0),
            ("people", "referrals", "accepted", "median_hours_to_accept"),
        ),
        (row(referrals=4, accepted=0, completed=0, unmet=4, median=None), ("people", "referrals", "unmet")),
        (row(referrals=0, accepted=0, completed=0, unmet=0, median=None), ()),
    ],
)
def test_which_fields_are_suppressed(cell, suppressed):
    assert suppressed_fields(cell, 5) == suppressed


def test_suppressed_cells_are_null_and_say_so():
    cell = suppress(row(referrals=4, accepted=2, completed=1, unmet=0), 5)

    assert (cell.referrals, cell.accepted, cell.completed, cell.unmet, cell.median_hours_to_accept) == (
        None,
        None,
        None,
        0,
        None,
    )
    assert cell.suppressed == ("people", "referrals", "accepted", "completed", "median_hours_to_accept")
    assert (cell.capacity_offered, cell.providers, cell.need) == (3, 1, "shopping"), "provision is published"


def test_districts_are_suppressed_too():
    district = suppress(DistrictDemand("SM3", 51.37, -0.22, "sutton", people=3, unmet=1), 5)

    assert (district.people, district.unmet, district.suppressed) == (None, None, ("people", "unmet"))


def test_only_known_count_fields_are_touched():
    @dataclass(frozen=True)
    class Other:
        offers: int
        referrals: int
        suppressed: tuple = ()

    assert suppress(Other(offers=2, referrals=2), 5) == Other(
        offers=2, referrals=None, suppressed=("referrals",)
    )


@pytest.mark.parametrize(("environ", "threshold"), [({}, 5), ({"REPORT_SUPPRESSION_THRESHOLD": "10"}, 10)])
def test_the_threshold_is_a_setting(environ, threshold):
    from config.settings import load_settings

    assert load_settings(environ=environ)["REPORT_SUPPRESSION_THRESHOLD"] == threshold


def unmet_only(unmet: int, area_type: str = "outcode", area: str = "SM1") -> NeedsRow:
    """A row whose only small-or-not count is `unmet` (the other counts are all large)."""
    return replace(row(referrals=40, accepted=20, completed=20, unmet=unmet), area_type=area_type, area=area)


def published(cells) -> list:
    return [cell.unmet for cell in cells]


def test_one_hidden_district_makes_the_smallest_other_district_withheld_too():
    total = unmet_only(2 + 7 + 30, "council_area", "sutton")
    parts = [suppress(unmet_only(n, area=f"SM{n}"), 5) for n in (2, 7, 30)]

    total, parts = protect_total(total, parts)

    assert published(parts) == [None, None, 30], "SM2's 2 can no longer be worked out as 39 - 7 - 30"
    assert parts[1].withheld == ("unmet",)
    assert "unmet" in parts[1].suppressed
    assert parts[0].withheld == ()
    assert total.unmet == 39


def test_when_every_other_district_is_zero_the_total_is_withheld():
    total = unmet_only(3, "council_area", "sutton")
    parts = [suppress(unmet_only(n, area=f"SM{n}"), 5) for n in (3, 0, 0)]

    total, parts = protect_total(total, parts)

    assert published(parts) == [None, 0, 0]
    assert (total.unmet, total.withheld) == (None, ("unmet",))


@pytest.mark.parametrize(
    ("total_unmet", "districts"),
    [(2 + 3 + 30, (2, 3, 30)), (4, (4,)), (30, (10, 20)), (0, (0, 0))],
    ids=["two hidden", "total hidden too", "nothing hidden", "all zero"],
)
def test_nothing_more_is_withheld_when_no_hidden_figure_can_be_worked_out(total_unmet, districts):
    total = suppress(unmet_only(total_unmet, "council_area", "sutton"), 5)
    parts = [suppress(unmet_only(n, area=f"SM{i}"), 5) for i, n in enumerate(districts)]

    after_total, after_parts = protect_total(total, parts)

    assert (after_total, after_parts) == (total, parts)


def test_a_withheld_figure_reads_withheld_in_csv_not_as_a_small_count():
    cell = withhold(row(referrals=40), "referrals")

    assert cell_text(cell, "referrals", 5) == "withheld"
    assert cell_text(suppress(row(referrals=3), 5), "referrals", 5) == "<5"
