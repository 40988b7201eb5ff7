"""The council areas a deployment serves, read from config/areas.yaml."""

from dataclasses import dataclass
from pathlib import Path

import yaml

from config.settings import CONFIG_DIR, ConfigError

COORDINATION_MODELS = ("infrastructure_broker", "hub_network", "multi_agency_cell")
CONTACT_FIELDS = ("safeguarding_contact", "out_of_hours")


@dataclass(frozen=True)
class AreaContact:
    """A number helpline staff ring or give out: whose it is, the number, and when it is answered."""

    name: str
    phone: str
    hours: str = ""
    demo: bool = False  # a made-up number (Ofcom's drama range) for demonstrations: never a real service


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    admin_district_codes: tuple[str, ...]
    coordination_model: str
    # Optional: the council's safeguarding team (a concern is shared with it whatever the person said about
    # consent) and who answers for the council out of hours, shown on the call form and after saving.
    safeguarding_contact: AreaContact | None = None
    out_of_hours: AreaContact | None = None


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
            **{name: _contact(entry.get(name), f"{where}: {name}") for name in CONTACT_FIELDS},
        )
    return Areas(areas)


def _contact(entry: object, where: str) -> AreaContact | None:
    if entry is None:
        return None
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: must be a mapping with name, phone and (optional) hours and demo")
    unknown = set(entry) - {"name", "phone", "hours", "demo"}
    if unknown:
        raise ConfigError(f"{where}: unknown {', '.join(sorted(unknown))} (name, phone, hours, demo)")
    for key in ("name", "phone"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise ConfigError(f"{where}: {key} must be given, as text")
    if not isinstance(entry.get("hours", ""), str):
        raise ConfigError(f"{where}: hours must be text, for example 'Monday to Friday, 9am to 5pm'")
    if not isinstance(entry.get("demo", False), bool):
        raise ConfigError(f"{where}: demo must be true or false")
    return AreaContact(
        name=entry["name"].strip(),
        phone=entry["phone"].strip(),
        hours=entry.get("hours", "").strip(),
        demo=entry.get("demo", False),
    )
