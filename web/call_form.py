"""The call form: read what helpline staff typed, check it all in one pass with messages that say what to
do (one message per problem, the same rules as the API: `referrals.intake` for the phone and postcode,
`referrals.contact` for reaching the person safely), and turn it into the `CallLog` intake takes. Domain
errors from intake map back onto the same fields."""

import calendar
from dataclasses import dataclass, field
from datetime import date

from werkzeug.datastructures import MultiDict

from referrals.contact import TEXT_LIMITS as CONTACT_LIMITS
from referrals.contact import ContactDetails, contactable_problem
from referrals.errors import DomainValidationError
from referrals.intake import CallLog, IntakeContext, ResidentDetails, locate, normalised_phone
from referrals.models import CALL_CHANNELS, Resident
from web.formatting import phone as phone_words

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
SAFE_LABELS = {"yes": "Yes", "no": "No: only at the times or on the number below"}
TEXT_LIMITS = {
    "name": 200,
    "phone": 40,
    "postcode": 16,
    "address": 500,
    "no_contact_reason": 500,
    "notes": 5000,
    "summary": 500,
}
FIELD_NAMES = {"no_contact_reason": "The reason there is no phone number or address"}
CONTACT_TEXT = tuple(CONTACT_LIMITS)  # the contact details typed as text, in the domain's order
DATE_PARTS = ("day", "month", "year")
MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
FIELD_FOR_DOMAIN_ERROR = {
    "resident.postcode": "postcode",
    "resident.phone": "phone",
    "resident.name": "name",
    "resident.address": "address",
    "resident.date_of_birth": "date_of_birth",
    "no_contact_reason": "no_contact_reason",
    "needs": "needs",
    "notes": "notes",
    "summary": "summary",
    **{f"resident.contact.{name}": name for name in ("safe_to_contact", "no_message", *CONTACT_TEXT)},
}
NEW_PERSON = "new"
PHONE_FORMAT = "Enter a phone number in the right format, like 07700 900123 or 020 7946 0000"


@dataclass
class CallForm:
    """The raw values (kept to show the form again), the errors in the order of the page, which parts of the
    date of birth are wrong, and where the postcode is (once it has been found in a served area)."""

    values: dict = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    date_parts_in_error: tuple[str, ...] = ()
    area: str | None = None
    postcode: str | None = None

    @property
    def valid(self) -> bool:
        return not self.errors

    def attach_to(self) -> int | None:
        choice = self.values.get("resident_choice", "")
        return int(choice) if choice.isdigit() else None

    @property
    def person_decided(self) -> bool:
        return self.values.get("resident_choice") == NEW_PERSON or self.attach_to() is not None

    @property
    def date_of_birth(self) -> date | None:
        born, _message, _parts = read_date(self.values)
        return born


def empty_form() -> CallForm:
    values: dict = dict.fromkeys(TEXT_LIMITS, "")
    values.update({f"dob_{part}": "" for part in DATE_PARTS})
    values.update(dict.fromkeys(CONTACT_TEXT, ""))
    values.update(
        channel="phone",
        flags=[],
        needs=[],
        consent_to_share="",
        safe_to_contact="",
        no_message="",
        recurrence_every_days="",
        recurrence_count="",
        resident_choice="",
        person_fixed="",
        form_id="",
        email_draft="",
    )
    return CallForm(values=values)


def form_from_email(draft) -> CallForm:
    """A call started from an email to the helpline: who wrote and what they wrote, for staff to complete
    (the person's postcode, needs, consent...) before anything is routed."""
    call = empty_form()
    words = "\n\n".join(part for part in (draft.subject, draft.body) if part)
    if draft.attachments_refused:
        words += "\n\n(They attached a file, which was refused: ask them to say in words what it showed.)"
    call.values.update(
        channel="email",
        name=draft.sender_name,
        notes=words[: TEXT_LIMITS["notes"]],
        email_draft=str(draft.id),
    )
    return call


