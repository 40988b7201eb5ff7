"""Dump every triage decision on every labelled note to JSON, to prove a change decides nothing differently.

    python -m bench.triage_decisions OUT.json            # write the decisions
    python -m bench.triage_decisions OUT.json --diff OLD.json   # write, then compare with OLD

Each case of tests/data/triage_cases.yaml, triage_blind.yaml, triage_blind2.yaml, triage_eval3/*.yaml
(all parts), triage_tuning4/*.yaml and triage_tuning5/*.yaml (tuning only), and triage_tuning6/*.yaml and
triage_tuning7/*.yaml to triage_tuning10/*.yaml (both halves)
is triaged with its given needs, flags and age; the whole decision is kept (tier, needs,
safeguarding, urgency, every reason with its rule, conclusion, evidence and detail, and the rules version).
--diff prints only counts and case ids that differ, never the notes (half of triage_eval3 is held back).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bench.triage_eval import (
    BLIND_CASES,
    DEFAULT_CASES,
    HALVED_SETS,
    SECOND_BLIND_CASES,
    TUNING_ONLY,
    fourth_tuning,
    load_cases,
    third_evaluation,
)
from triage import load_rules, triage


def all_cases() -> list[tuple[str, dict[str, Any]]]:
    named = []
    for path in (DEFAULT_CASES, BLIND_CASES, SECOND_BLIND_CASES):
        named += [(f"{path.name}#{index}", case) for index, case in enumerate(load_cases(path))]
    named += [(f"triage_eval3#{case['id']}", case) for case in third_evaluation("all")]
    for folder in (*TUNING_ONLY, *HALVED_SETS):  # every case of each, both halves of a halved set
        named += [(f"{folder.name}#{case['id']}", case) for case in fourth_tuning(folder)]
    return named


def decisions(rules_folder: str | None = None) -> dict[str, Any]:
    rules = load_rules(rules_folder)
    out = {}
    for key, case in all_cases():
        decision = triage(
            case["notes"],
            needs=case.get("given_needs"),
            flags=case.get("flags"),
            rules=rules,
            age=case.get("age"),
        )
        out[key] = decision.to_dict()
    return out


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="where to write the decisions (JSON)")
    parser.add_argument("--diff", type=Path, help="an earlier dump to compare with")
    parser.add_argument("--rules", default=None, help="rules folder (default config/triage)")
    options = parser.parse_args(arguments)
    now = decisions(options.rules)
    options.out.write_text(json.dumps(now, indent=1, sort_keys=True), encoding="utf-8")
    print(f"{len(now)} decisions written to {options.out}")
    if options.diff is None:
        return 0
    before = json.loads(options.diff.read_text(encoding="utf-8"))
    missing = sorted(set(before) - set(now))
    added = sorted(set(now) - set(before))
    changed = sorted(key for key in set(before) & set(now) if before[key] != now[key])
    fields: dict[str, int] = {}
    for key in changed:
        for name in sorted(set(before[key]) | set(now[key])):
            if before[key].get(name) != now[key].get(name):
                fields[name] = fields.get(name, 0) + 1
    identical = not (missing or added or changed)
    print(
        json.dumps(
            {
                "compared": len(set(before) & set(now)),
                "changed": len(changed),
                "missing": len(missing),
                "added": len(added),
                "changed_fields": fields,
                "identical": identical,
            }
        )
    )
    for key in changed[:20]:
        print(f"  changed: {key}", file=sys.stderr)
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
