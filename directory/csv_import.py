"""Bulk CSV imports of organisations and volunteers, keyed on external_id (a second import updates).

Columns (header names; a header may hold any subset, but the required ones):
- organisations: external_id*, name*, kind*, area*, services (need codes, ";"-separated), coverage_outcodes,
  base_postcode, radius_km, capacity, mutual_aid_mode, opening_hours ("mon-fri 09:00-17:00; sat
  10:00-13:00, 14:00-16:00"; blank or "always" means open at all hours), min_age, max_age, contact_name,
  contact_phone, contact_email, public_contact, active.
- volunteers: external_id*, name*, postcode* (a full postcode, geocoded), phone and/or email (at least one
  per row), skills (need codes), dbs_checked_on, dbs_expires_on (ISO dates), availability
  ("mon:morning,afternoon;tue-thu:evening"), travel_radius_km, max_active_tasks, max_tasks_per_week,
  org_external_id or org_id, active (true/false/yes/no/1/0).
Columns the header lacks are left alone on update (and take the model's default on create); a blank cell
in a present column sets the field's blank value or default. Phones are normalised to E.164, unknown need
codes, days, slots or kinds reject the row. Rows are numbered as a spreadsheet shows them (header = row 1).

Nothing is half-written: every row is validated before anything is written. By default the whole file is
one batch, so one invalid row means nothing is imported. With `batch_size=N` the data rows are cut, in file
order, into batches of N: a batch whose rows are all valid is written and committed in its own transaction;
a batch with any invalid row writes none of its rows (they count as skipped, and the report says so).
"""

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session
from tqdm import tqdm

from directory.areas import Areas
from directory.hsds import (
    InterchangeReport,
    RowError,
    clock,
    day_of,
    known_need_codes,
    opening_hours_from,
    read_csv,
    upsert_by_external_id,
)
from directory.models import MUTUAL_AID_MODES, ORG_KINDS, Organisation, Volunteer
from directory.phones import InvalidPhone, normalise_phone
from geo import Geocoder, InvalidPostcode, normalise_outcode, normalise_postcode
from matching.policy import SLOT_NAMES
from matching.types import WEEKDAYS

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
LIST = re.compile(r"[;,\s]+")
TRUE, FALSE = {"true", "yes", "y", "1"}, {"false", "no", "n", "0"}
MAX_TEXT = 200


@dataclass(frozen=True)
class RowContext:
    """What validation looks things up in: a geocoder, the need codes, the areas and known organisations."""

    geocoder: Geocoder
    need_codes: frozenset[str]
    areas: Areas | None = None
    organisation_ids_by_external_id: Mapping[str, int] = field(default_factory=dict)
    organisation_ids: Set[int] = frozenset()


@dataclass(frozen=True)
class ValidRow:
    row: int
    external_id: str
    values: dict


