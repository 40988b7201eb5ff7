"""The organisation and volunteer forms: what a row holds as the form shows it, and a submitted form read back
into the row's fields or into an error per field. A cell is checked by the same parser the CSV import uses
for that column (`directory.csv_import`), so the browser and a file accept exactly the same values."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from directory.csv_import import ORGANISATION_COLUMNS, VOLUNTEER_COLUMNS, RowContext
from directory.models import DBS_LEVELS, Organisation, Volunteer
from directory.phones import InvalidPhone
from geo import InvalidPostcode
from matching.policy import SLOT_NAMES
from matching.types import DBS_LEVEL_WORDS, WEEKDAYS

ORGANISATION_TEXT = (
    "name",
    "kind",
    "area",
    "coverage_outcodes",
    "base_postcode",
    "base_address",
    "radius_km",
    "capacity",
    "mutual_aid_mode",
    "opening_hours",
    "min_age",
    "max_age",
    "contact_name",
    "contact_phone",
    "contact_email",
    "public_contact",
)
VOLUNTEER_TEXT = (
    "name",
    "org_id",
    "phone",
    "email",
    "postcode",
    "dbs_level",
    "dbs_checked_on",
    "dbs_expires_on",
    "travel_radius_km",
    "max_active_tasks",
    "max_tasks_per_week",
)
REQUIRED = {
    "name": "Enter a name",
    "kind": "Choose what kind of organisation it is",
    "area": "Choose the council area it serves",
    "postcode": "Enter their postcode",
}
DAY_NAMES = dict(
    zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True)
)
DBS_CHOICES = [("", "Not recorded"), *((level, DBS_LEVEL_WORDS[level].capitalize()) for level in DBS_LEVELS)]


@dataclass
class FormResult:
    values: dict  # what the form shows again
    fields: dict = field(default_factory=dict)  # the row's fields, when there are no errors
    errors: dict = field(default_factory=dict)


def organisation_values(org: Organisation | None) -> dict:
    if org is None:
        return dict.fromkeys(ORGANISATION_TEXT, "") | {"services": [], "capacity": "10"}
    return {
        **{name: _text(getattr(org, name)) for name in ORGANISATION_TEXT},
        "coverage_outcodes": ", ".join(org.coverage_outcodes),
        "opening_hours": opening_hours_text(org.opening_hours),
        "services": list(org.services),
    }


def volunteer_values(volunteer: Volunteer | None) -> dict:
    if volunteer is None:
        defaults = {"travel_radius_km": "3", "max_active_tasks": "3", "max_tasks_per_week": "5"}
        return dict.fromkeys(VOLUNTEER_TEXT, "") | defaults | {"skills": [], "availability": [], "driver": ""}
    return {
        **{name: _text(getattr(volunteer, name)) for name in VOLUNTEER_TEXT},
        "skills": list(volunteer.skills),
        "availability": [f"{day}-{slot}" for day, slots in volunteer.availability.items() for slot in slots],
        "driver": "yes" if volunteer.driver else "",
    }


def read_organisation(form, context: RowContext) -> FormResult:
    result = FormResult(values={name: form.get(name, "").strip() for name in ORGANISATION_TEXT})
    result.values["services"] = form.getlist("services")
    values = result.values
    _required(result, ("name", "kind", "area"))
    if values["mutual_aid_mode"] and values["kind"] != "mutual_aid":
        values["mutual_aid_mode"] = ""  # only a mutual-aid group has a mode; the radios are ignored otherwise
    for name in ORGANISATION_TEXT:
        if name not in result.errors:
            _parse(result, ORGANISATION_COLUMNS[name].parse, name, values[name], context)
    _parse(result, ORGANISATION_COLUMNS["services"].parse, "services", ";".join(values["services"]), context)
    fields = result.fields
    if values["kind"] == "mutual_aid" and not values["mutual_aid_mode"]:
        result.errors["mutual_aid_mode"] = "Choose how the group works with the council"
    if (
        fields.get("radius_km") is not None
        and fields.get("base_lat") is None
        and "base_postcode" not in result.errors
    ):
        result.errors["radius_km"] = (
            "Enter a base postcode to measure the radius from, or leave the radius blank"
        )
    if None not in (fields.get("min_age"), fields.get("max_age")) and fields["min_age"] > fields["max_age"]:
        result.errors["max_age"] = "The oldest age must not be below the youngest"
    return result


def read_volunteer(form, context: RowContext, org_ids: set[int]) -> FormResult:
    result = FormResult(values={name: form.get(name, "").strip() for name in VOLUNTEER_TEXT})
    values = result.values
    values.update(skills=form.getlist("skills"), availability=form.getlist("availability"))
    values["driver"] = "yes" if form.get("driver") == "yes" else ""
    _required(result, ("name", "postcode"))
    for name in (
        "name",
        "phone",
        "email",
        "postcode",
        "dbs_level",
        "travel_radius_km",
        "max_active_tasks",
        "max_tasks_per_week",
    ):
        if name not in result.errors:
            _parse(result, VOLUNTEER_COLUMNS[name].parse, name, values[name], context)
    _parse(result, VOLUNTEER_COLUMNS["skills"].parse, "skills", ";".join(values["skills"]), context)
    for name in ("dbs_checked_on", "dbs_expires_on"):
        _date(result, name, values[name])
    _availability(result, values["availability"])
    result.fields["driver"] = values["driver"] == "yes"
    _organisation(result, values["org_id"], org_ids)
    _volunteer_checks(result)
    return result


def _volunteer_checks(result: FormResult) -> None:
    fields, errors = result.fields, result.errors
    if not (fields.get("phone") or fields.get("email")) and not ({"phone", "email"} & set(errors)):
        errors["phone"] = "Enter a phone number or an email address, so that offers can reach them"
    checked, expires = fields.get("dbs_checked_on"), fields.get("dbs_expires_on")
    if fields.get("dbs_level") and not checked and "dbs_checked_on" not in errors:
        errors["dbs_checked_on"] = "Enter the date of the DBS check, or choose Not recorded for its level"
    if expires and not checked and "dbs_checked_on" not in errors:
        errors["dbs_checked_on"] = "Enter the date of the DBS check as well as its expiry"
    elif expires and checked and expires <= checked:
        errors["dbs_expires_on"] = "The expiry date must be after the date of the check"
    if checked and not expires and "dbs_expires_on" not in errors:
        errors["dbs_expires_on"] = "Enter the date the DBS check stops counting (matching needs it)"


def _required(result: FormResult, names: tuple[str, ...]) -> None:
    for name in names:
        if not result.values[name]:
            result.errors[name] = REQUIRED[name]


def _parse(result: FormResult, parse, name: str, text: str, context: RowContext) -> None:
    try:
        result.fields.update(parse(text, context))
    except (ValueError, InvalidPostcode, InvalidPhone) as exc:
        result.errors[name] = _sentence(name, str(exc))


LABELS = {
    "phone": "Phone",
    "email": "Email",
    "postcode": "Postcode",
    "base_postcode": "Base postcode",
    "base_address": "Address",
    "coverage_outcodes": "Postcode districts",
    "radius_km": "Radius",
    "capacity": "Capacity",
    "opening_hours": "Opening hours",
    "min_age": "Youngest age",
    "max_age": "Oldest age",
    "contact_phone": "Contact phone",
    "contact_email": "Contact email",
    "travel_radius_km": "Travel radius",
    "max_active_tasks": "Tasks at once",
    "max_tasks_per_week": "Tasks a week",
}


def _sentence(name: str, problem: str) -> str:
    """A parser's complaint ("'SM1' is not a known postcode") as a sentence naming the field."""
    message = f"{LABELS[name]}: {problem}" if name in LABELS else problem[:1].upper() + problem[1:]
    if name in ("postcode", "base_postcode") and "not a known postcode" in problem:
        message += ": check it, or we cannot tell how far they are from the people they help"
    return message


