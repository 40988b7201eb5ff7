"""Turn free-text call notes into normalised word tokens with sentence and clause positions.

Sentences end at . ! ? ; and line breaks (not a wrapped line: a break followed by a lower-case word
carries the sentence on, as in a hard-wrapped email, and so does a break with no stop at the end of a long
line of a wrapped paragraph before a name, "...his son in\nAustralia rang"), clauses at commas, brackets
and free-standing dashes. An answer given at once ("Hoarder? No - ...", "DV? denied", "self-harm - none")
stays in the clause it answers.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache

_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z0-9]+)*")
_PART = re.compile(r"[a-z]+|[0-9]+")
_APOSTROPHES = re.compile(r"['’]")
_SENTENCE_END = re.compile(r"[.!?;\n]")
_STOP = re.compile(r"[.!?;]")
_CLAUSE_END = re.compile(r"[,()]|\s[-–—]|[-–—]\s")
_ANSWER_GAP = re.compile(r"[\s?:\-–—]*")
WRAPPED_LINE = 70  # a line this long that ends with no stop is a paragraph wrapped, not a line of a form
# ... and only when it ends on a word no sentence ends on ("who lives and works in\nBristol", "was done on
# 3rd\nNovember"): a long line that reads as a whole sentence is one, even with its full stop left off, so
# what it says ("Nothing to worry about with the shopping") cannot reach into the next line ("She told me
# her partner locks her in").
WRAP_ENDS = frozenset(
    {"a", "an", "the", "in", "on", "at", "to", "of", "for", "from", "with", "by", "into", "onto", "about"}
    | {"than", "and", "or", "but", "nor", "my", "his", "their", "our", "your", "its"}
)
_ORDINAL = re.compile(r"[0-9]+(?:st|nd|rd|th)")
_FORM_LABEL = re.compile(r"[A-Z][A-Za-z/&' ]{0,40}:|[-•*>]|[A-Z][a-z]+ [A-Z][a-z]+ *$")
ANSWERS = frozenset({"no", "nope", "none", "nil", "denied", "denies", "negative", "not"})
TITLES = frozenset({"mr", "mrs", "ms", "dr", "prof", "rev", "st"})
BEFORE_NUMBERS = frozenset({"no", "nr", "approx", "flat", "apt", "tel"})
MIN_STEM = 3  # as in terms.py: the shortest stem and ending a term may use
MIN_ENDING = 4
PAUSE_KEYS = {",": re.compile(","), ".": re.compile(r"\.")}
SENTENCE_GLUE = " . "
PAUSE_GLUE = " , "


@dataclass(frozen=True, slots=True)
class Token:
    word: str
    start: int
    end: int
    sentence: int
    clause: int
    after_pause: bool


@dataclass(frozen=True)
class Notes:
    """The tokens, and `doc`: their words joined by spaces, ' , ' at commas and ' . ' at sentence ends
    (the last sentence too, so a term can end with '.')."""

    text: str
    tokens: tuple[Token, ...]
    doc: str
    offsets: tuple[int, ...]

    def token_span(self, doc_start: int, doc_end: int) -> tuple[int, int]:
        """First and last token index covered by the doc characters [doc_start, doc_end)."""
        return bisect_left(self.offsets, doc_start), bisect_right(self.offsets, doc_end - 1) - 1

    @cached_property
    def words(self) -> frozenset[str]:
        return frozenset(token.word for token in self.tokens)

    @cached_property
    def keys(self) -> frozenset[str]:
        """What a term may need of these notes (terms.py): each word, each `stem*` (3 letters or more)
        and each `*ending` (4 or more) of a word, and ',' and '.' when the doc holds them; a term needing
        a key that is not here cannot match."""
        keys: set[str] = set()
        for word in self.words:
            keys.update(_word_keys(word))
        keys.update(pause for pause in ",." if pause in self.doc)
        return frozenset(keys)

    @cached_property
    def _word_offsets(self) -> dict[str, list[int]]:
        offsets: dict[str, list[int]] = {}
        for token, offset in zip(self.tokens, self.offsets, strict=True):
            offsets.setdefault(token.word, []).append(offset)
        return offsets

    @cached_property
    def _positions(self) -> dict[str, list[int]]:
        return {}

    def positions(self, key: str) -> list[int]:
        """Where in `doc` the tokens with this key (a word, `stem*` or `*ending`, see `keys`) start, or the
        offsets of the ',' or '.' in `doc`."""
        found = self._positions.get(key)
        if found is None:
            words = self._word_offsets
            if key in PAUSE_KEYS:
                found = [match.start() for match in PAUSE_KEYS[key].finditer(self.doc)]
            elif key.endswith("*"):
                found = [o for word, at in words.items() if word.startswith(key[:-1]) for o in at]
            elif key.startswith("*"):
                found = [o for word, at in words.items() if word.endswith(key[1:]) for o in at]
            else:
                found = words.get(key, [])
            self._positions[key] = found
        return found

    def quote(self, first: int, last: int) -> str:
        """The original words of tokens first..last, as written in the notes."""
        return self.text[self.tokens[first].start : self.tokens[last].end]


@lru_cache(maxsize=65536)
def _word_keys(word: str) -> tuple[str, ...]:
    """A word, its `stem*` keys and its `*ending` keys (`Notes.keys`); words recur from note to note."""
    stems = [word[:end] + "*" for end in range(MIN_STEM, len(word) + 1)]
    endings = ["*" + word[start:] for start in range(len(word) - MIN_ENDING + 1)]
    return (word, *stems, *endings)


def fold(text: str) -> str:
    """Lower-case and strip accents, keeping one character per character so offsets stay valid."""
    if text.isascii():
        return text.lower()
    return "".join(unicodedata.normalize("NFKD", char.lower()[:1] or char)[:1] for char in text)


def tokenize(text: str, abbreviations: Mapping[str, tuple[str, ...]], clause_words: frozenset[str]) -> Notes:
    folded = fold(text)
    tokens: list[Token] = []
    sentence = clause = 0
    previous_end = 0
    for match in _WORD.finditer(folded):
        gap = folded[previous_end : match.start()]
        after_pause = False
        if gap != " " or not tokens:  # one space after the last word (most words): same sentence and clause
            if _ANSWER_GAP.fullmatch(gap) and _APOSTROPHES.sub("", match.group()) in ANSWERS:
                gap = " "
            elif tokens and gap.lstrip().startswith(".") and _abbreviated(tokens, match.group()):
                gap = gap.replace(".", " ", 1)
            if (
                tokens
                and _SENTENCE_END.search(gap)
                and not _wrapped(gap, text, previous_end, match.start(), tokens[-1].word)
            ):
                sentence += 1
                clause += 1
            elif tokens and _CLAUSE_END.search(gap):
                clause += 1
            after_pause = bool(tokens) and bool(_CLAUSE_END.search(gap))
        previous_end = match.end()
        for word, start, end in _words_of(match, abbreviations):
            if tokens and word in clause_words:
                clause += 1
            tokens.append(Token(word, start, end, sentence, clause, after_pause))
            after_pause = False
    return _with_doc(text, tokens)


def _wrapped(gap: str, text: str, gap_start: int, next_start: int, last_word: str) -> bool:
    """A line break with no full stop, before a lower-case word, or ending a long line (a paragraph
    wrapped at a fixed width) on a word no sentence ends on (`WRAP_ENDS`, an ordinal) before a word that
    does not start a form's next field ("Risks: ..."): the line was wrapped, not ended."""
    if "\n" not in gap or _STOP.search(gap):
        return False
    if text[next_start].islower():
        return True
    if ":" in gap or gap.count("\n") > 1:
        return False
    if last_word not in WRAP_ENDS and not _ORDINAL.fullmatch(last_word):
        return False
    line_end = gap_start + gap.index("\n")
    line_start = text.rfind("\n", 0, line_end) + 1
    next_end = text.find("\n", next_start)
    next_line = text[next_start : next_end if next_end >= 0 else len(text)]
    return line_end - line_start >= WRAPPED_LINE and not _FORM_LABEL.match(next_line)


