"""The loaded triage rules: taxonomy, safeguarding indicators, circumstances, policy and urgency."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields, is_dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from triage.errors import UnknownNeedError
from triage.fuzzy import FuzzyMatcher
from triage.negation import NegationProfile, ScopeWords
from triage.terms import TermIndex, TermSet

if TYPE_CHECKING:
    from triage.second_opinion import SecondOpinion

TIERS = ("mutual_aid", "vcs", "statutory")
# The tiers in plain words, as staff and callers say them (the pages, and the reasons below, use these).
TIER_NAMES = {"mutual_aid": "Mutual aid", "vcs": "Local charity or hub", "statutory": "Council safety net"}
TIER_PHRASES = {
    "mutual_aid": "a mutual-aid group",
    "vcs": "a local charity or hub",
    "statutory": "the council safety net",
}
URGENCIES = ("routine", "urgent", "emergency")
KNOWN_FLAGS = frozenset(
    {
        "shielding",
        "lives_alone",
        "disabled",
        "elderly",
        "has_children",
        "no_phone",
        "hearing_impaired",
        "carer",
    }
)


@dataclass(frozen=True)
class Detector:
    """Something found in the notes by its terms: a need, a topic, an indicator or a circumstance."""

    id: str
    label: str
    terms: TermSet
    exceptions: TermSet
    negation: str | None
    unless_needs: tuple[str, ...] = ()
    kept_with_needs: tuple[str, ...] = ()
    together: tuple[tuple[TermSet, ...], ...] = ()
    fuzzy_targets: frozenset[str] = frozenset()
    # words that, written with a capital inside a sentence ("walks Biscuit", "Pip's lead"), are a name
    names: TermSet | None = None


@dataclass(frozen=True)
class Need:
    code: str
    detector: Detector
    topics: Mapping[str, Detector]


@dataclass(frozen=True)
class Indicator:
    detector: Detector
    requires_also: TermSet
    implies_needs: tuple[str, ...]
    absorbs_needs: tuple[str, ...] = ()
    # a second term that must also be found somewhere in the notes (with requires_also: both must be)
    requires_too: TermSet | None = None


@dataclass(frozen=True)
class Condition:
    """All listed kinds must hold; within a kind one listed item is enough (all_flags: every one)."""

    needs: frozenset[str] = frozenset()
    topics: frozenset[str] = frozenset()
    indicators: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()
    all_flags: frozenset[str] = frozenset()
    safeguarding: bool = False


@dataclass(frozen=True)
class PolicyRule:
    id: str
    outcome: str
    description: str
    when: Condition


@dataclass(frozen=True)
class Language:
    abbreviations: Mapping[str, tuple[str, ...]]
    word_lists: Mapping[str, tuple[str, ...]]
    clause_words: frozenset[str]
    scope: ScopeWords
    negation: Mapping[str, NegationProfile]


@dataclass(frozen=True)
class Rules:
    version: str
    content_hash: str
    language: Language
    needs: Mapping[str, Need]
    indicators: Mapping[str, Indicator]
    circumstances: Mapping[str, Detector]
    need_tiers: Mapping[str, str]
    specialist_needs: frozenset[str]
    unclear_tier: str
    unclear_reason: str
    elderly_from_age: int
    tier_rules: tuple[PolicyRule, ...]
    urgency_rules: tuple[PolicyRule, ...]
    fuzzy: FuzzyMatcher
    # The statistical second opinion triage applies after the rules (triage/second_opinion.py), when the
    # service is configured to (TRIAGE_SECOND_OPINION); `load_rules` alone leaves it out.
    second_opinion: SecondOpinion | None = None

    @cached_property
    def term_index(self) -> TermIndex:
        """Every term set of these rules, so a note's keys are read once for all of them (`TermIndex`)."""
        return TermIndex(term_sets_in(self))

    @property
    def rules_version(self) -> str:
        return f"{self.version}+{self.content_hash}"

    @property
    def need_codes(self) -> frozenset[str]:
        return frozenset(self.needs)

    def tier_of(self, need: str) -> str:
        if need not in self.need_tiers:
            raise UnknownNeedError(need, self.need_codes)
        return self.need_tiers[need]


def term_sets_in(value: object) -> Iterator[TermSet]:
    """The term sets inside rules (or any part of them): their dataclasses, mappings and sequences walked."""
    return _term_sets(value, set())


def _term_sets(value: object, seen: set[int]) -> Iterator[TermSet]:
    if isinstance(value, TermSet):
        yield value
        return
    if isinstance(value, str | int | float | bool) or value is None or id(value) in seen:
        return
    seen.add(id(value))
    if is_dataclass(value) and not isinstance(value, type):
        for each in fields(value):
            yield from _term_sets(getattr(value, each.name), seen)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _term_sets(item, seen)
    elif isinstance(value, list | tuple | frozenset | set):
        for item in value:
            yield from _term_sets(item, seen)
