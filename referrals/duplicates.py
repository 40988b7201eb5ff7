"""Finding the same person at intake, before a referral creates a second record for them.

Each field present on both records gets a 0-100 score:
- name: titles stripped, "Smith, Margaret" reordered, accents dropped, "O Brien" joined; each word of the
  shorter name is paired with a different word of the longer one, in any order (middle names left over are
  ignored), and the name is as strong as its weakest pair, so a shared surname cannot carry different given
  names. A pair is 100 for the same word or the same given name (nickname or spelling: Maggie, Peggy, Mags
  for Margaret; Mohamed for Mohammed), 90 for an initial (M), a shortened given name (Marg, Chris, Val: its
  first three letters or more) or one slip of the keyboard (Smyth, Smiht, Margart), and fuzz.ratio
  otherwise, at most 70 for two given names: Daniel and Danielle, Joan and John, Christine and Christian are
  relatives' names, not misspellings, so what is one slip is kept narrow for given names (`_is_one_slip`);
- phone: UK national digits (07700 900123 == +44 7700 900123); one mistyped digit scores 75;
- postcode: no spaces, upper case; only the district given (SM1) and the other in it scores 75, two
  postcodes in the same district 50;
- address: abbreviations expanded, token order ignored; house and flat numbers must agree or it scores <= 30.
The overall score is half the name and half the strongest contact evidence (phone, or address confirmed by
postcode). A name below 85 scales the score down to nothing at 50; a name with no contact evidence scores at
most 60; a different date of birth halves the score and an equal one lifts it.

Repeat callers: the same normalised phone with a name that is plausibly the same person's (nickname,
shortened name, initial, one slip, surname first, a title) always matches: such a name scores 90 or more, so
the score is at least 0.5 * 90 + 0.5 * 100 = 95. "The same phone always matches" is not taken literally,
because a household shares a landline (and a carer rings from their own phone): a relative at the same phone
with another given name (Margaret and John Smith; Paul and Paula) scores 70 or less on the name and is scaled
down to nothing. The one plausible name that does not match at the same phone is one whose date of birth,
given on both records, differs entirely (a mother and daughter of the same name). A similar name with the
same postcode and address matches the same way (0.7 * address + 0.3 * postcode); a similar name with the
postcode and an equal date of birth gets over the threshold too; a shared postcode alone is not enough.
`python -m bench.duplicate_people` measures precision and recall on a generated set of repeat callers.
"""

import re
import unicodedata
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import pairwise, permutations
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
# A full name and the forms people give for it (nicknames, short forms, spellings of the same name). A form
# may stand for several names ("sandy": Alexander, Alexandra or Sandra; "chris": Christopher or Christine).
_NICKNAME_GROUPS = {
    "margaret": "maggie maggy meg peggy peg margie marge madge mags marg maisie greta",
    "elizabeth": "liz lizzie lizzy beth betty bess bessie eliza libby betsy",
    "william": "bill billy will willie willy",
    "robert": "bob bobby rob robbie bert bertie",
    "albert": "bert bertie albie al",
    "alan": "al",
    "alistair": "al",
    "james": "jim jimmy jamie",
    "john": "johnny jon",
    "jonathan": "jon jonny johnny jonty",
    "richard": "dick rick ricky richie rich",
    "thomas": "tom tommy",
    "edward": "ed eddie ted teddy ned",
    "catherine": "katherine kathryn kate kath kathy katie cath cathy kitty kat",
    "kathleen": "kath kathy katie kay",
    "patricia": "pat patsy trish tricia",
    "patrick": "pat paddy",
    "susan": "sue susie suzy suzie",
    "jennifer": "jen jenny jenni",
    "dorothy": "dot dottie dolly",
    "michael": "mike mick micky mickey mikey",
    "anthony": "tony ant",
    "christopher": "chris kit",
    "christine": "chris chrissie tina",
    "david": "dave davy",
    "joseph": "joe joey",
    "josephine": "jo josie",
    "alexander": "alex alec al sandy sasha xander",
    "alexandra": "alex sandy sasha",
    "sandra": "sandy",
    "samuel": "sam sammy",
    "samantha": "sam sammy",
    "daniel": "dan danny",
    "stephen": "steven steve stevie",
    "frederick": "fred freddie freddy",
    "deborah": "debbie deb debs debra",
    "rebecca": "becky becca bec becs",
    "mary": "molly polly",
    "barbara": "babs barb",
    "anne": "ann annie",
    "sarah": "sara sally sadie",
    "helen": "nell nellie",
    "eleanor": "ellie nell nellie",
    "eileen": "ellie",
    "victoria": "vicky vicki vic tori",
    "abigail": "abby abbie abi gail",
    "jacqueline": "jackie jacqui jacky",
    "frances": "fran fanny frankie",
    "francesca": "fran franca frankie",
    "charlotte": "lottie charlie",
    "charles": "charlie chas",
    "pamela": "pam",
    "valerie": "val",
    "gillian": "gill gilly jill",
    "beverley": "bev",
    "philip": "phillip phil pip",
    "matthew": "matt matty",
    "andrew": "andy drew",
    "timothy": "tim timmy",
    "kenneth": "ken kenny",
    "ronald": "ron ronnie",
    "raymond": "ray",
    "leonard": "len lenny",
    "terence": "terry tel",
    "stanley": "stan",
    "geoffrey": "geoff jeff",
    "douglas": "doug dougie",
    "gerald": "gerry jerry",
    "harold": "harry hal",
    "henry": "harry hal",
    "walter": "wally walt",
    "nicholas": "nick nicky",
    "benjamin": "ben benny benji",
    "gregory": "greg",
    "peter": "pete",
    "donald": "don donny",
    "mohammed": "muhammad mohammad mohamed muhammed mohamad mo",
    "ahmed": "ahmad",
    "abdullah": "abdul",
    "abdirahman": "abdi",
    "chukwuemeka": "emeka",
    "oluwaseun": "seun",
    "babatunde": "tunde",
    "olumide": "olu",
    "emmanuel": "manny",
    "katarzyna": "kasia",
    "malgorzata": "gosia",
    "aleksandra": "ola",
    "magdalena": "magda",
    "agnieszka": "aga",
    "giuseppe": "peppe beppe",
    "oleksandr": "sasha",
    "dmytro": "dima",
}
_FORMS: dict[str, set[str]] = {}
for _name, _variants in _NICKNAME_GROUPS.items():
    for _form in (_name, *_variants.split()):
        _FORMS.setdefault(_form, set()).add(_name)
