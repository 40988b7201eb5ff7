from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from referrals.duplicates import (
    DuplicateMatch,
    PersonRecord,
    address_score,
    blocking_keys,
    compare,
    dob_score,
    find_duplicates,
    name_score,
    name_tokens,
    normalise_address,
    normalise_phone,
    normalise_postcode,
    phone_score,
    postcode_score,
    soundex,
)

MARGARET = PersonRecord(
    id=1,
    name="Margaret Smith",
    phone="0113 496 0000",
    postcode="LS6 2AB",
    address="Flat 3, 12 Cardigan Road",
    date_of_birth=None,
)


def person(**fields):
    return PersonRecord(id=None, **{"name": "Margaret Smith", **fields})


SAME_PERSON = [
    pytest.param(
        person(name="Mrs Margaret Smith", phone="+44 113 496 0000", postcode="ls62ab"),
        {"name", "phone", "postcode"},
        id="title-and-international-phone",
    ),
    pytest.param(
        person(name="Smith, Margaret", postcode="LS6 2AB", address="Apt 3 12 Cardigan Rd"),
        {"name", "postcode", "address"},
        id="surname-first-and-abbreviated-address",
    ),
    pytest.param(
        person(name="Maggie Smith", phone="01134960000"), {"name", "phone"}, id="nickname-same-phone"
    ),
    pytest.param(
        person(phone="(0113) 496 0000", postcode="BD1 1AA", address="4 Mill Lane, Bradford"),
        {"name", "phone"},
        id="moved-house-same-phone",
    ),
    pytest.param(
        person(phone="0113 496 0001", postcode="LS6 2AB", address="Flat 3 12 Cardigan Road"),
        {"name", "postcode", "address"},
        id="phone-typo-same-address",
    ),
    pytest.param(person(name="M. Smith", phone="0113 4960000"), {"name", "phone"}, id="initial-same-phone"),
    pytest.param(
        person(name="Margaret Smyth", phone="0113 496 0000", postcode="LS6 2AB"),
        {"name", "phone", "postcode"},
        id="surname-misspelt-same-phone",
    ),
    pytest.param(
        person(address="Flat 3, 12 Cardigan Rd, Leeds LS6 2AB", postcode="LS6 2AB"),
        {"name", "address", "postcode"},
        id="postcode-inside-address",
    ),
    pytest.param(
        person(name="Mags Smith", phone="0113 496 0000"), {"name", "phone"}, id="shortened-name-same-phone"
    ),
    pytest.param(
        person(name="Marg Smith", phone="+44 113 496 0000"), {"name", "phone"}, id="short-form-same-phone"
    ),
    pytest.param(
        person(name="Margaret Smitj", postcode="LS6 2AB", address="Flat 3, 12 Cardigan Road"),
        {"name", "postcode", "address"},
        id="surname-one-letter-off-same-postcode-and-address",
    ),
    pytest.param(
        person(name="Margaret Smiht", postcode="LS6 2AB", address="Flat 3 12 Cardigan Rd"),
        {"name", "postcode", "address"},
        id="surname-letters-swapped-same-postcode-and-address",
    ),
    pytest.param(
        person(name="Margaret Smith", postcode="LS6", address="Flat 3, 12 Cardigan Road"),
        {"name", "address"},
        id="district-only-same-address",
    ),
]
DIFFERENT_PEOPLE = [
    pytest.param(
        person(
            name="Martin Smith", phone="0113 496 0000", postcode="LS6 2AB", address="Flat 3, 12 Cardigan Rd"
        ),
        id="husband-with-a-similar-name-at-same-address-and-landline",
    ),
    pytest.param(
        person(name="Maria Smith", postcode="LS6 2AB", address="Flat 3, 12 Cardigan Road"),
        id="daughter-in-law-with-a-similar-name-at-same-address",
    ),
    pytest.param(
        person(
            name="John Smith", phone="0113 496 0000", postcode="LS6 2AB", address="Flat 3, 12 Cardigan Rd"
        ),
        id="husband-at-same-address-and-landline",
    ),
    pytest.param(
        person(name="Anna Kowalski", postcode="LS6 2AB", address="Flat 3, 12 Cardigan Road"),
        id="unrelated-flatmate",
    ),
    pytest.param(
        person(phone="0117 496 0999", postcode="BS1 4DJ", address="3 Park Street, Bristol"),
        id="same-name-different-town",
    ),
    pytest.param(person(name="Peter Jones", postcode="LS6 2AB"), id="same-postcode-only"),
    pytest.param(person(name="Margaret Smith", postcode="LS6 2AB"), id="same-name-and-postcode-only"),
    pytest.param(
        person(postcode="LS6 2AB", address="Flat 4, 12 Cardigan Road"),
        id="same-name-neighbouring-flat",
    ),
    pytest.param(person(name="Paul Smith", phone="0113 496 0000"), id="son-on-the-same-landline"),
    pytest.param(person(name="Smith"), id="surname-only"),
]


