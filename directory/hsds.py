"""What the directory's interchange formats share: the row-level report, the taxonomy mapping
(config/hsds_taxonomy.yaml), the One Route In extension vocabulary of HSDS attributes, and the reader of
tabular data packages (HSDS 3.0, and the 1.x / Open Referral UK file names).

Import and export live in `hsds_import.py` and `hsds_export.py`; bulk CSV imports in `csv_import.py`.

The extension: HSDS has no column for what matching needs (organisation kind, council area, coverage,
capacity) nor a lossless home for our contact fields, so the export carries them as HSDS 3.0 attributes linked
to the service. Each is a term of the taxonomy "one-route-in-fields" (term code = our field name, attribute
value = the field's value); need codes are terms of the taxonomy "one-route-in-needs" (term code = need code).
The importer prefers these attributes over values it would otherwise derive, so export → import is lossless.
"""

import csv
import json
import re
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import CONFIG_DIR, ConfigError
from directory.models import ORG_KINDS
from matching.types import WEEKDAYS

DEFAULT_MAPPING_PATH = CONFIG_DIR / "hsds_taxonomy.yaml"
NAME_SEPARATOR = " — "
ID_PREFIX = "hsds:"

EXTENSION_NAMESPACE = uuid.UUID("6f0c6d1e-8a55-4a8e-9a53-0d7f3e2b9c41")
NEEDS_TAXONOMY = "one-route-in-needs"
FIELDS_TAXONOMY = "one-route-in-fields"
FIELD_TERMS = (
    "external_id",
    "kind",
    "area",
    "coverage_outcodes",
    "base_postcode",
    "base_address",
    "radius_km",
    "capacity",
    "mutual_aid_mode",
    "contact_name",
    "contact_phone",
    "contact_email",
    "public_contact",
)
LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class RowError:
    """A problem with one row (or, with row None, a whole file). Rows are numbered as a spreadsheet shows
    them: the header is row 1."""

    source: str
    row: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.source if self.row is None else f"{self.source} row {self.row}"
        return f"{where}, {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


@dataclass
class InterchangeReport:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    unchanged: int = 0

    def summary(self) -> str:
        head = (
            f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, "
            f"skipped {self.skipped}"
        )
        if not self.errors:
            return f"{head}; no problems"
        lines = [f"{head}; {len(self.errors)} problem{'s' if len(self.errors) != 1 else ''}:"]
        lines += [f"  {error}" for error in self.errors]
        return "\n".join(lines)


@dataclass
class ExportReport:
    out_dir: Path
    organisations: int = 0
    files: dict[str, int] = field(default_factory=dict)  # file name → data rows

    def summary(self) -> str:
        files = ", ".join(f"{name} ({rows})" for name, rows in self.files.items())
        return f"exported {self.organisations} organisations to {self.out_dir}: {files}"


def upsert_by_external_id(
    session: Session, model: type, planned: list[tuple[str, dict]], report: InterchangeReport
) -> None:
    """Create the rows whose external_id is new, bring the others to the planned values; count each. The
    caller commits."""
    existing = {}
    keys = [external_id for external_id, _ in planned]
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        existing.update(
            (row.external_id, row)
            for row in session.scalars(select(model).where(model.external_id.in_(chunk)))
        )
    for external_id, values in planned:
        row = existing.get(external_id)
        if row is None:
            session.add(model(external_id=external_id, **values))
            report.created += 1
            continue
        changed = {name: value for name, value in values.items() if getattr(row, name) != value}
        for name, value in changed.items():
            setattr(row, name, value)
        if changed:
            report.updated += 1
        else:
            report.unchanged += 1


def stable_id(*parts: str) -> str:
    """A UUID that is the same for the same parts on every run (HSDS 3.0 ids are UUIDs)."""
    return str(uuid.uuid5(EXTENSION_NAMESPACE, "\x1f".join(parts)))


NEEDS_TAXONOMY_ID = stable_id("taxonomy", NEEDS_TAXONOMY)
FIELDS_TAXONOMY_ID = stable_id("taxonomy", FIELDS_TAXONOMY)