@dataclass
class RowValidation:
    valid: list[ValidRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def file_rejected(self) -> bool:
        return any(error.row in (None, 1) for error in self.errors)


Parser = Callable[[str, RowContext], dict]


def validate_organisation_rows(
    header: Sequence[str],
    rows: Iterable[tuple[int, Mapping[str, str]]],
    context: RowContext,
    *,
    source: str = "organisations.csv",
) -> RowValidation:
    return _validate(header, rows, context, source, ORGANISATION_COLUMNS, _check_organisation)


def validate_volunteer_rows(
    header: Sequence[str],
    rows: Iterable[tuple[int, Mapping[str, str]]],
    context: RowContext,
    *,
    source: str = "volunteers.csv",
) -> RowValidation:
    return _validate(header, rows, context, source, VOLUNTEER_COLUMNS, _check_volunteer)


def import_organisations_csv(
    session: Session,
    path: Path | str,
    *,
    geocoder: Geocoder,
    areas: Areas,
    batch_size: int | None = None,
    progress: bool = False,
) -> InterchangeReport:
    header, rows = read_csv(path)
    context = RowContext(geocoder, known_need_codes(), areas)
    validation = validate_organisation_rows(
        header, _progress(rows, progress), context, source=Path(path).name
    )
    return _write(session, Organisation, Path(path).name, rows, validation, batch_size)


def import_volunteers_csv(
    session: Session,
    path: Path | str,
    *,
    geocoder: Geocoder,
    batch_size: int | None = None,
    progress: bool = False,
) -> InterchangeReport:
    header, rows = read_csv(path)
    wanted = {row.get("org_external_id", "") for _, row in rows} - {""}
    found = session.execute(
        select(Organisation.external_id, Organisation.id).where(Organisation.external_id.in_(wanted))
    )
    by_external_id: dict[str, int] = dict(found.all())
    numbers = {int(text) for _, row in rows if (text := row.get("org_id", "")).isdigit()}
    ids = set(session.scalars(select(Organisation.id).where(Organisation.id.in_(numbers))))
    context = RowContext(geocoder, known_need_codes(), None, by_external_id, ids)
    validation = validate_volunteer_rows(header, _progress(rows, progress), context, source=Path(path).name)
    return _write(session, Volunteer, Path(path).name, rows, validation, batch_size)


def _progress(rows: list, progress: bool) -> Iterable:
    return tqdm(rows, desc="validating", unit="row", disable=not progress)


def _write(
    session: Session,
    model: type,
    source: str,
    rows: list[tuple[int, dict]],
    validation: RowValidation,
    batch_size: int | None,
) -> InterchangeReport:
    report = InterchangeReport(errors=list(validation.errors))
    if validation.file_rejected:
        report.skipped = len(rows)
        return report
    invalid = {error.row for error in validation.errors}
    valid = {entry.row: entry for entry in validation.valid}
    numbers = [number for number, _ in rows]
    size = batch_size or max(len(numbers), 1)
    for start in range(0, len(numbers), size):
        batch = numbers[start : start + size]
        bad = [number for number in batch if number in invalid]
        if bad:
            report.skipped += len(batch)
            if len(bad) < len(batch):
                message = f"rows {batch[0]}–{batch[-1]} not imported: {len(bad)} invalid in this batch"
                report.errors.append(RowError(source, batch[0], "", message))
            continue
        _write_batch(session, model, source, [valid[number] for number in batch], report)
    return report


def _write_batch(
    session: Session, model: type, source: str, batch: list[ValidRow], report: InterchangeReport
) -> None:
    counts = InterchangeReport()
    try:
        upsert_by_external_id(session, model, [(entry.external_id, entry.values) for entry in batch], counts)
        session.commit()
    except (IntegrityError, DataError) as exc:
        session.rollback()
        report.skipped += len(batch)
        message = f"rows {batch[0].row}–{batch[-1].row} not imported: the database refused them: {exc.orig}"
        report.errors.append(RowError(source, batch[0].row, "", message))
        return
    except Exception:
        session.rollback()
        raise
    report.created += counts.created
    report.updated += counts.updated
    report.unchanged += counts.unchanged


def _validate(
    header: Sequence[str],
    rows: Iterable[tuple[int, Mapping[str, str]]],
    context: RowContext,
    source: str,
    columns: Mapping[str, tuple[bool, Parser]],
    check: Callable[[dict, Mapping[str, str], RowContext], list[tuple[str, str]]],
) -> RowValidation:
    result = RowValidation()
    present = [name.strip() for name in header]
    for name in present:
        if name not in columns:
            result.errors.append(RowError(source, 1, name, "unknown column: nothing imported"))
    for name, (required, _) in columns.items():
        if required and name not in present:
            result.errors.append(RowError(source, 1, name, "required column missing: nothing imported"))
    if result.errors:
        return result
    seen: dict[str, int] = {}
    for number, raw in rows:
        problems: list[tuple[str, str]] = []
        if raw.get(""):
            problems.append(("", "more cells than the header has columns"))
        cells = {name: (raw.get(name) or "").strip() for name in present}
        values: dict = {}
        for name in present:
            required, parse = columns[name]
            try:
                if required and not cells[name]:
                    raise ValueError("required")
                values.update(parse(cells[name], context))
            except (ValueError, InvalidPostcode, InvalidPhone) as exc:
                problems.append((name, str(exc)))
        if not problems:
            problems = check(values, cells, context)
        external_id = values.get("external_id", "")
        if not problems and external_id in seen:
            problems.append(("external_id", f"{external_id!r} is also on row {seen[external_id]}"))
        seen.setdefault(external_id, number)
        result.errors += [RowError(source, number, name, message) for name, message in problems]
        if not problems:
            result.valid.append(ValidRow(number, values.pop("external_id"), values))
    return result


def _check_organisation(
    values: dict, _cells: Mapping[str, str], _context: RowContext
) -> list[tuple[str, str]]:
    problems = []
    if values.get("radius_km") is not None and values.get("base_lat") is None:
        problems.append(("radius_km", "a radius needs a base_postcode to measure from"))
    if values.get("mutual_aid_mode") and values.get("kind") != "mutual_aid":
        problems.append(("mutual_aid_mode", "only for kind mutual_aid"))
    if None not in (values.get("min_age"), values.get("max_age")) and values["min_age"] > values["max_age"]:
        problems.append(("max_age", "below min_age"))
    return problems


def _check_volunteer(values: dict, cells: Mapping[str, str], context: RowContext) -> list[tuple[str, str]]:
    problems = []
    if not (cells.get("phone") or cells.get("email")):
        problems.append(("phone", "a volunteer needs a phone or an email"))
    checked, expires = values.get("dbs_checked_on"), values.get("dbs_expires_on")
    if expires and not checked:
        problems.append(("dbs_expires_on", "given without dbs_checked_on"))
    elif expires and checked and expires <= checked:
        problems.append(("dbs_expires_on", "not after dbs_checked_on"))
    by_reference = context.organisation_ids_by_external_id.get(cells.get("org_external_id", ""))
    if cells.get("org_id") and cells.get("org_external_id") and by_reference != int(cells["org_id"]):
        problems.append(("org_id", "names a different organisation from org_external_id"))
    if ("org_id" in cells or "org_external_id" in cells) and "org_id" not in values:
        values["org_id"] = None
    return problems


# Column parsers: text (stripped) and context → the model fields it sets. A ValueError names the problem.


def _text(name: str, limit: int = MAX_TEXT, *, one_line: bool = True) -> Parser:
    def parse(text: str, _context: RowContext) -> dict:
        text = " ".join(text.split()) if one_line else text
        if len(text) > limit:
            raise ValueError(f"longer than {limit} characters")
        return {name: text}

    return parse


def _choice(name: str, allowed: Iterable[str], *, blank: object = None) -> Parser:
    def parse(text: str, _context: RowContext) -> dict:
        if text and text not in allowed:
            raise ValueError(f"{text!r} is not one of {', '.join(allowed)}")
        return {name: text or blank}

    return parse


def _number(name: str, low: float, high: float, default: float | None, *, whole: bool = False) -> Parser:
    def parse(text: str, _context: RowContext) -> dict:
        if not text:
            return {name: default}
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
        if not (math.isfinite(value) and low <= value <= high) or (whole and value != int(value)):
            kind = "a whole number" if whole else "a number"
            raise ValueError(f"{text!r} is not {kind} from {low:g} to {high:g}")
        return {name: int(value) if whole else value}

    return parse


def _flag(name: str) -> Parser:
    def parse(text: str, _context: RowContext) -> dict:
        if text.casefold() not in TRUE | FALSE | {""}:
            raise ValueError(f"{text!r} is not true or false")
        return {name: text.casefold() not in FALSE}

    return parse


def _date(name: str) -> Parser:
    def parse(text: str, _context: RowContext) -> dict:
        try:
            return {name: date.fromisoformat(text) if text else None}
        except ValueError:
            raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)") from None

    return parse


