"""The statistical second opinion: its model file loads and is validated, it explains itself when it acts,
and it can only raise: over every case that may be tuned on, nothing it returns is lower than the rules'."""

import math

import pytest

from bench.triage_eval import (
    BLIND_CASES,
    DEFAULT_CASES,
    FIFTH_TUNING,
    SECOND_BLIND_CASES,
    evaluate,
    fourth_tuning,
    load_cases,
    select_part,
    third_evaluation,
)
from triage import TIERS, RulesError, load_rules, triage
from triage.second_opinion import (
    DEFAULT_MODEL,
    HEADS,
    apply_second_opinion,
    features,
    load_second_opinion,
    parse_model,
)


def _model(safeguarding=None, statutory=None, intercept=-20.0):
    def head(weights):
        return {"intercept": intercept, "threshold": 0.5, "weights": weights or {"zzz": 0.0}}

    return {
        "version": "test",
        "trained_on": {"hand made": 1},
        "heads": {"safeguarding": head(safeguarding), "statutory": head(statutory)},
    }


def _tuning_cases():
    return [
        *load_cases(DEFAULT_CASES),
        *select_part(load_cases(BLIND_CASES), "tuning"),
        *select_part(load_cases(SECOND_BLIND_CASES), "tuning"),
        *third_evaluation("tuning"),
        *fourth_tuning(),
        *fourth_tuning(FIFTH_TUNING),
    ]


def test_the_shipped_model_loads_and_says_what_it_learnt_from():
    model = load_second_opinion()
    assert set(model.heads) == set(HEADS)
    assert model.version
    assert all(0.5 <= head.threshold < 1.0 for head in model.heads.values())
    assert all(math.isfinite(w) for head in model.heads.values() for w in head.weights.values())
    assert any("eval3" in name and "tuning" in name for name in model.trained_on)
    assert not any("held" in name for name in model.trained_on)
    assert parse_model(_model()).version == "test"
    assert DEFAULT_MODEL.is_file()


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda m: m.pop("version"), "version"),
        (lambda m: m.pop("trained_on"), "trained_on"),
        (lambda m: m["heads"].pop("statutory"), "heads"),
        (lambda m: m["heads"]["safeguarding"].update(threshold=1.5), "threshold"),
        (lambda m: m["heads"]["safeguarding"].update(intercept="high"), "intercept"),
        (lambda m: m["heads"]["statutory"].update(weights={"Scared": 1.0}), "Scared"),
        (lambda m: m["heads"]["statutory"].update(weights={"scared": float("nan")}), "scared"),
        (lambda m: m["heads"]["statutory"].update(scaling="log"), "scaling"),
    ],
)
def test_a_broken_model_is_refused(change, problem):
    document = _model()
    change(document)
    with pytest.raises(RulesError, match=problem):
        parse_model(document)


def test_features_are_the_words_and_neighbouring_pairs():
    assert features("Don't  LEAVE her.") == {"dont", "leave", "her", "dont leave", "leave her"}


def test_it_raises_and_says_why_in_plain_words():
    rules = load_rules()
    model = parse_model(_model(safeguarding={"zebras": 40.0, "he": 5.0}, intercept=-20.0))
    notes = "Could someone do her shopping, she talks about zebras when he comes round"
    before = triage(notes, rules=rules)
    assert not before.safeguarding
    assert before.tier != "statutory"
    after = apply_second_opinion(before, notes, model)
    assert after.safeguarding
    assert after.tier == "statutory"
    assert after.needs == before.needs
    assert after.urgency == before.urgency
    assert after.reasons[: len(before.reasons)] == before.reasons
    added = after.reasons[len(before.reasons) :]
    assert added[0].rule == "second_opinion.test.safeguarding"
    assert added[0].evidence == "'zebras'"  # 'he' pushed too, but explains nothing
    assert "a person needs to check" in added[0].detail
    assert triage(notes, rules=rules, second_opinion=model) == after


def test_it_raises_only_the_tier_when_only_that_head_is_sure():
    model = parse_model(_model(statutory={"evicted": 40.0}))
    notes = "landlord evicted him, he needs advice"
    before = triage(notes)
    after = apply_second_opinion(before, notes, model)
    assert after.tier == "statutory"
    assert after.safeguarding == before.safeguarding
    if before.tier != "statutory":
        assert after.reasons[-1].conclusion == "tier:statutory"
        assert "'evicted'" in after.reasons[-1].evidence


def test_unsure_it_returns_the_rules_decision_itself():
    model = parse_model(_model(safeguarding={"frightened": 1.0}))
    decision = triage("she is frightened of the dark, needs shopping")
    assert apply_second_opinion(decision, "she is frightened of the dark, needs shopping", model) is decision


def test_never_lower_over_every_tuning_case_with_the_shipped_model_and_an_eager_one():
    rules = load_rules()
    eager = parse_model(_model(intercept=20.0))  # acts on everything
    shipped = load_second_opinion()
    acted = 0
    for case in _tuning_cases():
        notes = case["notes"]
        before = triage(
            notes, needs=case.get("given_needs"), flags=case.get("flags"), rules=rules, age=case.get("age")
        )
        for model in (shipped, eager):
            after = apply_second_opinion(before, notes, model)
            assert TIERS.index(after.tier) >= TIERS.index(before.tier), case["id"]
            assert after.safeguarding >= before.safeguarding, case["id"]
            assert after.needs == before.needs, case["id"]
            assert after.urgency == before.urgency, case["id"]
            assert after.reasons[: len(before.reasons)] == before.reasons, case["id"]
            if after != before:
                added = after.reasons[len(before.reasons) :]
                assert added
                assert all(r.rule.startswith("second_opinion.") and r.detail for r in added)
                acted += model is shipped
        assert apply_second_opinion(before, notes, eager).tier == "statutory"
    assert acted  # the shipped model does act on some cases


def test_the_bench_reports_with_and_without_it():
    summary, _ = evaluate(load_cases(DEFAULT_CASES)[:20], second_opinion=load_second_opinion())
    assert {"tier_accuracy", "safeguarding_recall", "raised", "version", "p99_ms_per_note"} <= set(
        summary["second_opinion"]
    )
    assert "second_opinion" not in evaluate(load_cases(DEFAULT_CASES)[:5])[0]
