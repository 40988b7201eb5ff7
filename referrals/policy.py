"""Lifecycle settings from config/lifecycle.yaml: offer expiry per urgency and the sweep interval; and the
matching policy's workload caps, which the cascade checks again before each offer after the first."""

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import yaml

from config.quiet_hours import QuietHours
from config.settings import CONFIG_DIR, ConfigError
from matching import MatchingPolicy, load_matching_policy

DURATION = re.compile(r"^\s*(\d+)\s*([mhd])\s*$")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}
URGENCIES = ("emergency", "urgent", "routine")


@dataclass(frozen=True)
class LifecyclePolicy:
    offer_expiry: dict[str, timedelta]
    sweep_interval_seconds: float
    matching_policy: MatchingPolicy
    # A visit or call of a recurring plan with no outcome this long after it was due is late (the dashboard).
    recurring_call_grace: timedelta = timedelta(days=1)
    # No offers texted in these hours (QUIET_HOURS): an offer made then has its whole window from their end.
    quiet_hours: QuietHours | None = None


def parse_duration(text: str, where: str) -> timedelta:
    found = DURATION.match(str(text))
    if not found or int(found.group(1)) <= 0:
        raise ConfigError(f"{where}: {text!r} is not a duration like 30m, 4h or 2d")
    return timedelta(**{UNITS[found.group(2)]: int(found.group(1))})


def load_lifecycle_policy(
    path: Path = CONFIG_DIR / "lifecycle.yaml", matching_policy: MatchingPolicy | None = None
) -> LifecyclePolicy:
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read lifecycle settings: {exc}") from exc
    expiry = document.get("offer_expiry") or {}
    missing = [u for u in URGENCIES if u not in expiry]
    if missing:
        raise ConfigError(f"{path}: offer_expiry needs {', '.join(missing)}")
    return LifecyclePolicy(
        offer_expiry={u: parse_duration(expiry[u], f"{path}: offer_expiry.{u}") for u in URGENCIES},
        sweep_interval_seconds=float(document.get("sweep_interval_seconds", 30)),
        recurring_call_grace=parse_duration(
            document.get("recurring_call_grace", "1d"), f"{path}: recurring_call_grace"
        ),
        matching_policy=matching_policy or load_matching_policy(),
    )
