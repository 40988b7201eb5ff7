"""Train the triage second opinion (triage/second_opinion.py) and write it as a readable data file.

    PYTHONPATH=. .venv-train/bin/python -m triage.second_opinion_train [--out FILE] [--report]

Training only: needs scikit-learn (a venv of its own, never the service's: `python3.11 -m venv .venv-train`,
then `.venv-train/bin/pip install scikit-learn pyyaml rapidfuzz`, the last two for the rules and the bench's
case loaders), never imported at triage time. The same sets give the same file (fixed folds and seed).
It learns from every labelled case that may be tuned on, and from nothing held back: the authors' set,
the tuning part of each blind set (`select_part`), the tuning half of the third evaluation (whatever
`bench.triage_eval.held_back` says is held back is left out, and checked again before fitting), the
fourth and fifth sets (tuning only) and the sixth, seventh and eighth sets' tuning halves (never a cold
check half).

Two heads, each a logistic regression on the words and neighbouring pairs of words of the notes (present or
not, `triage.second_opinion.features`): is this a safeguarding concern, and is this for the council's safety
net. The regularisation and scaling are chosen by cross-validated average precision (repeated stratified
5-fold over the training cases only); each head's threshold is then the lowest score at which the
out-of-fold predictions of the model on its own are at least PRECISION_TARGET precise (as the issue asks of
a safeguarding flag) and flag at most FALSE_ALARM_RATE of the notes without the concern (its cost is paid on
every note the rules already got right). No held-back case is read, scored or used to
choose anything here. --report prints the cross-validated figures, with the rules alone and with the
second opinion on top, on the training cases.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score
from sklearn.model_selection import RepeatedStratifiedKFold

from bench.triage_eval import (
    BLIND_CASES,
    DEFAULT_CASES,
    EIGHTH_SET,
    FIFTH_TUNING,
    SECOND_BLIND_CASES,
    SEVENTH_SET,
    SIXTH_SET,
    fourth_tuning,
    halved_set,
    held_back,
    load_cases,
    select_part,
    third_evaluation,
)
from triage.second_opinion import DEFAULT_MODEL, HEADS, features, parse_model

PRECISION_TARGET = 0.85
FALSE_ALARM_RATE = 0.02  # at most 2 % of the training notes without the concern flagged, out of fold
MIN_DF = 2  # a word or pair in at least two training notes
GRID_C = (0.1, 0.3, 1.0, 3.0)
SCALINGS = ("binary", "sqrt")
FOLDS, REPEATS, SEED = 5, 3, 20
DIGITS = 4
# the halved sets whose tuning half is learnt from (not the ninth: a model trained with it sent one more
# case to mutual aid unsafely on the tenth set; config/triage/README.md)
TRAINED_HALVES = (SIXTH_SET, SEVENTH_SET, EIGHTH_SET)


def training_sets() -> dict[str, list[dict[str, Any]]]:
    """Every case that may be tuned on, by set; nothing held back."""
    eval3 = third_evaluation("tuning")
    halves = {f"{folder.name} (tuning half)": halved_set("tuning", folder) for folder in TRAINED_HALVES}
    if any(held_back(case["id"]) for case in eval3):
        raise SystemExit("a held-back case of the third evaluation reached the training data")
    if any(held_back(case["id"]) for cases in halves.values() for case in cases):
        raise SystemExit("a case of a cold check half reached the training data")
    return {
        "triage_cases.yaml (all)": load_cases(DEFAULT_CASES),
        "triage_blind.yaml (tuning part)": select_part(load_cases(BLIND_CASES), "tuning"),
        "triage_blind2.yaml (tuning part)": select_part(load_cases(SECOND_BLIND_CASES), "tuning"),
        "triage_eval3 (tuning half)": eval3,
        "triage_tuning4 (tuning only)": fourth_tuning(),
        "triage_tuning5 (tuning only)": fourth_tuning(FIFTH_TUNING),
        **halves,
    }


def labels(case: dict[str, Any]) -> dict[str, int]:
    return {"safeguarding": int(bool(case["safeguarding"])), "statutory": int(case["tier"] == "statutory")}


def _analyzer(notes: str) -> list[str]:
    return sorted(features(notes))


def _matrix(vectorizer: CountVectorizer, notes: list[str], scaling: str, fit: bool = False):
    matrix = (vectorizer.fit_transform if fit else vectorizer.transform)(notes).astype(float)
    if scaling == "sqrt":  # as the runtime: divided by the root of the number of words and pairs in the note
        counts = np.array([max(1, len(features(note))) for note in notes], dtype=float)
        matrix = matrix.multiply(1.0 / np.sqrt(counts)[:, None]).tocsr()
    return matrix


def _fit(
    notes: list[str], y: np.ndarray, c: float, scaling: str
) -> tuple[CountVectorizer, LogisticRegression]:
    vectorizer = CountVectorizer(analyzer=_analyzer, binary=True, min_df=MIN_DF)
    matrix = _matrix(vectorizer, notes, scaling, fit=True)
    model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
    model.fit(matrix, y)
    return vectorizer, model


def out_of_fold(notes: list[str], y: np.ndarray, c: float, scaling: str) -> np.ndarray:
    """Each case's mean out-of-fold probability over the repeats."""
    total, seen = np.zeros(len(notes)), np.zeros(len(notes))
    splitter = RepeatedStratifiedKFold(n_splits=FOLDS, n_repeats=REPEATS, random_state=SEED)
    for train, test in splitter.split(notes, y):
        vectorizer, model = _fit([notes[i] for i in train], y[train], c, scaling)
        total[test] += model.predict_proba(_matrix(vectorizer, [notes[i] for i in test], scaling))[:, 1]
        seen[test] += 1
    return total / seen


