"""The short forms for requests from outside: a resident asking for help themselves, and a mutual-aid group's
lead referring someone they met. Read what was typed, check it in one pass with messages in plain words (the
postcode, phone and contact rules are intake's, as on the call form), and build the `CallLog`."""

from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from referrals.contact import ContactDetails
from referrals.errors import DomainValidationError
from referrals.intake import CallLog, IntakeContext, ResidentDetails, locate, normalised_phone

# A person never fills this field (it is hidden from sight and from screen readers); programs that fill
# every field do.
HONEYPOT = "website"
TEXT_LIMITS = {
    "name": 200,
    "phone": 40,
    "postcode": 16,
    "address": 500,
    "details": 2000,
    "safe_times": 200,
    "group_contact": 200,
}
YES_NO = ("yes", "no")


@dataclass
class RequestForm:
    values: dict
    errors: dict[str, str] = field(default_factory=dict)
    area: str | None = None


def read(form: MultiDict, need_codes: set[str], by_group: bool = False) -> RequestForm:
    """What was typed, trimmed, with each problem named once against its field."""
    values = {name: (form.get(name) or "").strip() for name in (*TEXT_LIMITS, "safe_to_contact", "consent")}
    values["needs"] = [code for code in form.getlist("needs") if code in need_codes]
    values["agreed"] = form.get("agreed") == "yes"
    request = RequestForm(values)
    errors = request.errors
    who = "their" if by_group else "your"
    for name, limit in TEXT_LIMITS.items():
        if len(values[name]) > limit:
            errors[name] = f"This must be {limit} characters or fewer"
    if not values["details"] and "details" not in errors:
        errors["details"] = (
            "Tell us what they need help with" if by_group else "Tell us what you need help with"
        )
    if not values["name"] and "name" not in errors:
        errors["name"] = f"Enter {who} name"
    if not values["postcode"] and "postcode" not in errors:
        errors["postcode"] = f"Enter {who} postcode"
    if not values["phone"] and not values["address"] and "phone" not in errors:
        errors["phone"] = (
            f"Enter {who} phone number or address, so someone can contact {'them' if by_group else 'you'}"
        )
    if values["safe_to_contact"] not in YES_NO:
        errors["safe_to_contact"] = (
            "Say whether it is safe to contact them"
            if by_group
            else "Say whether it is safe for us to contact you"
        )
    elif values["safe_to_contact"] == "no" and not values["safe_times"] and "safe_times" not in errors:
        errors["safe_times"] = (
            "Tell us when it is safe to contact them, or how"
            if by_group
            else ("Tell us when it is safe to contact you, or how")
        )
    if values["consent"] not in YES_NO:
        errors["consent"] = "Say whether local groups who help may see the details"
    if by_group and not values["agreed"]:
        errors["agreed"] = "You can only refer someone who agreed to you passing on their details"
    return request


def check_place(request: RequestForm, context: IntakeContext) -> None:
    """The postcode is one the service covers, and the phone number reads as one (intake's own rules)."""
    values, errors = request.values, request.errors
    if values["postcode"] and "postcode" not in errors:
        try:
            _, _, request.area = locate(values["postcode"], context)
        except DomainValidationError as exc:
            errors["postcode"] = plain_postcode_problem(exc.message)
    if values["phone"] and "phone" not in errors:
        try:
            normalised_phone(values["phone"])
        except DomainValidationError:
            errors["phone"] = "Enter a UK phone number, like 07700 900123 or 020 7946 0123"


def plain_postcode_problem(message: str) -> str:
    if "does not cover" in message:
        return "This service does not cover that postcode yet. Contact your own council for help"
    return "Enter a full UK postcode, like SM1 1AA"


def to_call_log(request: RequestForm, channel: str) -> CallLog:
    values = request.values
    contact = ContactDetails(safe_to_contact=values["safe_to_contact"], safe_times=values["safe_times"])
    notes = values["details"]
    if values["group_contact"]:
        notes = f"{notes}\n\nThe group's contact for this referral: {values['group_contact']}"
    return CallLog(
        channel=channel,
        resident=ResidentDetails(
            name=values["name"],
            postcode=values["postcode"],
            phone=values["phone"],
            address=values["address"],
            contact=contact,
        ),
        notes=notes,
        needs=list(values["needs"]),
        consent_to_share=values["consent"] == "yes",
        new_person=False,
    )