def _needs(name: str) -> Parser:
    def parse(text: str, context: RowContext) -> dict:
        codes = list(dict.fromkeys(code.casefold() for code in LIST.split(text) if code))
        unknown = [code for code in codes if code not in context.need_codes]
        if unknown:
            raise ValueError(f"unknown need code {', '.join(unknown)}")
        return {name: codes}

    return parse


def _phone(name: str) -> Parser:
    return lambda text, _context: {name: normalise_phone(text)}


def _email(name: str) -> Parser:
    def parse(text: str, _context: RowContext) -> dict:
        if text and (not EMAIL.fullmatch(text) or len(text) > MAX_TEXT):
            raise ValueError(f"{text!r} is not an email address")
        return {name: text}

    return parse


def _located(name: str, lat: str, lon: str, *, required: bool) -> Parser:
    def parse(text: str, context: RowContext) -> dict:
        if not text and not required:
            return {name: None, lat: None, lon: None}
        postcode = normalise_postcode(text)
        location = context.geocoder.geocode(postcode)
        if location is None:
            raise ValueError(f"{postcode} is not a known postcode")
        return {name: postcode, lat: location.lat, lon: location.lon}

    return parse


def _area(text: str, context: RowContext) -> dict:
    if context.areas is None or text not in context.areas.by_code:
        served = ", ".join(context.areas.by_code) if context.areas else "none"
        raise ValueError(f"{text!r} is not a served area ({served})")
    return {"area": text}


def _outcodes(text: str, context: RowContext) -> dict:
    outcodes = list(dict.fromkeys(normalise_outcode(part) for part in LIST.split(text) if part))
    unknown = [outcode for outcode in outcodes if context.geocoder.geocode(outcode) is None]
    if unknown:
        raise ValueError(f"unknown postcode district {', '.join(unknown)}")
    return {"coverage_outcodes": outcodes}


def parse_days(text: str) -> list[str]:
    """ "mon", "mon-fri", "sat,sun", "fri-mon" (wrapping) → weekday codes."""
    days: list[str] = []
    for part in filter(None, text.split(",")):
        first, _, last = part.partition("-")
        start, end = day_of(first), day_of(last or first)
        if start is None or end is None:
            raise ValueError(f"{part!r} is not a day or a range of days")
        span = (WEEKDAYS.index(end) - WEEKDAYS.index(start)) % len(WEEKDAYS)
        days += [WEEKDAYS[(WEEKDAYS.index(start) + step) % len(WEEKDAYS)] for step in range(span + 1)]
    return days