def pick_threshold(
    probabilities: np.ndarray, y: np.ndarray, target: float = PRECISION_TARGET, fpr: float = FALSE_ALARM_RATE
) -> float:
    """The lowest threshold at which the out-of-fold predictions of the model alone (every case scoring at or
    above it) are still at least `target` precise and flag at most `fpr` of the cases without the concern:
    the second opinion's cost is paid on every note the rules already got right, so it is bounded there."""
    order = np.argsort(-probabilities)
    ranked, positives = probabilities[order], y[order]
    precision = np.cumsum(positives) / np.arange(1, len(y) + 1)
    false_alarms = np.cumsum(1 - positives) / max(1, int((y == 0).sum()))
    meeting = np.flatnonzero((precision >= target) & (false_alarms <= fpr))
    if not len(meeting):
        return 0.99
    return round(max(0.5, min(0.99, float(ranked[meeting[-1]]))), DIGITS)


def _scores(probabilities: np.ndarray, y: np.ndarray, threshold: float) -> dict[str, Any]:
    flagged = probabilities >= threshold
    tp = int((flagged & (y == 1)).sum())
    return {
        "precision": round(tp / max(1, int(flagged.sum())), 4),
        "recall": round(tp / max(1, int(y.sum())), 4),
        "flagged": int(flagged.sum()),
        "positives": int(y.sum()),
    }


def train(report: bool = False) -> dict[str, Any]:
    sets = training_sets()
    cases = [case for group in sets.values() for case in group]
    notes = [case["notes"] for case in cases]
    heads: dict[str, Any] = {}
    cross_validation: dict[str, Any] = {}
    oof: dict[str, np.ndarray] = {}
    for name in HEADS:
        y = np.array([labels(case)[name] for case in cases])
        grid = []
        for scaling in SCALINGS:
            for c in GRID_C:
                probabilities = out_of_fold(notes, y, c, scaling)
                grid.append((average_precision_score(y, probabilities), c, scaling, probabilities))
                print(f"{name}: C={c} {scaling}: average precision {grid[-1][0]:.4f}", file=sys.stderr)
        best_ap, c, scaling, probabilities = max(grid, key=lambda item: item[0])
        threshold = pick_threshold(probabilities, y)
        oof[name] = probabilities
        vectorizer, model = _fit(notes, y, c, scaling)
        vocabulary = vectorizer.get_feature_names_out()
        coefficients = model.coef_[0]
        weights = {
            str(gram): round(float(weight), DIGITS)
            for weight, gram in sorted(
                zip(coefficients, vocabulary, strict=True), key=lambda i: (-i[0], i[1])
            )
            if abs(weight) >= 10**-DIGITS
        }
        heads[name] = {
            "threshold": threshold,
            "scaling": scaling,
            "intercept": round(float(model.intercept_[0]), DIGITS),
            "weights": weights,
        }
        cross_validation[name] = {
            "C": c,
            "scaling": scaling,
            "average_precision": round(float(best_ap), 4),
            "at_threshold": _scores(probabilities, y, threshold),
        }
    trained_on = {name: len(group) for name, group in sets.items()}
    digest = hashlib.sha256(json.dumps([heads, trained_on], sort_keys=True).encode()).hexdigest()[:8]
    document = {
        "version": f"so-{digest}",
        "trained": datetime.date.today().isoformat(),
        "trained_on": trained_on,
        "method": (
            "logistic regression (scikit-learn, class_weight balanced) on the words and pairs of words of the"
            f" notes present in at least {MIN_DF} training notes; C and scaling by {REPEATS}x{FOLDS}-fold"
            " cross-validated average precision; threshold: the lowest out-of-fold score at which the model"
            f" alone is at least {PRECISION_TARGET} precise and flags at most {FALSE_ALARM_RATE:.0%} of the"
            " notes without the concern"
        ),
        "cross_validation": cross_validation,
        "heads": heads,
    }
    parse_model(document, "trained model")  # the runtime would accept it
    if report:
        print(json.dumps(_combined_report(sets, oof, heads), indent=1), file=sys.stderr)
    return document


