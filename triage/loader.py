"""Load and validate the triage rules from the YAML files in config/triage/."""

from __future__ import annotations

import hashlib
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
FILES = ("language.yaml", "needs.yaml", "safeguarding.yaml", "circumstances.yaml", "policy.yaml", "urgency.yaml")
DETECTOR_KEYS = {"label", "terms", "misspellings", "except", "negation"}


def load_rules(path: str | Path | None = None) -> Rules:
    """Load the rules from `path` (a folder, default config/triage/); cached per folder."""
    return _load_cached(str(Path(path or DEFAULT_DIR).resolve()))


@lru_cache(maxsize=8)
def _load_cached(folder: str) -> Rules:
    documents, content_hash = _read_documents(Path(folder))
    language, fuzzy_settings = read_language(documents["language.yaml"])
    profiles = frozenset(language.negation)
    needs = _read_needs(documents["needs.yaml"], profiles)
    indicators = _read_indicators(documents["safeguarding.yaml"], profiles, frozenset(needs))
    circumstances = _read_circumstances(documents["circumstances.yaml"], profiles)
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


def _read_detector(node: Node, identifier: str, profiles: frozenset[str], default_negation: str) -> Detector:
    fields = node.mapping(allowed=DETECTOR_KEYS | {"topics", "requires_also", "implies_needs"}, required={"terms"})
    terms = fields["terms"].texts() + (fields["misspellings"].texts() if "misspellings" in fields else [])
    fields["terms"].terms()
    if "misspellings" in fields:
        fields["misspellings"].terms()
    negation = optional(fields, "negation", node, default_negation).text()
    if negation != "none" and negation not in profiles:
        raise fields["negation"].fail(f"unknown negation profile {negation!r}; known: none, {', '.join(profiles)}")
    return Detector(
        id=identifier,
        label=optional(fields, "label", node, identifier.rsplit(".", 1)[-1].replace("_", " ")).text(),
        terms=TermSet(terms),
        exceptions=optional(fields, "except", node, []).terms(),
        negation=None if negation == "none" else negation,
    )


def _read_needs(document: Node, profiles: frozenset[str]) -> dict[str, Need]:
    needs = {}
    for code, node in document.mapping(allowed={"needs"}, required={"needs"})["needs"].mapping().items():
        fields = node.mapping()
        for key in ("requires_also", "implies_needs"):
            if key in fields:
                raise fields[key].fail("only safeguarding indicators may have this key")
        topics = {
            topic: _read_detector(topic_node, f"{code}.{topic}", profiles, "need")
            for topic, topic_node in optional(fields, "topics", node, {}).mapping().items()
        }
        needs[code] = Need(code, _read_detector(node, code, profiles, "need"), topics)
    if not needs:
        raise document.fail("the taxonomy lists no needs")
    return needs


def _read_indicators(document: Node, profiles: frozenset[str], needs: frozenset[str]) -> dict[str, Indicator]:
    indicators = {}
    section = document.mapping(allowed={"indicators"}, required={"indicators"})["indicators"]
    for identifier, node in section.mapping().items():
        fields = node.mapping()
        if "topics" in fields:
            raise fields["topics"].fail("only needs may have topics")
        implied = optional(fields, "implies_needs", node, [])
        for item in implied.items():
            item.choice(needs, "need code")
        indicators[identifier] = Indicator(
            detector=_read_detector(node, identifier, profiles, "risk"),
            requires_also=optional(fields, "requires_also", node, []).terms(),
            implies_needs=tuple(implied.texts()),
        )
    return indicators


def _read_circumstances(document: Node, profiles: frozenset[str]) -> dict[str, Detector]:
    section = document.mapping(allowed={"circumstances"}, required={"circumstances"})["circumstances"]
    circumstances = {}
    for identifier, node in section.mapping().items():
        fields = node.mapping()
        for key in ("topics", "requires_also", "implies_needs"):
            if key in fields:
                raise fields[key].fail("circumstances may not have this key")
        circumstances[identifier] = _read_detector(node, identifier, profiles, "plain")
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
        for word in detector.terms.single_words:
            if len(word) >= settings.min_length:
                owners.setdefault(word, []).append(owner)
    detectors = [detector for _, detector in sources] + list(circumstances.values())
    term_sets = [terms for detector in detectors for terms in (detector.terms, detector.exceptions)]
    term_sets += [
        terms
        for profile in language.negation.values()
        for terms in (profile.before, profile.after, profile.not_negation, profile.cancelled_by)
    ]
    known = frozenset().union(*(terms.literal_words for terms in term_sets))
    stems = frozenset().union(*(terms.stems for terms in term_sets))
    return FuzzyMatcher({word: tuple(found) for word, found in owners.items()}, known, stems, settings)
