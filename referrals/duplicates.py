"""Finding the same person at intake, before a referral creates a second record for them.

Each field present on both records gets a 0-100 score:
- name: titles stripped, "Smith, Margaret" reordered, common nicknames folded, initials expanded; the mean
  of token_set_ratio and the weakest token's best match, so a shared surname cannot carry different given
  names;
- phone: UK national digits (07700 900123 == +44 7700 900123); one mistyped digit scores 75;
- postcode: no spaces, upper case; the same district scores 50;
- address: abbreviations expanded, token order ignored; house and flat numbers must agree or it scores <= 30.
The overall score is half the name and half the strongest contact evidence (phone, or address confirmed by
postcode). A name below 85 scales the score down to nothing at 50, so relatives at one address and phone do
not match; a name with no contact evidence scores at most 60; a different date of birth halves the score
and an equal one lifts it. Same phone plus a similar name is a strong match; a shared postcode alone is not.
"""

import re
import unicodedata
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from types import MappingProxyType

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

DEFAULT_THRESHOLD = 80.0
FIELD_MATCH = 80.0
CLOSE_NAME = 85.0
UNRELATED_NAME = 50.0

TITLES = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "doctor", "prof", "professor", "rev", "revd", "reverend"}
    | {"sir", "dame", "lady", "lord", "master", "fr", "cllr"}
)
_NICKNAME_GROUPS = {
    "margaret": "maggie maggy meg peggy peg margie marge madge",
    "elizabeth": "liz lizzie lizzy beth betty bess eliza libby",
    "william": "bill billy will willie willy",
    "robert": "bob bobby rob robbie",
    "james": "jim jimmy jamie",
    "john": "johnny jon",
    "richard": "dick rick ricky richie",
    "thomas": "tom tommy",
    "edward": "ed eddie ted teddy ned",
    "catherine": "katherine kathryn kate kath kathy katie cath cathy kitty",
    "patricia": "pat patsy trish tricia",
    "susan": "sue susie",
    "jennifer": "jen jenny",
    "dorothy": "dot dottie dolly",
    "michael": "mike mick micky mickey",
    "anthony": "tony",
    "christopher": "chris",
    "david": "dave davy",
    "joseph": "joe joey",
    "alexander": "alex sandy",
    "samuel": "sam sammy",
    "daniel": "dan danny",
    "stephen": "steven steve stevie",
    "frederick": "fred freddie",
    "deborah": "debbie deb debra",
    "rebecca": "becky becca",
}
NICKNAMES: Mapping[str, str] = MappingProxyType(
    {variant: name for name, variants in _NICKNAME_GROUPS.items() for variant in variants.split()}
)
ADDRESS_WORDS: Mapping[str, str] = MappingProxyType(
    {
        **dict.fromkeys(("rd",), "road"),
        **dict.fromkeys(("st", "str"), "street"),
        **dict.fromkeys(("ave", "av"), "avenue"),
        **dict.fromkeys(("apt", "apartment", "flt"), "flat"),
        "ln": "lane",
        "dr": "drive",
        "cl": "close",
        "cres": "crescent",
        "ct": "court",
        "pl": "place",
        "sq": "square",
        "gdns": "gardens",
        "gr": "grove",
        "hse": "house",
        "ter": "terrace",
        "terr": "terrace",
        "pde": "parade",
        "est": "estate",
    }
)
_POSTCODE_IN_TEXT = re.compile(r"\b[a-z]{1,2}[0-9][a-z0-9]?\s*[0-9][a-z]{2}\b")
_HOUSE_NUMBER = re.compile(r"^[0-9]+[a-z]?$")
_SOUNDEX_DIGITS = {
    letter: digit
    for digit, letters in {"1": "bfpv", "2": "cgjkqsxz", "3": "dt", "4": "l", "5": "mn", "6": "r"}.items()
    for letter in letters
}


@dataclass(frozen=True)
class PersonRecord:
    id: Hashable
    name: str
    phone: str | None = None
    postcode: str | None = None
    address: str | None = None
    date_of_birth: date | None = None


@dataclass(frozen=True)
class DuplicateMatch:
    resident_id: Hashable
    score: float
    matched_fields: tuple[str, ...]
    field_scores: Mapping[str, float] = field(default_factory=dict)


def find_duplicates(
    candidate: PersonRecord, existing: Iterable[PersonRecord], threshold: float = DEFAULT_THRESHOLD
) -> list[DuplicateMatch]:
    matches = []
    for person in existing:
        if candidate.id is not None and person.id == candidate.id:
            continue
        match = compare(candidate, person)
        if match.score >= threshold:
            matches.append(match)
    return sorted(matches, key=lambda match: (-match.score, str(match.resident_id)))


