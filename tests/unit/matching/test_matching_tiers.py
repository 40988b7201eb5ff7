"""Matching sits beside triage and imports none of it: the tiers a match request may name are triage's."""

import triage
from matching.types import TIERS


def test_matching_takes_the_tiers_triage_decides():
    assert sorted(TIERS) == sorted(triage.TIERS)
