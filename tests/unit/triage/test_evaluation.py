"""The labelled evaluation sets: safeguarding recall must be total on all three; tiers at least 95 % right
on the authors' set, at least 90 % on the first blind set and at least 88 % on the second (partner emails,
fast staff notes, residents' own words), both written without seeing the rules."""

import json
import re
from argparse import Namespace

import pytest

from bench.triage_eval import (
    BLIND_CASES,
    DEFAULT_CASES,
    FIRST_HELD_BACK,
    HELD_BACK,
    SECOND_BLIND_CASES,
    _grouped,
    evaluate,
    fourth_tuning,
    held_back_indices,
    load_cases,
    main,
    select_part,
    third_evaluation_groups,
)
from triage import load_rules
from triage.second_opinion import load_second_opinion

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


def test_the_blind_set_loads_with_ids_and_expectations():
    cases = load_cases(BLIND_CASES)
    assert len(cases) >= 150
    assert len({case["id"] for case in cases}) == len(cases)
    assert all({"notes", "tier", "needs", "safeguarding"} <= set(case) for case in cases)
    assert sum(case["safeguarding"] for case in cases) * 3 >= len(cases)


def test_scores_on_the_blind_set():
    summary, failures = evaluate(load_cases(BLIND_CASES))
    assert summary["safeguarding_recall"] == 1.0, failures
    assert summary["tier_accuracy"] >= 0.90, failures
    assert summary["safeguarding_precision"] >= 0.85, failures
    assert summary["need_recall"] >= 0.9


def test_the_second_blind_set_loads_with_hard_negatives():
    cases = load_cases(SECOND_BLIND_CASES)
    assert len(cases) >= 150
    assert len({case["id"] for case in cases}) == len(cases)
    assert all({"notes", "tier", "needs", "safeguarding"} <= set(case) for case in cases)
    assert sum(case["safeguarding"] for case in cases) * 3 >= len(cases)


def test_scores_on_the_second_blind_set():
    summary, failures = evaluate(load_cases(SECOND_BLIND_CASES))
    assert summary["safeguarding_recall"] == 1.0, failures
    assert summary["tier_accuracy"] >= 0.88, failures
    assert summary["safeguarding_precision"] >= 0.8, failures
    assert summary["need_recall"] >= 0.85


@pytest.mark.parametrize("path", [BLIND_CASES, SECOND_BLIND_CASES])
def test_the_held_back_cases_are_fixed_spread_and_apart_from_the_tuning_cases(path):
    cases = load_cases(path)
    held = select_part(cases, "held_back")
    tuning = select_part(cases, "tuning")
    assert len(held) == HELD_BACK
    assert len(held) + len(tuning) == len(cases)
    assert {case["id"] for case in held}.isdisjoint(case["id"] for case in tuning)
    indices = sorted(held_back_indices(len(cases)))
    assert indices[0] == FIRST_HELD_BACK
    assert indices[-1] == len(cases) - 1


