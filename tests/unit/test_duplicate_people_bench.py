"""The duplicate-person benchmark (bench/duplicate_people.py) at a small size: what it generates and what it
computes, not how well the matcher does (no thresholds, no timings)."""

import json

import pytest

from bench.duplicate_people import (
    NEGATIVE_KINDS,
    VARIANT_KINDS,
    baseline,
    breakdown,
    evaluate,
    generate,
    main,
    report,
)
from referrals.duplicates import normalise_phone, normalise_postcode

PEOPLE = 200


@pytest.fixture(scope="module")
def dataset():
    return generate(PEOPLE, seed=11)


def test_every_kind_of_repeat_call_and_hard_negative_is_generated(dataset):
    kinds = {query.kind for query in dataset.queries}

    assert len(dataset.people) == PEOPLE
    assert kinds == set(VARIANT_KINDS) | set(NEGATIVE_KINDS)
    assert all(query.target is None for query in dataset.queries if query.negative)
    ids = {person.id for person in dataset.people}
    assert all(query.target in ids for query in dataset.queries if not query.negative)


def test_the_set_is_realistic_enough_to_be_hard(dataset):
    surnames = [person.name.split()[-1] for person in dataset.people]
    phones = [normalise_phone(person.phone) for person in dataset.people if person.phone]

    assert len(set(surnames)) < len(surnames) * 0.8  # shared surnames
    assert len(set(phones)) < len(phones)  # a household's landline
    assert any("'" in person.name or "-" in person.name for person in dataset.people)
    assert any(person.date_of_birth is None for person in dataset.people)
    assert any(person.date_of_birth is not None for person in dataset.people)
    assert all(len(normalise_postcode(person.postcode)) in (5, 6, 7) for person in dataset.people)


def test_the_same_seed_gives_the_same_set():
    first, second = generate(50, seed=3), generate(50, seed=3)

    assert first.people == second.people
    assert first.queries == second.queries
    assert generate(50, seed=4).queries != first.queries


def test_precision_recall_and_rates_are_computed(dataset):
    for result in (evaluate(dataset), baseline(dataset)):
        line = report(result, dataset)

        assert 0 <= line["precision"] <= 1
        assert 0 <= line["recall"] <= 1
        assert line["true_positives"] + line["false_negatives"] == sum(
            not query.negative for query in dataset.queries
        )
        recall, negatives = breakdown(result)
        assert set(recall["recall_by_variation"]) == set(VARIANT_KINDS)
        assert set(negatives["false_positives_by_negative"]) == set(NEGATIVE_KINDS)
        for kind in recall["recall_by_variation"].values():
            assert 0 <= kind["recall"] <= 1
            assert 0 <= kind.get("blocking", 0) <= 1
        for kind in negatives["false_positives_by_negative"].values():
            assert 0 <= kind["false_positive_rate"] <= 1
    assert 0 <= report(evaluate(dataset), dataset)["blocking_recall"] <= 1


def test_the_command_prints_json_lines_with_the_targets_and_exits_0(capsys):
    assert main(["--people", "60", "--seed", "5"]) == 0

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    matchers = {line.get("matcher") for line in lines}
    assert {"matcher", "baseline_exact"} <= matchers
    targets = next(line["targets"] for line in lines if "targets" in line)
    assert set(targets.values()) <= {"PASS", "FAIL"}
