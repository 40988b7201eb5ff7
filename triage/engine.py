"""triage(): notes, need codes and flags in; tier, needs, safeguarding, urgency and reasons out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from triage.decision import Reason, TriageDecision
from triage.errors import UnknownNeedError
from triage.findings import Evidence, Findings, find_all
from triage.loader import load_rules
from triage.rules import KNOWN_FLAGS, TIERS, URGENCIES, Condition, Detector, PolicyRule, Rules


def triage(
    notes: str,
    needs: list[str] | None = None,
    flags: Mapping[str, bool] | None = None,
    rules: Rules | None = None,
    age: int | None = None,
) -> TriageDecision:
    rules = rules or load_rules()
    given = list(dict.fromkeys(needs or []))
    for code in given:
        if code not in rules.needs:
            raise UnknownNeedError(code, rules.need_codes)
    findings = find_all(notes or "", rules)
    facts = _Facts(rules, findings, given, flags or {}, age)
    reasons = facts.need_reasons() + facts.safeguarding_reasons()
    tier, tier_reasons = _decide_tier(rules, facts)
    urgency, urgency_reasons = _decide_urgency(rules, facts)
    return TriageDecision(
        tier=tier,
        needs=facts.needs,
        safeguarding=facts.safeguarding,
        urgency=urgency,
        reasons=reasons + tier_reasons + urgency_reasons + facts.negation_reasons(),
        rules_version=rules.rules_version,
    )


class _Facts:
    """What the notes, the call-taker's codes and the flags establish, with the words for each."""

    def __init__(
        self, rules: Rules, findings: Findings, given: list[str], flags: Mapping[str, bool], age: int | None
    ) -> None:
        self.rules = rules
        self.findings = findings
        self.given = given
        found = findings.evidence
        self.indicators = {name: found[f"indicator:{name}"] for name in rules.indicators if found.get(f"indicator:{name}")}
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
                self.flags.setdefault(name, _quotes(found[f"circumstance:{name}"]))
        self.sources = self._need_sources()
        self.needs = [code for code in rules.needs if self.sources.get(code)]

    def _need_sources(self) -> dict[str, list[tuple[str, list[Evidence], str]]]:
        """For each need: (rule, evidence, kind) triples from the notes, the call-taker and indicators."""
        found = self.findings.evidence
        raw: dict[str, list[tuple[str, list[Evidence], tuple[str, ...]]]] = {}
        for code, need in self.rules.needs.items():
            detectors = [(f"need.{code}", need.detector, found.get(f"need:{code}", []))]
            detectors += [(f"need.{t.id}", t, self.topics.get(t.id, [])) for t in need.topics.values()]
            absorbing = [
                e for name, found_here in self.indicators.items()
                if code in self.rules.indicators[name].absorbs_needs for e in found_here
            ]
            detectors = [(rule, d, _outside(evidence, absorbing)) for rule, d, evidence in detectors]
            raw[code] = [(rule, evidence, d) for rule, d, evidence in detectors if evidence]
        present = set(self.given) | {code for code, items in raw.items() if items}
        sources: dict[str, list[tuple[str, list[Evidence], str]]] = {}
        for code, items in raw.items():
            kept = [(rule, evidence, "found") for rule, evidence, detector in items if _counts(detector, present)]
            if code in self.given:
                kept.insert(0, (f"need.{code}", [], "given"))
            for name, evidence in self.indicators.items():
                if code in self.rules.indicators[name].implies_needs:
                    kept.append((f"need.{code}", evidence, f"implied:{name}"))
            if kept:
                sources[code] = kept
        return sources

    def need_evidence(self, code: str) -> str:
        sources = self.sources.get(code, [])
        found = [e for _, evidence, kind in sources if kind == "found" for e in evidence]
        if found:
            return _quotes(found)
        if any(kind == "given" for _, _, kind in sources):
            return code
        return _quotes(e for _, evidence, _ in sources for e in evidence)

    def need_reasons(self) -> list[Reason]:
        reasons = []
        for code in self.needs:
            label = self.rules.needs[code].detector.label
            for rule, evidence, kind in self.sources[code]:
                if kind == "given":
                    reasons.append(Reason(f"{rule}.given", f"need:{code}", code, "given by call-taker"))
                elif kind == "found":
                    reasons += _match_reasons(rule, f"need:{code}", label, evidence)
                else:
                    detail = f"{label}: implied by the safeguarding indicator {kind.split(':', 1)[1]}"
                    reasons.append(Reason(f"{rule}.implied", f"need:{code}", _quotes(evidence), detail))
        return reasons

    def safeguarding_reasons(self) -> list[Reason]:
        reasons = []
        for name, evidence in self.indicators.items():
            label = self.rules.indicators[name].detector.label
            reasons += _match_reasons(f"safeguarding.{name}", "safeguarding", label, evidence)
        return reasons

    def negation_reasons(self) -> list[Reason]:
        reasons = []
        for owner, negated in self.findings.negated.items():
            kind, name = owner.split(":", 1)
            if kind == "indicator" and name not in self.indicators:
                conclusion, rule = "negated:safeguarding", f"safeguarding.{name}.negated"
            elif kind in ("need", "topic") and name.split(".")[0] not in self.needs:
                conclusion, rule = f"negated:need:{name.split('.')[0]}", f"need.{name}.negated"
            else:
                continue
            for item in negated:
                reasons.append(Reason(rule, conclusion, item.evidence.quote, f"not counted: negated by '{item.cue}'"))
        return reasons

    def satisfied(self, condition: Condition) -> str | None:
        """The evidence for `condition` if it holds, else None."""
        parts = []
        if condition.safeguarding:
            if not self.safeguarding:
                return None
            parts.append(_quotes(e for evidence in self.indicators.values() for e in evidence))
        checks = (
            (condition.needs, set(self.needs), self.need_evidence),
            (condition.topics, set(self.topics), lambda topic: _quotes(self.topics[topic])),
            (condition.indicators, set(self.indicators), lambda name: _quotes(self.indicators[name])),
            (condition.flags, set(self.flags), self.flags.__getitem__),
        )
        if not condition.all_flags <= set(self.flags):
            return None
        parts.extend(self.flags[flag] for flag in sorted(condition.all_flags))
        for wanted, present, evidence_of in checks:
            if wanted:
                matched = sorted(wanted & present)
                if not matched:
                    return None
                parts.extend(evidence_of(item) for item in matched)
        return "; ".join(dict.fromkeys(part for part in parts if part))


