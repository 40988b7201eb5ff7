"""Which stored texts name a person, for erasure: their name, phone in any format, address or postcode."""

import pytest

from referrals.duplicates import PersonRecord, mentioned_details

WINIFRED = PersonRecord(
    id=1,
    name="Winifred Quill",
    phone="07700 900987",
    postcode="CV1 1AJ",
    address="14 Larch Crescent, Coventry",
)


@pytest.mark.parametrize(
    ("text", "details"),
    [
        ("Hello its winifred quill, can someone ring me back", ("name",)),
        ("QUILL, Winifred needs help", ("name",)),
        ("Mrs Quill is fine today", ("name",)),
        ("Saw W. Quill this morning", ("name",)),
        ("Peggy's neighbour Winnie", ()),
        ("my number is 07700900987 please call", ("phone",)),
        ("Please call +44 (0)7700 900-987", ("phone",)),
        ("ring 0044 7700 900 987", ("phone",)),
        ("I live at 14 Larch Cres, sutton", ("address",)),
        ("help needed at cv11aj", ("postcode",)),
        (
            "This is Winifred Quill, 14 Larch Crescent CV1 1AJ, 07700 900987",
            ("name", "phone", "address", "postcode"),
        ),
        ("Done Winifred", ("name_part",)),
        ("Quill", ("name_part",)),
    ],
)
def test_what_a_text_says_about_her(text, details):
    assert mentioned_details(text, WINIFRED) == details


@pytest.mark.parametrize(
    "text",
    [
        "Is this the number for the food bank? Albert",
        "call 07700 900988",  # one digit off
        "the 14 bus to Larch",  # a street without the house number
        "anyone in CV1 1AH?",  # another postcode in her district
        "CV1 district please",
        "Bob Smith, 15 Larch Crescent",
        "YES BYS",
    ],
)
def test_texts_about_someone_else_name_nobody(text):
    assert mentioned_details(text, WINIFRED) == ()


def test_a_short_address_or_a_bare_district_is_not_enough_to_recognise():
    person = PersonRecord(id=2, name="Al", address="Flat 3", postcode="CV1")
    assert mentioned_details("Flat 3 is on fire, CV1", person) == ()
