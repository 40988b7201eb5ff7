"""UK postcode normalisation and format validation (existence is the geocoder's question, not this module's).

A postcode is an outward code (outcode, the postcode district: "SM1", "SW1A") and a three-character inward
code ("1AA"). Input is forgiving about case, spacing and Unicode look-alikes (full-width digits, no-break
spaces); it corrects a letter O typed for a zero (and I for a one) only where the format allows just one of
them, for example the inward digit ("SM1 OAA" → "SM1 0AA") or the district digit of a four-character
outcode ("SWIA 2AA" → "SW1A 2AA").
"""

import re
import unicodedata

MAX_INPUT_LENGTH = 32

_AREA_FIRST = "ABCDEFGHIJKLMNOPRSTUWYZ"
_ONE_LETTER_AREA = "BEGLMNSW"
_AREA_SECOND = "ABCDEFGHKLMNOPQRSTUVWXY"
_DISTRICT_LETTER_AFTER_ONE_LETTER_AREA = "ABCDEFGHJKPSTUW"
_DISTRICT_LETTER_AFTER_TWO_LETTER_AREA = "ABEHMNPRVWXY"
_INWARD_LETTER = "ABDEFGHJLNPQRSTUWXYZ"

_OUTCODE_PATTERN = (
    rf"[{_ONE_LETTER_AREA}][0-9][0-9]?"
    rf"|[{_AREA_FIRST}][{_AREA_SECOND}][0-9][0-9]?"
    rf"|[{_ONE_LETTER_AREA}][0-9][{_DISTRICT_LETTER_AFTER_ONE_LETTER_AREA}]"
    rf"|[{_AREA_FIRST}][{_AREA_SECOND}][0-9][{_DISTRICT_LETTER_AFTER_TWO_LETTER_AREA}]"
)
_OUTCODE = re.compile(rf"(?:{_OUTCODE_PATTERN})")
_INWARD = re.compile(rf"[0-9][{_INWARD_LETTER}]{{2}}")
_NORMALISED_POSTCODE = re.compile(rf"(?:{_OUTCODE_PATTERN}) [0-9][{_INWARD_LETTER}]{{2}}|GIR 0AA")

GIROBANK = "GIR 0AA"
_GIROBANK_OUTCODE = "GIR"

# What each position must hold, by outcode length: L a letter, D a digit, ? either. A three-character
# outcode is A99, A9A or AA9; only a one-letter area (B, E, G...) leaves its second character open.
_OUTCODE_SHAPES = {2: "LD", 3: "L??", 4: "LLD?"}
_TWO_LETTER_AREA_SHAPE = "LLD"
_INWARD_SHAPE = "DLL"
_AS_DIGIT = str.maketrans("OI", "01")
_AS_LETTER = str.maketrans("01", "OI")


class InvalidPostcode(ValueError):
    """`value` is what the caller gave; `reason` is a sentence a helpline worker can act on."""

    def __init__(self, value: object, reason: str) -> None:
        super().__init__(f"{reason}: {value!r}")
        self.value = value
        self.reason = reason


def normalise_postcode(raw: str) -> str:
    """Return the postcode in Royal Mail form ("SM1 1AA"), or raise InvalidPostcode saying why not."""
    compact = _compact(raw)
    if compact == "GIR0AA":
        return GIROBANK
    if len(compact) < 5:
        if is_outcode(raw):
            raise InvalidPostcode(raw, "a postcode district only: the full postcode needs the last part too")
        raise InvalidPostcode(raw, "too short to be a UK postcode")
    outward, inward = compact[:-3], compact[-3:]
    outward = _correct_outward(outward)
    inward = _correct(inward, _INWARD_SHAPE)
    if not (_OUTCODE.fullmatch(outward) and _INWARD.fullmatch(inward)):
        raise InvalidPostcode(raw, "not a UK postcode format")
    return f"{outward} {inward}"


def normalise_outcode(raw: str) -> str:
    """Return the postcode district ("SM1") given on its own, or raise InvalidPostcode."""
    compact = _compact(raw)
    if len(raw.split()) > 1:
        raise InvalidPostcode(raw, "a postcode district has no space in it")
    outward = _correct_outward(compact)
    if not (_OUTCODE.fullmatch(outward) or outward == _GIROBANK_OUTCODE):
        raise InvalidPostcode(raw, "not a UK postcode district format")
    return outward


def is_outcode(raw: str) -> bool:
    """True when `raw` is a postcode district on its own ("SM1", "sw1a"), not a full postcode."""
    try:
        normalise_outcode(raw)
    except InvalidPostcode:
        return False
    return True


def outcode_of(postcode_or_outcode: str) -> str:
    """The district of a full postcode ("SM1 1AA" → "SM1"); a district on its own is returned normalised."""
    if is_outcode(postcode_or_outcode):
        return normalise_outcode(postcode_or_outcode)
    return normalise_postcode(postcode_or_outcode).split(" ")[0]


def is_normalised_postcode(value: str) -> bool:
    """Fast check for bulk loads: is `value` already exactly in normalised form?"""
    return _NORMALISED_POSTCODE.fullmatch(value) is not None


def _compact(raw: str) -> str:
    if not isinstance(raw, str):
        raise InvalidPostcode(raw, "a postcode must be text")
    if len(raw) > MAX_INPUT_LENGTH:
        raise InvalidPostcode(raw, "too long to be a UK postcode")
    visible = "".join(char for char in raw if unicodedata.category(char) != "Cf")
    compact = "".join(unicodedata.normalize("NFKC", visible).split()).upper()
    if not compact:
        raise InvalidPostcode(raw, "no postcode given")
    if compact.startswith("BFPO"):
        raise InvalidPostcode(raw, "a BFPO (British Forces) address has no UK location")
    if not (compact.isascii() and compact.isalnum()):
        raise InvalidPostcode(raw, "a UK postcode has only letters, digits and a space")
    return compact


def _correct_outward(outward: str) -> str:
    shape = _OUTCODE_SHAPES.get(len(outward), "")
    if len(outward) == 3 and outward[0].translate(_AS_LETTER) not in _ONE_LETTER_AREA:
        shape = _TWO_LETTER_AREA_SHAPE
    return _correct(outward, shape)


def _correct(code: str, shape: str) -> str:
    if len(shape) != len(code):
        return code
    return "".join(
        char.translate(_AS_DIGIT) if kind == "D" else char.translate(_AS_LETTER) if kind == "L" else char
        for char, kind in zip(code, shape, strict=True)
    )
