"""The term syntax staff write in the YAML rules, compiled to regular expressions over normalised notes.

A term is words separated by spaces, matched whole and case-insensitively, apostrophes ignored:
  word        that word                        ("hasn't" and "hasnt" are the same word)
  stem*       any word starting with stem      (at least 3 letters before the *)
  a/b/c       any one of these words           (each may end in *)
  ...         up to 3 other words in between   (never across a sentence)
  {70-119}    a number in that range
A hyphen separates words, as in the notes: "self-harm" is "self harm".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from triage.errors import TermSyntaxError
from triage.text import Notes

GAP = "..."
GAP_WORDS = 3
MIN_STEM = 3
MAX_RANGE = 200
_ALTERNATIVE = re.compile(r"[a-z0-9]+\*?")
_RANGE = re.compile(r"\{(\d+)-(\d+)\}")
_APOSTROPHES = re.compile(r"['’]")


@dataclass(frozen=True, slots=True)
class Hit:
    first: int
    last: int
    term: str

    def overlaps(self, other: Hit) -> bool:
        return self.first <= other.last and other.first <= self.last


@dataclass(frozen=True)
class CompiledTerm:
    text: str
    pattern: str
    atoms: tuple[tuple[str, ...], ...]


def compile_term(term: str) -> CompiledTerm:
    if not isinstance(term, str) or not term.strip():
        raise TermSyntaxError("a term must be a non-empty string")
    parts: list[str] = []
    atoms: list[tuple[str, ...]] = []
    gap_pending = False
    for piece in term.lower().split():
        if piece == GAP:
            if not atoms or gap_pending:
                raise TermSyntaxError(f"'{GAP}' must stand between two words in {term!r}")
            gap_pending = True
            continue
        for atom_regex, alternatives in _atoms_of(piece, term):
            if atoms:
                parts.append(f"(?: [a-z0-9]+){{0,{GAP_WORDS}}} " if gap_pending else " ")
            parts.append(atom_regex)
            atoms.append(alternatives)
            gap_pending = False
    if gap_pending:
        raise TermSyntaxError(f"'{GAP}' must stand between two words in {term!r}")
    return CompiledTerm(term, "".join(parts), tuple(atoms))


def _atoms_of(piece: str, term: str) -> list[tuple[str, tuple[str, ...]]]:
    ranged = _RANGE.fullmatch(piece)
    if ranged:
        low, high = int(ranged.group(1)), int(ranged.group(2))
        if low > high or high - low > MAX_RANGE:
            raise TermSyntaxError(f"number range {piece!r} in {term!r} must be low-high, at most {MAX_RANGE}")
        numbers = tuple(str(number) for number in range(low, high + 1))
        return [(f"(?:{'|'.join(sorted(numbers, key=len, reverse=True))})", numbers)]
    cleaned = _APOSTROPHES.sub("", piece)
    return [_word_atom(word, term) for word in cleaned.split("-") if word] or _refuse(piece, term)


def _word_atom(word: str, term: str) -> tuple[str, tuple[str, ...]]:
    alternatives = tuple(alternative for alternative in word.split("/"))
    for alternative in alternatives:
        if not _ALTERNATIVE.fullmatch(alternative):
            raise TermSyntaxError(
                f"{alternative!r} in {term!r}: use letters and digits, '*' at the end, '/' between alternatives"
            )
        if alternative.endswith("*") and len(alternative) - 1 < MIN_STEM:
            raise TermSyntaxError(f"stem {alternative!r} in {term!r} is too short (at least {MIN_STEM} letters)")
    ordered = sorted(alternatives, key=len, reverse=True)
    regexes = [re.escape(a.rstrip("*")) + ("[a-z0-9]*" if a.endswith("*") else "") for a in ordered]
    return (f"(?:{'|'.join(regexes)})" if len(regexes) > 1 else regexes[0]), alternatives


def _refuse(piece: str, term: str) -> list[tuple[str, tuple[str, ...]]]:
    raise TermSyntaxError(f"{piece!r} in {term!r} holds no word")


class TermSet:
    """A list of terms searched together; finds which term matched and where."""

    def __init__(self, terms: list[str] | tuple[str, ...]) -> None:
        self.compiled = tuple(compile_term(term) for term in terms)
        ordered = sorted(enumerate(self.compiled), key=lambda item: (-len(item[1].atoms), -len(item[1].text)))
        body = "|".join(f"(?P<t{index}>{term.pattern})" for index, term in ordered)
        self._regex = re.compile(f"(?<![a-z0-9])(?:{body})(?![a-z0-9])") if self.compiled else None

    def __bool__(self) -> bool:
        return bool(self.compiled)

    def find(self, notes: Notes) -> list[Hit]:
        if self._regex is None:
            return []
        hits = []
        for match in self._regex.finditer(notes.doc):
            first, last = notes.token_span(match.start(), match.end())
            term = self.compiled[int(match.lastgroup[1:])].text if match.lastgroup else ""
            hits.append(Hit(first, last, term))
        return hits

    @cached_property
    def single_words(self) -> frozenset[str]:
        """Plain words that make a whole term on their own: the targets of fuzzy matching."""
        return frozenset(
            alternative
            for term in self.compiled
            if len(term.atoms) == 1
            for alternative in term.atoms[0]
            if alternative.isalpha()
        )

    @cached_property
    def literal_words(self) -> frozenset[str]:
        return frozenset(
            alternative
            for term in self.compiled
            for atom in term.atoms
            for alternative in atom
            if alternative.isalpha()
        )

    @cached_property
    def stems(self) -> frozenset[str]:
        return frozenset(
            alternative[:-1]
            for term in self.compiled
            for atom in term.atoms
            for alternative in atom
            if alternative.endswith("*")
        )