def test_the_bench_prints_one_line_per_set(capsys):
    """A line for each older set, then the third evaluation: all of it, each voice, each class."""
    assert main([]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    expected = ["triage_cases.yaml", "triage_blind.yaml", "triage_blind2.yaml"]
    assert [line["cases"] for line in lines[:3]] == expected
    assert all(line["safeguarding_recall"] == 1.0 for line in lines[:3])
    third = [line for line in lines[3:] if line["cases"] == "triage_eval3"]
    fourth = [line for line in lines[3:] if line["cases"] == "triage_tuning4"]
    fifth = [line for line in lines[3:] if line["cases"] == "triage_tuning5"]
    sixth = [line for line in lines[3:] if line["cases"] == "triage_tuning6"]
    seventh = [line for line in lines[3:] if line["cases"] == "triage_tuning7"]
    eighth = [line for line in lines[3:] if line["cases"] == "triage_tuning8"]
    ninth = [line for line in lines[3:] if line["cases"] == "triage_tuning9"]
    tenth = [line for line in lines[3:] if line["cases"] == "triage_tuning10"]
    halved = len(sixth) + len(seventh) + len(eighth) + len(ninth) + len(tenth)
    assert len(third) + len(fourth) + len(fifth) + halved == len(lines) - 3
    assert [line["part"] for line in seventh if line["group"] == "all"] == ["tuning", "cold_check"]
    assert lines.index(seventh[0]) > lines.index(sixth[-1])
    assert [line["part"] for line in eighth if line["group"] == "all"] == ["tuning", "cold_check"]
    assert sum(line["count"] for line in eighth if line["group"] == "all") == 300
    assert lines.index(eighth[0]) > lines.index(seventh[-1])
    assert sum(line["count"] for line in ninth if line["group"] == "all") == 300
    assert lines.index(ninth[0]) > lines.index(eighth[-1])
    assert sum(line["count"] for line in tenth if line["group"] == "all") == 300
    assert lines.index(tenth[0]) > lines.index(ninth[-1])
    # the sixth set in two halves by the held-back hash: tuning, then the cold check, 300 notes in all
    halves = [line for line in sixth if line["group"] == "all"]
    assert [line["part"] for line in halves] == ["tuning", "cold_check"]
    assert sum(line["count"] for line in halves) == 300
    assert lines.index(sixth[0]) > lines.index(fifth[-1])
    assert third[0]["group"] == "all"
    assert any(line["group"].startswith("voice:") for line in third)
    assert any(line["group"].startswith("class:") for line in third)
    # the fourth set is tuning only: it says so whatever --part is, and comes after the third
    assert fourth[0]["group"] == "all"
    assert {line["part"] for line in fourth} == {"tuning_only"}
    assert lines.index(fourth[0]) > lines.index(third[-1])
    # and so is the fifth, after the fourth: all of it (295 notes), each of its six voices, each class
    assert fifth[0]["group"] == "all"
    assert fifth[0]["count"] == 295
    assert {line["part"] for line in fifth} == {"tuning_only"}
    assert len([line for line in fifth if line["group"].startswith("voice:")]) == 6
    assert lines.index(fifth[0]) > lines.index(fourth[-1])


def test_the_third_evaluation_is_large_labelled_in_six_voices_and_half_held_back():
    from bench.triage_eval import CLASSES, third_evaluation
    from triage import TIERS

    cases = third_evaluation()
    assert len(cases) >= 400
    assert len({case["id"] for case in cases}) == len(cases)
    assert len({case["voice"] for case in cases}) == 6
    known_needs = load_rules().need_codes
    for case in cases:
        assert case["tier"] in TIERS, case["id"]
        assert set(case["needs"]) <= known_needs, case["id"]
        assert set(case.get("classes") or []) <= set(CLASSES), case["id"]
        assert case["tier"] == "statutory" or not case["safeguarding"], case["id"]
    held = third_evaluation("held_back")
    assert 0.4 < len(held) / len(cases) < 0.6
    assert {case["id"] for case in held}.isdisjoint({case["id"] for case in third_evaluation("tuning")})
    for name in CLASSES:
        assert sum(name in (case.get("classes") or []) for case in held) >= 10, name


def test_scores_on_the_third_evaluations_tuning_half():
    """The half the rules were tuned on: a floor against regressions (the held-back half is the estimate)."""
    from bench.triage_eval import third_evaluation

    summary, failures = evaluate(third_evaluation("tuning"))
    assert summary["safeguarding_recall"] == 1.0, failures
    assert summary["unsafe_to_mutual_aid"] == 0, failures
    assert summary["tier_accuracy"] >= 0.92
    assert summary["need_recall"] >= 0.88


def test_each_group_scores_as_the_group_alone_would_with_every_case_triaged_once():
    """The bench triages a set once and scores each group (all, each voice, each class) from those
    decisions: the same figures as evaluating each group on its own, timings aside."""
    untimed = ("ms_per_note", "p99_ms_per_note")

    def figures(summary):
        kept = {key: value for key, value in summary.items() if key not in untimed}
        kept["second_opinion"] = {k: v for k, v in summary["second_opinion"].items() if k not in untimed}
        return kept

    opinion = load_second_opinion()
    cases = fourth_tuning()[:60]
    options = Namespace(rules=None, repeat=1, cpu=False)
    grouped = {group: figures(summary) for group, summary, _ in _grouped(cases, options, opinion)}
    alone = {
        group: figures(evaluate(members, second_opinion=opinion)[0])
        for group, members in third_evaluation_groups(cases)
        if members
    }
    assert grouped == alone
    assert grouped["all"]["count"] == 60
