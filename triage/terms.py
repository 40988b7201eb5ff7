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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache

from triage.errors import TermSyntaxError
from triage.text import MIN_ENDING, MIN_STEM, Notes

GAP = "..."
GAP_WORDS = 3
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
    clauses: tuple[frozenset[str], ...] = ()
    first: frozenset[str] | None = None


def compile_term(term: str, lists: WordLists | None = None) -> CompiledTerm:
    if not isinstance(term, str) or not term.strip():
        raise TermSyntaxError("a term must be a non-empty string")
    lists = lists or {}
    names = sorted({found[1:] for found in _LIST.findall(term.lower())})
    used = tuple((name, tuple(lists[name]) if name in lists else None) for name in names)
    return _compiled_term(term, used)


@lru_cache(maxsize=16384)
def _compiled_term(term: str, used: tuple[tuple[str, tuple[str, ...] | None], ...]) -> CompiledTerm:
    """A term compiled with the word lists it names (`used`), kept for the next load of the same rules."""
    lists = {name: entries for name, entries in used if entries is not None}
    parser = _Parser(term, lists)
    pattern, size, single, gate = parser.sequence(top=True)
    if not parser.has_word:
        raise TermSyntaxError(f"{term!r} holds no word")
    clauses = tuple(dict.fromkeys(parser.clauses))
    return CompiledTerm(term, pattern, tuple(parser.words), tuple(single), size, gate, clauses, parser.first)


Gate = frozenset[str] | None
Element = tuple[str, list[str], Gate, Gate, Gate]


class _Parser:
    """Recursive descent over the pieces of a term; `words` collects every word alternative.

    Each sequence also gets a gate: words one of which any match must hold (None when unknown), so a
    term set can skip notes that hold none of its gate words. Each element also gets keys (see `Notes.keys`:
    words, `stem*`, `*ending`, the numbers of a range), and `clauses` lists the keys of every element the
    whole term needs: a term whose clauses are not all met by a note's keys cannot match it. `first`: the
    keys one of which the token where a match starts must have (a pause: ',' or '.'), None when unknown."""

    def __init__(self, term: str, lists: WordLists, pieces: list[str] | None = None) -> None:
        self.term = term
        self.lists = lists
        self.pieces = pieces if pieces is not None else _PIECE.findall(_APOSTROPHES.sub("", term.lower()))
        self.position = 0
        self.words: list[str] = []
        self.has_word = False
        self.clauses: list[frozenset[str]] = []
        self.last_keys: Gate = None
        self.first: Gate = None

    def sequence(self, top: bool) -> tuple[str, int, list[str], Gate]:
        parts: list[str] = []
        size = 0
        single: list[str] = []
        required: list[frozenset[str]] = []
        needed: list[frozenset[str]] = []
        first: Gate = None
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
                elements = [(PAUSES[piece], [], None, None, frozenset(piece))]
            elif _LIST.fullmatch(piece):
                elements = [self.word_list(piece[1:])]
            else:
                elements = self.atoms(piece)
            if not optional:
                required += [gate for _, _, gate, _, _ in elements if gate is not None]
                needed += [keys for _, _, _, keys, _ in elements if keys is not None]
            for regex, alternatives, _, _, starts in elements:
                if optional and not parts:
                    raise TermSyntaxError(f"a term cannot start with an optional group: {self.term!r}")
                if not parts:
                    first = starts
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
        self.last_keys = min(needed, key=len) if needed else None
        self.first = first
        if top:
            self.clauses = needed
        return "".join(parts), size, single if size == 1 else [], gate

    def group(self) -> Element:
        options, gates, keys, firsts = [], [], [], []
        while True:
            regex, _, _, gate = self.sequence(top=False)
            options.append(regex)
            gates.append(gate)
            keys.append(self.last_keys)
            firsts.append(self.first)
            if self.position >= len(self.pieces):
                raise TermSyntaxError(f"'(' without ')' in {self.term!r}")
            closing = self.pieces[self.position]
            self.position += 1
            if closing == ")":
                return f"(?:{'|'.join(options)})", [], _union(gates), _union(keys), _union(firsts)

    def word_list(self, name: str) -> Element:
        if name not in self.lists:
            raise TermSyntaxError(f"unknown word list '@{name}' in {self.term!r}")
        options, single, gates, keys, firsts = [], [], [], [], []
        for entry in self.lists[name]:
            pieces = _PIECE.findall(_APOSTROPHES.sub("", entry.lower()))
            if any(piece == GAP or piece.startswith("@") for piece in pieces):
                raise TermSyntaxError(f"entry {entry!r} of '@{name}': no '...' or '@' inside word lists")
            parser = _Parser(entry, {}, pieces)
            regex, size, words, gate = parser.sequence(top=True)
            options.append(regex)
            gates.append(gate)
            keys.append(parser.last_keys)
            firsts.append(parser.first)
            single += words if size == 1 else []
            self.words += parser.words
        self.has_word = True
        pattern = f"(?:{'|'.join(sorted(options, key=len, reverse=True))})"
        return pattern, single, _union(gates), _union(keys), _union(firsts)

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
            return [(f"(?:{'|'.join(numbers)})", [], None, frozenset(numbers), frozenset(numbers))]
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
        inside = any(a.startswith("*") and a.endswith("*") for a in alternatives)  # no key for "*part*"
        keys = None if inside else frozenset(alternatives)
        regex = f"(?:{'|'.join(regexes)})" if len(regexes) > 1 else regexes[0]
        return regex, plain, gate, keys, keys


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


