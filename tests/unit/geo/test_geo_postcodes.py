import csv

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo import DATA_DIR, InvalidPostcode, is_outcode, normalise_outcode, normalise_postcode, outcode_of
from geo.postcodes import _NORMALISED_POSTCODE, is_normalised_postcode


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("M1 1AE", "M1 1AE"),  # A9 9AA
        ("B33 8TH", "B33 8TH"),  # A99 9AA
        ("CR2 6XH", "CR2 6XH"),  # AA9 9AA
        ("DN55 1PT", "DN55 1PT"),  # AA99 9AA
        ("W1A 0AX", "W1A 0AX"),  # A9A 9AA
        ("EC1A 1BB", "EC1A 1BB"),  # AA9A 9AA
        ("SW1A 2AA", "SW1A 2AA"),
        ("sm11aa", "SM1 1AA"),
        (" SM1  1AA ", "SM1 1AA"),
        ("s m 1 1 a a", "SM1 1AA"),
        ("SM1\t1AA\n", "SM1 1AA"),
        ("SM1\u00a01AA", "SM1 1AA"),  # no-break space, pasted from a web page
        ("SM1\u200b 1AA", "SM1 1AA"),  # zero-width space
        ("ＳＭ１ １ＡＡ", "SM1 1AA"),  # full-width forms
        ("GIR 0AA", "GIR 0AA"),
        ("gir0aa", "GIR 0AA"),
    ],
)
def test_normalises_valid_postcodes(raw, expected):
    assert normalise_postcode(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("SM1 OAA", "SM1 0AA"),  # the inward code starts with a digit
        ("SM1 IAA", "SM1 1AA"),
        ("SWIA 2AA", "SW1A 2AA"),  # the third character of a four-character district is a digit
        ("SWOA 2AA", "SW0A 2AA"),
        ("S014 7LY", "SO14 7LY"),  # ... and its second is a letter
        ("0X1 1AA", "OX1 1AA"),  # a postcode starts with a letter
        ("1G1 1AA", "IG1 1AA"),
        ("MO 1AE", "M0 1AE"),  # a two-character district is letter then digit
        ("C01 1AA", "CO1 1AA"),  # C is not a one-letter area, so CO1 is the only reading
        ("CVI 1AA", "CV1 1AA"),
    ],
)
def test_corrects_o_and_i_confusions_where_only_one_reading_fits(raw, expected):
    assert normalise_postcode(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "SO1 1AA",  # after a one-letter area (S) a district may be A99, A9A or AA9: O and 0 both fit
        "S01 1AA",
        "SE1 1AA",
        "M1A 1AA",
    ],
)
def test_leaves_ambiguous_positions_as_typed(raw):
    assert normalise_postcode(raw) == raw


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("12345", "not a UK postcode format"),
        ("SM1 1A", "not a UK postcode format"),
        ("SM11AAA", "not a UK postcode format"),
        ("SM1 1CA", "not a UK postcode format"),  # C is never an inward letter
        ("QA1 1AA", "not a UK postcode format"),  # Q never starts a postcode
        ("AI1 1AA", "not a UK postcode format"),  # I is never the second letter of an area
        ("A1 1AA", "not a UK postcode format"),  # the one-letter areas are B, E, G, L, M, N, S and W
        ("121AA", "not a UK postcode format"),
        ("SM1 IOA", "not a UK postcode format"),  # only the digit position is corrected
        ("ZZ", "too short"),
        ("SM1 1", "too short"),
        ("SM1", "a postcode district only"),
        ("sw1a", "a postcode district only"),
        ("", "no postcode given"),
        ("   ", "no postcode given"),
        ("SM1 1AA" * 5, "too long"),
        ("S" * 10_000, "too long"),
        ("SM1 1AÄ", "only letters, digits and a space"),
        ("SM1 1AA 😀", "only letters, digits and a space"),
        ("SM1-1AA", "only letters, digits and a space"),
        ("١٢٣ ٤٥٦", "only letters, digits and a space"),
        ("BFPO 123", "BFPO"),
        (None, "must be text"),
        (12345, "must be text"),
    ],
)
def test_rejects_invalid_postcodes_with_a_reason(raw, reason):
    with pytest.raises(InvalidPostcode) as caught:
        normalise_postcode(raw)
    assert reason in caught.value.reason
    assert caught.value.value == raw
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        *[("SM1", True), ("sw1a", True), (" ec1a ", True), ("W1A", True), ("GIR", True), ("SWIA", True)],
        *[("SM1 1AA", False), ("SM", False), ("12", False), ("", False), ("SM1I", False), ("SM1 1", False)],
    ],
)
def test_is_outcode(raw, expected):
    assert is_outcode(raw) is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("SM1 1AA", "SM1"), ("ec1a1bb", "EC1A"), ("SM1", "SM1"), ("sw1a", "SW1A"), ("GIR 0AA", "GIR")],
)
def test_outcode_of(raw, expected):
    assert outcode_of(raw) == expected


def test_outcode_of_rejects_invalid():
    with pytest.raises(InvalidPostcode):
        outcode_of("12345")


def test_every_shipped_district_is_a_valid_outcode():
    with open(DATA_DIR / "uk_outcode_centroids.csv", newline="", encoding="utf-8") as file:
        outcodes = [row["outcode"] for row in csv.DictReader(file)]
    assert len(outcodes) == 2943
    assert [code for code in outcodes if normalise_outcode(code) != code] == []


@given(st.from_regex(_NORMALISED_POSTCODE, fullmatch=True))
def test_any_valid_postcode_survives_lower_case_and_lost_spaces(postcode):
    messy = postcode.lower().replace(" ", "")
    assert normalise_postcode(messy) == postcode
    assert normalise_postcode(postcode) == postcode
    assert is_normalised_postcode(postcode)


@given(st.text(max_size=40))
def test_arbitrary_text_is_normalised_or_refused_with_a_reason(text):
    try:
        postcode = normalise_postcode(text)
    except InvalidPostcode as error:
        reason = error.reason
    else:
        reason = None
        assert is_normalised_postcode(postcode)
    assert reason is None or reason.strip()
