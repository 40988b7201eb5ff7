"""Reading what someone typed in "Find a person", and how alike a name is: plain values in, answers out."""

from datetime import date

import pytest

from referrals.search_text import SearchTerms, name_match, read_query

TODAY = date(2026, 12, 7)
PHONE = "+447700900123"


def read(text: str) -> SearchTerms:
    return read_query(text, TODAY)


@pytest.mark.parametrize(
    ("text", "reference"),
    [
        ("123", 123),
        ("R123", 123),
        ("r 123", 123),
        ("ref 123", 123),
        ("Ref. 45", 45),
        ("referral no. 7", 7),
        ("#77", 77),
        ("  12  ", 12),
        ("999999999", 999999999),
    ],
)
def test_a_reference(text, reference):
    terms = read(text)
    assert terms.reference == reference
    assert terms.described() == [f"referral {reference}"]


@pytest.mark.parametrize(
    "text",
    [
        "07700 900123",
        "07700900123",
        "+44 7700 900123",
        "+44 (0)7700 900123",
        "0044 7700-900-123",
        "447700900123",
        "7700 900123",
        "(07700) 900 123",
        "07700.900.123",
    ],
)
def test_a_phone_in_any_format_is_read_as_stored(text):
    terms = read(text)
    assert (terms.phone, terms.reference, terms.name, terms.ignored) == (PHONE, None, "", ())


def test_a_landline_and_digits_that_are_no_phone():
    assert read("020 7946 0123").phone == "+442079460123"
    terms = read("1234567890123456")
    assert terms.phone is None
    assert terms.ignored == ("1234567890123456",)
    assert terms.empty


@pytest.mark.parametrize(
    ("text", "postcode", "outcode"),
    [
        ("SM1 1AA", "SM1 1AA", None),
        ("sm11aa", "SM1 1AA", None),
        ("SM1 OAA", "SM1 0AA", None),
        ("sw1a 2aa", "SW1A 2AA", None),
        ("SM1", None, "SM1"),
        ("cv1", None, "CV1"),
    ],
)
def test_a_postcode_or_a_district(text, postcode, outcode):
    terms = read(text)
    assert (terms.postcode, terms.outcode, terms.name) == (postcode, outcode, "")


@pytest.mark.parametrize(
    "text",
    [
        "27/3/1948",
        "27/03/1948",
        "27-03-48",
        "27.3.1948",
        "1948-03-27",
        "27 March 1948",
        "27 mar 1948",
        "27th March 1948",
        "27th of March, 1948",
        "March 27, 1948",
        "born 27/3/1948",
        "dob 27/3/48",
    ],
)
def test_a_date_of_birth_day_first(text):
    terms = read(text)
    assert (terms.date_of_birth, terms.name, terms.reference) == (date(1948, 3, 27), "", None)


def test_two_digit_years_are_the_latest_not_in_the_future_and_impossible_dates_are_not_dates():
    assert read("1/2/19").date_of_birth == date(2019, 2, 1)
    assert read("1/2/27").date_of_birth == date(1927, 2, 1)
    assert read("31/2/1950").date_of_birth is None
    assert read("1/1/2030").date_of_birth is None  # not born yet


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Margaret Smith", "Margaret Smith"),
        ("Smith, Margaret", "Smith Margaret"),
        ("O'Brien", "O'Brien"),
        ("Zoë Jones", "Zoë Jones"),
        ("Marg", "Marg"),
        ("Leo Ian", "Leo Ian"),  # never a postcode read with O for 0 and I for 1
        ("Bo", "Bo"),
    ],
)
def test_words_are_the_name(text, name):
    terms = read(text)
    assert (terms.name, terms.postcode, terms.outcode) == (name, None, None)


def test_pieces_combine_and_label_words_are_dropped():
    terms = read("Smith in SM1")
    assert (terms.name, terms.outcode) == ("Smith", "SM1")
    terms = read("Margaret Smith born 27 March 1948, postcode SM1 1AA, phone 07700 900123")
    assert terms.name == "Margaret Smith"
    assert (terms.date_of_birth, terms.postcode, terms.phone) == (date(1948, 3, 27), "SM1 1AA", PHONE)
    assert terms.described() == [
        "the name “Margaret Smith”",
        f"the phone number {PHONE}",
        "postcode SM1 1AA",
        "born 27 March 1948",
    ]


def test_what_is_not_understood_is_kept_and_nothing_typed_is_empty():
    terms = read("smith 42")
    assert (terms.name, terms.ignored, terms.reference) == ("smith", ("42",), None)
    assert read("").empty
    assert read("   \t\n").empty
    assert read("born").empty
    assert len(read("a" * 500).text) == 100


@pytest.mark.parametrize(
    ("typed", "name", "low", "high"),
    [
        ("Margaret Smith", "Margaret Smith", 100, 100),
        ("Margret Smith", "Margaret Smith", 90, 99),  # a typo
        ("Margaret Smyth", "Margaret Smith", 85, 95),
        ("Smith, Margaret", "Margaret Smith", 100, 100),
        ("Maggie Smith", "Margaret Smith", 100, 100),  # a nickname
        ("Smith", "Margaret Smith", 100, 100),
        ("Smi", "Margaret Smith", 90, 90),  # the beginning of a word
        ("M Smith", "Margaret Smith", 90, 100),  # an initial
        ("Jones", "Margaret Smith", 0, 40),
        ("", "Margaret Smith", 0, 0),
    ],
)
def test_name_match(typed, name, low, high):
    assert low <= name_match(typed, name) <= high


@pytest.mark.parametrize(
    ("text", "public_ref"),
    [
        ("PHFJE-4D2AD", "PHFJE-4D2AD"),
        ("phfje - 4d2ad", "PHFJE-4D2AD"),
        ("Smyth-Baker", "SMYTH-BAKER"),  # looked up first; with no such request, searched as the name
        ("PHFJE4D2AD", None),  # the hyphen is what tells it from a word
        ("OLIVE-SMITH", None),  # O, I and L are never in a reference
    ],
)
def test_a_request_from_outsides_reference_is_read_and_the_rest_still_as_a_name(text, public_ref):
    terms = read(text)
    assert terms.public_ref == public_ref
    assert terms.reference is None
