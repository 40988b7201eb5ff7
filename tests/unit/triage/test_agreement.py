"""bench.triage_agreement scores a second labelling the way the rules are scored."""

import pytest

from bench.triage_agreement import agreement, load_labels
from bench.triage_eval import FIFTH_TUNING, fourth_tuning


def _case(case_id, tier, safeguarding=False, acceptable=None, needs=("shopping",)):
    return {
        "id": case_id,
        "notes": "n",
        "voice": "texting",
        "tier": tier,
        "needs": list(needs),
        "safeguarding": safeguarding,
        "urgency": "routine",
        "acceptable": acceptable or {},
        "classes": [],
    }


def _label(tier, safeguarding=False, acceptable=None, needs=("shopping",)):
    expected = {"tier": tier, "needs": list(needs), "safeguarding": safeguarding, "urgency": "routine"}
    return {"expected": expected, "acceptable": acceptable or {}}


def test_agreeing_and_disagreeing_labels_are_scored_like_the_rules():
    cases = [_case("a", "vcs"), _case("b", "statutory", safeguarding=True), _case("c", "mutual_aid")]
    labels = {
        "a": _label("vcs"),
        "b": _label("mutual_aid"),  # a safeguarding case sent to mutual aid by the second reader
        "c": _label("vcs", acceptable={"tiers": ["mutual_aid"]}),  # only the symmetric score forgives it
    }
    overall = agreement(cases, labels)[0]
    assert overall["group"] == "all"
    assert overall["tier_accuracy"] == pytest.approx(1 / 3, abs=1e-4)
    assert overall["symmetric_tier"] == pytest.approx(2 / 3, abs=1e-4)
    assert overall["safeguarding_recall"] == 0.0
    assert overall["unsafe_to_mutual_aid"] == 1
    assert overall["need_recall"] == 1.0


def test_a_case_without_a_second_label_stops_the_run():
    with pytest.raises(SystemExit):
        agreement([_case("a", "vcs"), _case("b", "vcs")], {"a": _label("vcs")})


def test_the_fifth_sets_second_labelling_covers_every_case():
    labels = load_labels(FIFTH_TUNING / "second_labelling")
    assert labels.keys() == {case["id"] for case in fourth_tuning(FIFTH_TUNING)}