def _date(result: FormResult, name: str, text: str) -> None:
    if not text:
        result.fields[name] = None
        return
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d %m %Y", "%d-%m-%Y"):
        try:
            result.fields[name] = datetime.strptime(text, pattern).date()
            return
        except ValueError:
            continue
    result.errors[name] = "Enter a real date, for example 10/01/2025"


def _availability(result: FormResult, chosen: list[str]) -> None:
    availability: dict[str, list[str]] = {}
    for item in chosen:
        day, _, slot = item.partition("-")
        if day not in WEEKDAYS or slot not in SLOT_NAMES:
            result.errors["availability"] = "Choose from the days and times listed"
            return
        availability.setdefault(day, []).append(slot)
    result.fields["availability"] = {
        day: [slot for slot in SLOT_NAMES if slot in availability[day]]
        for day in WEEKDAYS
        if day in availability
    }


def _organisation(result: FormResult, text: str, org_ids: set[int]) -> None:
    if not text:
        result.fields["org_id"] = None
    elif text.isdigit() and int(text) in org_ids:
        result.fields["org_id"] = int(text)
    else:
        result.errors["org_id"] = "Choose an organisation from the list"


def opening_hours_text(hours: Mapping | None) -> str:
    """The hours as the import writes them ("mon 09:00-17:00; tue 09:00-17:00"), blank for at all hours."""
    if not hours:
        return ""
    return "; ".join(f"{day} {', '.join('-'.join(span) for span in spans)}" for day, spans in hours.items())


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


CHOICES = {
    "kinds": [
        ("safety_net", "Council safety-net team"),
        ("infrastructure", "Infrastructure organisation (passes work on)"),
        ("hub", "Community hub"),
        ("vcs", "Voluntary or community organisation"),
        ("mutual_aid", "Mutual-aid group"),
    ],
    "modes": {
        "integrated": "Integrated: offered work like a hub, and its volunteers too",
        "supported": "Supported: its volunteers get minimal details until they accept",
        "arms_length": "Arm's length: signposted only, no personal details shared",
    },
    "dbs_levels": DBS_CHOICES,
    "days": DAY_NAMES,
    "slots": SLOT_NAMES,
}
