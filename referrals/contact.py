"""How to reach a person safely, and what a helper must know at the door: pure, no Flask, no database.

Stored on the resident (`resident.contact`, a JSON object with the keys of `ContactDetails`): these are
personal details, shown only to those who may see the person's details (`access.sees_personal_details`,
so a hub or volunteer sees them once they have accepted) and blanked by erasure. A referral must be
contactable: a phone number or an address, or a reason in words why neither could be taken."""

from dataclasses import asdict, dataclass, fields

SAFE_ANSWERS = ("yes", "no", "")  # "" = not asked or not known
TEXT_LIMITS = {
    "safe_times": 200,
    "safe_phone": 40,
    "emergency_contact": 300,
    "access_notes": 1000,
    "language": 100,
    "communication_needs": 300,
}
MIN_REASON_WORDS = 2


@dataclass(frozen=True)
class ContactDetails:
    safe_to_contact: str = ""  # "yes", "no" (do not call them: use the safe number or times only), ""
    safe_times: str = ""  # when it is safe to call, in the caller's words
    safe_phone: str = ""  # the number to use, when it is not their own (E.164 once stored)
    no_message: bool = False  # do not leave a voicemail or a text that says who called
    emergency_contact: str = ""  # next of kin or emergency contact: name, relationship, number
    access_notes: str = ""  # key safe, pets, which door, parking
    language: str = ""  # an interpreter or the language they prefer
    communication_needs: str = ""  # large print, BSL, speak slowly, text only...

    def stored(self) -> dict:
        """What goes in `resident.contact`: only what was given."""
        return {name: value for name, value in asdict(self).items() if value not in ("", False)}

    @classmethod
    def from_stored(cls, stored: dict | None) -> "ContactDetails":
        known = {f.name for f in fields(cls)}
        return cls(**{name: value for name, value in (stored or {}).items() if name in known})

    @property
    def empty(self) -> bool:
        return not self.stored()

    def problems(self) -> dict[str, str]:
        """Field → what is wrong, in words for the call-taker (the API reports them as 422s)."""
        found = {}
        if self.safe_to_contact not in SAFE_ANSWERS:
            found["safe_to_contact"] = "Say whether it is safe to contact them: yes, no, or leave it blank"
        for name, limit in TEXT_LIMITS.items():
            if len(getattr(self, name)) > limit:
                found[name] = f"{name.replace('_', ' ').capitalize()} must be {limit} characters or fewer"
        if self.safe_to_contact == "no" and not (self.safe_phone or self.safe_times):
            found["safe_times"] = (
                "It is not safe to contact them as usual: say when it is safe, or which number to use"
            )
        return found


def contactable_problem(
    phone: str, address: str, contact: ContactDetails, no_contact_reason: str
) -> str | None:
    """A referral someone can act on: a phone number or an address, or the reason neither could be taken."""
    if phone.strip() or address.strip() or contact.safe_phone.strip():
        return None
    if len(no_contact_reason.split()) >= MIN_REASON_WORDS:
        return None
    if no_contact_reason.strip():
        return "Say in a few words why there is no phone number or address"
    return (
        "Enter a phone number or an address, so whoever helps can reach them, or say why neither can be taken"
    )
