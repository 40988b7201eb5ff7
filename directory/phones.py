"""UK-first phone number normalisation to E.164 with Google's libphonenumber (its tables are loaded by the
first number read, not by every module, or `flask` command, that imports this one)."""


class InvalidPhone(ValueError):
    pass


def normalise_phone(raw: str, region: str = "GB") -> str:
    text = raw.strip()
    if not text:
        return ""
    import phonenumbers

    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"{raw!r} is not a phone number") from exc
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if not (phonenumbers.is_valid_number(number) or is_drama_number(e164)):
        raise InvalidPhone(f"{raw!r} is not a valid phone number")
    return e164


# Ofcom reserves these for TV and radio drama: never a real subscriber, so demo data and tests can use
# them. libphonenumber calls them invalid, so they are allowed here explicitly.
DRAMA_RANGES = (
    ("+447700900000", "+447700900999"),
    ("+442079460000", "+442079460999"),
    ("+441632960000", "+441632960999"),
)


def is_drama_number(e164: str) -> bool:
    return len(e164) == 13 and any(low <= e164 <= high for low, high in DRAMA_RANGES)


def is_mobile(e164: str) -> bool:
    if is_drama_number(e164):
        return e164.startswith("+447")
    import phonenumbers

    number = phonenumbers.parse(e164, None)
    return phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