def _decide_tier(rules: Rules, facts: _Facts) -> tuple[str, list[Reason]]:
    candidates: list[tuple[str, Reason]] = []
    for code in facts.needs:
        tier = rules.tier_of(code)
        detail = f"{rules.needs[code].detector.label} goes to {tier} (need_tiers in policy.yaml)"
        candidates.append((tier, Reason(f"policy.need_tier.{code}", f"tier:{tier}", facts.need_evidence(code), detail)))
    candidates += _fired(rules.tier_rules, facts, "policy", "tier")
    if not facts.needs:
        candidates.append((rules.unclear_tier, Reason("policy.unclear", f"tier:{rules.unclear_tier}", "", rules.unclear_reason)))
    tier = max((tier for tier, _ in candidates), key=TIERS.index)
    return tier, [reason for candidate, reason in candidates if candidate == tier]


def _decide_urgency(rules: Rules, facts: _Facts) -> tuple[str, list[Reason]]:
    candidates = _fired(rules.urgency_rules, facts, "urgency", "urgency")
    if not candidates:
        return "routine", [Reason("urgency.default", "urgency:routine", "", "no urgency rule matched")]
    urgency = max((level for level, _ in candidates), key=URGENCIES.index)
    return urgency, [reason for level, reason in candidates if level == urgency]


def _fired(policy_rules: Iterable[PolicyRule], facts: _Facts, prefix: str, kind: str) -> list[tuple[str, Reason]]:
    fired = []
    for rule in policy_rules:
        evidence = facts.satisfied(rule.when)
        if evidence is not None:
            fired.append((rule.outcome, Reason(f"{prefix}.{rule.id}", f"{kind}:{rule.outcome}", evidence, rule.description)))
    return fired


def _match_reasons(rule: str, conclusion: str, label: str, evidence: list[Evidence]) -> list[Reason]:
    reasons = []
    exact = [item for item in evidence if item.fuzzy is None]
    if exact:
        reasons.append(Reason(f"{rule}.exact", conclusion, _quotes(exact), label))
    for item in evidence:
        if item.fuzzy is not None:
            target, score = item.fuzzy
            detail = f"{label}: '{item.quote}' read as '{target}' (similarity {score:g})"
            reasons.append(Reason(f"{rule}.fuzzy", conclusion, item.quote, detail))
    return reasons


def _outside(evidence: list[Evidence], absorbing: list[Evidence]) -> list[Evidence]:
    """The evidence that is not part of a safeguarding finding that absorbs this need."""
    return [item for item in evidence if not any(item.hit.overlaps(other.hit) for other in absorbing)]


def _counts(detector: Detector, present: set[str]) -> bool:
    """A need's words count unless one of its unless_needs is present (and none of its kept_with_needs)."""
    return not present & set(detector.unless_needs) or bool(present & set(detector.kept_with_needs))


def _quotes(evidence: Iterable[Evidence]) -> str:
    return "; ".join(dict.fromkeys(item.quote for item in evidence))