def prefilled_form(resident: Resident) -> CallForm:
    """A call for someone already on record (their page's "Log a call for them"): what the helpline may see
    of them, ready to be changed, with the call attached to them."""
    call = empty_form()
    values = call.values
    values.update(
        name=resident.name,
        phone=phone_words(resident.phone),
        postcode=resident.postcode,
        address=resident.address or "",
        flags=[flag for flag, on in (resident.flags or {}).items() if on and flag in FLAG_LABELS],
        resident_choice=str(resident.id),
        person_fixed="1",
    )
    if resident.date_of_birth:
        born = resident.date_of_birth
        values.update(dob_day=str(born.day), dob_month=str(born.month), dob_year=str(born.year))
    contact = ContactDetails.from_stored(resident.contact)
    values.update({name: getattr(contact, name) for name in CONTACT_TEXT})
    values["safe_phone"] = phone_words(contact.safe_phone)
    values["safe_to_contact"] = contact.safe_to_contact
    values["no_message"] = "yes" if contact.no_message else ""
    return call


def read_call_form(
    form: MultiDict, need_codes: frozenset[str], context: IntakeContext | None = None
) -> CallForm:
    """`context`: check the postcode against the served areas too (saving and "Check"); the live preview,
    which runs as the call is typed, leaves it out."""
    call = empty_form()
    values = call.values
    values.update({name: form.get(name, "").strip() for name in TEXT_LIMITS})
    values.update({f"dob_{part}": form.get(f"date_of_birth-{part}", "").strip()[:10] for part in DATE_PARTS})
    values.update({name: form.get(name, "").strip() for name in CONTACT_TEXT})
    values["safe_to_contact"] = form.get("safe_to_contact", "")
    values["no_message"] = "yes" if form.get("no_message") else ""
    values["channel"] = form.get("channel", "phone")
    values["flags"] = [flag for flag in form.getlist("flags") if flag in FLAG_LABELS]
    values["needs"] = list(dict.fromkeys(form.getlist("needs")))
    values["consent_to_share"] = form.get("consent_to_share", "")
    values["recurrence_every_days"] = form.get("recurrence_every_days", "").strip()
    values["recurrence_count"] = form.get("recurrence_count", "").strip()
    values["resident_choice"] = form.get("resident_choice", "").strip()
    values["person_fixed"] = "1" if form.get("person_fixed") and values["resident_choice"].isdigit() else ""
    values["form_id"] = form.get("form_id", "")[:64]
    values["email_draft"] = form.get("email_draft", "") if form.get("email_draft", "").isdigit() else ""
    _check(call, need_codes, context)
    return call


def _check(call: CallForm, need_codes: frozenset[str], context: IntakeContext | None) -> None:
    """Every problem at once, in the order of the page, one message each."""
    values, errors = call.values, call.errors
    for name, limit in TEXT_LIMITS.items():
        if len(values[name]) > limit:
            label = FIELD_NAMES.get(name, name.replace("_", " ").capitalize())
            errors[name] = f"{label} must be {limit} characters or fewer"
    if not values["name"]:
        errors["name"] = "Enter the caller's name"
    if values["phone"] and "phone" not in errors:
        try:
            normalised_phone(values["phone"])
        except DomainValidationError:
            errors["phone"] = PHONE_FORMAT
    _check_postcode(call, context)
    contact = contact_details(call)
    if "no_contact_reason" not in errors and call.attach_to() is None:
        # A known person's phone and address are on record: intake checks those (and says so if missing).
        problem = contactable_problem(
            values["phone"], values["address"], contact, values["no_contact_reason"]
        )
        if problem:
            errors["no_contact_reason"] = problem
    _born, message, parts = read_date(values)
    if message:
        errors["date_of_birth"] = message
        call.date_parts_in_error = parts
    unknown = [code for code in values["needs"] if code not in need_codes]
    if unknown:
        errors["needs"] = f"Choose needs from the list ({', '.join(unknown)} is not one)"
    if not values["notes"] and not values["needs"] and "notes" not in errors:
        errors["notes"] = "Write what the caller needs, or tick at least one need"
    if values["channel"] not in CALL_CHANNELS:
        errors["channel"] = "Choose how the request came in"
    if values["consent_to_share"] not in ("yes", "no"):
        errors["consent_to_share"] = "Choose whether the caller agrees to share their details"
    _check_contact(call, contact)
    _check_recurrence(values, errors)
    choice = values["resident_choice"]
    if choice and choice != NEW_PERSON and not choice.isdigit():
        errors["resident_choice"] = "Choose one of the people listed, or that this is a new person"


def _check_postcode(call: CallForm, context: IntakeContext | None) -> None:
    values, errors = call.values, call.errors
    if "postcode" in errors:
        return
    if not values["postcode"]:
        errors["postcode"] = "Enter the caller's postcode, or at least its first half (for example SM1)"
        return
    if context is None:
        return
    try:
        call.postcode, _location, call.area = locate(values["postcode"], context)
    except DomainValidationError as exc:
        errors["postcode"] = postcode_problem(values["postcode"], exc.message)


