"""Read policy.yaml (tiers and overrides) and urgency.yaml (urgency rules)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from triage.rules import TIERS, URGENCIES, Condition, PolicyRule
from triage.schema import Node, optional

CONDITION_KINDS = ("needs", "topics", "indicators", "flags")
RULE_KEYS = {"id", "description", "when"}


@dataclass(frozen=True)
class Policy:
    version: str
    need_tiers: dict[str, str]
    specialist_needs: frozenset[str]
    unclear_tier: str
    unclear_reason: str
    elderly_from_age: int
    overrides: tuple[PolicyRule, ...]


def read_policy(document: Node, references: Mapping[str, frozenset[str]]) -> Policy:
    fields = document.mapping(
        allowed={"version", "elderly_from_age", "need_tiers", "specialist_needs", "unclear", "overrides"},
        required={"version", "need_tiers", "unclear"},
    )
    need_tiers = {}
    for code, tier in fields["need_tiers"].mapping().items():
        if code not in references["needs"]:
            raise tier.fail(f"{code!r} is not a need in needs.yaml")
        need_tiers[code] = tier.choice(TIERS, "tier")
    for code in sorted(references["needs"] - set(need_tiers)):
        raise fields["need_tiers"].fail(f"need {code!r} has no tier")
    specialist = optional(fields, "specialist_needs", document, [])
    for item in specialist.items():
        if item.choice(references["needs"], "need code") and need_tiers[item.value] == "mutual_aid":
            raise item.fail(f"specialist need {item.value!r} may not have the tier mutual_aid")
    unclear = fields["unclear"].mapping(allowed={"tier", "reason"}, required={"tier", "reason"})
    return Policy(
        version=_version(fields["version"]),
        need_tiers=need_tiers,
        specialist_needs=frozenset(specialist.texts()),
        unclear_tier=unclear["tier"].choice(TIERS, "tier"),
        unclear_reason=unclear["reason"].text(),
        elderly_from_age=optional(fields, "elderly_from_age", document, 70).integer(0, 130),
        overrides=_rules(optional(fields, "overrides", document, []), "tier", TIERS, references),
    )


def read_urgency(document: Node, references: Mapping[str, frozenset[str]]) -> tuple[PolicyRule, ...]:
    fields = document.mapping(allowed={"rules"}, required={"rules"})
    return _rules(fields["rules"], "urgency", URGENCIES, references)


def _version(node: Node) -> str:
    if not isinstance(node.value, str):
        raise node.fail('the version must be text in quotes, e.g. "2026-11-26.1"')
    return node.text()


def _rules(
    node: Node, outcome_key: str, outcomes: tuple[str, ...], references: Mapping[str, frozenset[str]]
) -> tuple[PolicyRule, ...]:
    rules = []
    seen: set[str] = set()
    for item in node.items():
        fields = item.mapping(allowed=RULE_KEYS | {outcome_key}, required=RULE_KEYS | {outcome_key})
        identifier = fields["id"].text()
        if identifier in seen:
            raise fields["id"].fail(f"duplicate rule id {identifier!r}")
        seen.add(identifier)
        rules.append(
            PolicyRule(
                id=identifier,
                outcome=fields[outcome_key].choice(outcomes, outcome_key),
                description=fields["description"].text(),
                when=_condition(fields["when"], references),
            )
        )
    return tuple(rules)


def _condition(node: Node, references: Mapping[str, frozenset[str]]) -> Condition:
    fields = node.mapping(allowed={*CONDITION_KINDS, "all_flags", "safeguarding"})
    if not fields:
        raise node.fail("a condition needs at least one of: " + ", ".join((*CONDITION_KINDS, "safeguarding")))
    lists = {}
    for kind in CONDITION_KINDS:
        if kind in fields:
            items = list(fields[kind].items())
            if not items:
                raise fields[kind].fail("list at least one item or leave the key out")
            lists[kind] = frozenset(item.choice(references[kind], kind[:-1]) for item in items)
    if "all_flags" in fields:
        lists["all_flags"] = frozenset(
            item.choice(references["flags"], "flag") for item in fields["all_flags"].items()
        )
    safeguarding = "safeguarding" in fields and fields["safeguarding"].boolean()
    if "safeguarding" in fields and not safeguarding:
        raise fields["safeguarding"].fail(
            "only 'safeguarding: true' is meaningful; leave the key out otherwise"
        )
    return Condition(safeguarding=safeguarding, **lists)
