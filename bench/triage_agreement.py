"""How far a second, independent labelling of a set agrees with its writers' labels, scored exactly as
`bench.triage_eval` scores the rules (the second labeller's answer in the rules' place): the ceiling a
careful reader of LABELLING.md reaches, to set beside the rules' figures.

    python -m bench.triage_agreement [--set DIR] [--labels DIR]

Defaults: the fifth set (tests/data/triage_tuning5/) and its `second_labelling/` folder (one
`<voice>.labels.yaml` per voice: `cases` of id, `expected` {tier, needs, safeguarding, urgency}, optional
`acceptable` {tiers, needs}). One JSON line per group (all, each voice, each class), as `bench.triage_eval`
prints them, plus `symmetric_tier`: the share of cases where either labelling's tier is one the other
accepts. Every case of the set must have a second label, and no label may name a case the set lacks.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from bench.triage_eval import FIFTH_TUNING, Scores, fourth_tuning, third_evaluation_groups
from triage import TriageDecision


def load_labels(folder: Path) -> dict[str, dict[str, Any]]:
    labels: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.labels.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            if case["id"] in labels:
                raise SystemExit(f"{path}: {case['id']} is labelled twice")
            labels[case["id"]] = case
    return labels


def as_decision(label: dict[str, Any]) -> TriageDecision:
    """A second label in the shape the scorer reads: the fields `Scores.add` looks at."""
    expected = label["expected"]
    return TriageDecision(
        tier=expected["tier"],
        needs=list(expected.get("needs") or []),
        safeguarding=bool(expected["safeguarding"]),
        urgency=expected.get("urgency") or "routine",
        reasons=[],
    )


def tiers_of(expected_tier: str, acceptable: dict[str, Any] | None) -> set[str]:
    return {expected_tier, *((acceptable or {}).get("tiers") or [])}


def agreement(cases: list[dict[str, Any]], labels: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    missing = sorted({case["id"] for case in cases} - labels.keys())
    unknown = sorted(labels.keys() - {case["id"] for case in cases})
    if missing or unknown:
        raise SystemExit(f"second labels missing for {missing[:5]}..., or for unknown cases {unknown[:5]}...")
    lines = []
    for group, members in third_evaluation_groups(cases):
        if not members:
            continue
        scores, symmetric = Scores(), 0
        for case in members:
            label = labels[case["id"]]
            scores.add(case, as_decision(label))
            first = tiers_of(case["tier"], case.get("acceptable"))
            second = tiers_of(label["expected"]["tier"], label.get("acceptable"))
            symmetric += bool(first & second)
        summary = scores.summary("second labelling")
        for timing in ("ms_per_note", "p99_ms_per_note", "rules_version"):
            del summary[timing]
        lines.append({"group": group, **summary, "symmetric_tier": round(symmetric / len(members), 4)})
    return lines


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=FIFTH_TUNING, help="a set folder (one YAML per voice)")
    parser.add_argument("--labels", type=Path, help="the second labels (default: <set>/second_labelling)")
    options = parser.parse_args(arguments)
    labels = load_labels(options.labels or options.set / "second_labelling")
    for line in agreement(fourth_tuning(options.set), labels):
        print(json.dumps({"cases": options.set.name, **line}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
