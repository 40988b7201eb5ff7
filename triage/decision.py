"""The result of triage: a decision with the reasons for each conclusion, and a human-readable rendering."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reason:
    rule: str
    conclusion: str
    evidence: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class TriageDecision:
    tier: str
    needs: list[str]
    safeguarding: bool
    urgency: str
    reasons: list[Reason] = field(default_factory=list)
    rules_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "needs": list(self.needs),
            "safeguarding": self.safeguarding,
            "urgency": self.urgency,
            "reasons": [reason.to_dict() for reason in self.reasons],
            "rules_version": self.rules_version,
        }


def format_decision(decision: TriageDecision) -> str:
    """Multi-line text for a terminal: the conclusions first, then why."""
    lines = [
        f"Tier:         {decision.tier}",
        f"Urgency:      {decision.urgency}",
        f"Safeguarding: {'YES' if decision.safeguarding else 'no'}",
        f"Needs:        {', '.join(decision.needs) or '(none recognised)'}",
        "Reasons:",
    ]
    for reason in decision.reasons:
        evidence = f' "{reason.evidence}"' if reason.evidence else ""
        lines.append(f"  - {reason.conclusion} [{reason.rule}]{evidence}: {reason.detail}")
    lines.append(f"Rules version: {decision.rules_version}")
    return "\n".join(lines)
