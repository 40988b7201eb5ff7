"""A statistical second opinion on a triage decision, in plain Python: it can only raise, never lower.

The rules (config/triage/*.yaml) decide. This reads the same notes with word weights learnt from the
labelled tuning sets (`python -m triage.second_opinion_train` writes them, with the sets it learnt from, to
config/triage/second_opinion/model.yaml), and when its score for a safeguarding concern or for the council's
safety net passes the threshold chosen by cross-validation, and the rules did not already conclude the same,
it adds that conclusion with the words that pushed it, as a reason that says a person should check. It never
removes a need, never clears safeguarding, never lowers a tier or the urgency.

Scoring a note is a set of words and pairs of words looked up in a dict: no scikit-learn, no numpy here.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml

from triage.decision import Reason, TriageDecision
from triage.errors import RulesError
from triage.rules import TIERS

DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "config" / "triage" / "second_opinion" / "model.yaml"
HEADS = ("safeguarding", "statutory")
SCALINGS = ("binary", "sqrt")
EXPLAINED = 4  # words or phrases quoted in a reason
# Words that carry weight in the model but explain nothing to a reader ("he", "not"): a quoted word or pair
# must have a word not in this list. The score still counts them; the reason says "words like".
PLAIN = frozenset(
    [
        "a",
        "about",
        "after",
        "again",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "being",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "done",
        "for",
        "from",
        "get",
        "got",
        "had",
        "has",
        "hasnt",
        "have",
        "he",
        "her",
        "here",
        "him",
        "his",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "just",
        "me",
        "my",
        "no",
        "not",
        "now",
        "of",
        "on",
        "or",
        "our",
        "out",
        "over",
        "said",
        "says",
        "she",
        "so",
        "some",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "they",
        "this",
        "to",
        "too",
        "up",
        "us",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "which",
        "who",
        "will",
        "with",
        "would",
        "you",
        "your",
        "hes",
        "shes",
        "theres",
        "thats",
        "im",
        "ive",
        "youre",
        "theyre",
        "weve",
    ]
)

_WORD = re.compile(r"[a-z0-9]+")
_APOSTROPHES = re.compile(r"['\u2019\u2018`]")


def features(notes: str) -> set[str]:
    """The words of a note and each pair of neighbouring words, lower case, apostrophes dropped
    ("Don't" -> "dont"): the same function at training and at triage time."""
    text = _APOSTROPHES.sub("", unicodedata.normalize("NFKC", notes or "").lower())
    words = _WORD.findall(text)
    return {*words, *(f"{first} {second}" for first, second in pairwise(words))}


@dataclass(frozen=True)
class Head:
    """One question the second opinion answers (a safeguarding concern? the council's safety net?)."""

    name: str
    intercept: float
    threshold: float
    weights: dict[str, float]
    scaling: str = "binary"

    def score(self, grams: set[str]) -> tuple[float, list[tuple[str, float]]]:
        """The probability, and the known words with their pushes, largest first."""
        found = [(gram, self.weights[gram]) for gram in grams if gram in self.weights]
        scale = 1.0 / math.sqrt(len(grams)) if self.scaling == "sqrt" and grams else 1.0
        logit = self.intercept + scale * sum(weight for _, weight in found)
        probability = 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, logit))))
        found.sort(key=lambda item: (-item[1], item[0]))
        return probability, [(gram, weight * scale) for gram, weight in found]


@dataclass(frozen=True)
class SecondOpinion:
    version: str
    heads: dict[str, Head]
    trained_on: dict[str, int]

    def opinion(self, notes: str) -> dict[str, tuple[float, list[tuple[str, float]]]]:
        grams = features(notes)
        return {name: head.score(grams) for name, head in self.heads.items()}


def load_second_opinion(path: str | Path | None = None) -> SecondOpinion:
    """The model file, validated: a broken or tampered file is refused (RulesError) rather than half used."""
    return _load_cached(str(Path(path or DEFAULT_MODEL).resolve()))


@lru_cache(maxsize=4)
def _load_cached(path: str) -> SecondOpinion:
    try:
        document = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    except (OSError, yaml.YAMLError) as error:
        raise RulesError(path, "", f"cannot read the second opinion: {error}") from error
    return parse_model(document, path)


