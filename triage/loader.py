"""Load and validate the triage rules from the YAML files in config/triage/."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import yaml

from triage.errors import RulesError
from triage.fuzzy import FuzzyMatcher, FuzzySettings
from triage.language import read_language
from triage.policy_schema import read_policy, read_urgency
from triage.rules import KNOWN_FLAGS, Detector, Indicator, Language, Need, Rules
from triage.schema import Node, optional
from triage.terms import TermSet

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "config" / "triage"
FILES = (
    "language.yaml",
    "needs.yaml",
    "safeguarding.yaml",
    "circumstances.yaml",
    "policy.yaml",
    "urgency.yaml",
)
NEED_ONLY_KEYS = ("unless_needs", "kept_with_needs")
INDICATOR_KEYS = ("requires_also", "requires_too", "implies_needs", "absorbs_needs")
DETECTOR_KEYS = {"label", "terms", "misspellings", "except", "names", "negation", "together", *NEED_ONLY_KEYS}


def load_rules(path: str | Path | None = None) -> Rules:
    """Load the rules from `path` (a folder, default config/triage/); cached per folder."""
    return _load_cached(str(Path(path or DEFAULT_DIR).resolve()))


@lru_cache(maxsize=8)
def _load_cached(folder: str) -> Rules:
    documents, content_hash = _read_documents(Path(folder))
    language, fuzzy_settings = read_language(documents["language.yaml"])
    needs = _read_needs(documents["needs.yaml"], language)
    indicators = _read_indicators(documents["safeguarding.yaml"], language, frozenset(needs))
    circumstances = _read_circumstances(documents["circumstances.yaml"], language)
    topics = frozenset(f"{code}.{topic}" for code, need in needs.items() for topic in need.topics)
    references = {
        "needs": frozenset(needs),
        "topics": topics,
        "indicators": frozenset(indicators),
        "flags": KNOWN_FLAGS | frozenset(circumstances),
    }
    policy = read_policy(documents["policy.yaml"], references)
    urgency_rules = read_urgency(documents["urgency.yaml"], references)
    return Rules(
        version=policy.version,
        content_hash=content_hash,
        language=language,
        needs=needs,
        indicators=indicators,
        circumstances=circumstances,
        need_tiers=policy.need_tiers,
        specialist_needs=policy.specialist_needs,
        unclear_tier=policy.unclear_tier,
        unclear_reason=policy.unclear_reason,
        elderly_from_age=policy.elderly_from_age,
        tier_rules=policy.overrides,
        urgency_rules=urgency_rules,
        fuzzy=_fuzzy_matcher(needs, indicators, circumstances, language, fuzzy_settings),
    )


load_rules.cache_clear = _load_cached.cache_clear  # type: ignore[attr-defined]


def _read_documents(folder: Path) -> tuple[dict[str, Node], str]:
    if not folder.is_dir():
        raise RulesError(str(folder), "", "rules folder not found")
    digest = hashlib.sha256()
    documents = {}
    for name in FILES:
        file = folder / name
        if not file.is_file():
            raise RulesError(str(file), "", "file missing: the rules need " + ", ".join(FILES))
        content = file.read_bytes()
        digest.update(name.encode() + b"\0" + content + b"\0")
        try:
            value = yaml.safe_load(content)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(error, "problem", None) or str(error)
            raise RulesError(str(file), where, f"not valid YAML: {problem}") from error
        documents[name] = Node(str(file), "", value)
    return documents, digest.hexdigest()[:8]


def _read_detector(node: Node, identifier: str, language: Language, default_negation: str) -> Detector:
    fields = node.mapping(allowed=DETECTOR_KEYS | {"topics", *INDICATOR_KEYS})
    if "terms" not in fields and "together" not in fields:
        raise node.fail("give terms, together, or both")
    lists = language.word_lists
    terms_node = optional(fields, "terms", node, [])
    terms = terms_node.texts() + (fields["misspellings"].texts() if "misspellings" in fields else [])
    own_terms = terms_node.terms(lists)
    if "misspellings" in fields:
        fields["misspellings"].terms(lists)
    negation = optional(fields, "negation", node, default_negation).text()
    if negation != "none" and negation not in language.negation:
        known = ", ".join(["none", *language.negation])
        raise fields["negation"].fail(f"unknown negation profile {negation!r}; known: {known}")
    return Detector(
        id=identifier,
        label=optional(fields, "label", node, identifier.rsplit(".", 1)[-1].replace("_", " ")).text(),
        terms=TermSet(terms, lists),
        exceptions=optional(fields, "except", node, []).terms(lists),
        names=optional(fields, "names", node, []).terms(lists),
        negation=None if negation == "none" else negation,
        unless_needs=tuple(optional(fields, "unless_needs", node, []).texts()),
        kept_with_needs=tuple(optional(fields, "kept_with_needs", node, []).texts()),
        together=tuple(_together(group, lists) for group in optional(fields, "together", node, []).items()),
        fuzzy_targets=own_terms.single_words,
    )


def _together(group: Node, lists: Mapping[str, tuple[str, ...]]) -> tuple[TermSet, ...]:
    elements = list(group.items())
    if len(elements) < 2:
        raise group.fail("'together' lists groups of at least two terms that must all be in one sentence")
    return tuple(Node(element.file, element.path, [element.value]).terms(lists) for element in elements)


def _read_needs(document: Node, language: Language) -> dict[str, Need]:
    needs = {}
    for code, node in document.mapping(allowed={"needs"}, required={"needs"})["needs"].mapping().items():
        fields = node.mapping()
        for key in INDICATOR_KEYS:
            if key in fields:
                raise fields[key].fail("only safeguarding indicators may have this key")
        topics = {}
        for topic, topic_node in optional(fields, "topics", node, {}).mapping().items():
            if "topics" in topic_node.mapping():
                raise topic_node.child("topics", None).fail("a topic may not have topics")
            topics[topic] = _read_detector(topic_node, f"{code}.{topic}", language, "need")
        needs[code] = Need(code, _read_detector(node, code, language, "need"), topics)
    if not needs:
        raise document.fail("the taxonomy lists no needs")
    for code, node in document.value["needs"].items():
        _check_unless(Node(document.file, f"needs.{code}", node), needs)
    return needs


def _check_unless(node: Node, needs: dict[str, Need]) -> None:
    fields = node.mapping()
    for key in NEED_ONLY_KEYS:
        for item in optional(fields, key, node, []).items():
            item.choice(frozenset(needs), "need code")
    for topic_node in optional(fields, "topics", node, {}).mapping().values():
        _check_unless(topic_node, needs)


def _read_indicators(document: Node, language: Language, needs: frozenset[str]) -> dict[str, Indicator]:
    indicators = {}
    section = document.mapping(allowed={"indicators"}, required={"indicators"})["indicators"]
    for identifier, node in section.mapping().items():
        fields = node.mapping()
        for key in ("topics", *NEED_ONLY_KEYS):
            if key in fields:
                raise fields[key].fail("only needs may have this key")
        implied = optional(fields, "implies_needs", node, [])
        absorbed = optional(fields, "absorbs_needs", node, [])
        for item in [*implied.items(), *absorbed.items()]:
            item.choice(needs, "need code")
        indicators[identifier] = Indicator(
            detector=_read_detector(node, identifier, language, "risk"),
            requires_also=optional(fields, "requires_also", node, []).terms(language.word_lists),
            requires_too=optional(fields, "requires_too", node, []).terms(language.word_lists),
            implies_needs=tuple(implied.texts()),
            absorbs_needs=tuple(absorbed.texts()),
        )
    return indicators


def _read_circumstances(document: Node, language: Language) -> dict[str, Detector]:
    section = document.mapping(allowed={"circumstances"}, required={"circumstances"})["circumstances"]
    circumstances = {}
    for identifier, node in section.mapping().items():
        fields = node.mapping()
        for key in ("topics", *INDICATOR_KEYS, *NEED_ONLY_KEYS):
            if key in fields:
                raise fields[key].fail("circumstances may not have this key")
        circumstances[identifier] = _read_detector(node, identifier, language, "plain")
    return circumstances


def _fuzzy_matcher(
    needs: dict[str, Need],
    indicators: dict[str, Indicator],
    circumstances: dict[str, Detector],
    language: Language,
    settings: FuzzySettings,
) -> FuzzyMatcher:
    sources = [(f"need:{code}", need.detector) for code, need in needs.items()]
    sources += [(f"topic:{topic.id}", topic) for need in needs.values() for topic in need.topics.values()]
    sources += [(f"indicator:{name}", indicator.detector) for name, indicator in indicators.items()]
    owners: dict[str, list[str]] = {}
    for owner, detector in sources:
        for word in detector.fuzzy_targets:
            if len(word) >= settings.min_length:
                owners.setdefault(word, []).append(owner)
    detectors = [detector for _, detector in sources] + list(circumstances.values())
    term_sets = [terms for detector in detectors for terms in (detector.terms, detector.exceptions)]
    term_sets += [
        terms
        for profile in language.negation.values()
        for terms in (
            profile.before,
            profile.after,
            profile.not_negation,
            profile.cancelled_by,
            profile.sentence,
        )
    ]
    known = frozenset().union(*(terms.literal_words for terms in term_sets))
    stems = frozenset().union(*(terms.stems for terms in term_sets))
    return FuzzyMatcher({word: tuple(found) for word, found in owners.items()}, known, stems, settings)