@lru_cache(maxsize=8192)
def _whole_words(body: str) -> re.Pattern[str]:
    """A term set's regex, kept: the rules hold a few thousand (more than `re`'s own cache), and loading
    changed rules (a test's copy, a reload) compiles again only the sets whose terms changed."""
    return re.compile(f"(?<![a-z0-9])(?:{body})(?![a-z0-9])")


class TermSet:
    """A list of terms searched together; finds which term matched and where.

    The terms make one regex, alternatives in order (longest first), scanned left to right. `find` first
    drops the terms that cannot match the notes (a key one of their clauses needs is missing: see
    `Notes.keys`); a term that cannot match changes no match. Then it tries the regex only where a
    remaining term can start (a token with one of its `first` keys), which finds exactly what a scan of
    the whole text finds, as no match can start anywhere else."""

    def __init__(self, terms: list[str] | tuple[str, ...], lists: WordLists | None = None) -> None:
        self.compiled = tuple(compile_term(term, lists) for term in terms)
        ordered = sorted(enumerate(self.compiled), key=lambda item: (-item[1].size, -len(item[1].text)))
        body = "|".join(f"(?P<t{index}>{term.pattern})" for index, term in ordered)
        self._regex = _whole_words(body) if self.compiled else None
        # Each distinct clause is a bit; a key sets the bits of the clauses it meets; a term can match when
        # every bit of its mask is met. `masks`: each term's mask and first keys.
        bits: dict[frozenset[str], int] = {}
        for term in self.compiled:
            for clause in term.clauses:
                bits.setdefault(clause, 1 << len(bits))
        self._key_masks: dict[str, int] = {}
        for clause, bit in bits.items():
            for key in clause:
                self._key_masks[key] = self._key_masks.get(key, 0) | bit
        self._keys = frozenset(self._key_masks)
        masks = [(sum(bits[clause] for clause in term.clauses), term.first) for term in self.compiled]
        self._always = any(mask == 0 for mask, _ in masks)
        # For `find`: each first key with the masks of the terms that may start there, and the masks of terms
        # that may start anywhere, so the keys a match can start at are found without a pass over every term.
        first_masks: dict[str, set[int]] = {}
        anywhere: set[int] = set()
        for mask, first in masks:
            if first is None:
                anywhere.add(mask)
            else:
                for key in first:
                    first_masks.setdefault(key, set()).add(mask)
        self._first_masks = {key: tuple(masks) for key, masks in first_masks.items()}
        self._first_keys = frozenset(first_masks)
        self._anywhere = tuple(anywhere)

    def __bool__(self) -> bool:
        return bool(self.compiled)

    def find(self, notes: Notes, prefilter: bool = True) -> list[Hit]:
        """Every match, left to right. prefilter=False scans the whole text (the same matches, slower)."""
        regex = self._regex
        if regex is None:
            return []
        if not prefilter:
            return self._hits(notes, regex.finditer(notes.doc))
        keys = notes.keys
        indexed = notes.__dict__.get(_INDEXED)  # the clause bits of every set of the rules (`index_notes`)
        met = indexed.met_of(self) if indexed is not None else None
        if met is None:
            met = 0
            for key in self._keys.intersection(keys):
                met |= self._key_masks[key]
        if not met and not self._always:  # no key of any term here (every key a term needs has a bit)
            return []
        unmet = ~met
        for mask in self._anywhere:
            if not mask & unmet:
                return self._hits(notes, regex.finditer(notes.doc))
        first_masks = self._first_masks
        starts = []
        for key in self._first_keys.intersection(keys):
            for mask in first_masks[key]:
                if not mask & unmet:
                    starts.append(key)
                    break
        if not starts:
            return []
        doc = notes.doc
        position = 0
        hits = []
        for start in sorted({offset for key in starts for offset in notes.positions(key)}):
            if start < position:
                continue
            match = regex.match(doc, start)
            if match is not None:
                hits += self._hits(notes, (match,))
                position = match.end()
        return hits

    def _hits(self, notes: Notes, matches: Iterable[re.Match[str]]) -> list[Hit]:
        hits = []
        for match in matches:
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