@pytest.mark.parametrize(("candidate", "fields"), SAME_PERSON)
def test_same_person_is_found(candidate, fields):
    matches = find_duplicates(candidate, [MARGARET])

    assert [match.resident_id for match in matches] == [1]
    assert fields <= set(matches[0].matched_fields)
    assert blocking_keys(candidate) & blocking_keys(MARGARET)


@pytest.mark.parametrize("candidate", DIFFERENT_PEOPLE)
def test_different_people_are_not_duplicates(candidate):
    assert find_duplicates(candidate, [MARGARET]) == []


def test_different_date_of_birth_strongly_reduces_the_score():
    known = PersonRecord(**{**MARGARET.__dict__, "date_of_birth": date(1941, 5, 2)})
    daughter = person(phone="0113 496 0000", postcode="LS6 2AB", date_of_birth=date(1970, 1, 1))
    without_dob = person(phone="0113 496 0000", postcode="LS6 2AB")

    assert compare(without_dob, known).score >= 90
    assert compare(daughter, known).score <= compare(without_dob, known).score / 2
    assert find_duplicates(daughter, [known]) == []


def test_same_date_of_birth_lifts_a_weak_match_over_the_threshold():
    known = PersonRecord(**{**MARGARET.__dict__, "date_of_birth": date(1941, 5, 2)})
    candidate = person(postcode="LS6 2AB", date_of_birth=date(1941, 5, 2))

    assert compare(person(postcode="LS6 2AB"), known).score < 80
    assert [match.resident_id for match in find_duplicates(candidate, [known])] == [1]


def test_matches_are_sorted_by_score_and_carry_field_scores():
    existing = [
        MARGARET,
        PersonRecord(
            2, "Margaret Smith", "0113 496 0000", "LS6 2AB", "Flat 3, 12 Cardigan Road", date(1941, 5, 2)
        ),
        PersonRecord(3, "Maggie Smith", None, "LS6 2AB", "Flat 3 12 Cardigan Rd"),
        PersonRecord(4, "John Smith", "0113 496 0000", "LS6 2AB", "Flat 3, 12 Cardigan Road"),
    ]
    candidate = person(
        name="Mrs M Smith",
        phone="0113 496 0000",
        postcode="LS6 2AB",
        address="Flat 3, 12 Cardigan Rd",
        date_of_birth=date(1941, 5, 2),
    )

    matches = find_duplicates(candidate, existing)

    assert [match.resident_id for match in matches] == [2, 1, 3]
    assert [match.score for match in matches] == sorted((match.score for match in matches), reverse=True)
    assert set(matches[0].field_scores) == {"name", "phone", "postcode", "address", "date_of_birth"}
    assert matches[1].score == matches[2].score
    assert all(0 <= score <= 100 for match in matches for score in match.field_scores.values())


def test_threshold_is_respected():
    candidate = person(name="Margaret Smith", postcode="LS6 2AB")

    assert find_duplicates(candidate, [MARGARET]) == []
    assert [match.resident_id for match in find_duplicates(candidate, [MARGARET], threshold=70)] == [1]


def test_a_record_is_not_its_own_duplicate():
    assert find_duplicates(MARGARET, [MARGARET]) == []


def test_match_is_a_plain_value():
    match = compare(person(phone="01134960000"), MARGARET)

    assert isinstance(match, DuplicateMatch)
    assert match.matched_fields == ("name", "phone")
    assert match.field_scores["phone"] == 100


@pytest.mark.parametrize(
    ("name", "tokens"),
    [
        ("Mrs Margaret Smith", ("margaret", "smith")),
        ("Smith, Margaret", ("margaret", "smith")),
        ("SMITH, Mrs Margaret", ("margaret", "smith")),
        ("Dr. John O'Brien", ("john", "obrien")),
        ("Zoë Smith-Jones", ("zoe", "smith", "jones")),
        ("Bill Smith", ("william", "smith")),
        ("Miss", ("miss",)),
    ],
)
def test_name_tokens(name, tokens):
    assert name_tokens(name) == tokens


