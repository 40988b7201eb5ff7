"""triage(): notes, need codes and flags in; tier, needs, safeguarding, urgency and reasons out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from triage.decision import Reason, TriageDecision
from triage.errors import UnknownNeedError
from triage.findings import Evidence, Findings, find_all
from triage.loader import load_rules
from triage.rules import KNOWN_FLAGS, TIERS, URGENCIES, Condition, PolicyRule, Rules


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
        implied = {need for name in self.indicators for need in rules.indicators[name].implies_needs}
        self.needs = [code for code in rules.needs if code in given or code in implied or self._found_need(code)]

    def _found_need(self, code: str) -> bool:
        return bool(self.findings.evidence.get(f"need:{code}")) or any(
            topic.id in self.topics for topic in self.rules.needs[code].topics.values()
        )

    def need_evidence(self, code: str) -> str:
        found = list(self.findings.evidence.get(f"need:{code}", []))
        for topic in self.rules.needs[code].topics.values():
            found += self.topics.get(topic.id, [])
        if found:
            return _quotes(found)
        if code in self.given:
            return code
        return _quotes(e for name, ev in self.indicators.items() if code in self.rules.indicators[name].implies_needs for e in ev)

    def need_reasons(self) -> list[Reason]:
        reasons = []
        for code in self.needs:
            need = self.rules.needs[code]
            label = need.detector.label
            if code in self.given:
                reasons.append(Reason(f"need.{code}.given", f"need:{code}", code, "given by call-taker"))
            sources = [(f"need.{code}", self.findings.evidence.get(f"need:{code}", []))]
            sources += [(f"need.{topic.id}", self.topics.get(topic.id, [])) for topic in need.topics.values()]
            for rule, evidence in sources:
                reasons += _match_reasons(rule, f"need:{code}", label, evidence)
            for name, evidence in self.indicators.items():
                if code in self.rules.indicators[name].implies_needs:
                    detail = f"{label}: implied by the safeguarding indicator {name}"
                    reasons.append(Reason(f"need.{code}.implied", f"need:{code}", _quotes(evidence), detail))
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
        terms = ", ".join(dict.fromkeys(f"'{item.hit.term}'" for item in exact if item.hit.term))
        reasons.append(Reason(f"{rule}.exact", conclusion, _quotes(exact), f"{label}: matched {terms}"))
    for item in evidence:
        if item.fuzzy is not None:
            target, score = item.fuzzy
            detail = f"{label}: '{item.quote}' read as '{target}' (similarity {score:g})"
            reasons.append(Reason(f"{rule}.fuzzy", conclusion, item.quote, detail))
    return reasons


def _quotes(evidence: Iterable[Evidence]) -> str:
    return "; ".join(dict.fromkeys(item.quote for item in evidence))
