"""What the notes, the call-taker's need codes and the flags establish, with the words behind each fact."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from triage.findings import Evidence, Findings
from triage.rules import KNOWN_FLAGS, Condition, Detector, Rules


@dataclass(frozen=True)
class NeedSource:
    """Why a need is there: words in the notes, the call-taker's code, or a safeguarding indicator."""

    rule: str
    origin: str
    evidence: tuple[Evidence, ...] = ()
    indicator: str = ""


class Facts:
    def __init__(
        self, rules: Rules, findings: Findings, given: list[str], flags: Mapping[str, bool], age: int | None
    ) -> None:
        self.rules = rules
        self.findings = findings
        self.given = given
        found = findings.evidence
        self.indicators = {
            name: found[f"indicator:{name}"] for name in rules.indicators if found.get(f"indicator:{name}")
        }
        self.safeguarding = bool(self.indicators)
        self.topics = {
            topic.id: found[f"topic:{topic.id}"]
            for need in rules.needs.values()
            for topic in need.topics.values()
            if found.get(f"topic:{topic.id}")
        }
        self.flags = {name: f"flag:{name}" for name, value in flags.items() if value and name in KNOWN_FLAGS}
        if age is not None and age >= rules.elderly_from_age:
            self.flags.setdefault("elderly", f"age {age}")
        for name in rules.circumstances:
            if found.get(f"circumstance:{name}"):
                self.flags.setdefault(name, quotes(found[f"circumstance:{name}"]))
        self.sources = self._need_sources()
        self.needs = [code for code in rules.needs if self.sources.get(code)]

    def need_evidence(self, code: str) -> str:
        sources = self.sources.get(code, [])
        found = [item for source in sources if source.origin == "found" for item in source.evidence]
        if found or not any(source.origin == "given" for source in sources):
            return quotes(found or [item for source in sources for item in source.evidence])
        return code

    def satisfied(self, condition: Condition) -> str | None:
        """The evidence for `condition` if it holds, else None."""
        if condition.safeguarding and not self.safeguarding:
            return None
        if not condition.all_flags <= set(self.flags):
            return None
        parts = (
            [quotes(e for evidence in self.indicators.values() for e in evidence)]
            if condition.safeguarding
            else []
        )
        parts += [self.flags[flag] for flag in sorted(condition.all_flags)]
        checks = (
            (condition.needs, self.needs, self.need_evidence),
            (condition.topics, self.topics, lambda topic: quotes(self.topics[topic])),
            (condition.indicators, self.indicators, lambda name: quotes(self.indicators[name])),
            (condition.flags, self.flags, self.flags.__getitem__),
        )
        for wanted, present, evidence_of in checks:
            if wanted:
                matched = sorted(wanted.intersection(present))
                if not matched:
                    return None
                parts += [evidence_of(item) for item in matched]
        return "; ".join(dict.fromkeys(part for part in parts if part))

    def _need_sources(self) -> dict[str, list[NeedSource]]:
        found = self.findings.evidence
        candidates: dict[str, list[tuple[Detector, NeedSource]]] = {}
        for code, need in self.rules.needs.items():
            # words that are part of a safeguarding finding (even one put aside as past, foiled or
            # resolved: "a caller said she owed tax, she hung up") are that story, not a request
            absorbing = [
                item
                for name, evidence in self.indicators.items()
                if code in self.rules.indicators[name].absorbs_needs
                for item in evidence
            ] + [
                negated.evidence
                for name, indicator in self.rules.indicators.items()
                if code in indicator.absorbs_needs
                for negated in self.findings.negated.get(f"indicator:{name}", [])
            ]
            detectors = [(f"need.{code}", need.detector, found.get(f"need:{code}", []))]
            detectors += [
                (f"need.{topic.id}", topic, self.topics.get(topic.id, [])) for topic in need.topics.values()
            ]
            candidates[code] = [
                (detector, NeedSource(rule, "found", tuple(kept)))
                for rule, detector, evidence in detectors
                if (kept := _outside(evidence, absorbing))
            ]
        present = set(self.given) | {code for code, items in candidates.items() if items}
        sources: dict[str, list[NeedSource]] = {}
        for code, items in candidates.items():
            kept = [NeedSource(f"need.{code}", "given")] if code in self.given else []
            kept += [source for detector, source in items if _counts(detector, present)]
            kept += [
                NeedSource(f"need.{code}", "implied", tuple(evidence), name)
                for name, evidence in self.indicators.items()
                if code in self.rules.indicators[name].implies_needs
            ]
            if kept:
                sources[code] = kept
        return sources


def quotes(evidence: Iterable[Evidence]) -> str:
    return "; ".join(dict.fromkeys(item.quote for item in evidence))


def _outside(evidence: list[Evidence], absorbing: list[Evidence]) -> list[Evidence]:
    """The evidence that is not part of a safeguarding finding that absorbs this need."""
    return [item for item in evidence if not any(item.hit.overlaps(other.hit) for other in absorbing)]


def _counts(detector: Detector, present: set[str]) -> bool:
    """Words count for a need unless one of its unless_needs is present (and none of its kept_with_needs)."""
    return not present & set(detector.unless_needs) or bool(present & set(detector.kept_with_needs))
