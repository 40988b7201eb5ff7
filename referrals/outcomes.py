"""What came of a referral: the outcome codes of `config/outcomes.yaml`, validated when loaded (messages name
the file and the entry). Several codes may be recorded at one completion. Pure: neither Flask nor the
database; the forms, the API schema, the lifecycle's callers and the reports all ask this one list."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType

import yaml

from config.settings import CONFIG_DIR, ConfigError

RESULTS = ("helped", "referred_on", "not_helped")
RESULT_WORDS = {"helped": "Helped", "referred_on": "Referred on", "not_helped": "Not helped"}
CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_PER_COMPLETION = 6


@dataclass(frozen=True)
class Outcome:
    code: str
    label: str
    result: str
    system: bool = False


@dataclass(frozen=True)
class Outcomes:
    by_code: Mapping[str, Outcome]
    aliases: Mapping[str, str]

    @property
    def choices(self) -> list[Outcome]:
        """What a person may record, in the file's order (the service's own codes left out)."""
        return [outcome for outcome in self.by_code.values() if not outcome.system]

    def canonical(self, code: str) -> str:
        return self.aliases.get(code, code)

    def get(self, code: str) -> Outcome | None:
        return self.by_code.get(self.canonical(code))

    def label(self, code: str) -> str:
        found = self.get(code)
        return found.label if found else code.replace("_", " ").capitalize()

    def problem(self, codes: Iterable[str]) -> str | None:
        """None when `codes` may be recorded by a person at one completion, else what is wrong."""
        codes = list(codes)
        if not codes:
            return "choose at least one outcome"
        if len(codes) > MAX_PER_COMPLETION:
            return f"choose at most {MAX_PER_COMPLETION} outcomes"
        unknown = [code for code in codes if (found := self.get(code)) is None or found.system]
        if unknown:
            return f"not an outcome that may be recorded: {', '.join(unknown)}"
        if len({self.canonical(code) for code in codes}) != len(codes):
            return "each outcome once"
        return None


def load_outcomes(path: Path = CONFIG_DIR / "outcomes.yaml") -> Outcomes:
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the outcome codes: {exc}") from exc
    entries = document.get("outcomes")
    if not isinstance(entries, dict) or not entries:
        raise ConfigError(f"{path}: 'outcomes' must map each code to its label and result")
    by_code = {}
    for code, entry in entries.items():
        where = f"{path}: outcomes.{code}"
        if not isinstance(code, str) or not CODE.match(code):
            raise ConfigError(f"{where}: a code is lower-case words joined by _ (up to 40 characters)")
        if not isinstance(entry, dict) or not str(entry.get("label", "")).strip():
            raise ConfigError(f"{where}: needs a label")
        if entry.get("result") not in RESULTS:
            raise ConfigError(f"{where}: result must be one of {', '.join(RESULTS)}")
        unknown = set(entry) - {"label", "result", "system"}
        if unknown:
            raise ConfigError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
        by_code[code] = Outcome(code, str(entry["label"]).strip(), entry["result"], bool(entry.get("system")))
    aliases = document.get("aliases") or {}
    for old, new in aliases.items():
        if new not in by_code or old in by_code:
            raise ConfigError(f"{path}: aliases.{old} must name a listed code and not be one itself")
    return Outcomes(MappingProxyType(by_code), MappingProxyType(dict(aliases)))


@cache
def configured() -> Outcomes:
    """The council's outcome codes (config/outcomes.yaml), read once: for rules that name a code whatever
    alias was recorded (a follow-up of 'no answer' also follows 'could not contact')."""
    return load_outcomes()
