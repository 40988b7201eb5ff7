"""Read language.yaml: text-speak, clause words, negation profiles and fuzzy-matching settings."""

from __future__ import annotations

import re

from triage.fuzzy import FuzzySettings
from triage.negation import NegationProfile, ScopeWords
from triage.rules import Language
from triage.schema import Node, optional

_WORD = re.compile(r"[a-z0-9]+")
PROFILE_KEYS = {
    "before",
    "after",
    "not_negation",
    "cancelled_by",
    "window_before",
    "window_after",
    "also",
    "reason",
    "sentence",
    "sentence_reach",
    "cancel_window",
}


def read_language(document: Node) -> tuple[Language, FuzzySettings]:
    fields = document.mapping(
        allowed={
            "abbreviations",
            "word_lists",
            "clause_words",
            "scope_breakers",
            "list_connectors",
            "negation",
            "fuzzy",
        },
        required={"negation", "fuzzy"},
    )
    lists = _word_lists(optional(fields, "word_lists", document, {}))
    language = Language(
        abbreviations=_abbreviations(optional(fields, "abbreviations", document, {})),
        word_lists=lists,
        clause_words=_words(optional(fields, "clause_words", document, [])),
        scope=ScopeWords(
            breakers=_words(optional(fields, "scope_breakers", document, [])),
            connectors=_words(optional(fields, "list_connectors", document, [])),
        ),
        negation={name: _profile(name, node, lists) for name, node in fields["negation"].mapping().items()},
    )
    if "none" in language.negation:
        raise fields["negation"].child("none", None).fail("'none' is reserved: it means no negation")
    _check_also(fields["negation"], language.negation)
    return language, _fuzzy(fields["fuzzy"])


def _abbreviations(node: Node) -> dict[str, tuple[str, ...]]:
    expansions = {}
    for short, expansion in node.mapping().items():
        if not _WORD.fullmatch(short):
            raise expansion.fail("the abbreviation must be one word of lower-case letters and digits")
        words = tuple(expansion.text().lower().split())
        if not all(_WORD.fullmatch(word) for word in words):
            raise expansion.fail("the expansion must be lower-case words separated by spaces")
        expansions[short] = words
    return expansions


def _words(node: Node) -> frozenset[str]:
    words = set()
    for item in node.items():
        word = item.text().lower().replace("'", "")
        if not _WORD.fullmatch(word):
            raise item.fail("expected one word of letters and digits")
        words.add(word)
    return frozenset(words)


def _word_lists(node: Node) -> dict[str, tuple[str, ...]]:
    lists = {}
    for name, entries in node.mapping().items():
        if not re.fullmatch(r"[a-z_]+", name):
            raise entries.fail("a word list name is lower-case letters and underscores")
        for entry in entries.items():
            if "..." in entry.text() or "@" in entry.text():
                raise entry.fail("word list entries hold words only: no '...' and no '@'")
        entries.terms()
        lists[name] = tuple(entries.texts())
    return lists


def _profile(name: str, node: Node, lists: dict[str, tuple[str, ...]]) -> NegationProfile:
    fields = node.mapping(allowed=PROFILE_KEYS, required={"before"})
    return NegationProfile(
        name=name,
        before=fields["before"].terms(lists),
        after=optional(fields, "after", node, []).terms(lists),
        not_negation=optional(fields, "not_negation", node, []).terms(lists),
        cancelled_by=optional(fields, "cancelled_by", node, []).terms(lists),
        window_before=optional(fields, "window_before", node, 3).integer(0, 10),
        window_after=optional(fields, "window_after", node, 2).integer(0, 10),
        also=tuple(optional(fields, "also", node, []).texts()),
        reason=optional(fields, "reason", node, "negated by").text(),
        sentence=optional(fields, "sentence", node, []).terms(lists),
        sentence_reach=optional(fields, "sentence_reach", node, 0).integer(0, 3),
        cancel_window=_cancel_window(fields, node),
    )


def _cancel_window(fields: dict[str, Node], node: Node) -> int | None:
    """A `cancelled_by` cue cancels a match in its clause or within this many words; absent: its sentence."""
    if "cancel_window" not in fields:
        return None
    return fields["cancel_window"].integer(1, 30)


def _check_also(node: Node, profiles: dict[str, NegationProfile]) -> None:
    """`also` names other profiles, which may not bring profiles of their own."""
    for name, profile in profiles.items():
        also = node.child(name, None).child("also", None)
        for index, other in enumerate(profile.also):
            if other not in profiles or other == name:
                known = ", ".join(sorted(set(profiles) - {name}))
                raise also.child(index, other).fail(f"unknown negation profile {other!r}; known: {known}")
            if profiles[other].also:
                raise also.child(index, other).fail(f"{other!r} brings profiles of its own: one level only")


def _fuzzy(node: Node) -> FuzzySettings:
    fields = node.mapping(allowed={"min_length", "score_cutoff", "same_first_letter", "stop_words"})
    return FuzzySettings(
        min_length=optional(fields, "min_length", node, 5).integer(4, 20),
        score_cutoff=float(optional(fields, "score_cutoff", node, 85).integer(70, 100)),
        same_first_letter=optional(fields, "same_first_letter", node, True).boolean(),
        stop_words=_words(optional(fields, "stop_words", node, [])),
    )
