"""Fuzzy matching of misspelt words ("perscription", "shoping") against single-word terms, with rapidfuzz.

Only words of at least `min_length` letters are tried, never a word the rules already know or a stop-list
word, and only against targets that start with the same letter, with a high score cut-off. A word written
with a capital inside a sentence ("Mr Harold Tennant", "the Hosking family") is a name, not a misspelling:
it is not tried (a capital after a stop, a colon, a comma, a number, a dash or a line break, or in a note
written in capitals, still is).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from triage.text import Notes


@dataclass(frozen=True, slots=True)
class FuzzyHit:
    token: int
    word: str
    target: str
    score: float
    owners: tuple[str, ...]


@dataclass(frozen=True)
class FuzzySettings:
    min_length: int
    score_cutoff: float
    same_first_letter: bool
    stop_words: frozenset[str]


class FuzzyMatcher:
    def __init__(
        self,
        targets: Mapping[str, tuple[str, ...]],
        known_words: frozenset[str],
        stems: frozenset[str],
        settings: FuzzySettings,
    ) -> None:
        self._owners = dict(targets)
        self._settings = settings
        self._skip = known_words | settings.stop_words
        self._stem_start = re.compile("|".join(sorted(map(re.escape, stems)))) if stems else None
        self._by_letter: dict[str, list[str]] = defaultdict(list)
        for target in sorted(targets):
            self._by_letter[target[0] if settings.same_first_letter else ""].append(target)
        self.closest = lru_cache(maxsize=8192)(self._closest)

    def find(self, notes: Notes) -> list[FuzzyHit]:
        hits = []
        text = notes.text
        shouting = _mostly_capitals(text)
        for index, token in enumerate(notes.tokens):
            if not shouting and _is_name(text, token.start):
                continue
            found = self.closest(token.word)
            if found:
                target, score = found
                hits.append(FuzzyHit(index, notes.quote(index, index), target, score, self._owners[target]))
        return hits

    def _closest(self, word: str) -> tuple[str, float] | None:
        settings = self._settings
        if len(word) < settings.min_length or not word.isalpha() or word in self._skip:
            return None
        if self._stem_start and self._stem_start.match(word):
            return None
        choices = self._by_letter.get(word[0] if settings.same_first_letter else "", [])
        best = process.extractOne(word, choices, scorer=fuzz.ratio, score_cutoff=settings.score_cutoff)
        return (best[0], round(best[1], 1)) if best else None


_NAME_AFTER = re.compile(r"[A-Za-z&'’]")


def _is_name(text: str, start: int) -> bool:
    """A capitalised word carrying on a sentence: what comes before it (past spaces) ends a word. (After a
    comma or a number it may be a list's item or a dose: "Needs: Shoping, Medz", "took 30 Paracetemol".)"""
    if not text[start].isupper():
        return False
    before = start - 1
    while before >= 0 and text[before] in " \t":
        before -= 1
    return before >= 0 and bool(_NAME_AFTER.fullmatch(text[before]))


def _mostly_capitals(text: str) -> bool:
    letters = sum(map(str.isalpha, text))
    return bool(letters) and sum(map(str.isupper, text)) > letters / 2