def compare(candidate: PersonRecord, person: PersonRecord) -> DuplicateMatch:
    scores = {"name": name_score(candidate.name, person.name)}
    for name, scorer, mine, theirs in (
        ("phone", phone_score, candidate.phone, person.phone),
        ("postcode", postcode_score, candidate.postcode, person.postcode),
        ("address", address_score, candidate.address, person.address),
        ("date_of_birth", dob_score, candidate.date_of_birth, person.date_of_birth),
    ):
        if mine and theirs:
            scores[name] = scorer(mine, theirs)
    matched = tuple(name for name, score in scores.items() if score >= FIELD_MATCH)
    return DuplicateMatch(person.id, round(_overall(scores), 1), matched, MappingProxyType(scores))


def _overall(scores: Mapping[str, float]) -> float:
    name = scores["name"]
    contact = _contact_evidence(scores)
    score = 0.6 * name if contact is None else 0.5 * name + 0.5 * contact
    if name < CLOSE_NAME:
        score *= max(0.0, (name - UNRELATED_NAME) / (CLOSE_NAME - UNRELATED_NAME))
    dob = scores.get("date_of_birth")
    if dob == 100:
        score += (100 - score) * 0.3
    elif dob == 0:
        score *= 0.5
    return score


def _contact_evidence(scores: Mapping[str, float]) -> float | None:
    evidence = []
    if "phone" in scores:
        evidence.append(scores["phone"])
    if "address" in scores:
        postcode = scores.get("postcode")
        address = scores["address"]
        evidence.append(0.9 * address if postcode is None else 0.7 * address + 0.3 * postcode)
    elif "postcode" in scores:
        evidence.append(0.5 * scores["postcode"])
    return max(evidence) if evidence else None


def name_tokens(name: str) -> tuple[str, ...]:
    text = _ascii(name).lower().replace("'", "").replace("’", "")
    if "," in text:
        surname, _, given = text.partition(",")
        text = f"{given} {surname}"
    tokens = re.findall(r"[a-z]+", text)
    while tokens and tokens[0] in TITLES and len(tokens) > 1:
        tokens.pop(0)
    return tuple(NICKNAMES.get(token, token) for token in tokens)


def name_score(first: str, second: str) -> float:
    mine, theirs = name_tokens(first), name_tokens(second)
    if not mine or not theirs:
        return 0.0
    expanded_mine, expanded_theirs = _expand_initials(mine, theirs), _expand_initials(theirs, mine)
    left, right = " ".join(expanded_mine), " ".join(expanded_theirs)
    if len(mine) > 1 and len(theirs) > 1:
        weakest = _weakest_token(expanded_mine, expanded_theirs)
        if len(expanded_mine) == len(expanded_theirs):
            weakest = min(weakest, _weakest_token(expanded_theirs, expanded_mine))
        score = (fuzz.token_set_ratio(left, right) + weakest) / 2
    else:
        score = fuzz.token_sort_ratio(left, right)
    if (expanded_mine, expanded_theirs) != (mine, theirs):
        score = min(score, 90.0)
    return float(score)


def _weakest_token(tokens: tuple[str, ...], other: tuple[str, ...]) -> float:
    """How well the worst-matched token of the shorter name is matched by any token of the other."""
    shorter, longer = (tokens, other) if len(tokens) <= len(other) else (other, tokens)
    return min(max(fuzz.ratio(token, candidate) for candidate in longer) for token in shorter)


def _expand_initials(tokens: tuple[str, ...], other: tuple[str, ...]) -> tuple[str, ...]:
    full_names = [token for token in other if len(token) > 1]

    def expand(token: str) -> str:
        if len(token) != 1:
            return token
        return next((name for name in full_names if name[0] == token and name not in tokens), token)

    return tuple(expand(token) for token in tokens)


def normalise_phone(phone: str) -> str | None:
    digits = re.sub(r"[^0-9]", "", phone)
    international = phone.strip().startswith("+") or digits.startswith("00")
    digits = digits.removeprefix("00")
    if international and not digits.startswith("44"):
        return "+" + digits if len(digits) >= 7 else None
    if international or (digits.startswith("44") and len(digits) >= 12):
        digits = "0" + digits[2:].lstrip("0")
    elif len(digits) == 10 and digits.startswith("7"):
        digits = "0" + digits
    return digits if len(digits) >= 7 else None


def phone_score(first: str, second: str) -> float:
    mine, theirs = normalise_phone(first), normalise_phone(second)
    if mine is None or theirs is None:
        return 0.0
    if mine == theirs:
        return 100.0
    return 75.0 if len(mine) == len(theirs) and OSA.distance(mine, theirs) == 1 else 0.0