def parse_opening_hours(text: str) -> dict[str, list[list[str]]] | None:
    if text.casefold() in ("", "always", "24/7"):
        return None
    sessions = []
    for entry in filter(None, (part.strip() for part in text.split(";"))):
        days_text, _, times = entry.partition(" ")
        days = parse_days(days_text.casefold())
        for span in filter(None, (part.strip() for part in times.split(","))):
            opens, _, closes = (part.strip() for part in span.partition("-"))
            if clock(opens) is None or clock(closes) is None or clock(opens) == clock(closes):
                raise ValueError(f"{span!r} is not a time span like 09:00-17:00")
            sessions += [(day, clock(opens), clock(closes)) for day in days]
        if not times.strip():
            raise ValueError(f"{entry!r} has no hours")
    return opening_hours_from(sessions)


def parse_availability(text: str) -> dict[str, list[str]]:
    chosen: dict[str, set[str]] = {}
    for entry in filter(None, (part.strip() for part in text.split(";"))):
        days_text, separator, slots_text = entry.partition(":")
        slots = {slot.strip().casefold() for slot in slots_text.split(",") if slot.strip()}
        if not separator or not slots or slots - set(SLOT_NAMES):
            raise ValueError(f"{entry!r}: expected day(s):{','.join(SLOT_NAMES)}")
        for day in parse_days(days_text.strip().casefold()):
            chosen.setdefault(day, set()).update(slots)
    return {day: [slot for slot in SLOT_NAMES if slot in chosen[day]] for day in WEEKDAYS if day in chosen}


def _parsed(name: str, parse: Callable[[str], object]) -> Parser:
    return lambda text, _context: {name: parse(text)}


def _organisation_ref(text: str, context: RowContext) -> dict:
    """Sets org_id only when given, so that either organisation column may be the one filled in."""
    if text and text not in context.organisation_ids_by_external_id:
        raise ValueError(f"no organisation with external_id {text!r}")
    return {"org_id": context.organisation_ids_by_external_id[text]} if text else {}


def _organisation_id(text: str, context: RowContext) -> dict:
    if text and (not text.isdigit() or int(text) not in context.organisation_ids):
        raise ValueError(f"no organisation with id {text!r}")
    return {"org_id": int(text)} if text else {}


ORGANISATION_COLUMNS: dict[str, tuple[bool, Parser]] = {
    "external_id": (True, _text("external_id")),
    "name": (True, _text("name")),
    "kind": (True, _choice("kind", ORG_KINDS)),
    "area": (True, _area),
    "services": (False, _needs("services")),
    "coverage_outcodes": (False, _outcodes),
    "base_postcode": (False, _located("base_postcode", "base_lat", "base_lon", required=False)),
    "radius_km": (False, _number("radius_km", 0.1, 200, None)),
    "capacity": (False, _number("capacity", 0, 100_000, 10, whole=True)),
    "mutual_aid_mode": (False, _choice("mutual_aid_mode", MUTUAL_AID_MODES)),
    "opening_hours": (False, _parsed("opening_hours", parse_opening_hours)),
    "min_age": (False, _number("min_age", 0, 130, None, whole=True)),
    "max_age": (False, _number("max_age", 0, 130, None, whole=True)),
    "contact_name": (False, _text("contact_name")),
    "contact_phone": (False, _phone("contact_phone")),
    "contact_email": (False, _email("contact_email")),
    "public_contact": (False, _text("public_contact", 300, one_line=False)),
    "active": (False, _flag("active")),
}

VOLUNTEER_COLUMNS: dict[str, tuple[bool, Parser]] = {
    "external_id": (True, _text("external_id")),
    "name": (True, _text("name")),
    "phone": (False, _phone("phone")),
    "email": (False, _email("email")),
    "postcode": (True, _located("postcode", "lat", "lon", required=True)),
    "skills": (False, _needs("skills")),
    "dbs_checked_on": (False, _date("dbs_checked_on")),
    "dbs_expires_on": (False, _date("dbs_expires_on")),
    "availability": (False, _parsed("availability", parse_availability)),
    "travel_radius_km": (False, _number("travel_radius_km", 0.1, 100, 3.0)),
    "max_active_tasks": (False, _number("max_active_tasks", 1, 100, 3, whole=True)),
    "max_tasks_per_week": (False, _number("max_tasks_per_week", 1, 100, 5, whole=True)),
    "org_external_id": (False, _organisation_ref),
    "org_id": (False, _organisation_id),
    "active": (False, _flag("active")),
}
