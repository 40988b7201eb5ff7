"""The labelled evaluation set: safeguarding recall must be total, tiers at least 95 % right."""

import re

from bench.triage_eval import DEFAULT_CASES, evaluate, load_cases

NEGATED_RISK = re.compile(
    r"\b(no thoughts|denies|not suicidal|no safeguarding|no concerns|no signs|no evidence|no history|no risk"
    r"|not being|isn.t|nothing to suggest|feels safe|not at risk|no abuse)",
    re.IGNORECASE,
)


def test_the_labelled_set_is_large_and_a_third_safeguarding_relevant():
    cases = load_cases(DEFAULT_CASES)
    assert len(cases) >= 150
    assert len({case["id"] for case in cases}) == len(cases)
    hard_negatives = [c for c in cases if not c["safeguarding"] and NEGATED_RISK.search(c["notes"])]
    positives = [case for case in cases if case["safeguarding"]]
    assert len(hard_negatives) >= 20
    assert (len(positives) + len(hard_negatives)) * 3 >= len(cases)


def test_scores_on_the_labelled_set():
    summary, failures = evaluate(load_cases(DEFAULT_CASES))
    assert summary["safeguarding_recall"] == 1.0, failures
    assert summary["tier_accuracy"] >= 0.95, failures
    assert summary["need_recall"] >= 0.9
    assert summary["rules_version"]
