"""The council areas a deployment serves, read from config/areas.yaml."""

from dataclasses import dataclass
from pathlib import Path

import yaml

from config.settings import CONFIG_DIR, ConfigError

COORDINATION_MODELS = ("infrastructure_broker", "hub_network", "multi_agency_cell")


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    admin_district_codes: tuple[str, ...]
    coordination_model: str


@dataclass(frozen=True)
class Areas:
    by_code: dict[str, Area]

    def for_district(self, admin_district_code: str | None) -> Area | None:
        for area in self.by_code.values():
            if admin_district_code in area.admin_district_codes:
                return area
        return None

    def names(self) -> str:
        return ", ".join(area.name for area in self.by_code.values())


def load_areas(path: Path = CONFIG_DIR / "areas.yaml") -> Areas:
    try:
        document = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read areas: {exc}") from exc
    entries = (document or {}).get("areas")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: 'areas' must be a non-empty list")
    areas: dict[str, Area] = {}
    for index, entry in enumerate(entries):
        where = f"{path}: areas[{index}]"
        missing = {"code", "name", "admin_district_codes", "coordination_model"} - set(entry or {})
        if missing:
            raise ConfigError(f"{where}: missing {', '.join(sorted(missing))}")
        if entry["coordination_model"] not in COORDINATION_MODELS:
            raise ConfigError(
                f"{where}: coordination_model {entry['coordination_model']!r} is not one of "
                + ", ".join(COORDINATION_MODELS)
            )
        if entry["code"] in areas:
            raise ConfigError(f"{where}: duplicate area code {entry['code']!r}")
        areas[entry["code"]] = Area(
            code=entry["code"],
            name=entry["name"],
            admin_district_codes=tuple(entry["admin_district_codes"]),
            coordination_model=entry["coordination_model"],
        )
    return Areas(areas)
