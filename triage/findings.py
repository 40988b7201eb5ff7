"""Find needs, topics, safeguarding indicators and circumstances in the notes, minus negated mentions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from triage.fuzzy import FuzzyHit
from triage.negation import NegationScope, negated_hits
from triage.rules import Detector, Rules
from triage.terms import Hit, TermSet, index_notes
from triage.text import Notes, tokenize


@dataclass(frozen=True)
class Evidence:
    owner: str
    hit: Hit
    quote: str
    fuzzy: tuple[str, float] | None = None


@dataclass(frozen=True)
class Negated:
    evidence: Evidence
    cue: str
    reason: str = "negated by"


@dataclass(frozen=True)
class Cue:
    hit: Hit
    reason: str


@dataclass
class Findings:
    notes: Notes
    evidence: dict[str, list[Evidence]] = field(default_factory=lambda: defaultdict(list))
    negated: dict[str, list[Negated]] = field(default_factory=lambda: defaultdict(list))


def find_all(text: str, rules: Rules) -> Findings:
    language = rules.language
    notes = tokenize(text, language.abbreviations, language.clause_words)
    index_notes(notes, rules.term_index)
    findings = Findings(notes)
    finder = _Finder(rules, notes, findings)
    need_detectors = [(f"need:{code}", need.detector) for code, need in rules.needs.items()]
    need_detectors += [
        (f"topic:{topic.id}", topic) for need in rules.needs.values() for topic in need.topics.values()
    ]
    finder.detect(need_detectors)
    finder.detect((f"indicator:{name}", indicator.detector) for name, indicator in rules.indicators.items())
    finder.detect((f"circumstance:{name}", detector) for name, detector in rules.circumstances.items())
    for name, indicator in rules.indicators.items():
        owner = f"indicator:{name}"
        for required in (indicator.requires_also, indicator.requires_too):
            if required and findings.evidence.get(owner):
                also = finder.kept(required.find(notes), indicator.detector.negation)
                if also:
                    findings.evidence[owner].append(
                        Evidence(owner, also[0], notes.quote(also[0].first, also[0].last))
                    )
                else:
                    del findings.evidence[owner]
    return findings


class _Finder:
    def __init__(self, rules: Rules, notes: Notes, findings: Findings) -> None:
        self._rules = rules
        self._notes = notes
        self._findings = findings
        self._scopes: dict[str, NegationScope] = {}
        self._fuzzy: dict[str, list[FuzzyHit]] = defaultdict(list)
        for fuzzy_hit in rules.fuzzy.find(notes):
            for owner in fuzzy_hit.owners:
                self._fuzzy[owner].append(fuzzy_hit)

    def detect(self, detectors: Iterable[tuple[str, Detector]]) -> None:
        by_profile: dict[str | None, list[Evidence]] = defaultdict(list)
        for owner, detector in detectors:
            by_profile[detector.negation].extend(self._candidates(owner, detector))
        for profile, candidates in by_profile.items():
            cues = self._negations([evidence.hit for evidence in candidates], profile)
            for evidence in candidates:
                cue = cues.get(evidence.hit)
                if cue is None:
                    self._findings.evidence[evidence.owner].append(evidence)
                else:
                    quote = self._notes.quote(cue.hit.first, cue.hit.last)
                    self._findings.negated[evidence.owner].append(Negated(evidence, quote, cue.reason))

    def kept(self, hits: list[Hit], profile: str | None) -> list[Hit]:
        cues = self._negations(hits, profile)
        return [hit for hit in hits if hit not in cues]

    def _candidates(self, owner: str, detector: Detector) -> list[Evidence]:
        notes = self._notes
        candidates = [
            Evidence(owner, hit, notes.quote(hit.first, hit.last)) for hit in detector.terms.find(notes)
        ]
        candidates += [
            Evidence(owner, Hit(hit.token, hit.token, hit.target), hit.word, (hit.target, hit.score))
            for hit in self._fuzzy.get(owner, [])
        ]
        for group in detector.together:
            candidates += self._together(owner, group, detector.negation)
        if not candidates:  # most detectors find nothing in a note: no exception can matter then
            return []
        exceptions = detector.exceptions.find(notes)
        if detector.names:
            exceptions += [hit for hit in detector.names.find(notes) if _written_as_name(notes, hit)]
        return [c for c in candidates if not any(c.hit.overlaps(other) for other in exceptions)]

    def _together(self, owner: str, group: tuple[TermSet, ...], profile: str | None) -> list[Evidence]:
        """One finding per sentence holding a (non-negated) match of every term of the group."""
        tokens = self._notes.tokens
        found_each = []
        for terms in group:  # most groups fail on a term found nowhere: stop there, before any negation
            hits = terms.find(self._notes)
            if not hits:
                return []
            found_each.append(hits)
        per_term = [self.kept(hits, profile) for hits in found_each]
        if not all(per_term):
            return []
        sentences = set.intersection(*({tokens[hit.first].sentence for hit in hits} for hits in per_term))
        found = []
        for sentence in sorted(sentences):
            chosen = [
                next(hit for hit in hits if tokens[hit.first].sentence == sentence) for hits in per_term
            ]
            quote = "; ".join(dict.fromkeys(self._notes.quote(hit.first, hit.last) for hit in chosen))
            label = " + ".join(hit.term for hit in chosen)
            span = Hit(min(hit.first for hit in chosen), max(hit.last for hit in chosen), label)
            found.append(Evidence(owner, span, quote))
        return found

    def _negations(self, hits: list[Hit], profile: str | None) -> dict[Hit, Cue]:
        """Each negated hit with its cue, by `profile` first, then by the profiles it brings along."""
        if profile is None or not hits:
            return {}
        language = self._rules.language
        cues: dict[Hit, Cue] = {}
        for name in (profile, *language.negation[profile].also):
            if name not in self._scopes:
                self._scopes[name] = NegationScope(language.negation[name], self._notes, language.scope)
            reason = language.negation[name].reason
            for hit, cue in negated_hits(
                hits, self._scopes[name], self._notes, language.scope.connectors
            ).items():
                cues.setdefault(hit, Cue(cue, reason))
        return cues


def _written_as_name(notes: Notes, hit: Hit) -> bool:
    """One word written Like This, not the first word of its sentence: a name ("Biscuit", "Pip"), not a
    thing ("biscuits") or an acronym ("PIP")."""
    if hit.first != hit.last or hit.first == 0:
        return False
    tokens = notes.tokens
    token = tokens[hit.first]
    if tokens[hit.first - 1].sentence != token.sentence:
        return False
    written = notes.text[token.start : token.end]
    return len(written) > 1 and written[0].isupper() and written[1:].islower()