def _abbreviated(tokens: list[Token], word: str) -> bool:
    """A full stop after a title ("Mr. Jones"), an initial after a title ("Mrs E. Grant", not a form's
    "Safeguarding: N.") or before a number ("no. 22") ends no sentence."""
    previous = tokens[-1].word
    initial = len(previous) == 1 and previous.isalpha() and len(tokens) > 1 and tokens[-2].word in TITLES
    return previous in TITLES or initial or (previous in BEFORE_NUMBERS and word[:1].isdigit())


def _words_of(
    match: re.Match[str], abbreviations: Mapping[str, tuple[str, ...]]
) -> list[tuple[str, int, int]]:
    word = match.group()
    if "'" in word or "’" in word:
        word = _APOSTROPHES.sub("", word)
    if word in abbreviations or word.isalpha() or word.isdigit():
        return _expanded(word, match.start(), match.end(), abbreviations)
    words = []
    for part in _PART.finditer(match.group()):
        start = match.start() + part.start()
        words += _expanded(part.group(), start, start + len(part.group()), abbreviations)
    return words


def _expanded(
    word: str, start: int, end: int, abbreviations: Mapping[str, tuple[str, ...]]
) -> list[tuple[str, int, int]]:
    return [(expanded, start, end) for expanded in abbreviations.get(word, (word,))]


def _with_doc(text: str, tokens: list[Token]) -> Notes:
    pieces: list[str] = []
    offsets: list[int] = []
    length = 0
    for index, token in enumerate(tokens):
        if index:
            glue = " "
            if token.sentence != tokens[index - 1].sentence:
                glue = SENTENCE_GLUE
            elif token.after_pause:
                glue = PAUSE_GLUE
            pieces.append(glue)
            length += len(glue)
        offsets.append(length)
        pieces.append(token.word)
        length += len(token.word)
    if tokens:
        pieces.append(SENTENCE_GLUE.rstrip())
    return Notes(text, tuple(tokens), "".join(pieces), tuple(offsets))
