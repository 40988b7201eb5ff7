"""Negation scope: is a matched phrase negated ("denies any abuse") or reassured ("self-harm: none")?

A cue negates a match when it stands within a few words before (or after) it in the same clause, with no
scope breaker (a new subject, "because", "and"...) in between. Phrases that only look like negation
("no longer") are not cues, and a doubt in the same sentence ("not sure if") cancels every negation there.
A negation carries along a plain list: "denies self-harm, suicidal thoughts or abuse".
A profile may bring others along (`also`): a risk is not counted when it is denied, or when it is in the past
("self-harmed as a teenager") and nothing in its sentence says it is back ("again", "still").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from triage.terms import Hit, TermSet
from triage.text import Notes


@dataclass(frozen=True)
class NegationProfile:
    name: str
    before: TermSet
    after: TermSet
    not_negation: TermSet
    cancelled_by: TermSet
    window_before: int
    window_after: int
    also: tuple[str, ...] = ()
    reason: str = "negated by"
    sentence: TermSet = field(default_factory=lambda: TermSet([]))
    sentence_reach: int = 0
    # A cancelling cue ("still", "again", a doubt) cancels a match only in its clause or within this many
    # words of it in the same sentence; None: anywhere in the sentence. "Still walks to the shop every day,
    # ... nearly talked into a new roof, stopped it in time" is no current scam: "still" and "every day" are
    # about other things.
    cancel_window: int | None = None


@dataclass(frozen=True)
class ScopeWords:
    breakers: frozenset[str]
    connectors: frozenset[str]


class NegationScope:
    """The negation cues of one profile found in one set of notes."""

    def __init__(self, profile: NegationProfile, notes: Notes, words: ScopeWords) -> None:
        self._profile = profile
        self._notes = notes
        self._words = words
        pseudo = profile.not_negation.find(notes)
        self._before = [cue for cue in profile.before.find(notes) if not _overlaps_any(cue, pseudo)]
        self._after = [cue for cue in profile.after.find(notes) if not _overlaps_any(cue, pseudo)]
        # A cancelling phrase inside a longer cue is no doubt ("no longer needs" is a cue, "no longer"
        # on its own cancels: "daughter no longer does her shopping").
        cues = self._before + self._after
        self._doubts: dict[int, list[Hit]] = {}
        for cue in profile.cancelled_by.find(notes):
            if not any(_within(cue, longer) for longer in cues):
                self._doubts.setdefault(notes.tokens[cue.first].sentence, []).append(cue)
        # Sentence cues reach every match in their sentence and in the `sentence_reach` sentences before it.
        self._sentence_cues: dict[int, Hit] = {}
        if profile.sentence:
            for cue in profile.sentence.find(notes):
                if _overlaps_any(cue, pseudo):
                    continue
                last = notes.tokens[cue.first].sentence
                for sentence in range(last - profile.sentence_reach, last + 1):
                    self._sentence_cues.setdefault(sentence, cue)

    def cue_for(self, hit: Hit, others: Iterable[Hit] = ()) -> Hit | None:
        """The cue that negates `hit`, or None. A cue that is part of another finding is no cue."""
        tokens = self._notes.tokens
        if self._cancelled(hit):
            return None
        others = tuple(others)
        cue = self._sentence_cues.get(tokens[hit.first].sentence)
        if cue is not None and not cue.overlaps(hit) and not _part_of_another(cue, hit, others):
            return cue
        window_before, window_after = self._profile.window_before, self._profile.window_after
        for cue in self._before:
            near = cue.first < hit.first and hit.first - cue.last - 1 <= window_before
            if (
                near
                and self._in_scope(min(cue.last, hit.first - 1), hit.first)
                and not _part_of_another(cue, hit, others)
            ):
                return cue
        for cue in self._after:
            near = cue.first > hit.last and cue.first - hit.last - 1 <= window_after
            if near and self._in_scope(hit.last, cue.first) and not _part_of_another(cue, hit, others):
                return cue
        return None

    def _cancelled(self, hit: Hit) -> bool:
        doubts = self._doubts.get(self._notes.tokens[hit.first].sentence)
        if not doubts:
            return False
        window = self._profile.cancel_window
        if window is None:
            return True
        tokens = self._notes.tokens
        return any(
            tokens[cue.first].clause == tokens[hit.first].clause
            or (cue.first - hit.last <= window and hit.first - cue.last <= window)
            for cue in doubts
        )

    def _in_scope(self, left: int, right: int) -> bool:
        tokens = self._notes.tokens
        if tokens[left].clause != tokens[right].clause:
            return False
        return not any(tokens[index].word in self._words.breakers for index in range(left + 1, right))


def negated_hits(
    hits: Iterable[Hit], scope: NegationScope, notes: Notes, connectors: frozenset[str]
) -> dict[Hit, Hit]:
    """Map each negated hit to its cue, carrying a negation along a list of hits joined by connectors."""
    ordered = sorted(set(hits), key=lambda hit: (hit.first, hit.last))
    cues: dict[Hit, Hit] = {}
    for position, hit in enumerate(ordered):
        cue = scope.cue_for(hit, ordered)
        if cue is None and cues:
            previous = _nearest_before(ordered, position)
            if previous in cues and _only_connectors(notes, previous.last, hit.first, connectors):
                cue = cues[previous]
        if cue is not None:
            cues[hit] = cue
    return cues


def _nearest_before(ordered: list[Hit], position: int) -> Hit | None:
    hit = ordered[position]
    earlier = [other for other in ordered[:position] if other.last < hit.first]
    return max(earlier, key=lambda other: other.last) if earlier else None


def _only_connectors(notes: Notes, left: int, right: int, connectors: frozenset[str]) -> bool:
    tokens = notes.tokens
    if tokens[left].sentence != tokens[right].sentence:
        return False
    return all(tokens[index].word in connectors for index in range(left + 1, right))


def _within(inner: Hit, outer: Hit) -> bool:
    """`inner` lies inside `outer`, which is longer."""
    return (
        outer.first <= inner.first
        and inner.last <= outer.last
        and inner != outer
        and (outer.last - outer.first > inner.last - inner.first)
    )


def _overlaps_any(cue: Hit, others: list[Hit]) -> bool:
    return any(cue.overlaps(other) for other in others)


def _part_of_another(cue: Hit, hit: Hit, others: tuple[Hit, ...]) -> bool:
    """A cue that is part of another finding (one apart from `hit`) is no cue."""
    return any(cue.overlaps(other) and not other.overlaps(hit) for other in others)
