"""The term syntax staff write in the YAML rules, compiled to regular expressions over normalised notes.

A term is words separated by spaces, matched whole and case-insensitively, apostrophes ignored:
  word        that word                        ("hasn't" and "hasnt" are the same word)
  stem*       any word starting with stem      (at least 3 letters before the *)
  *ending     any word ending so               (at least 4 letters after the *: "*statin")
  a/b/c       any one of these words           (each may have a *)
  ...         up to 3 other words in between   (never across a comma or a sentence)
  {70-119}    a number in that range
  (a b | c)   any one of these phrases
  (a | b)?    optionally one of these phrases
  @name       any entry of the word list `name` (word_lists in language.yaml)
  , or .      a comma or a full stop in the notes: ", {70-119} ," finds "Mrs Jones, 84, lives"
A hyphen separates words, as in the notes: "self-harm" is "self harm".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from triage.errors import TermSyntaxError
from triage.text import Notes

GAP = "..."
GAP_WORDS = 3
MIN_STEM = 3
MIN_ENDING = 4
MAX_RANGE = 200
PAUSES = {",": ",", ".": r"\."}
_PIECE = re.compile(r"\.\.\.|[()|?,.]|[^\s()|?,.]+")
_ALTERNATIVE = re.compile(r"\*?[a-z0-9]+\*?")
_RANGE = re.compile(r"\{(\d+)-(\d+)\}")
_LIST = re.compile(r"@[a-z_]+")
_APOSTROPHES = re.compile(r"['’]")
_GAP_REGEX = f"(?: [a-z0-9]+){{0,{GAP_WORDS}}} "
WordLists = Mapping[str, tuple[str, ...]]


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
    words: tuple[str, ...]
    single_words: tuple[str, ...]
    size: int
    gate: frozenset[str] | None


def compile_term(term: str, lists: WordLists | None = None) -> CompiledTerm:
    if not isinstance(term, str) or not term.strip():
        raise TermSyntaxError("a term must be a non-empty string")
    parser = _Parser(term, lists or {})
    pattern, size, single, gate = parser.sequence(top=True)
    if not parser.has_word:
        raise TermSyntaxError(f"{term!r} holds no word")
    return CompiledTerm(term, pattern, tuple(parser.words), tuple(single), size, gate)


Gate = frozenset[str] | None
Element = tuple[str, list[str], Gate]


class _Parser:
    """Recursive descent over the pieces of a term; `words` collects every word alternative.

    Each sequence also gets a gate: words one of which any match must hold (None when unknown), so a
    term set can skip notes that hold none of its gate words."""

    def __init__(self, term: str, lists: WordLists, pieces: list[str] | None = None) -> None:
        self.term = term
        self.lists = lists
        self.pieces = pieces if pieces is not None else _PIECE.findall(_APOSTROPHES.sub("", term.lower()))
        self.position = 0
        self.words: list[str] = []
        self.has_word = False

    def sequence(self, top: bool) -> tuple[str, int, list[str], Gate]:
        parts: list[str] = []
        size = 0
        single: list[str] = []
        required: list[frozenset[str]] = []
        gap_pending = False
        while self.position < len(self.pieces):
            piece = self.pieces[self.position]
            if piece in (")", "|"):
                if top:
                    raise TermSyntaxError(f"unexpected {piece!r} in {self.term!r}")
                break
            self.position += 1
            if piece == GAP:
                if not parts or gap_pending:
                    raise TermSyntaxError(f"'{GAP}' must stand between two words in {self.term!r}")
                gap_pending = True
                continue
            optional = False
            if piece == "(":
                elements = [self.group()]
                optional = self.position < len(self.pieces) and self.pieces[self.position] == "?"
                self.position += optional
            elif piece in PAUSES:
                elements = [(PAUSES[piece], [], None)]
            elif _LIST.fullmatch(piece):
                elements = [self.word_list(piece[1:])]
            else:
                elements = self.atoms(piece)
            if not optional:
                required += [gate for _, _, gate in elements if gate is not None]
            for regex, alternatives, _ in elements:
                if optional and not parts:
                    raise TermSyntaxError(f"a term cannot start with an optional group: {self.term!r}")
                separator = (_GAP_REGEX if gap_pending else " ") if parts else ""
                parts.append(f"(?:{separator}{regex})?" if optional else separator + regex)
                single = alternatives if not size else []
                size += 1
                gap_pending = False
        if gap_pending or not parts:
            raise TermSyntaxError(
                f"'{GAP}' must stand between two words, and groups hold words, in {self.term!r}"
            )
        gate = min(required, key=len) if required else None
        return "".join(parts), size, single if size == 1 else [], gate

    def group(self) -> Element:
        options, gates = [], []
        while True:
            regex, _, _, gate = self.sequence(top=False)
            options.append(regex)
            gates.append(gate)
            if self.position >= len(self.pieces):
                raise TermSyntaxError(f"'(' without ')' in {self.term!r}")
            closing = self.pieces[self.position]
            self.position += 1
            if closing == ")":
                return f"(?:{'|'.join(options)})", [], _union(gates)

    def word_list(self, name: str) -> Element:
        if name not in self.lists:
            raise TermSyntaxError(f"unknown word list '@{name}' in {self.term!r}")
        options, single, gates = [], [], []
        for entry in self.lists[name]:
            pieces = _PIECE.findall(_APOSTROPHES.sub("", entry.lower()))
            if any(piece == GAP or piece.startswith("@") for piece in pieces):
                raise TermSyntaxError(f"entry {entry!r} of '@{name}': no '...' or '@' inside word lists")
            parser = _Parser(entry, {}, pieces)
            regex, size, words, gate = parser.sequence(top=True)
            options.append(regex)
            gates.append(gate)
            single += words if size == 1 else []
            self.words += parser.words
        self.has_word = True
        return f"(?:{'|'.join(sorted(options, key=len, reverse=True))})", single, _union(gates)

    def atoms(self, piece: str) -> list[Element]:
        ranged = _RANGE.fullmatch(piece)
        if ranged:
            low, high = int(ranged.group(1)), int(ranged.group(2))
            if low > high or high - low > MAX_RANGE:
                raise TermSyntaxError(
                    f"number range {piece!r} in {self.term!r}: low-high, at most {MAX_RANGE} apart"
                )
            self.has_word = True
            numbers = sorted((str(n) for n in range(low, high + 1)), key=len, reverse=True)
            return [(f"(?:{'|'.join(numbers)})", [], None)]
        atoms = [self.word(word) for word in piece.split("-") if word]
        if not atoms:
            raise TermSyntaxError(f"{piece!r} in {self.term!r} holds no word")
        return atoms

    def word(self, word: str) -> Element:
        alternatives = word.split("/")
        for alternative in alternatives:
            _check_alternative(alternative, self.term)
        self.words.extend(alternatives)
        self.has_word = True
        regexes = [_alternative_regex(a) for a in sorted(alternatives, key=len, reverse=True)]
        plain = [a for a in alternatives if a.isalpha()]
        gate = frozenset(plain) if len(plain) == len(alternatives) else None
        return (f"(?:{'|'.join(regexes)})" if len(regexes) > 1 else regexes[0]), plain, gate


def _union(gates: list[Gate]) -> Gate:
    """One of several alternatives must match: the gate is all their gates together, if each has one."""
    return None if not gates or None in gates else frozenset().union(*gates)


def _check_alternative(alternative: str, term: str) -> None:
    if not _ALTERNATIVE.fullmatch(alternative) or alternative == "*":
        raise TermSyntaxError(
            f"{alternative!r} in {term!r}: use letters and digits with a '*' at one end, "
            "'/' between single-word alternatives, ( | ) around phrase alternatives"
        )
    if alternative.endswith("*") and len(alternative.strip("*")) < MIN_STEM:
        raise TermSyntaxError(f"stem {alternative!r} in {term!r} is too short (at least {MIN_STEM} letters)")
    if alternative.startswith("*") and len(alternative.strip("*")) < MIN_ENDING:
        raise TermSyntaxError(
            f"ending {alternative!r} in {term!r} is too short (at least {MIN_ENDING} letters)"
        )


def _alternative_regex(alternative: str) -> str:
    core = re.escape(alternative.strip("*"))
    if alternative.startswith("*"):
        core = "[a-z0-9]*" + core
    if alternative.endswith("*"):
        core += "[a-z0-9]*"
    return core


class TermSet:
    """A list of terms searched together; finds which term matched and where."""

    def __init__(self, terms: list[str] | tuple[str, ...], lists: WordLists | None = None) -> None:
        self.compiled = tuple(compile_term(term, lists) for term in terms)
        ordered = sorted(enumerate(self.compiled), key=lambda item: (-item[1].size, -len(item[1].text)))
        body = "|".join(f"(?P<t{index}>{term.pattern})" for index, term in ordered)
        self._regex = re.compile(f"(?<![a-z0-9])(?:{body})(?![a-z0-9])") if self.compiled else None
        gates = [term.gate for term in self.compiled]
        self._gate = None if None in gates else frozenset().union(*gates)

    def __bool__(self) -> bool:
        return bool(self.compiled)

    def find(self, notes: Notes) -> list[Hit]:
        if self._regex is None or (self._gate is not None and self._gate.isdisjoint(notes.words)):
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
        return frozenset(word for term in self.compiled for word in term.single_words)

    @cached_property
    def literal_words(self) -> frozenset[str]:
        return frozenset(word for term in self.compiled for word in term.words if word.isalpha())

    @cached_property
    def stems(self) -> frozenset[str]:
        return frozenset(
            word.rstrip("*")
            for term in self.compiled
            for word in term.words
            if word.endswith("*") and word[0] != "*"
        )