@pytest.mark.parametrize(
    ("first", "second", "low", "high"),
    [
        ("Mrs Margaret Smith", "Margaret Smith", 100, 100),
        ("Smith, Margaret", "Margaret Smith", 100, 100),
        ("Smith Margaret", "Margaret Smith", 100, 100),
        ("Maggie Smith", "Margaret Smith", 100, 100),
        ("John Smith", "John Paul Smith", 100, 100),
        ("M Smith", "Margaret Smith", 90, 90),
        ("Margaret Smith", "Margaret Smyth", 85, 95),
        ("Margaret Smith", "John Smith", 0, 60),
        ("Anna Kowalski", "Maria Kowalski", 0, 70),
        ("Margaret Smith", "Smith", 0, 60),
        ("Margaret Smith", "", 0, 0),
    ],
)
def test_name_score(first, second, low, high):
    assert low <= name_score(first, second) <= high
    assert name_score(first, second) == pytest.approx(name_score(second, first))


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("07700 900123", "07700900123"),
        ("+44 7700 900123", "07700900123"),
        ("+44 (0)7700 900123", "07700900123"),
        ("0044 7700 900123", "07700900123"),
        ("447700900123", "07700900123"),
        ("7700900123", "07700900123"),
        ("(0113) 496-0000", "01134960000"),
        ("+1 555 123 4567", "+15551234567"),
        ("123", None),
        ("", None),
    ],
)
def test_normalise_phone(raw, normalised):
    assert normalise_phone(raw) == normalised


@pytest.mark.parametrize(
    ("first", "second", "score"),
    [
        ("07700 900123", "+44 7700 900123", 100),
        ("07700 900123", "07700 900124", 75),
        ("07700 900123", "07700 900213", 75),
        ("07700 900123", "07700 911111", 0),
        ("07700 900123", "0770 090 012", 0),
        ("07700 900123", "12", 0),
    ],
)
def test_phone_score(first, second, score):
    assert phone_score(first, second) == score


@pytest.mark.parametrize(
    ("first", "second", "score"),
    [("ls6 2ab", "LS62AB", 100), ("LS6 2AB", "LS6 3XY", 50), ("LS6 2AB", "LS16 2AB", 0), ("LS6 2AB", "", 0)],
)
def test_postcode_score(first, second, score):
    assert normalise_postcode(" sw1a 1aa ") == "SW1A1AA"
    assert postcode_score(first, second) == score


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("Flat 3, 12 Cardigan Rd", "flat 3 12 cardigan road"),
        ("Apt. 3 12 Cardigan Road", "flat 3 12 cardigan road"),
        ("4 St John's Ave", "4 street johns avenue"),
        ("12 Cardigan Rd, Leeds LS6 2AB", "12 cardigan road leeds"),
    ],
)
def test_normalise_address(raw, normalised):
    assert normalise_address(raw) == normalised


@pytest.mark.parametrize(
    ("first", "second", "low", "high"),
    [
        ("Flat 3, 12 Cardigan Rd", "12 Cardigan Road Flat 3", 100, 100),
        ("Flat 3, 12 Cardigan Rd", "Flat 4, 12 Cardigan Road", 0, 30),
        ("12 Cardigan Rd", "12 Cardigan Road, Headingley", 70, 90),
        ("12 Cardigan Rd", "4 Mill Lane", 0, 30),
    ],
)
def test_address_score(first, second, low, high):
    assert low <= address_score(first, second) <= high


@pytest.mark.parametrize(
    ("first", "second", "score"),
    [
        (date(1941, 5, 2), date(1941, 5, 2), 100),
        (date(1941, 5, 2), date(1941, 2, 5), 50),
        (date(1941, 5, 2), date(1942, 5, 2), 50),
        (date(1941, 5, 2), date(1970, 1, 1), 0),
    ],
)
def test_dob_score(first, second, score):
    assert dob_score(first, second) == score


@pytest.mark.parametrize(
    ("word", "code"),
    [
        *[("Robert", "R163"), ("Rupert", "R163"), ("Ashcraft", "A261"), ("Tymczak", "T522")],
        *[("Pfister", "P236"), ("Smith", "S530"), ("Smyth", "S530"), ("Honeyman", "H555")],
        *[("Lee", "L000"), ("", "")],
    ],
)
def test_soundex(word, code):
    assert soundex(word) == code