def parse_model(document: Any, where: str = "second opinion") -> SecondOpinion:
    def refuse(problem: str) -> RulesError:
        return RulesError(where, "", problem)

    if not isinstance(document, dict):
        raise refuse("expected a mapping")
    version = document.get("version")
    if not isinstance(version, str) or not version:
        raise refuse("`version` must be a non-empty string")
    trained_on = document.get("trained_on")
    if not isinstance(trained_on, dict) or not trained_on:
        raise refuse("`trained_on` must name the sets learnt from and their counts")
    if not all(isinstance(count, int) and count > 0 for count in trained_on.values()):
        raise refuse("`trained_on` counts must be positive whole numbers")
    heads_doc = document.get("heads")
    if not isinstance(heads_doc, dict) or set(heads_doc) != set(HEADS):
        raise refuse(f"`heads` must be exactly {', '.join(HEADS)}")
    heads = {}
    for name in HEADS:
        head = heads_doc[name]
        if not isinstance(head, dict):
            raise refuse(f"heads.{name}: expected a mapping")
        intercept, threshold = head.get("intercept"), head.get("threshold")
        scaling = head.get("scaling", "binary")
        if not _finite(intercept):
            raise refuse(f"heads.{name}.intercept must be a number")
        if not _finite(threshold) or not 0.0 < threshold < 1.0:
            raise refuse(f"heads.{name}.threshold must be a probability between 0 and 1")
        if scaling not in SCALINGS:
            raise refuse(f"heads.{name}.scaling must be one of {', '.join(SCALINGS)}")
        weights = head.get("weights")
        if not isinstance(weights, dict) or not weights:
            raise refuse(f"heads.{name}.weights must map words to numbers")
        for gram, weight in weights.items():
            if not isinstance(gram, str) or not _finite(weight):
                raise refuse(f"heads.{name}.weights: {gram!r} must be a word with a number")
            if gram != " ".join(_WORD.findall(gram)) or gram.count(" ") > 1:
                raise refuse(f"heads.{name}.weights: {gram!r} is not a lower-case word or pair of words")
        heads[name] = Head(
            name, float(intercept), float(threshold), {k: float(v) for k, v in weights.items()}, scaling
        )
    return SecondOpinion(version, heads, dict(trained_on))


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


REVIEW = "a statistical second opinion, not a rule: a person needs to check"


def apply_second_opinion(decision: TriageDecision, notes: str, model: SecondOpinion) -> TriageDecision:
    """The decision, raised where the second opinion is confident and the rules were not: safeguarding
    flagged for review (which, as the policy says, goes to the council's safety net), or the tier raised
    to the safety net. Everything the rules concluded stays; each raise is a reason with its words."""
    opinion = model.opinion(notes)
    safeguarding, tier, added = decision.safeguarding, decision.tier, []
    probability, pushes = opinion["safeguarding"]
    head = model.heads["safeguarding"]
    if not safeguarding and probability >= head.threshold:
        safeguarding = True
        detail = (
            f"Possible safeguarding concern ({REVIEW}): notes with words like these were often safeguarding "
            f"cases (score {probability:.2f}; it flags from {head.threshold:.2f}). The rules found none."
        )
        added.append(
            Reason(f"second_opinion.{model.version}.safeguarding", "safeguarding", _quoted(pushes), detail)
        )
    statutory = TIERS[-1]
    if safeguarding and tier != statutory:
        tier = statutory
        detail = f"A possible safeguarding concern goes to the council safety net ({REVIEW})"
        added.append(Reason(f"second_opinion.{model.version}.tier", f"tier:{statutory}", "", detail))
    probability, pushes = opinion["statutory"]
    head = model.heads["statutory"]
    if tier != statutory and probability >= head.threshold:
        tier = statutory
        detail = (
            f"Perhaps for the council safety net ({REVIEW}): notes with words like these usually went there "
            f"(score {probability:.2f}; it raises from {head.threshold:.2f})"
        )
        added.append(
            Reason(f"second_opinion.{model.version}.tier", f"tier:{statutory}", _quoted(pushes), detail)
        )
    if not added:
        return decision
    return replace(decision, tier=tier, safeguarding=safeguarding, reasons=[*decision.reasons, *added])


def _quoted(pushes: list[tuple[str, float]]) -> str:
    """The few words that pushed the score up most, as the other reasons quote the notes."""
    telling = [gram for gram, weight in pushes if weight > 0 and not PLAIN.issuperset(gram.split())]
    return ", ".join(f"'{gram}'" for gram in telling[:EXPLAINED])