_INDEXED = "_indexed_terms"


class TermIndex:
    """The term sets of a rule set by the keys their terms need (`TermSet.find`): for one set of notes, the
    clause bits each set's keys there meet, found in one pass over the notes' keys (`index_notes`) rather
    than a set intersection for each of a few hundred sets on every call.

    Every set's clause bits sit side by side in one wide integer (each set at its own offset), and each key
    holds the bits it meets of every set, so reading a note is one OR per key it holds."""

    def __init__(self, term_sets: Iterable[TermSet]) -> None:
        self._slots: dict[TermSet, tuple[int, int]] = {}  # offset and mask of each set's clause bits
        by_key: dict[str, int] = {}
        offset = 0
        for term_set in term_sets:
            if term_set in self._slots:
                continue
            width = max((bits.bit_length() for bits in term_set._key_masks.values()), default=0)
            self._slots[term_set] = (offset, (1 << width) - 1)
            for key, bits in term_set._key_masks.items():
                by_key[key] = by_key.get(key, 0) | bits << offset
            offset += width
        self._by_key = by_key
        self._keys = frozenset(by_key)

    def __len__(self) -> int:
        return len(self._slots)

    def read(self, keys: Iterable[str]) -> IndexedNotes:
        by_key = self._by_key
        met = 0
        for key in self._keys.intersection(keys):  # most of a note's keys (stems, endings) need no term
            met |= by_key[key]
        return IndexedNotes(self._slots, met)


@dataclass(frozen=True)
class IndexedNotes:
    slots: Mapping[TermSet, tuple[int, int]]
    met: int

    def met_of(self, term_set: TermSet) -> int | None:
        """The clause bits the notes meet of a set of the index; None for a set it does not hold."""
        slot = self.slots.get(term_set)
        return None if slot is None else self.met >> slot[0] & slot[1]


def index_notes(notes: Notes, index: TermIndex) -> None:
    """Read the notes' keys once for every term set of `index`; `TermSet.find` on these notes then asks the
    index what its keys meet (the same answer as its own intersection, which sets outside the index keep)."""
    notes.__dict__[_INDEXED] = index.read(notes.keys)