def test_blocking_keys():
    record = PersonRecord(7, "Mrs Maggie Smith", "+44 113 496 0000", "ls6 2ab", "x", date(1941, 5, 2))

    assert blocking_keys(record) == {
        "name:S530:m",
        "name:M626:s",
        "phone:01134960000",
        "postcode:LS62AB",
        "dob:1941-05-02",
    }
    assert blocking_keys(PersonRecord(8, "Smith")) == {"name:S530"}


FIRST_NAMES = st.sampled_from(["Margaret", "Maggie", "M", "margaret"])
PHONES = st.sampled_from(["0113 496 0000", "+44 113 496 0000", "(0113) 4960000", "0044 113 496 0000"])
POSTCODES = st.sampled_from(["LS6 2AB", "ls62ab", " LS6  2AB"])
ADDRESSES = st.sampled_from(["Flat 3, 12 Cardigan Rd", "Apt 3 12 Cardigan Road", "12 Cardigan Road, Flat 3"])


@st.composite
def variants_of_margaret(draw):
    first = draw(FIRST_NAMES)
    name = draw(st.sampled_from([f"{first} Smith", f"Smith, {first}", f"Mrs {first} Smith"]))
    fields = {
        "phone": draw(st.none() | PHONES),
        "postcode": draw(st.none() | POSTCODES),
        "address": draw(st.none() | ADDRESSES),
    }
    if fields["phone"] is None and fields["address"] is None:
        fields["phone"] = draw(PHONES)
    return person(name=name, **fields)


@settings(max_examples=200, derandomize=True, database=None, deadline=None)
@given(variants_of_margaret())
def test_reformatted_copies_are_found_and_share_a_blocking_key(candidate):
    matches = find_duplicates(candidate, [MARGARET])

    assert [match.resident_id for match in matches] == [1]
    assert blocking_keys(candidate) & blocking_keys(MARGARET)


# The two kinds of repeat call measured as missed (issue: repeat callers).
BRENDA = PersonRecord(5, "Brenda Lee", None, "SM1 6QE", "20 Park Way")
SHAZIA = PersonRecord(6, "Shazia Ali", "07700 900555", "CV1 7GP", "32 Lime Lane, Coventry")


@pytest.mark.parametrize("short", ["Mags", "Marg", "Maggie", "Peggy", "M", "Mrs M."])
def test_a_shortened_first_name_on_the_same_phone_is_the_same_person(short):
    candidate = person(name=f"{short} Smith", phone="01134960000")

    assert [match.resident_id for match in find_duplicates(candidate, [MARGARET])] == [1]
    assert blocking_keys(candidate) & blocking_keys(MARGARET)


@pytest.mark.parametrize(
    ("known", "candidate"),
    [
        (BRENDA, PersonRecord(None, "Brenda Lew", None, "SM1 6QE", "20 Park Way")),
        (BRENDA, PersonRecord(None, "brenda lwe", None, "sm16qe", "20 Park Way")),
        (SHAZIA, PersonRecord(None, "Shazia Ail", None, "CV1 7GP", "32 Lime Lane")),
        (SHAZIA, PersonRecord(None, "Shazia Alo", None, "CV17GP", "32 Lime Ln, Coventry")),
        (MARGARET, person(name="Margaret Smitj", postcode="LS6 2AB", address="Flat 3, 12 Cardigan Road")),
        (MARGARET, person(name="Margaret Snith", postcode="LS6 2AB", address="Flat 3 12 Cardigan Rd")),
    ],
)
def test_a_surname_one_letter_off_at_the_same_postcode_and_address_is_the_same_person(known, candidate):
    assert [match.resident_id for match in find_duplicates(candidate, [known])] == [known.id]
    assert blocking_keys(candidate) & blocking_keys(known)


@pytest.mark.parametrize(
    "name",
    [
        "Maggie Smith",  # nickname
        "Marg Smith",  # shortened
        "M Smith",  # initial
        "Margeret Smith",  # one slip in the given name
        "Margaret Smyth",  # one slip in the surname
        "Margaret Smtih",  # letters swapped
        "SMITH Margaret",  # surname first, no comma
        "Smith, Mags",
        "Mrs Margaret Smith",
        "Margaret Anne Smith",  # a middle name given this time
    ],
)
@pytest.mark.parametrize("phone", ["0113 496 0000", "+44 113 496 0000", "(0113) 4960000"])
def test_the_same_phone_with_a_plausible_name_always_matches(name, phone):
    """Whatever else differs (here: moved house, no date of birth)."""
    candidate = person(name=name, phone=phone, postcode="BD1 1AA", address="4 Mill Lane, Bradford")

    assert [match.resident_id for match in find_duplicates(candidate, [MARGARET])] == [1]