def postcode_problem(typed: str, message: str) -> str:
    """What `locate` found wrong, as the call-taker can act on it (its own words when it is out of area)."""
    if "this service does not cover" in message:
        message = message.replace(" this service does not cover", ", which this service does not cover", 1)
        return message[:1].upper() + message[1:]
    if message.startswith("unknown postcode district"):
        return (
            f"We cannot find the postcode {typed.upper()}: check it with the caller, or enter only its first "
            "half (for example SM1)"
        )
    return "Enter a real postcode, like SM1 1AA, or only its first half, like SM1"


def _check_contact(call: CallForm, contact: ContactDetails) -> None:
    values, errors = call.values, call.errors
    for name, message in contact.problems().items():
        errors.setdefault(name, message)
    if values["safe_phone"] and "safe_phone" not in errors:
        try:
            normalised_phone(values["safe_phone"], "resident.contact.safe_phone")
        except DomainValidationError:
            errors["safe_phone"] = PHONE_FORMAT


def _check_recurrence(values: dict, errors: dict[str, str]) -> None:
    every, count = values["recurrence_every_days"], values["recurrence_count"]
    if not every and not count:
        return
    if not every.isdigit() or not 1 <= int(every) <= 90:
        errors["recurrence_every_days"] = "How often must be a whole number of days from 1 to 90"
    if not count.isdigit() or not 2 <= int(count) <= 52:
        errors["recurrence_count"] = "How many times must be a whole number from 2 to 52"


def read_date(values: dict) -> tuple[date | None, str | None, tuple[str, ...]]:
    """The date of birth from its day, month and year boxes (the GOV.UK date input): the date, or what is
    wrong with it naming the part, and which parts to mark. All three empty: no date, no problem."""
    given = {part: values.get(f"dob_{part}", "") for part in DATE_PARTS}
    missing = tuple(part for part in DATE_PARTS if not given[part])
    if len(missing) == len(DATE_PARTS):
        return None, None, ()
    if missing:
        return None, f"Date of birth must include a {' and '.join(missing)}", missing
    day, month, year = given["day"], _month(given["month"]), given["year"]
    wrong = tuple(
        part for part, text in (("day", day), ("month", month), ("year", year)) if not text.isdigit()
    )
    if wrong:
        return None, f"Date of birth must be a real date: the {' and '.join(wrong)} must be a number", wrong
    if len(year) != 4:
        return None, "Year must include 4 numbers, for example 1948", ("year",)
    if int(year) < 1900:
        return None, "Date of birth must be after 1900", ("year",)
    if not 1 <= int(month) <= 12:
        return None, "Date of birth must be a real date: the month must be from 1 to 12", ("month",)
    try:
        born = date(int(year), int(month), int(day))
    except ValueError:
        days = calendar.monthrange(int(year), int(month))[1]
        month_name = calendar.month_name[int(month)]
        return None, f"Date of birth must be a real date: {month_name} {year} has {days} days", ("day",)
    if born > date.today():
        return None, "Date of birth must be in the past", DATE_PARTS
    return born, None, ()


def _month(text: str) -> str:
    """'3', '03', 'Mar' or 'March' → '3'; anything else as it was (then reported as not a number)."""
    name = text[:3].casefold()
    return str(MONTH_NAMES.index(name) + 1) if not text.isdigit() and name in MONTH_NAMES else text


def contact_details(call: CallForm) -> ContactDetails:
    values = call.values
    return ContactDetails(
        safe_to_contact=values["safe_to_contact"],
        no_message=values["no_message"] == "yes",
        **{name: values[name] for name in CONTACT_TEXT},
    )


def resident_details(call: CallForm) -> ResidentDetails:
    values = call.values
    return ResidentDetails(
        name=values["name"],
        postcode=values["postcode"],
        phone=values["phone"],
        address=values["address"],
        date_of_birth=call.date_of_birth,
        flags={flag: flag in values["flags"] for flag in FLAG_LABELS},
        contact=contact_details(call),
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
        no_contact_reason=values["no_contact_reason"],
        new_person=values["resident_choice"] == NEW_PERSON,
    )


def field_for(domain_field: str) -> str:
    return FIELD_FOR_DOMAIN_ERROR.get(domain_field, "form")