# Every name a given-name form can stand for ("sandy": alexander, alexandra, sandra).
GIVEN_NAME_FORMS: Mapping[str, frozenset[str]] = MappingProxyType(
    {form: frozenset(names) for form, names in _FORMS.items()}
)
# A form folded to its full name wherever it appears: only the forms that stand for one name.
NICKNAMES: Mapping[str, str] = MappingProxyType(
    {form: next(iter(names)) for form, names in _FORMS.items() if len(names) == 1 and form not in names}
)
del _name, _variants, _form
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


@lru_cache(maxsize=65536)
def name_words(name: str) -> tuple[str, ...]:
    """The words of a name as written, given names first: no accents or apostrophes, titles dropped."""
    text = _ascii(name).lower().replace("'", "").replace("’", "")
    if "," in text:
        surname, _, given = text.partition(",")
        text = f"{given} {surname}"
    tokens = re.findall(r"[a-z]+", text)
    while tokens and tokens[0] in TITLES and len(tokens) > 1:
        tokens.pop(0)
    return tuple(tokens)


def _joined_particles(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """ "Declan O Brien", "Angus Mc Donald": the surname as one word, as "O'Brien" and "McDonald" give it."""
    joined, i = [], 0
    while i < len(tokens):
        if i + 1 < len(tokens) and (tokens[i] == "mc" or (i > 0 and tokens[i] in ("o", "mac"))):
            joined.append(tokens[i] + tokens[i + 1])
            i += 2
        else:
            joined.append(tokens[i])
            i += 1
    return tuple(joined)


def name_tokens(name: str) -> tuple[str, ...]:
    """The words of a name with each nickname that stands for one name folded into it (Bill: william) and a
    surname written apart joined ("Declan O Brien": obrien, as "O'Brien" gives it): what blocking keys,
    people search and texts compare."""
    return tuple(NICKNAMES.get(token, token) for token in _joined_particles(name_words(name)))


def name_score(first: str, second: str) -> float:
    """0-100: how plausibly two written names are one person's. Each word of the shorter name is paired with a
    different word of the longer (in any order; extra middle names are ignored) and the name is as strong as
    its weakest pair, so a shared surname cannot carry different given names. A pair scores 100 for the same
    word or the same given name (nickname, spelling; not between two surnames), 90 for an initial, a
    shortened given name or one slip of the keyboard, and fuzz.ratio otherwise. A name of one word is
    compared whole (token_sort_ratio): "Smith" against "Margaret Smith" scores about 50."""
    mine, theirs = name_words(first), name_words(second)
    if not mine or not theirs:
        return 0.0
    mine, theirs = _join_split_words(mine, theirs), _join_split_words(theirs, mine)
    if len(mine) > 1 and len(theirs) > 1:
        return _aligned_score(mine, theirs)
    mine, theirs = name_tokens(first), name_tokens(second)
    expanded_mine, expanded_theirs = _expand_initials(mine, theirs), _expand_initials(theirs, mine)
    score = fuzz.token_sort_ratio(" ".join(expanded_mine), " ".join(expanded_theirs))
    if (expanded_mine, expanded_theirs) != (mine, theirs):
        score = min(score, 90.0)
    return float(score)


MAX_ALIGNED_WORDS = 5


def _aligned_score(mine: tuple[str, ...], theirs: tuple[str, ...]) -> float:
    shorter, longer = (mine, theirs) if len(mine) <= len(theirs) else (theirs, mine)
    shorter, longer = shorter[:MAX_ALIGNED_WORDS], longer[:MAX_ALIGNED_WORDS]
    table = [
        [_word_score(word, _slot(i, shorter), other, _slot(j, longer)) for j, other in enumerate(longer)]
        for i, word in enumerate(shorter)
    ]
    best = max(
        (
            (min(table[i][j] for i, j in enumerate(pairing)), sum(table[i][j] for i, j in enumerate(pairing)))
            for pairing in permutations(range(len(longer)), len(shorter))
        ),
        default=(0.0, 0.0),
    )
    return float(best[0])


def _slot(position: int, words: tuple[str, ...]) -> str:
    """Where a word stands: "given" (first), "last" (the surname, or a given name written surname first) or
    "middle"."""
    if position == 0:
        return "given"
    return "last" if position == len(words) - 1 else "middle"


# What turns one given name into another (Paul: Paula, Pauline; Daniel: Danielle): not a short form or a slip.
_DERIVED_ENDINGS = frozenset(
    {"a", "e", "ia", "ie", "le", "ine", "ina", "ene", "ette", "etta", "elle", "ella"}
)
INITIAL = 90.0
SHORT_FORM = 90.0
ONE_SLIP = 90.0
OTHER_GIVEN_NAME = 70.0
MIN_SHORT_FORM = 3


@lru_cache(maxsize=65536)
def _word_score(word: str, slot: str, other: str, other_slot: str) -> float:
    """One word of a name against one of the other name's, each in its slot (see `_slot`). Two given names
    that are not the same name by one of the rules score at most 70, however alike they look (Daniel:
    Danielle, Christine: Christian), so a relative's name cannot pass for a misspelling."""
    if word == other:
        return 100.0
    surnames = slot == other_slot == "last"
    if not surnames and GIVEN_NAME_FORMS.get(word, {word}) & GIVEN_NAME_FORMS.get(other, {other}):
        return 100.0
    if len(word) == 1 or len(other) == 1:
        return INITIAL if word[0] == other[0] else 0.0
    given = "given" in (slot, other_slot)
    if given and "middle" not in (slot, other_slot) and _is_short_form(word, other):
        return SHORT_FORM
    if _is_one_slip(word, other, given):
        return ONE_SLIP
    score = float(fuzz.ratio(word, other))
    return min(score, OTHER_GIVEN_NAME) if given else score


def _is_short_form(word: str, other: str) -> bool:
    """Marg, Mags, Kath, Val for Margaret, Katherine, Valerie: a given name's first three letters or more
    (or them with an "s": Mags, Debs), when what it leaves out does not make another name of it."""
    short, full = sorted((word, other), key=len)
    if len(full) - len(short) < 2 or len(short) < MIN_SHORT_FORM:
        return False
    for stem in (short, short[:-1] if short.endswith("s") else ""):
        if (
            len(stem) >= MIN_SHORT_FORM
            and full.startswith(stem)
            and full[len(stem) :] not in _DERIVED_ENDINGS
        ):
            return True
    return False


MIN_SLIP_LENGTH = 5
MIN_GIVEN_FIRST_LETTER_SLIP = 6
_VOWELS = "aeiouy"
_KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_KEY_AT = {letter: (row, column) for row, keys in enumerate(_KEYBOARD) for column, letter in enumerate(keys)}


def _is_one_slip(word: str, other: str, given: bool) -> bool:
    """One slip of the keyboard: a letter doubled (Daviid, Ggill), two neighbouring letters swapped (Kaur:
    Kuar), or in a word of five letters or more one key wrong, missed or added (Smith: Smyth, Smth); in a
    shorter word, a neighbouring key after the first letter (Shaw: Shsw). A given name is held closer,
    because one letter tells many apart: its first letter only in six letters or more (Nargaret, Dward; not
    Harry: Barry, Dean: Sean, Ryan: Bryan) and changed only for a neighbouring key; nothing in three letters
    (Tim: Tom); no vowel added, dropped or changed at its end (Paul: Paula, Julie: Julia, Carl: Carol)."""
    if abs(len(word) - len(other)) > 1 or OSA.distance(word, other) != 1:
        return False
    short, full = sorted((word, other), key=len)
    if len(full) < (4 if given else 3):
        return False
    at = next(
        (i for i, (mine, theirs) in enumerate(zip(short, full, strict=False)) if mine != theirs), len(short)
    )
    at_end = at == len(full) - 1 or (len(full) <= MIN_SLIP_LENGTH and at == len(full) - 2)
    if len(short) < len(full):  # a letter missed or added
        if full[at] in (full[at - 1 : at] + full[at + 1 : at + 2]):
            return True  # doubled
        if len(full) < MIN_SLIP_LENGTH:
            return False
        if given:
            first_ok = at > 0 or len(full) >= MIN_GIVEN_FIRST_LETTER_SLIP
            return first_ok and not (at_end and full[at] in _VOWELS)
        return not (full.startswith(short) and full[-1] in "ae")
    if sorted(short) == sorted(full):  # two neighbouring letters swapped
        return True
    neighbours = _neighbouring_keys(short[at], full[at])
    if given and at_end and short[at] in _VOWELS and full[at] in _VOWELS and not neighbours:
        return False
    if at == 0:
        return (
            neighbours and len(full) >= MIN_GIVEN_FIRST_LETTER_SLIP if given else len(full) >= MIN_SLIP_LENGTH
        )
    return len(full) >= MIN_SLIP_LENGTH or neighbours


def _neighbouring_keys(first: str, second: str) -> bool:
    if first not in _KEY_AT or second not in _KEY_AT:
        return False
    (row, column), (other_row, other_column) = _KEY_AT[first], _KEY_AT[second]
    if row == other_row:
        return abs(column - other_column) == 1
    if other_row == row - 1:
        return other_column - column in (0, 1)
    if other_row == row + 1:
        return column - other_column in (0, 1)
    return False


def _join_split_words(tokens: tuple[str, ...], other: tuple[str, ...]) -> tuple[str, ...]:
    """Two words of one name ("o brien", "mc donald", "mary ann") that the other name has as one."""
    joined, i = [], 0
    while i < len(tokens):
        if i + 1 < len(tokens) and tokens[i] + tokens[i + 1] in other:
            joined.append(tokens[i] + tokens[i + 1])
            i += 2
        else:
            joined.append(tokens[i])
            i += 1
    return tuple(joined)


def _expand_initials(tokens: tuple[str, ...], other: tuple[str, ...]) -> tuple[str, ...]:
    full_names = [token for token in other if len(token) > 1]

    def expand(token: str) -> str:
        if len(token) != 1:
            return token
        return next((name for name in full_names if name[0] == token and name not in tokens), token)

    return tuple(expand(token) for token in tokens)


@lru_cache(maxsize=65536)
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


_OUTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?")
_FULL_POSTCODE = re.compile(r"([A-Z]{1,2}[0-9][A-Z0-9]?)[0-9][A-Z]{2}")
OUTCODE_AGREES = 75.0


def postcode_score(first: str, second: str) -> float:
    """100 the same postcode; 75 one given as its district only (SM1) and the other in it; 50 two postcodes in
    one district; 0 otherwise."""
    mine, theirs = normalise_postcode(first), normalise_postcode(second)
    if not mine or not theirs:
        return 0.0
    if mine == theirs:
        return 100.0
    districts = [_district(code) for code in (mine, theirs)]
    if None in districts or districts[0] != districts[1]:
        return 0.0
    return OUTCODE_AGREES if _OUTCODE.fullmatch(mine) or _OUTCODE.fullmatch(theirs) else 50.0


def _district(postcode: str) -> str | None:
    if _OUTCODE.fullmatch(postcode):
        return postcode
    full = _FULL_POSTCODE.fullmatch(postcode)
    if full:
        return full.group(1)
    return postcode[:-3] if len(postcode) > 3 else None


@lru_cache(maxsize=65536)
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
    """Keys for an indexed pre-selection: records sharing none of them are not compared. At most five: two
    name sounds (surname sound with the first initial, first-name sound with the surname initial, so a slip in
    one part or the two parts swapped still share one), the phone, the postcode, the date of birth."""
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
    # a nickname standing for several names ("chris") stands for each of them
    known = set(words) | {full for word in words for full in GIVEN_NAME_FORMS.get(word, ())}

    def said(part: str) -> bool:
        return part in known or bool(GIVEN_NAME_FORMS.get(part, frozenset()) & known)

    if len(parts) > 1 and all(said(part) for part in parts):
        return "name"
    surname, initial = parts[-1], parts[0][0]
    if any(word == surname and (before in TITLES or before == initial) for before, word in pairwise(words)):
        return "name"
    if any(len(part) >= MIN_NAME_PART and said(part) for part in parts):
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


# Letters NFKD does not decompose (Małgorzata, Søren, Đorđe, Straße).
_LATIN_LETTERS = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss", "ı": "i"}
)


def _ascii(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_LATIN_LETTERS))
    return "".join(char for char in decomposed if not unicodedata.combining(char))
