"""The call form: read what helpline staff typed, check it field by field with messages that say what to do,
and turn it into the `CallLog` intake takes. Domain errors from intake map back onto the same fields."""

from dataclasses import dataclass, field
from datetime import date

from werkzeug.datastructures import MultiDict

from referrals.intake import CallLog, ResidentDetails
from referrals.models import CHANNELS

FLAG_LABELS = {
    "lives_alone": "Lives alone",
    "shielding": "Shielding or clinically extremely vulnerable",
    "disabled": "Disabled",
    "has_children": "Has children at home",
    "carer": "Is a carer",
    "hearing_impaired": "Deaf or hard of hearing",
    "no_phone": "Has no phone of their own",
}
CHANNEL_LABELS = {
    "phone": "Phone call",
    "email": "Email",
    "web": "Web form",
    "partner_referral": "Referral from a partner",
}
TEXT_LIMITS = {"name": 200, "phone": 40, "postcode": 16, "address": 500, "notes": 5000, "summary": 500}
FIELD_FOR_DOMAIN_ERROR = {
    "resident.postcode": "postcode",
    "resident.phone": "phone",
    "resident.name": "name",
    "needs": "needs",
    "notes": "notes",
    "summary": "summary",
}
NEW_PERSON = "new"


@dataclass
class CallForm:
    """The raw values (kept to show the form again) and the errors, in the order of the page."""

    values: dict = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors

    def attach_to(self) -> int | None:
        choice = self.values.get("resident_choice", "")
        return int(choice) if choice.isdigit() else None

    @property
    def person_decided(self) -> bool:
        return self.values.get("resident_choice") == NEW_PERSON or self.attach_to() is not None


def empty_form() -> CallForm:
    return CallForm(values={"channel": "phone", "flags": [], "needs": [], "consent_to_share": ""})


def read_call_form(form: MultiDict, need_codes: frozenset[str]) -> CallForm:
    values: dict = {name: form.get(name, "").strip() for name in TEXT_LIMITS}
    values["notes"] = form.get("notes", "").strip()
    values["summary"] = form.get("summary", "").strip()
    values["date_of_birth"] = form.get("date_of_birth", "").strip()
    values["channel"] = form.get("channel", "phone")
    values["flags"] = [flag for flag in form.getlist("flags") if flag in FLAG_LABELS]
    values["needs"] = list(dict.fromkeys(form.getlist("needs")))
    values["consent_to_share"] = form.get("consent_to_share", "")
    values["recurrence_every_days"] = form.get("recurrence_every_days", "").strip()
    values["recurrence_count"] = form.get("recurrence_count", "").strip()
    values["resident_choice"] = form.get("resident_choice", "").strip()
    values["form_id"] = form.get("form_id", "")[:64]
    call = CallForm(values=values)
    _check(call, need_codes)
    return call


def _check(call: CallForm, need_codes: frozenset[str]) -> None:
    values, errors = call.values, call.errors
    if not values["name"]:
        errors["name"] = "Enter the caller's name"
    for name, limit in TEXT_LIMITS.items():
        if len(values[name]) > limit and name not in errors:
            errors[name] = f"{name.replace('_', ' ').capitalize()} must be {limit} characters or fewer"
    if not values["postcode"] and "postcode" not in errors:
        errors["postcode"] = "Enter the caller's postcode, or at least its first half (for example SM1)"
    if values["date_of_birth"]:
        born = _date(values["date_of_birth"])
        if born is None:
            errors["date_of_birth"] = "Date of birth must be a real date, for example 1948-03-27"
        elif born > date.today() or born.year < 1900:
            errors["date_of_birth"] = "Date of birth must be in the past, after 1900"
    unknown = [code for code in values["needs"] if code not in need_codes]
    if unknown:
        errors["needs"] = f"Choose needs from the list ({', '.join(unknown)} is not one)"
    if not values["notes"] and not values["needs"]:
        errors["notes"] = "Write what the caller needs, or tick at least one need"
    if values["channel"] not in CHANNELS:
        errors["channel"] = "Choose how the request came in"
    if values["consent_to_share"] not in ("yes", "no"):
        errors["consent_to_share"] = "Choose whether the caller agrees to share their details"
    _check_recurrence(values, errors)
    choice = values["resident_choice"]
    if choice and choice != NEW_PERSON and not choice.isdigit():
        errors["resident_choice"] = "Choose one of the people listed, or that this is a new person"


def _check_recurrence(values: dict, errors: dict[str, str]) -> None:
    every, count = values["recurrence_every_days"], values["recurrence_count"]
    if not every and not count:
        return
    if not every.isdigit() or not 1 <= int(every) <= 90:
        errors["recurrence_every_days"] = "How often must be a whole number of days from 1 to 90"
    if not count.isdigit() or not 2 <= int(count) <= 52:
        errors["recurrence_count"] = "How many times must be a whole number from 2 to 52"


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def resident_details(call: CallForm) -> ResidentDetails:
    values = call.values
    return ResidentDetails(
        name=values["name"],
        postcode=values["postcode"],
        phone=values["phone"],
        address=values["address"],
        date_of_birth=_date(values["date_of_birth"]) if values["date_of_birth"] else None,
        flags={flag: flag in values["flags"] for flag in FLAG_LABELS},
    )


def to_call_log(call: CallForm) -> CallLog:
    values = call.values
    recurrence = None
    if values["recurrence_every_days"]:
        recurrence = {
            "every_days": int(values["recurrence_every_days"]),
            "count": int(values["recurrence_count"]),
        }
    return CallLog(
        channel=values["channel"],
        resident=resident_details(call),
        notes=values["notes"],
        summary=values["summary"],
        needs=list(values["needs"]),
        consent_to_share=values["consent_to_share"] == "yes",
        resident_id=call.attach_to(),
        recurrence=recurrence,
    )


def field_for(domain_field: str) -> str:
    return FIELD_FOR_DOMAIN_ERROR.get(domain_field, "form")