def extension_term_id(taxonomy: str, code: str) -> str:
    return stable_id("term", taxonomy, code)


def join_name(organisation_name: str, service_name: str) -> str:
    """One directory name for an HSDS service: "<organisation> — <service>", or one of them when the other
    is missing or the same."""
    if not organisation_name:
        return service_name
    if not service_name or service_name.casefold() == organisation_name.casefold():
        return organisation_name
    return f"{organisation_name}{NAME_SEPARATOR}{service_name}"


def split_name(name: str) -> tuple[str, str]:
    """The inverse of `join_name`: (organisation name, service name)."""
    organisation, separator, service = name.partition(NAME_SEPARATOR)
    if not separator or not organisation or not service or organisation.casefold() == service.casefold():
        return name, name
    return organisation, service


def normalise_term_name(name: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", name.casefold().replace("&", " and ")).split())


@dataclass(frozen=True)
class Term:
    id: str
    code: str
    name: str
    taxonomy: str  # the taxonomy's id or name, as the package gives it


@dataclass(frozen=True)
class TaxonomyMapping:
    """Taxonomy terms → our need codes, and the defaults for what HSDS does not say."""

    needs_by_id: Mapping[str, tuple[str, ...]]
    needs_by_code: Mapping[str, tuple[str, ...]]
    needs_by_name: Mapping[str, tuple[str, ...]]
    default_kind: str
    kind_rules: tuple[tuple[str, str], ...]  # (lower-case words in the organisation name, kind)
    default_radius_km: float
    default_capacity: int

    def needs_for(self, term: Term, need_codes: Collection[str]) -> tuple[str, ...] | None:
        """The need codes a term stands for; None when the mapping does not know it."""
        if term.taxonomy in (NEEDS_TAXONOMY, NEEDS_TAXONOMY_ID) and term.code in need_codes:
            return (term.code,)
        for key, table in ((term.id, self.needs_by_id), (term.code, self.needs_by_code)):
            if key and key in table:
                return table[key]
        return self.needs_by_name.get(normalise_term_name(term.name))

    def kind_for(self, organisation_name: str) -> str:
        words = f" {normalise_term_name(organisation_name)} "
        for phrase, kind in self.kind_rules:
            if f" {phrase} " in words:
                return kind
        return self.default_kind


def load_taxonomy_mapping(
    path: Path = DEFAULT_MAPPING_PATH, need_codes: Iterable[str] | None = None
) -> TaxonomyMapping:
    known = frozenset(need_codes if need_codes is not None else known_need_codes())
    try:
        document = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the taxonomy mapping: {exc}") from exc
    defaults = document.get("defaults") or {}
    default_kind = defaults.get("kind", "vcs")
    if default_kind not in ORG_KINDS:
        raise ConfigError(f"{path}: defaults.kind {default_kind!r} is not one of {', '.join(ORG_KINDS)}")
    kind_rules = []
    for index, rule in enumerate(document.get("kinds") or []):
        if not isinstance(rule, dict) or rule.get("kind") not in ORG_KINDS or not rule.get("name_contains"):
            raise ConfigError(
                f"{path}: kinds[{index}] needs name_contains and a kind in {', '.join(ORG_KINDS)}"
            )
        kind_rules.append((normalise_term_name(str(rule["name_contains"])), rule["kind"]))
    tables: dict[str, dict[str, list[str]]] = {"ids": {}, "codes": {}, "names": {}}
    for need, keys in (document.get("needs") or {}).items():
        if need not in known:
            raise ConfigError(f"{path}: needs.{need} is not a need code ({', '.join(sorted(known))})")
        for kind, table in tables.items():
            for key in (keys or {}).get(kind) or []:
                text = normalise_term_name(str(key)) if kind == "names" else str(key).strip()
                table.setdefault(text, [])
                if need not in table[text]:
                    table[text].append(need)
    try:
        radius, capacity = float(defaults.get("radius_km", 5.0)), int(defaults.get("capacity", 10))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: defaults.radius_km and defaults.capacity must be numbers") from exc
    if radius <= 0 or capacity < 0:
        raise ConfigError(f"{path}: defaults.radius_km must be positive and defaults.capacity not negative")
    frozen = {kind: {key: tuple(needs) for key, needs in table.items()} for kind, table in tables.items()}
    return TaxonomyMapping(
        needs_by_id=frozen["ids"],
        needs_by_code=frozen["codes"],
        needs_by_name=frozen["names"],
        default_kind=default_kind,
        kind_rules=tuple(kind_rules),
        default_radius_km=radius,
        default_capacity=capacity,
    )


def known_need_codes() -> frozenset[str]:
    """The need codes of the triage rules (config/triage/needs.yaml)."""
    from triage import NEED_CODES

    return NEED_CODES


# Package reading. A table's rows are (spreadsheet row number, {column: stripped text}).
Rows = list[tuple[int, dict[str, str]]]

RESOURCE_FILES = {
    "organization": ("organizations.csv",),
    "service": ("services.csv",),
    "location": ("locations.csv",),
    "service_at_location": (
        "service_at_location.csv",
        "services_at_location.csv",
        "service_at_locations.csv",
    ),
    "address": ("addresses.csv",),
    "physical_address": ("physical_addresses.csv",),
    "postal_address": ("postal_addresses.csv",),
    "phone": ("phones.csv",),
    "contact": ("contacts.csv",),
    "schedule": ("schedules.csv",),
    "regular_schedule": ("regular_schedules.csv",),
    "taxonomy_term": ("taxonomy_terms.csv",),
    "taxonomy": ("taxonomies.csv", "taxonomy.csv"),
    "attribute": ("attributes.csv",),
    "service_taxonomy": ("service_taxonomy.csv", "services_taxonomy.csv", "service_taxonomys.csv"),
}


@dataclass
class Package:
    tables: dict[str, Rows]
    sources: dict[str, str]  # resource → file name, for reports

    def rows(self, resource: str) -> Rows:
        return self.tables.get(resource, [])

    def source(self, resource: str) -> str:
        return self.sources.get(resource, RESOURCE_FILES[resource][0])


def read_package(path: Path | str) -> tuple[Package, list[RowError]]:
    """Read the tables an import uses from a directory (or its datapackage.json). Resources are found by the
    names datapackage.json gives them, else by the usual file names."""
    path = Path(path)
    base = path.parent if path.is_file() else path
    errors: list[RowError] = []
    files = _resource_files(base, errors)
    tables, sources = {}, {}
    for resource, file in files.items():
        try:
            tables[resource] = read_csv(file)[1]
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            errors.append(RowError(file.name, None, "", f"cannot read: {exc}"))
            continue
        sources[resource] = file.name
    return Package(tables, sources), errors


def read_csv(path: Path | str) -> tuple[list[str], Rows]:
    """The header and the rows of a UTF-8 CSV file, cells stripped. Rows are numbered as a spreadsheet shows
    them (blank lines count, and are left out); cells beyond the header are joined under the key ""."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = [name.strip() for name in next(reader, [])]
        rows = []
        for number, cells in enumerate(reader, start=2):
            if any(cell.strip() for cell in cells):
                row = dict(zip(header, (cell.strip() for cell in cells), strict=False))
                row.update(dict.fromkeys(header[len(cells) :], ""))
                if len(cells) > len(header):
                    row[""] = ",".join(cells[len(header) :])
                rows.append((number, row))
        return header, rows


def _resource_files(base: Path, errors: list[RowError]) -> dict[str, Path]:
    descriptor = base / "datapackage.json"
    named: dict[str, str] = {}
    if descriptor.is_file():
        try:
            resources = json.loads(descriptor.read_text(encoding="utf-8")).get("resources") or []
            named = {str(r["name"]): str(r["path"]) for r in resources if r.get("name") and r.get("path")}
        except (ValueError, AttributeError, TypeError) as exc:
            errors.append(RowError("datapackage.json", None, "", f"not a data package descriptor: {exc}"))
    files = {}
    root = base.resolve()
    for resource, file_names in RESOURCE_FILES.items():
        candidates = [named[resource]] if resource in named else []
        candidates += [name for name in file_names if name not in candidates]
        for candidate in candidates:
            file = (base / candidate).resolve()
            if "://" in candidate or not file.is_relative_to(root):
                message = f"{candidate!r} is not a file in the package: ignored"
                errors.append(RowError("datapackage.json", None, resource, message))
                continue
            if file.is_file():
                files[resource] = file
                break
    return files


# Weekly opening hours: our {"mon": [["09:00", "17:00"], ...], ...} and HSDS schedule rows.
DAY_CODES = dict(zip(("MO", "TU", "WE", "TH", "FR", "SA", "SU"), WEEKDAYS, strict=True))
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CLOCK = re.compile(r"([01]?\d|2[0-4]):([0-5]\d)(?::[0-5]\d(?:\.\d+)?)?")

Sessions = dict[tuple[str, str], list[tuple[str, str, str]]]  # (link column, id) → (day, opens, closes)


def clock(text: str) -> str | None:
    """ "9:00", "09:00:00" → "09:00"; None unless a time of day (24:00 is the end of a day)."""
    match = CLOCK.fullmatch(text.strip())
    if not match or (match[1] == "24" and match[2] != "00"):
        return None
    return f"{int(match[1]):02d}:{match[2]}"


def day_of(text: str) -> str | None:
    """ "mon", "Monday", "MO", "1" (ISO, Monday) → "mon"."""
    token = text.strip().casefold()
    if token.isdigit() and 1 <= int(token) <= len(WEEKDAYS):
        return WEEKDAYS[int(token) - 1]
    if token.upper() in DAY_CODES:
        return DAY_CODES[token.upper()]
    return next((day for day, name in zip(WEEKDAYS, DAY_NAMES, strict=True) if token in (day, name)), None)


def opening_hours_from(sessions: Iterable[tuple[str, str, str]]) -> dict[str, list[list[str]]] | None:
    """Sessions in weekday order, each day's sorted by opening time; None when there are none."""
    unique = sorted(set(sessions), key=lambda s: (WEEKDAYS.index(s[0]), s[1], s[2]))
    if not unique:
        return None
    hours: dict[str, list[list[str]]] = {}
    for day, opens, closes in unique:
        hours.setdefault(day, []).append([opens, closes])
    return hours


def schedule_rows(hours: Mapping[str, list[list[str]]] | None) -> list[tuple[str, str, str]]:
    """(byday, opens_at, closes_at) per distinct session, days that share it together: ("MO,TU", ...)."""
    days_of: dict[tuple[str, str], list[str]] = {}
    for day in WEEKDAYS:
        for opens, closes in (hours or {}).get(day, []):
            days_of.setdefault((opens, closes), []).append(day)
    codes = {day: code for code, day in DAY_CODES.items()}
    return [
        (",".join(codes[day] for day in days), f"{opens}:00", f"{closes}:00")
        for (opens, closes), days in days_of.items()
    ]


def read_schedules(package: Package, errors: list[RowError]) -> Sessions:
    """Weekly sessions from HSDS 3.0 `schedules` (byday) and 1.x `regular_schedules` (weekday)."""
    sessions: Sessions = defaultdict(list)
    for resource, column in (("schedule", "byday"), ("regular_schedule", "weekday")):
        source = package.source(resource)
        for number, row in package.rows(resource):
            if not (row.get("opens_at") or row.get("closes_at")):
                continue
            if row.get("freq", "WEEKLY").upper() not in ("", "WEEKLY"):
                continue
            days = [day_of(token) for token in row.get(column, "").split(",") if token.strip()]
            opens, closes = clock(row.get("opens_at", "")), clock(row.get("closes_at", ""))
            if not days or None in days:
                errors.append(RowError(source, number, column, f"{row.get(column)!r} is not a day: ignored"))
            elif opens is None or closes is None or opens == closes:
                errors.append(RowError(source, number, "opens_at", "opening times not understood: ignored"))
            else:
                for link in ("service_id", "service_at_location_id"):
                    if row.get(link):
                        sessions[(link, row[link])] += [(day, opens, closes) for day in days]
    return sessions
