"""Triage of a call's notes into tier, needs, safeguarding and urgency, by rules kept in config/triage/."""

from triage.decision import Reason, TriageDecision, format_decision
from triage.engine import triage
from triage.errors import RulesError, UnknownNeedError
from triage.loader import load_rules
from triage.rules import TIER_NAMES, TIERS, URGENCIES, Rules


def __getattr__(name: str) -> frozenset[str]:
    """NEED_CODES: the need codes of the default rules, loaded on first use."""
    if name == "NEED_CODES":
        return load_rules().need_codes
    raise AttributeError(f"module 'triage' has no attribute {name!r}")


__all__ = [
    "NEED_CODES",
    "TIERS",
    "TIER_NAMES",
    "URGENCIES",
    "Reason",
    "Rules",
    "RulesError",
    "TriageDecision",
    "UnknownNeedError",
    "format_decision",
    "load_rules",
    "triage",
]
