"""Evaluate the triage rules on labelled sets of call notes; print the scores as one JSON line per set.

    python -m bench.triage_eval [--cases FILE] [--part all|tuning|held_back] [--rules DIR] [--failures]
                                [--repeat N] [--cpu]

Without --cases: one line for the authors' set (tests/data/triage_cases.yaml), then one for each blind set
(tests/data/triage_blind.yaml and triage_blind2.yaml, written without seeing the rules), then the third
evaluation (tests/data/triage_eval3/, six voices by six writers who never saw the rules; its LABELLING.md
says how): one line for all of it, one per voice and one per class of error (`group`). Its held-back half is
chosen by a hash of each case's id (`held_back`), so no one picked the hard cases; its cases may name
`acceptable` tiers and needs, and its lines add `unsafe_to_mutual_aid` (a statutory or safeguarding case sent
to mutual aid) and the 99th-percentile time per note. Last, the fourth set (tests/data/triage_tuning4/, one
file per voice by writers who never saw the rules, labelled by the third set's LABELLING.md) is TUNING ONLY:
it has no held-back part, every case of it may be read and tuned on, so its lines say `"part": "tuning_only"`
whatever --part says (one line for all of it, one per voice, one per class). The fifth set
(tests/data/triage_tuning5/, 295 notes in the same six voices, written the same way) follows it, tuning only
too, with the same lines. The sixth to tenth sets (tests/data/triage_tuning6/ to triage_tuning10/, 300 notes
each) come last, each in two halves chosen by the same hash: `"part": "tuning"` may be read and tuned on,
`"part": "cold_check"` is not read (only its figures), so it says how far tuning on the other half carries
to new wording. Cases are a YAML
list (or JSON lines) of: id, notes, optional flags / age / given_needs, and the expected tier, needs,
safeguarding and (optionally) urgency; or a mapping whose `cases` each hold notes, optional flags and
`expected` {tier, needs, safeguarding}. --part picks each blind set's held-back cases (kept out of rule
tuning) or the rest. --failures lists every mismatch on stderr. On a busy machine, --repeat N times each
note N times and keeps its fastest, and --cpu times the CPU time of this thread instead of the wall clock.
Each line also holds `second_opinion`: the same scores with the statistical second opinion
(triage/second_opinion.py, config/triage/second_opinion/model.yaml; it can only raise) applied on top of
each decision, how many decisions it `raised`, and the time per note of the rules plus it; --second-opinion
FILE names another model, --no-second-opinion scores the rules alone.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from triage import TriageDecision, load_rules, triage
from triage.second_opinion import DEFAULT_MODEL, SecondOpinion, apply_second_opinion, load_second_opinion

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
DEFAULT_CASES = DATA / "triage_cases.yaml"
BLIND_CASES = DATA / "triage_blind.yaml"
SECOND_BLIND_CASES = DATA / "triage_blind2.yaml"
THIRD_EVALUATION = DATA / "triage_eval3"
FOURTH_TUNING = DATA / "triage_tuning4"  # tuning only: no held-back part
FIFTH_TUNING = DATA / "triage_tuning5"  # tuning only: no held-back part
TUNING_ONLY = (FOURTH_TUNING, FIFTH_TUNING)
# half tuning, half a cold check (by the same hash as the third evaluation's held-back half)
SIXTH_SET = DATA / "triage_tuning6"
SEVENTH_SET = DATA / "triage_tuning7"
EIGHTH_SET = DATA / "triage_tuning8"
NINTH_SET = DATA / "triage_tuning9"
TENTH_SET = DATA / "triage_tuning10"
HALVED_SETS = (SIXTH_SET, SEVENTH_SET, EIGHTH_SET, NINTH_SET, TENTH_SET)
HALVES = ("tuning", "cold_check")
CLASSES = (
    "child_at_risk",
    "support_gone",
    "cannot_judge_risk",
    "words_inside",
    "pet_names",
    "urgent_housing",
    "negation_spelling",
    "over_escalation",
)
HELD_BACK = 40
FIRST_HELD_BACK = 7
PARTS = ("all", "tuning", "held_back")


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
    unsafe_to_mutual_aid: int = 0
    seconds: float = 0.0
    timings: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def add(self, case: dict[str, Any], decision: TriageDecision) -> None:
        self.count += 1
        acceptable = case.get("acceptable") or {}
        optional = set(acceptable.get("needs") or [])  # may be found or not without being wrong
        expected_needs, predicted_needs = set(case.get("needs") or []), set(decision.needs) - optional
        self.needs_expected += len(expected_needs)
        self.needs_predicted += len(predicted_needs)
        self.needs_correct += len(expected_needs & predicted_needs)
        self.tier_correct += _tier_ok(case, decision)
        self.unsafe_to_mutual_aid += decision.tier == "mutual_aid" and (
            case["tier"] == "statutory" or bool(case["safeguarding"])
        )
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
            "unsafe_to_mutual_aid": self.unsafe_to_mutual_aid,
            "ms_per_note": round(1000 * self.seconds / self.count, 3) if self.count else None,
            "p99_ms_per_note": _percentile_ms(self.timings, 0.99),
            "rules_version": rules_version,
        }


def load_cases(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    cases = yaml.safe_load(text)
    if isinstance(cases, dict) and isinstance(cases.get("cases"), list):
        return [_flattened(case, f"{path.stem}-{index:03d}") for index, case in enumerate(cases["cases"])]
    if not isinstance(cases, list):
        raise SystemExit(f"{path}: expected a list of cases or a mapping with `cases`")
    return cases


def held_back_indices(count: int) -> frozenset[int]:
    """HELD_BACK indices spread evenly over the set from FIRST_HELD_BACK (the cases before it were read
    while the split was being decided): kept out of rule tuning, an estimate of generalisation."""
    last = count - 1
    span = last - FIRST_HELD_BACK
    if span < HELD_BACK - 1:
        return frozenset()
    return frozenset(FIRST_HELD_BACK + (k * span) // (HELD_BACK - 1) for k in range(HELD_BACK))


def select_part(cases: list[dict[str, Any]], part: str) -> list[dict[str, Any]]:
    if part == "all":
        return cases
    held = held_back_indices(len(cases))
    return [case for index, case in enumerate(cases) if (index in held) == (part == "held_back")]


def _flattened(case: dict[str, Any], case_id: str) -> dict[str, Any]:
    expected = case.get("expected") or {}
    flat = {key: value for key, value in case.items() if key != "expected"}
    return {"id": case_id, **flat, **expected}


@dataclass(frozen=True)
class Decided:
    """One case triaged: the decision, with the second opinion on top (`after`), and the time each took."""

    case: dict[str, Any]
    decision: TriageDecision
    elapsed: float
    after: TriageDecision | None = None
    extra: float = 0.0


def decide(
    cases: list[dict[str, Any]],
    rules_folder: str | None = None,
    repeat: int = 1,
    cpu: bool = False,
    second_opinion: SecondOpinion | None = None,
) -> list[Decided]:
    """Triage every case once (timed `repeat` times, keeping the fastest), and apply `second_opinion`."""
    rules = load_rules(rules_folder)
    clock = time.thread_time if cpu else time.perf_counter
    decided = []
    for case in cases:
        elapsed = extra = float("inf")
        after = None
        for _ in range(max(1, repeat)):
            started = clock()
            decision = triage(
                case["notes"],
                needs=case.get("given_needs"),
                flags=case.get("flags"),
                rules=rules,
                age=case.get("age"),
            )
            elapsed = min(elapsed, clock() - started)
            if second_opinion is not None:
                started = clock()
                after = apply_second_opinion(decision, case["notes"], second_opinion)
                extra = min(extra, clock() - started)
        decided.append(Decided(case, decision, elapsed, after, extra if after is not None else 0.0))
    return decided


def summarise(
    decided: list[Decided], rules_version: str, second_opinion: SecondOpinion | None = None
) -> tuple[dict[str, Any], list[str]]:
    """The scores of decided cases; with `second_opinion`, also (`second_opinion` in the summary) the scores
    of the same decisions with the second opinion applied on top, timed as the rules plus it."""
    scores, raised = Scores(), Scores()
    changed = 0
    for one in decided:
        scores.seconds += one.elapsed
        scores.timings.append(one.elapsed)
        scores.add(one.case, one.decision)
        if second_opinion is not None and one.after is not None:
            raised.seconds += one.elapsed + one.extra
            raised.timings.append(one.elapsed + one.extra)
            raised.add(one.case, one.after)
            changed += one.after is not one.decision
    summary = scores.summary(rules_version)
    if second_opinion is not None:
        with_it = raised.summary(rules_version)
        del with_it["rules_version"]
        summary["second_opinion"] = {"version": second_opinion.version, "raised": changed, **with_it}
    return summary, scores.failures


def evaluate(
    cases: list[dict[str, Any]],
    rules_folder: str | None = None,
    repeat: int = 1,
    cpu: bool = False,
    second_opinion: SecondOpinion | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """The scores of the rules on `cases` (`decide`, then `summarise`)."""
    decided = decide(cases, rules_folder, repeat, cpu, second_opinion)
    return summarise(decided, load_rules(rules_folder).rules_version, second_opinion)


def _grouped(
    cases: list[dict[str, Any]], options: argparse.Namespace, opinion: SecondOpinion | None
) -> list[tuple[str, dict[str, Any], list[str]]]:
    """Each group of a set (`third_evaluation_groups`) scored, every case of the set triaged once."""
    by_id = {id(one.case): one for one in decide(cases, options.rules, options.repeat, options.cpu, opinion)}
    version = load_rules(options.rules).rules_version
    scored = []
    for group, members in third_evaluation_groups(cases):
        if members:
            summary, failures = summarise([by_id[id(case)] for case in members], version, opinion)
            scored.append((group, summary, failures))
    return scored


def _problems(
    case: dict[str, Any], decision: TriageDecision, expected: set[str], predicted: set[str]
) -> list[str]:
    problems = []
    if not _tier_ok(case, decision):
        problems.append(f"tier {decision.tier} (expected {case['tier']})")
    if expected != predicted:
        problems.append(f"needs missing {sorted(expected - predicted)} extra {sorted(predicted - expected)}")
    if decision.safeguarding != bool(case["safeguarding"]):
        problems.append(f"safeguarding {decision.safeguarding} (expected {case['safeguarding']})")
    if "urgency" in case and decision.urgency != case["urgency"]:
        problems.append(f"urgency {decision.urgency} (expected {case['urgency']})")
    return problems


def _tier_ok(case: dict[str, Any], decision: TriageDecision) -> bool:
    also = (case.get("acceptable") or {}).get("tiers") or []
    return decision.tier == case["tier"] or decision.tier in also


def _percentile_ms(timings: list[float], share: float) -> float | None:
    if not timings:
        return None
    ordered = sorted(timings)
    return round(1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))], 3)


def held_back(case_id: str) -> bool:
    """The third evaluation's held-back half: by a hash of the id, so no one chose which cases are hard."""
    return hashlib.sha256(case_id.encode()).digest()[0] % 2 == 0


