"""triage(): notes, need codes and flags in; tier, needs, safeguarding, urgency and the reasons out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from triage.decision import Reason, TriageDecision
from triage.errors import UnknownNeedError
from triage.facts import Facts, quotes
from triage.findings import Evidence, find_all
from triage.loader import load_rules
from triage.rules import TIER_PHRASES, TIERS, URGENCIES, PolicyRule, Rules
from triage.second_opinion import SecondOpinion, apply_second_opinion


def triage(
    notes: str,
    needs: list[str] | None = None,
    flags: Mapping[str, bool] | None = None,
    rules: Rules | None = None,
    age: int | None = None,
    second_opinion: SecondOpinion | None = None,
) -> TriageDecision:
    """The rules' decision; with `second_opinion` (triage.second_opinion.load_second_opinion()), raised
    where that statistical second opinion is confident and the rules were not (never lowered)."""
    rules = rules or load_rules()
    given = list(dict.fromkeys(needs or []))
    for code in given:
        if code not in rules.needs:
            raise UnknownNeedError(code, rules.need_codes)
    facts = Facts(rules, find_all(notes or "", rules), given, flags or {}, age)
    tier, tier_reasons = _decide_tier(rules, facts)
    urgency, urgency_reasons = _decide_urgency(rules, facts)
    decision = TriageDecision(
        tier=tier,
        needs=facts.needs,
        safeguarding=facts.safeguarding,
        urgency=urgency,
        reasons=[
            *_need_reasons(facts),
            *_safeguarding_reasons(facts),
            *tier_reasons,
            *urgency_reasons,
            *_negation_reasons(facts),
        ],
        rules_version=rules.rules_version,
    )
    second_opinion = second_opinion or rules.second_opinion
    return apply_second_opinion(decision, notes or "", second_opinion) if second_opinion else decision


def _decide_tier(rules: Rules, facts: Facts) -> tuple[str, list[Reason]]:
    candidates = []
    for code in facts.needs:
        tier = rules.tier_of(code)
        detail = f"{rules.needs[code].detector.label}: usually for {TIER_PHRASES[tier]}"
        reason = Reason(f"policy.need_tier.{code}", f"tier:{tier}", facts.need_evidence(code), detail)
        candidates.append((tier, reason))
    candidates += _fired(rules.tier_rules, facts, "policy", "tier")
    if not facts.needs:
        unclear = Reason("policy.unclear", f"tier:{rules.unclear_tier}", "", rules.unclear_reason)
        candidates.append((rules.unclear_tier, unclear))
    tier = max((tier for tier, _ in candidates), key=TIERS.index)
    return tier, [reason for candidate, reason in candidates if candidate == tier]


NOT_URGENT = "nothing in the call makes it urgent"


def _decide_urgency(rules: Rules, facts: Facts) -> tuple[str, list[Reason]]:
    candidates = _fired(rules.urgency_rules, facts, "urgency", "urgency")
    if not candidates:
        return "routine", [Reason("urgency.default", "urgency:routine", "", NOT_URGENT)]
    urgency = max((level for level, _ in candidates), key=URGENCIES.index)
    return urgency, [reason for level, reason in candidates if level == urgency]


def _fired(rules: Iterable[PolicyRule], facts: Facts, prefix: str, kind: str) -> list[tuple[str, Reason]]:
    fired = []
    for rule in rules:
        evidence = facts.satisfied(rule.when)
        if evidence is not None:
            reason = Reason(f"{prefix}.{rule.id}", f"{kind}:{rule.outcome}", evidence, rule.description)
            fired.append((rule.outcome, reason))
    return fired


def _need_reasons(facts: Facts) -> list[Reason]:
    reasons = []
    for code in facts.needs:
        label = facts.rules.needs[code].detector.label
        for source in facts.sources[code]:
            if source.origin == "given":
                reasons.append(Reason(f"{source.rule}.given", f"need:{code}", code, "given by call-taker"))
            elif source.origin == "found":
                reasons += _match_reasons(source.rule, f"need:{code}", label, source.evidence)
            else:
                detail = f"{label}: implied by the safeguarding indicator {source.indicator}"
                reasons.append(
                    Reason(f"{source.rule}.implied", f"need:{code}", quotes(source.evidence), detail)
                )
    return reasons


def _safeguarding_reasons(facts: Facts) -> list[Reason]:
    reasons = []
    for name, evidence in facts.indicators.items():
        label = facts.rules.indicators[name].detector.label
        reasons += _match_reasons(f"safeguarding.{name}", "safeguarding", label, evidence)
    return reasons


def _negation_reasons(facts: Facts) -> list[Reason]:
    """Mentions that were found but negated, when nothing else concluded the same: for the call-taker."""
    reasons = []
    for owner, negated in facts.findings.negated.items():
        kind, name = owner.split(":", 1)
        code = name.split(".")[0]
        if kind == "indicator" and name not in facts.indicators:
            conclusion, rule = "negated:safeguarding", f"safeguarding.{name}.negated"
        elif kind in ("need", "topic") and code not in facts.needs:
            conclusion, rule = f"negated:need:{code}", f"need.{name}.negated"
        else:
            continue
        for item in negated:
            detail = f"not counted: {item.reason} '{item.cue}'"
            reasons.append(Reason(rule, conclusion, item.evidence.quote, detail))
    return reasons


def _match_reasons(rule: str, conclusion: str, label: str, evidence: Iterable[Evidence]) -> list[Reason]:
    evidence = list(evidence)
    exact = [item for item in evidence if item.fuzzy is None]
    reasons = [Reason(f"{rule}.exact", conclusion, quotes(exact), label)] if exact else []
    for item in evidence:
        if item.fuzzy is not None:
            target, score = item.fuzzy
            detail = f"{label}: '{item.quote}' read as '{target}' (similarity {score:g})"
            reasons.append(Reason(f"{rule}.fuzzy", conclusion, item.quote, detail))
    return reasons
