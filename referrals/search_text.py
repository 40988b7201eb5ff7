"""What someone typed in "Find a person", read piece by piece, and how alike a name is to it: pure, no Flask,
no database (the queries are `referrals/people.py`).

`read_query(text, today)` says what the text is:
- a referral reference, when that is all it is: "123", "R123", "ref 123", "referral no. 123", "#123"; or the
  reference a resident or a group was shown for a request from outside ("PHFJE-4D2AD", `public_ref`: looked
  up first, and read as a name when no request has it, since "Smyth-Baker" looks the same);
- a phone number in any UK format: "07700 900123", "+44 (0)7700 900123", "0044 7700-900-123",
  "447700900123", "7700 900123" (E.164 afterwards, as `resident.phone` stores it);
- a date of birth, day first as in the UK: "27/3/1948", "27-03-48", "27.3.1948", "1948-03-27",
  "27 March 1948", "27th Mar 1948", "March 27, 1948";
- a postcode ("SM1 1AA", "sm11aa", "SM1 OAA") or a postcode district on its own ("SM1");
- the words left are the name ("Smith", "Margaret Smith", "Smith, Margaret", "Marg").
Pieces combine and narrow: "Smith SM1" is a Smith in SM1, "Margaret 27/3/48" a Margaret born then.
Words that only label a piece ("born", "dob", "postcode", "in"...) are dropped; digits that are none of these
are kept in `ignored`, so the page can say what it did not understand.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from rapidfuzz import fuzz

from directory.phones import InvalidPhone
from directory.phones import normalise_phone as e164_phone
from geo.postcodes import InvalidPostcode, normalise_outcode, normalise_postcode
from referrals.duplicates import name_score, name_tokens
from referrals.duplicates import normalise_phone as national_phone

MAX_QUERY_LENGTH = 100
MAX_REFERENCE_DIGITS = 9  # a phone number has ten digits or more
PHONE_DIGITS = range(10, 16)  # 07700 900123 to 0044 (0)7700 900123
MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
LABEL_WORDS = frozenset(
    {"born", "dob", "postcode", "post", "code", "phone", "tel", "telephone", "mobile", "mob", "number"}
    | {"ref", "reference", "referral", "no", "in", "at", "on", "and", "of", "the", "called", "name"}
)
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_ORDINAL = r"(?:st|nd|rd|th)?"
_REFERENCE = re.compile(
    rf"(?:(?:referral|reference|ref)\.?\s*(?:no\.?|number)?\s*|r\s*)?#?\s*(\d{{1,{MAX_REFERENCE_DIGITS}}})",
    re.IGNORECASE,
)
# referrals/requests.py REFERENCE_ALPHABET, five and five with a hyphen (case and spaces around it ignored).
_PUBLIC_REF = re.compile(r"([A-HJKMNP-TV-Z2-9]{5})\s*-\s*([A-HJKMNP-TV-Z2-9]{5})", re.IGNORECASE)
_DATES = (  # (pattern, which groups are day, month, year)
    (re.compile(r"(?<![\d/.\-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\d/.\-])"), (3, 2, 1)),
    (re.compile(r"(?<![\d/.\-])(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?![\d/.\-])"), (1, 2, 3)),
    (
        re.compile(
            rf"(?<!\d)(\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?({_MONTH})\.?,?\s+(\d{{4}}|\d{{2}})(?!\d)", re.I
        ),
        (1, 2, 3),
    ),
    (re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}}){_ORDINAL},?\s+(\d{{4}})(?!\d)", re.I), (2, 1, 3)),
)
_PHONE = re.compile(r"\+?\(?\d[\d\s().\-]{7,}\d")
_FULL_POSTCODE = re.compile(r"\b([a-z]{1,2}[0-9oi][a-z0-9]?)\s*([0-9oi][a-z]{2})\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['’\-])*")
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class SearchTerms:
    """What the text asks for; `name` is the words left once the other pieces are taken out."""

    text: str
    reference: int | None = None
    phone: str | None = None  # E.164, as resident.phone stores it
    postcode: str | None = None  # a full postcode, Royal Mail form ("SM1 1AA")
    outcode: str | None = None  # a postcode district on its own ("SM1")
    date_of_birth: date | None = None
    name: str = ""
    ignored: tuple[str, ...] = ()
    public_ref: str | None = None  # "PHFJE-4D2AD": a request from outside's reference, if it is one

    @property
    def empty(self) -> bool:
        return self.reference is None and not any(
            (self.phone, self.postcode, self.outcode, self.date_of_birth, self.name)
        )

    def described(self) -> list[str]:
        """What was looked for, in words: 'the name “smith”', 'postcode district SM1'."""
        if self.reference is not None:
            return [f"referral {self.reference}"]
        parts = []
        if self.name:
            parts.append(f"the name “{self.name}”")
        if self.phone:
            parts.append(f"the phone number {self.phone}")
        if self.postcode:
            parts.append(f"postcode {self.postcode}")
        if self.outcode:
            parts.append(f"postcode district {self.outcode}")
        if self.date_of_birth:
            born = self.date_of_birth
            parts.append(f"born {born.day} {born:%B %Y}")
        return parts


def read_query(text: str, today: date) -> SearchTerms:
    """Read a search text (see the module's docstring). `today` decides the century of a two-digit year
    and refuses a date of birth in the future."""
    text = _clean(text)
    if not text:
        return SearchTerms(text)
    reference = _REFERENCE.fullmatch(text)
    if reference:
        return SearchTerms(text, reference=int(reference.group(1)))
    public_ref = _PUBLIC_REF.fullmatch(text)
    rest = text
    born, rest = _take_date(rest, today)
    phone, rest = _take_phone(rest)
    postcode, outcode, rest = _take_postcode(rest)
    words = [word for word in _WORD.findall(rest) if word.casefold() not in LABEL_WORDS]
    ignored = tuple(_DIGITS.findall(_WORD.sub(" ", rest)))
    return SearchTerms(
        text,
        phone=phone,
        postcode=postcode,
        outcode=outcode,
        date_of_birth=born,
        name=" ".join(words),
        ignored=ignored,
        public_ref=f"{public_ref[1]}-{public_ref[2]}".upper() if public_ref else None,
    )


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(" " if unicodedata.category(char).startswith(("C", "Z")) else char for char in text)
    return " ".join(text.split())[:MAX_QUERY_LENGTH]


def _take_date(text: str, today: date) -> tuple[date | None, str]:
    for pattern, (day_at, month_at, year_at) in _DATES:
        for found in pattern.finditer(text):
            month_text = found.group(month_at)
            month = MONTHS.get(month_text.casefold().rstrip(".")) if month_text.isalpha() else int(month_text)
            year = _year(found.group(year_at), today)
            try:
                born = date(year, month or 0, int(found.group(day_at)))
            except ValueError:
                continue
            if born > today:
                continue
            return born, text[: found.start()] + " " + text[found.end() :]
    return None, text


def _year(text: str, today: date) -> int:
    """A two-digit year is the latest one not in the future: in 2026, '48' is 1948 and '19' is 2019."""
    year = int(text)
    if len(text) > 2:
        return year
    century = today.year - today.year % 100
    return century + year if century + year <= today.year else century - 100 + year


def _take_phone(text: str) -> tuple[str | None, str]:
    for found in _PHONE.finditer(text):
        run = found.group(0)
        if len(re.sub(r"\D", "", run)) not in PHONE_DIGITS:
            continue
        national = national_phone(run)
        try:
            phone = e164_phone(national or run)
        except InvalidPhone:
            continue
        if phone:
            return phone, text[: found.start()] + " " + text[found.end() :]
    return None, text


def _take_postcode(text: str) -> tuple[str | None, str | None, str]:
    """A full postcode, else a district on its own. Each must have a digit as typed, so a name such as
    "Leo Ian" is never read (with O for 0 and I for 1) as a postcode."""
    for found in _FULL_POSTCODE.finditer(text):
        if not any(char.isdigit() for char in found.group(0)):
            continue
        try:
            postcode = normalise_postcode(found.group(0))
        except InvalidPostcode:
            continue
        return postcode, None, text[: found.start()] + " " + text[found.end() :]
    words = text.split(" ")
    for n, word in enumerate(words):
        token = word.strip(",;.")
        if not (any(c.isdigit() for c in token) and any(c.isalpha() for c in token)):
            continue
        try:
            outcode = normalise_outcode(token)
        except InvalidPostcode:
            continue
        return None, outcode, " ".join(words[:n] + words[n + 1 :])
    return None, None, text


# How alike a name is to what was typed.
PREFIX_SCORE = 90.0  # "marg" is the beginning of "margaret"
INITIAL_SCORE = 80.0  # "m" is the initial of "margaret"


def name_match(typed: str, name: str) -> float:
    """0-100: how well a person's `name` answers the `typed` words. Each typed word is matched to the best
    word of the name (the same word 100, its beginning 90, an initial 80, else rapidfuzz's ratio, so a typo
    scores high) and the mean taken; for two words or more, intake's `name_score` (word order, "Smith,
    Margaret", nicknames, initials) counts if it is higher."""
    wanted, theirs = name_tokens(typed), name_tokens(name)
    if not wanted or not theirs:
        return 0.0
    each = [max(_word_score(word, their) for their in theirs) for word in wanted]
    score = sum(each) / len(each)
    if len(wanted) > 1:
        score = max(score, name_score(typed, name))
    return round(score, 1)


def _word_score(word: str, their: str) -> float:
    if word == their:
        return 100.0
    if len(word) == 1:
        return INITIAL_SCORE if their.startswith(word) else 0.0
    if their.startswith(word):
        return PREFIX_SCORE
    return float(fuzz.ratio(word, their))