def normalise_postcode(postcode: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", postcode.upper())


def postcode_score(first: str, second: str) -> float:
    mine, theirs = normalise_postcode(first), normalise_postcode(second)
    if not mine or not theirs:
        return 0.0
    if mine == theirs:
        return 100.0
    same_district = len(mine) > 3 and len(theirs) > 3 and mine[:-3] == theirs[:-3]
    return 50.0 if same_district else 0.0


def normalise_address(address: str) -> str:
    text = _POSTCODE_IN_TEXT.sub(" ", _ascii(address).lower().replace("'", ""))
    tokens = re.findall(r"[a-z0-9]+", text)
    return " ".join(ADDRESS_WORDS.get(token, token) for token in tokens)


def address_score(first: str, second: str) -> float:
    mine, theirs = normalise_address(first), normalise_address(second)
    if not mine or not theirs:
        return 0.0
    score = float(fuzz.token_sort_ratio(mine, theirs))
    if _house_numbers(mine) != _house_numbers(theirs):
        score = min(score, 30.0)
    return score


def _house_numbers(address: str) -> list[str]:
    return sorted(token for token in address.split() if _HOUSE_NUMBER.match(token))


def dob_score(first: date, second: date) -> float:
    if first == second:
        return 100.0
    parts = ((first.year, second.year), (first.month, second.month), (first.day, second.day))
    one_part_differs = sum(mine != theirs for mine, theirs in parts) == 1
    day_month_swapped = first.year == second.year and (first.day, first.month) == (second.month, second.day)
    return 50.0 if one_part_differs or day_month_swapped else 0.0


def blocking_keys(person: PersonRecord) -> set[str]:
    """Keys for an indexed pre-selection: records sharing none of them are not compared."""
    keys = set()
    tokens = name_tokens(person.name)
    if len(tokens) > 1:
        first, last = tokens[0], tokens[-1]
        keys |= {f"name:{soundex(last)}:{first[0]}", f"name:{soundex(first)}:{last[0]}"}
    elif tokens:
        keys.add(f"name:{soundex(tokens[0])}")
    if person.phone and (phone := normalise_phone(person.phone)):
        keys.add(f"phone:{phone}")
    if person.postcode and (postcode := normalise_postcode(person.postcode)):
        keys.add(f"postcode:{postcode}")
    if person.date_of_birth:
        keys.add(f"dob:{person.date_of_birth.isoformat()}")
    return keys


_DIGIT_RUN = re.compile(r"\+?[0-9][0-9()\s./-]*[0-9]")
MIN_ADDRESS_WORDS = 3
MIN_NAME_PART = 3


def mentioned_details(text: str, person: PersonRecord) -> tuple[str, ...]:
    """Which of a person's details a free text (a text message) names, for erasure: "name" (every part of it
    in any order, or the surname after a title or the initial), "phone" (any format), "address" (its first
    comma-separated parts, at least three words, abbreviations expanded), "postcode" (the full postcode; a
    district names nobody), and, weaker, "name_part" (one part of the name, three letters or more, alone)."""
    found = []
    named = _names(text, person.name)
    if named:
        found.append(named)
    if person.phone and _has_phone(text, person.phone):
        found.append("phone")
    if person.address and _has_address(text, person.address):
        found.append("address")
    if person.postcode and _has_postcode(text, person.postcode):
        found.append("postcode")
    return tuple(found)


def _names(text: str, name: str) -> str | None:
    parts = name_tokens(name)
    words = [
        NICKNAMES.get(word, word) for word in re.findall(r"[a-z]+", _ascii(text).lower().replace("'", ""))
    ]
    if not parts or not words:
        return None
    if len(parts) > 1 and set(parts) <= set(words):
        return "name"
    surname, initial = parts[-1], parts[0][0]
    if any(word == surname and (before in TITLES or before == initial) for before, word in pairwise(words)):
        return "name"
    if any(len(part) >= MIN_NAME_PART and part in words for part in parts):
        return "name" if len(parts) == 1 else "name_part"
    return None


def _has_phone(text: str, phone: str) -> bool:
    number = normalise_phone(phone)
    if number is None:
        return False
    significant = number[1:]  # without the trunk 0 (national) or the + (international)
    return any(significant in re.sub(r"[^0-9]", "", run) for run in _DIGIT_RUN.findall(text))


def _has_address(text: str, address: str) -> bool:
    words: list[str] = []
    for part in address.split(","):
        words += normalise_address(part).split()
        if len(words) >= MIN_ADDRESS_WORDS:
            break
    if len(words) < MIN_ADDRESS_WORDS:
        return False
    return f" {' '.join(words)} " in f" {normalise_address(text)} "


def _has_postcode(text: str, postcode: str) -> bool:
    full = normalise_postcode(postcode)
    if not re.fullmatch(r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}", full):
        return False
    return any(normalise_postcode(found) == full for found in _POSTCODE_IN_TEXT.findall(_ascii(text).lower()))


def soundex(word: str) -> str:
    letters = [letter for letter in _ascii(word).lower() if "a" <= letter <= "z"]
    if not letters:
        return ""
    code, previous = letters[0].upper(), _SOUNDEX_DIGITS.get(letters[0], "")
    for letter in letters[1:]:
        digit = _SOUNDEX_DIGITS.get(letter, "")
        if digit and digit != previous:
            code += digit
        if letter not in "hw":
            previous = digit
    return (code + "000")[:4]


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))