def third_evaluation(part: str = "all", folder: Path = THIRD_EVALUATION) -> list[dict[str, Any]]:
    """Every case of the third evaluation (each file one voice), or its held-back half, or the rest."""
    cases = []
    for path in sorted(folder.glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in document["cases"]:
            flat = _flattened(case, case["id"])
            flat["voice"] = document["voice"]
            if part == "all" or held_back(flat["id"]) == (part == "held_back"):
                cases.append(flat)
    return cases


def fourth_tuning(folder: Path = FOURTH_TUNING) -> list[dict[str, Any]]:
    """Every case of a tuning-only set (the fourth by default, or the fifth): no held-back part, in the third
    evaluation's format."""
    return third_evaluation("all", folder) if folder.is_dir() else []


def halved_set(part: str, folder: Path = SIXTH_SET) -> list[dict[str, Any]]:
    """A halved set's (the sixth by default, or the seventh to tenth) tuning half, or its cold
    check half, which is never read when tuning (`held_back` picks it)."""
    if part not in HALVES:
        raise ValueError(f"part must be one of {HALVES}")
    cases = fourth_tuning(folder)
    return [case for case in cases if held_back(case["id"]) == (part == "cold_check")]


def third_evaluation_groups(cases: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """All of it, then each voice, then each class of error (a case may be in two)."""
    groups = [("all", cases)]
    for voice in sorted({case["voice"] for case in cases}):
        groups.append((f"voice:{voice}", [case for case in cases if case["voice"] == voice]))
    for name in CLASSES:
        groups.append((f"class:{name}", [case for case in cases if name in (case.get("classes") or [])]))
    groups.append(("class:none", [case for case in cases if not case.get("classes")]))
    return groups


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, help="one set (default: the authors' set, then the blind set)")
    parser.add_argument("--part", choices=PARTS, default="all", help="held-back blind cases, or the rest")
    parser.add_argument("--rules", default=None, help="rules folder (default config/triage)")
    parser.add_argument("--failures", action="store_true", help="list mismatches on stderr")
    parser.add_argument("--repeat", type=int, default=1, help="time each note N times, keep the fastest")
    parser.add_argument("--cpu", action="store_true", help="time this thread's CPU time, not the wall clock")
    parser.add_argument(
        "--second-opinion",
        type=Path,
        default=DEFAULT_MODEL,
        help="model file (default config/triage/second_opinion/model.yaml); each line adds its scores",
    )
    parser.add_argument("--no-second-opinion", action="store_true", help="the rules alone")
    options = parser.parse_args(arguments)
    opinion = None if options.no_second_opinion else load_second_opinion(options.second_opinion)
    runs = (
        [(options.cases, options.part)]
        if options.cases
        else [(DEFAULT_CASES, "all"), (BLIND_CASES, options.part), (SECOND_BLIND_CASES, options.part)]
    )
    for path, part in runs:
        summary, failures = evaluate(
            select_part(load_cases(path), part), options.rules, options.repeat, options.cpu, opinion
        )
        if options.failures:
            print("\n".join(failures), file=sys.stderr)
        print(json.dumps({"cases": path.name, "part": part, **summary}))
    if not options.cases:
        for group, summary, failures in _grouped(third_evaluation(options.part), options, opinion):
            if options.failures and group == "all":
                print("\n".join(failures), file=sys.stderr)
            line = {"cases": THIRD_EVALUATION.name, "part": options.part, "group": group, **summary}
            print(json.dumps(line))
        for folder in TUNING_ONLY:
            for group, summary, failures in _grouped(fourth_tuning(folder), options, opinion):
                if options.failures and group == "all":
                    print("\n".join(failures), file=sys.stderr)
                line = {"cases": folder.name, "part": "tuning_only", "group": group, **summary}
                print(json.dumps(line))
        for folder, part in ((folder, part) for folder in HALVED_SETS for part in HALVES):
            for group, summary, failures in _grouped(halved_set(part, folder), options, opinion):
                if options.failures and group == "all" and part == "tuning":
                    print("\n".join(failures), file=sys.stderr)
                line = {"cases": folder.name, "part": part, "group": group, **summary}
                print(json.dumps(line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
