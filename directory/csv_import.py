"""Bulk CSV imports of organisations and volunteers, keyed on external_id (a second import updates).

The columns, whether each is required, what a cell holds and an example are defined once, below
(`ORGANISATION_COLUMNS`, `VOLUNTEER_COLUMNS`): the importer validates with them, and the import page lists
them and builds its downloadable templates from them. A header may hold any subset of the columns, but the
required ones. Columns the header lacks are left alone on update (and take the model's default on create); a
blank cell in a present column sets the field's blank value or default. Phones are normalised to E.164,
unknown need codes, days, slots or kinds reject the row. Rows are numbered as a spreadsheet shows them
(header = row 1). A file with only an id column and `active` changes nothing but whether each is active
(`directory/csv_status.py`).

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
from directory.models import DBS_LEVELS, MUTUAL_AID_MODES, ORG_KINDS, Organisation, Volunteer
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


@dataclass(frozen=True)
class Column:
    """One CSV column: what the importer does with it and what the import page says about it."""

    name: str
    required: bool
    parse: Parser
    holds: str  # what a cell holds, in words
    example: str  # the cell of the template's example row


def columns(*listed: Column) -> dict[str, Column]:
    return {column.name: column for column in listed}


def template_rows(listed: Mapping[str, Column]) -> list[list[str]]:
    """A template file: the header row and one example row."""
    return [list(listed), [column.example for column in listed.values()]]


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
    if _status_file(header):
        return _import_status(session, Organisation, path, batch_size)
    context = RowContext(geocoder, known_need_codes(), areas)
    validation = validate_organisation_rows(
        header, _progress(rows, progress), context, source=Path(path).name
    )
    return write_validated(session, Organisation, Path(path).name, rows, validation, batch_size)


def import_volunteers_csv(
    session: Session,
    path: Path | str,
    *,
    geocoder: Geocoder,
    batch_size: int | None = None,
    progress: bool = False,
) -> InterchangeReport:
    header, rows = read_csv(path)
    if _status_file(header):
        return _import_status(session, Volunteer, path, batch_size)
    wanted = {row.get("org_external_id", "") for _, row in rows} - {""}
    found = session.execute(
        select(Organisation.external_id, Organisation.id).where(Organisation.external_id.in_(wanted))
    )
    by_external_id: dict[str, int] = dict(found.all())
    numbers = {int(text) for _, row in rows if (text := row.get("org_id", "")).isdigit()}
    ids = set(session.scalars(select(Organisation.id).where(Organisation.id.in_(numbers))))
    context = RowContext(geocoder, known_need_codes(), None, by_external_id, ids)
    validation = validate_volunteer_rows(header, _progress(rows, progress), context, source=Path(path).name)
    return write_validated(session, Volunteer, Path(path).name, rows, validation, batch_size)


def _status_file(header: Sequence[str]) -> bool:
    from directory.csv_status import is_status_file  # it builds on this module

    return is_status_file(header)


def _import_status(session: Session, model: type, path: Path | str, batch_size: int | None):
    from directory.csv_status import import_status_csv

    return import_status_csv(session, model, path, batch_size=batch_size)


def _progress(rows: list, progress: bool) -> Iterable:
    return tqdm(rows, desc="validating", unit="row", disable=not progress)


def _upsert(session: Session, model: type, batch: list[ValidRow], counts: InterchangeReport) -> None:
    upsert_by_external_id(session, model, [(entry.external_id, entry.values) for entry in batch], counts)


def write_validated(
    session: Session,
    model: type,
    source: str,
    rows: list[tuple[int, dict]],
    validation: RowValidation,
    batch_size: int | None,
    writer: Callable[[Session, type, list[ValidRow], InterchangeReport], None] = _upsert,
) -> InterchangeReport:
    """Write the valid rows in batches (a batch with an invalid row writes none), each batch committed."""
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
        _write_batch(session, model, source, [valid[number] for number in batch], report, writer)
    return report


def _write_batch(
    session: Session, model: type, source: str, batch: list[ValidRow], report: InterchangeReport, writer
) -> None:
    counts = InterchangeReport()
    try:
        writer(session, model, batch, counts)
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
    columns: Mapping[str, Column],
    check: Callable[[dict, Mapping[str, str], RowContext], list[tuple[str, str]]],
) -> RowValidation:
    result = RowValidation()
    present = [name.strip() for name in header]
    for name in present:
        if name not in columns:
            result.errors.append(RowError(source, 1, name, "unknown column: nothing imported"))
    for name, column in columns.items():
        if column.required and name not in present:
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
            column = columns[name]
            try:
                if column.required and not cells[name]:
                    raise ValueError("required")
                values.update(column.parse(cells[name], context))
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


def _flag(name: str, *, blank: bool = True) -> Parser:
    def parse(text: str, _context: RowContext) -> dict:
        if text.casefold() not in TRUE | FALSE | {""}:
            raise ValueError(f"{text!r} is not true or false")
        return {name: text.casefold() in TRUE if text else blank}

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


NEED_CODES = "need codes separated by ; (the codes are listed below)"
YES_NO = "yes or no (also true/false, 1/0)"

ORGANISATION_COLUMNS = columns(
    Column(
        "external_id",
        True,
        _text("external_id"),
        "your own unique id for it, so a second import updates it",
        "acme:hub-1",
    ),
    Column("name", True, _text("name"), "its name, up to 200 characters", "Sutton Central Hub"),
    Column("kind", True, _choice("kind", ORG_KINDS), f"one of {', '.join(ORG_KINDS)}", "hub"),
    Column("area", True, _area, "the council area code it serves (listed below)", "sutton"),
    Column("services", False, _needs("services"), f"what it offers: {NEED_CODES}", "shopping;prescriptions"),
    Column("coverage_outcodes", False, _outcodes, "postcode districts it covers, separated by ;", "SM1;SM2"),
    Column(
        "base_postcode",
        False,
        _located("base_postcode", "base_lat", "base_lon", required=False),
        "a full postcode it works from (for a radius)",
        "SM1 1EA",
    ),
    Column(
        "base_address",
        False,
        _text("base_address"),
        "the building and street of its base, for its published address (town and county come from the "
        "postcode)",
        "Civic Offices, St Nicholas Way",
    ),
    Column(
        "radius_km",
        False,
        _number("radius_km", 0.1, 200, None),
        "how far from the base postcode it covers, in km (0.1 to 200)",
        "5",
    ),
    Column(
        "capacity",
        False,
        _number("capacity", 0, 100_000, 10, whole=True),
        "how many referrals it can hold at once, a whole number (blank: 10)",
        "20",
    ),
    Column(
        "mutual_aid_mode",
        False,
        _choice("mutual_aid_mode", MUTUAL_AID_MODES),
        f"for kind mutual_aid only: {', '.join(MUTUAL_AID_MODES)}",
        "",
    ),
    Column(
        "opening_hours",
        False,
        _parsed("opening_hours", parse_opening_hours),
        "days and times, sessions separated by ; (blank or always: at all hours)",
        "mon-fri 09:00-17:00; sat 10:00-13:00",
    ),
    Column(
        "min_age",
        False,
        _number("min_age", 0, 130, None, whole=True),
        "youngest age it helps (blank: any)",
        "",
    ),
    Column(
        "max_age", False, _number("max_age", 0, 130, None, whole=True), "oldest age it helps (blank: any)", ""
    ),
    Column("contact_name", False, _text("contact_name"), "who receives offers", "Sam Lead"),
    Column(
        "contact_phone",
        False,
        _phone("contact_phone"),
        "a UK phone number; offers are texted to it",
        "07700 900100",
    ),
    Column("contact_email", False, _email("contact_email"), "an email address", "hub@example.org"),
    Column(
        "public_contact",
        False,
        _text("public_contact", 300, one_line=False),
        "what the public is told when signposted, up to 300 characters",
        "Ring 020 7946 0000, weekdays 9 to 5",
    ),
    Column("active", False, _flag("active"), f"{YES_NO}; blank: yes", "yes"),
)

VOLUNTEER_COLUMNS = columns(
    Column(
        "external_id",
        True,
        _text("external_id"),
        "your own unique id for them, so a second import updates them",
        "acme:vol-1",
    ),
    Column("name", True, _text("name"), "their name, up to 200 characters", "Alex Example"),
    Column(
        "phone",
        False,
        _phone("phone"),
        "a UK phone number; offers are texted to it (a phone or an email is needed)",
        "07700 900501",
    ),
    Column(
        "email",
        False,
        _email("email"),
        "an email address (a phone or an email is needed)",
        "alex@example.org",
    ),
    Column(
        "postcode",
        True,
        _located("postcode", "lat", "lon", required=True),
        "their full postcode: distances are measured from it",
        "SM1 1EA",
    ),
    Column("skills", False, _needs("skills"), f"what they help with: {NEED_CODES}", "shopping;befriending"),
    Column(
        "dbs_level",
        False,
        _choice("dbs_level", DBS_LEVELS),
        f"the level of their DBS check: {', '.join(DBS_LEVELS)} (enhanced with a barred-list check);"
        " blank: not recorded",
        "enhanced",
    ),
    Column(
        "dbs_checked_on",
        False,
        _date("dbs_checked_on"),
        "the date of their DBS check, YYYY-MM-DD",
        "2025-01-10",
    ),
    Column(
        "dbs_expires_on",
        False,
        _date("dbs_expires_on"),
        "the date it stops counting, YYYY-MM-DD, after the check date",
        "2028-01-10",
    ),
    Column("driver", False, _flag("driver", blank=False), f"can they give lifts? {YES_NO}; blank: no", "no"),
    Column(
        "availability",
        False,
        _parsed("availability", parse_availability),
        f"day(s):slots, entries separated by ;, slots from {', '.join(SLOT_NAMES)}",
        "mon-fri:morning,afternoon;sat:evening",
    ),
    Column(
        "travel_radius_km",
        False,
        _number("travel_radius_km", 0.1, 100, 3.0),
        "how far they travel, in km (0.1 to 100; blank: 3)",
        "5",
    ),
    Column(
        "max_active_tasks",
        False,
        _number("max_active_tasks", 1, 100, 3, whole=True),
        "tasks at once, 1 to 100 (blank: 3)",
        "3",
    ),
    Column(
        "max_tasks_per_week",
        False,
        _number("max_tasks_per_week", 1, 100, 5, whole=True),
        "tasks a week, 1 to 100 (blank: 5)",
        "5",
    ),
    Column(
        "org_external_id",
        False,
        _organisation_ref,
        "the external_id of the organisation they volunteer with",
        "acme:hub-1",
    ),
    Column("org_id", False, _organisation_id, "or the organisation's number in this directory", ""),
    Column("active", False, _flag("active"), f"{YES_NO}; blank: yes", "yes"),
)