@pytest.mark.parametrize(
    ("known", "relative"),
    [
        ("Paul Smith", "Paula Smith"),
        ("Paul Smith", "Pauline Smith"),
        ("John Smith", "Joan Smith"),
        ("Jean Smith", "Joan Smith"),
        ("Daniel Smith", "Danielle Smith"),
        ("Christine Smith", "Christian Smith"),
        ("Christopher Smith", "Christine Smith"),
        ("Julie Smith", "Julia Smith"),
        ("Carol Smith", "Carl Smith"),
        ("Harry Smith", "Barry Smith"),
        ("Louise Smith", "Louis Smith"),
        ("Michael Smith", "Michaela Smith"),
        ("Maria Smith", "Mario Smith"),
        ("Margaret Smith", "John Smith"),
    ],
)
def test_a_relative_with_a_look_alike_given_name_at_the_same_phone_and_address_is_not_a_match(
    known, relative
):
    existing = PersonRecord(1, known, "0113 496 0000", "LS6 2AB", "Flat 3, 12 Cardigan Road")
    candidate = PersonRecord(None, relative, "0113 496 0000", "LS6 2AB", "Flat 3, 12 Cardigan Road")

    assert name_score(known, relative) <= 70
    assert find_duplicates(candidate, [existing]) == []


@pytest.mark.parametrize(
    ("first", "second", "low", "high"),
    [
        ("Mags Smith", "Margaret Smith", 100, 100),
        ("Krzys Nowak", "Krzysztof Nowak", 90, 90),  # a short form not in the table
        ("Val Cooper", "Valerie Cooper", 90, 100),
        ("Margart Brown", "Margaret Brown", 90, 90),
        ("Daviid Wilson", "David Wilson", 90, 90),  # a letter doubled
        ("Anjali Kuar", "Anjali Kaur", 90, 90),  # letters swapped in a four-letter surname
        ("Brenda Lew", "Brenda Lee", 90, 90),  # a neighbouring key in a three-letter surname
        ("Tim Smith", "Tom Smith", 0, 70),  # but not in a three-letter given name
        ("Dean Smith", "Sean Smith", 0, 70),  # nor a given name's first letter
        ("Sandy Smith", "Sandra Smith", 100, 100),  # a nickname of several names matches each
        ("Sandy Smith", "Alexander Smith", 100, 100),
        ("Chris Smith", "Christine Smith", 100, 100),
        ("Margaret Rich", "Margaret Richard", 0, 89),  # nicknames are for given names, not surnames
        ("Declan O Brien", "Declan O'Brien", 100, 100),
        ("Declan Mc Donald", "Declan McDonald", 100, 100),
        ("Małgorzata Nowak", "Malgorzata Nowak", 100, 100),
        ("Gosia Nowak", "Małgorzata Nowak", 100, 100),
        ("Mohamed Khan", "Muhammad Khan", 100, 100),
        ("Duncan McDonald", "Hamish Duncan McDonald", 100, 100),
    ],
)
def test_name_score_rules(first, second, low, high):
    assert low <= name_score(first, second) <= high
    assert name_score(first, second) == pytest.approx(name_score(second, first))


def test_a_name_written_apart_shares_a_blocking_key():
    known = PersonRecord(1, "Declan Kieran O'Brien", None, "SL2 3PJ", "Flat 8, 7 Cedar Road")
    candidate = PersonRecord(None, "Declan O Brien", None, "SL2", "flat 8, 7 Cedar Road")

    assert blocking_keys(candidate) & blocking_keys(known)
    assert [match.resident_id for match in find_duplicates(candidate, [known])] == [1]


@pytest.mark.parametrize(
    ("first", "second", "score"),
    [("SM1", "SM1 1AA", 75), ("sm1", "SM11AA", 75), ("SM1", "SM2 1AA", 0), ("SM1", "SM1", 100)],
)
def test_a_district_alone_agrees_with_a_postcode_in_it(first, second, score):
    assert postcode_score(first, second) == score
    assert postcode_score(second, first) == score
