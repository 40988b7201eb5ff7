"""Evaluate the triage rules on a labelled set of call notes; print the scores as one JSON line.

    python -m bench.triage_eval [--cases tests/data/triage_cases.yaml] [--rules config/triage] [--failures]

Cases are a YAML list (or JSON lines) of: id, notes, optional flags / age / given_needs, and the
expected tier, needs, safeguarding and (optionally) urgency. --failures lists every mismatch on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from triage import TriageDecision, load_rules, triage

DEFAULT_CASES = Path(__file__).resolve().parent.parent / "tests" / "data" / "triage_cases.yaml"


@dataclass
class Scores:
    count: int = 0
    tier_correct: int = 0
    urgency_labelled: int = 0
    urgency_correct: int = 0
    needs_expected: int = 0
    needs_predicted: int = 0
    needs_correct: int = 0
    safeguarding_tp: int = 0
    safeguarding_fp: int = 0
    safeguarding_fn: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    def add(self, case: dict[str, Any], decision: TriageDecision) -> None:
        self.count += 1
        expected_needs, predicted_needs = set(case.get("needs") or []), set(decision.needs)
        self.needs_expected += len(expected_needs)
        self.needs_predicted += len(predicted_needs)
        self.needs_correct += len(expected_needs & predicted_needs)
        self.tier_correct += decision.tier == case["tier"]
        if "urgency" in case:
            self.urgency_labelled += 1
            self.urgency_correct += decision.urgency == case["urgency"]
        expected_sg = bool(case["safeguarding"])
        self.safeguarding_tp += expected_sg and decision.safeguarding
        self.safeguarding_fp += decision.safeguarding and not expected_sg
        self.safeguarding_fn += expected_sg and not decision.safeguarding
        problems = _problems(case, decision, expected_needs, predicted_needs)
        if problems:
            self.failures.append(f"{case.get('id', '?')}: {'; '.join(problems)}\n    {case['notes']}")

    def summary(self, rules_version: str) -> dict[str, Any]:
        return {
            "count": self.count,
            "tier_accuracy": _ratio(self.tier_correct, self.count),
            "need_recall": _ratio(self.needs_correct, self.needs_expected),
            "need_precision": _ratio(self.needs_correct, self.needs_predicted),
            "safeguarding_recall": _ratio(self.safeguarding_tp, self.safeguarding_tp + self.safeguarding_fn),
            "safeguarding_precision": _ratio(
                self.safeguarding_tp, self.safeguarding_tp + self.safeguarding_fp
            ),
            "urgency_accuracy": _ratio(self.urgency_correct, self.urgency_labelled),
            "ms_per_note": round(1000 * self.seconds / self.count, 3) if self.count else None,
            "rules_version": rules_version,
        }


def load_cases(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    cases = yaml.safe_load(text)
    if not isinstance(cases, list):
        raise SystemExit(f"{path}: expected a list of cases")
    return cases


def evaluate(
    cases: list[dict[str, Any]], rules_folder: str | None = None
) -> tuple[dict[str, Any], list[str]]:
    rules = load_rules(rules_folder)
    scores = Scores()
    for case in cases:
        started = time.perf_counter()
        decision = triage(
            case["notes"],
            needs=case.get("given_needs"),
            flags=case.get("flags"),
            rules=rules,
            age=case.get("age"),
        )
        scores.seconds += time.perf_counter() - started
        scores.add(case, decision)
    return scores.summary(rules.rules_version), scores.failures


def _problems(
    case: dict[str, Any], decision: TriageDecision, expected: set[str], predicted: set[str]
) -> list[str]:
    problems = []
    if decision.tier != case["tier"]:
        problems.append(f"tier {decision.tier} (expected {case['tier']})")
    if expected != predicted:
        problems.append(f"needs missing {sorted(expected - predicted)} extra {sorted(predicted - expected)}")
    if decision.safeguarding != bool(case["safeguarding"]):
        problems.append(f"safeguarding {decision.safeguarding} (expected {case['safeguarding']})")
    if "urgency" in case and decision.urgency != case["urgency"]:
        problems.append(f"urgency {decision.urgency} (expected {case['urgency']})")
    return problems


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=DEFAULT_CASES)
    parser.add_argument("--rules", default=None, help="rules folder (default config/triage)")
    parser.add_argument("--failures", action="store_true", help="list mismatches on stderr")
    options = parser.parse_args(arguments)
    summary, failures = evaluate(load_cases(options.cases), options.rules)
    if options.failures:
        print("\n".join(failures), file=sys.stderr)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
