from dataclasses import dataclass

import pytest

from reports.needs import DistrictDemand, NeedsRow
from reports.suppression import is_disclosive, suppress, suppressed_fields


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


def row(referrals=10, accepted=6, completed=5, unmet=0, median=4.5) -> NeedsRow:
    return NeedsRow(
        area_type="outcode",
        area="SM1",
        area_name="SM1",
        council_area="sutton",
        need="shopping",
        referrals=referrals,
        accepted=accepted,
        completed=completed,
        unmet=unmet,
        median_hours_to_accept=median,
        capacity_offered=3,
        providers=1,
        duplicated=False,
    )


@pytest.mark.parametrize(
    ("cell", "suppressed"),
    [
        (row(), ()),
        (row(completed=4), ("completed",)),
        (row(unmet=5), ()),
        (row(unmet=2), ("unmet",)),
        (
            row(referrals=4, accepted=4, completed=0, unmet=0),
            ("referrals", "accepted", "median_hours_to_accept"),
        ),
        (row(referrals=4, accepted=0, completed=0, unmet=4, median=None), ("referrals", "unmet")),
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
    assert cell.suppressed == ("referrals", "accepted", "completed", "median_hours_to_accept")
    assert (cell.capacity_offered, cell.providers, cell.need) == (3, 1, "shopping"), "provision is published"


def test_districts_are_suppressed_too():
    district = suppress(DistrictDemand("SM3", 51.37, -0.22, "sutton", referrals=3, unmet=1), 5)

    assert (district.referrals, district.unmet, district.suppressed) == (None, None, ("referrals", "unmet"))


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
