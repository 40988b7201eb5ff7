"""Who may lower a referral's tier, in which cases, and what the reason must say: `config/tier_changes.yaml`,
validated when it is loaded (messages name the file and the entry). Pure: neither Flask nor the database;
`referrals/triaging.py` asks it once, in `_check_override_allowed`."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from config.settings import CONFIG_DIR, ROOT_DIR, ConfigError
from triage import URGENCIES, Rules

# The roles that may triage a referral again (`referrals.access.TRIAGE_ROLES`), in words for messages.
ROLE_WORDS = {
    "helpline_staff": "helpline staff",
    "safety_net_officer": "a safety-net officer",
    "hub_coordinator": "a hub coordinator",
    "admin": "an admin",
}
WHEN_KEYS = ("safeguarding", "urgencies", "statutory_need")
RULE_KEYS = frozenset({"id", "description", "when", "roles"})
REASON_KEYS = frozenset({"min_words", "min_letters", "not_words"})
TOP_KEYS = frozenset({"version", "reason", "rules"})
WORD = re.compile(r"[^\W\d_]{2,}")  # two or more letters, in any alphabet


@dataclass(frozen=True)
class ReasonRule:
    """A reason must say something: enough distinct real words and letters."""

    min_words: int
    min_letters: int
    not_words: frozenset[str] = frozenset()

    def words(self, text: str) -> list[str]:
        """The words that count: two letters or more, not one letter repeated, not a placeholder, once."""
        counted: list[str] = []
        for word in WORD.findall(text.casefold()):
            if len(set(word)) > 1 and word not in self.not_words and word not in counted:
                counted.append(word)
        return counted

    def problem(self, text: str) -> str | None:
        """None when the reason says enough, else what it lacks."""
        words = self.words(text)
        if len(words) >= self.min_words and sum(map(len, words)) >= self.min_letters:
            return None
        return (
            f"say why in words: at least {self.min_words} words and {self.min_letters} letters "
            "(placeholders such as 'x' or 'asdf' do not count)"
        )


@dataclass(frozen=True)
class Case:
    """What a lowering rule looks at: the referral as it stands and what triage finds in its notes now."""

    safeguarding: bool
    urgencies: frozenset[str]
    statutory_needs: frozenset[str]


@dataclass(frozen=True)
class LoweringRule:
    """Who may lower the tier of the cases it covers: all conditions given must hold (none: any case)."""

    id: str
    description: str
    roles: frozenset[str]
    safeguarding: bool = False
    urgencies: frozenset[str] = frozenset()
    statutory_need: bool = False

    @property
    def covers_every_case(self) -> bool:
        return not (self.safeguarding or self.urgencies or self.statutory_need)

    def applies_to(self, case: Case) -> bool:
        return (
            (not self.safeguarding or case.safeguarding)
            and (not self.urgencies or bool(self.urgencies & case.urgencies))
            and (not self.statutory_need or bool(case.statutory_needs))
        )

    def who(self) -> str:
        return " or ".join(ROLE_WORDS[role] for role in ROLE_WORDS if role in self.roles)


@dataclass(frozen=True)
class TierChangePolicy:
    source: str
    reason: ReasonRule
    rules: tuple[LoweringRule, ...]

    def rule_for(self, case: Case) -> LoweringRule:
        """The first rule that applies; the loader makes sure the last one covers every case."""
        return next(rule for rule in self.rules if rule.applies_to(case))

    def refusal(self, case: Case, role: str) -> str | None:
        """None when the role may lower the tier of this case, else why not (for a 403)."""
        rule = self.rule_for(case)
        if role in rule.roles:
            return None
        grounds = f" ({', '.join(sorted(case.statutory_needs))})" if rule.statutory_need else ""
        return (
            f"only {rule.who()} may lower the tier of {rule.description}{grounds} "
            f"(rule {rule.id!r} in {self.source})"
        )


def statutory_needs(rules: Rules, needs: Iterable[str], reason_rules: Iterable[str]) -> frozenset[str]:
    """The needs and need topics that the triage rules (config/triage/policy.yaml) send to statutory: a need
    whose need_tiers entry is statutory, and a statutory override naming a need or topic whose reason the
    engine gave (`policy.<id>`, e.g. `policy.homelessness`)."""
    found = {need for need in needs if rules.need_tiers.get(need) == "statutory"}
    by_reason = {
        f"policy.{rule.id}": rule.id
        for rule in rules.tier_rules
        if rule.outcome == "statutory" and (rule.when.needs or rule.when.topics)
    }
    found |= {by_reason[name] for name in reason_rules if name in by_reason}
    return frozenset(found)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT_DIR))
    except ValueError:
        return str(path)


def _positive_int(value, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where} must be a whole number of at least 1, not {value!r}")
    return value


def _reason(raw, where: str) -> ReasonRule:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a mapping with min_words and min_letters")
    unknown = set(raw) - REASON_KEYS
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {sorted(unknown)[0]!r}; use {', '.join(sorted(REASON_KEYS))}"
        )
    not_words = raw.get("not_words") or []
    if not isinstance(not_words, list):
        raise ConfigError(f"{where}.not_words must be a list of words")
    for index, word in enumerate(not_words):
        if not isinstance(word, str) or not word.strip():
            raise ConfigError(
                f"{where}.not_words[{index}]: {word!r} is not a word (quote yes, no, on and off: "
                "unquoted, YAML reads them as true or false)"
            )
    return ReasonRule(
        min_words=_positive_int(raw.get("min_words"), f"{where}.min_words"),
        min_letters=_positive_int(raw.get("min_letters"), f"{where}.min_letters"),
        not_words=frozenset(w.strip().casefold() for w in not_words),
    )


def _when(raw, where: str) -> dict:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(f"{where}.when must be a mapping of {', '.join(WHEN_KEYS)} (or left out)")
    unknown = set(raw) - set(WHEN_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}.when: unknown condition {sorted(unknown)[0]!r}; use {', '.join(WHEN_KEYS)}"
        )
    found: dict = {}
    for key in ("safeguarding", "statutory_need"):
        if key in raw:
            if raw[key] is not True:
                raise ConfigError(f"{where}.when.{key} may only be true (leave it out otherwise)")
            found[key] = True
    if "urgencies" in raw:
        urgencies = raw["urgencies"]
        if not isinstance(urgencies, list) or not urgencies or not all(u in URGENCIES for u in urgencies):
            raise ConfigError(
                f"{where}.when.urgencies must list some of {', '.join(URGENCIES)}, not {urgencies!r}"
            )
        found["urgencies"] = frozenset(urgencies)
    return found


def _rule(raw, index: int, where: str) -> LoweringRule:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: rules[{index}] must be a mapping with id, description, when and roles")
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not rule_id.strip():
        raise ConfigError(f"{where}: rules[{index}] needs an id")
    where = f"{where}: rules[{index}] ({rule_id})"
    unknown = set(raw) - RULE_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r}; use {', '.join(sorted(RULE_KEYS))}")
    description = raw.get("description")
    if not isinstance(description, str) or not description.strip():
        raise ConfigError(f"{where} needs a description (it is shown to whoever is refused)")
    roles = raw.get("roles")
    if not isinstance(roles, list) or not roles:
        raise ConfigError(f"{where}.roles must list at least one of {', '.join(ROLE_WORDS)}")
    for role in roles:
        if role not in ROLE_WORDS:
            raise ConfigError(f"{where}.roles: unknown role {role!r}; choose from {', '.join(ROLE_WORDS)}")
    return LoweringRule(
        id=rule_id, description=description.strip(), roles=frozenset(roles), **_when(raw.get("when"), where)
    )


def load_tier_change_policy(path: Path = CONFIG_DIR / "tier_changes.yaml") -> TierChangePolicy:
    try:
        document = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the tier-change rules: {exc}") from exc
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: expected a mapping with reason and rules")
    unknown = set(document) - TOP_KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown key {sorted(unknown)[0]!r}; use {', '.join(sorted(TOP_KEYS))}")
    raw_rules = document.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise ConfigError(f"{path}: rules must list at least one rule")
    rules = tuple(_rule(raw, index, str(path)) for index, raw in enumerate(raw_rules))
    seen: set[str] = set()
    for index, rule in enumerate(rules):
        if rule.id in seen:
            raise ConfigError(f"{path}: rules[{index}] ({rule.id}): the id is used twice")
        seen.add(rule.id)
        if rule.covers_every_case and index != len(rules) - 1:
            raise ConfigError(
                f"{path}: rules[{index}] ({rule.id}) has no `when`, so the rules after it would never apply;"
                " put it last"
            )
    if not rules[-1].covers_every_case:
        raise ConfigError(
            f"{path}: rules[{len(rules) - 1}] ({rules[-1].id}): the last rule must have no `when`"
            " so that every case has one"
        )
    return TierChangePolicy(
        source=_shown(path), reason=_reason(document.get("reason"), f"{path}: reason"), rules=rules
    )