def _combined_report(sets, oof, heads) -> dict[str, Any]:
    """Out-of-fold figures per training set: the rules alone, and with the second opinion on top."""
    from triage import load_rules, triage  # the rules as the bench runs them

    rules = load_rules()
    out, start = {}, 0
    for set_name, group in sets.items():
        before, after = _Tally(), _Tally()
        for offset, case in enumerate(group):
            index = start + offset
            decision = triage(
                case["notes"],
                needs=case.get("given_needs"),
                flags=case.get("flags"),
                rules=rules,
                age=case.get("age"),
            )
            sg, tier = decision.safeguarding, decision.tier
            before.add(case, tier, sg)
            if not sg and oof["safeguarding"][index] >= heads["safeguarding"]["threshold"]:
                sg = True
            if sg or oof["statutory"][index] >= heads["statutory"]["threshold"]:
                tier = "statutory"
            after.add(case, tier, sg)
        start += len(group)
        out[set_name] = {"rules": before.summary(), "with_second_opinion": after.summary()}
    return out


class _Tally:
    def __init__(self) -> None:
        self.n = self.tier = self.tp = self.fp = self.fn = self.unsafe = 0

    def add(self, case: dict[str, Any], tier: str, sg: bool) -> None:
        also = (case.get("acceptable") or {}).get("tiers") or []
        expected = bool(case["safeguarding"])
        self.n += 1
        self.tier += tier == case["tier"] or tier in also
        self.tp += sg and expected
        self.fp += sg and not expected
        self.fn += expected and not sg
        self.unsafe += tier == "mutual_aid" and (case["tier"] == "statutory" or expected)

    def summary(self) -> dict[str, Any]:
        return {
            "tier": round(self.tier / self.n, 4),
            "sg_recall": round(self.tp / max(1, self.tp + self.fn), 4),
            "sg_precision": round(self.tp / max(1, self.tp + self.fp), 4),
            "unsafe": self.unsafe,
        }


HEADER = """\
# The triage second opinion: learnt word weights, written by `python -m triage.second_opinion_train`.
# Do not edit by hand; retrain. triage/second_opinion.py reads it (plain Python, no scikit-learn).
# heads: safeguarding (is this a safeguarding concern?) and statutory (is it for the council safety net?).
# Each head's score is 1 / (1 + e^-(intercept + the weights of the words and word pairs in the note)),
# with `sqrt` scaling the sum divided by the root of how many words and pairs the note has. At or above
# `threshold` the second opinion raises the decision (safeguarding for review, or the tier to the safety
# net) when the rules did not; it never lowers anything. Positive weights push towards the concern.
# trained_on: the sets learnt from and how many cases of each (no held-back case is ever used).
"""


def write(document: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=120)
    path.write_text(HEADER + body, encoding="utf-8")


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--report", action="store_true", help="cross-validated figures on stderr")
    options = parser.parse_args(arguments)
    document = train(options.report)
    write(document, options.out)
    summary = {name: document["cross_validation"][name] for name in HEADS}
    print(json.dumps({"written": str(options.out), "version": document["version"], **summary}))
    return 0 if all(math.isfinite(h["intercept"]) for h in document["heads"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
