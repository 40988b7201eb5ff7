"""How to reach a person safely (referrals/contact.py): what is stored, what is refused, and the rule that a
referral is contactable."""

import pytest

from referrals.contact import ContactDetails, contactable_problem


def test_only_what_was_given_is_stored_and_read_back():
    details = ContactDetails(safe_to_contact="no", safe_times="mornings", no_message=True)
    assert details.stored() == {"safe_to_contact": "no", "safe_times": "mornings", "no_message": True}
    assert ContactDetails.from_stored(details.stored()) == details
    assert ContactDetails.from_stored({"unknown_key": "x"}) == ContactDetails()
    assert ContactDetails().empty


@pytest.mark.parametrize(
    ("details", "field"),
    [
        (ContactDetails(safe_to_contact="maybe"), "safe_to_contact"),
        (ContactDetails(safe_to_contact="no"), "safe_times"),
        (ContactDetails(access_notes="x" * 1001), "access_notes"),
        (ContactDetails(emergency_contact="x" * 301), "emergency_contact"),
    ],
)
def test_problems_name_the_field(details, field):
    assert field in details.problems()


def test_not_safe_to_contact_is_fine_with_a_safe_number_or_times():
    assert ContactDetails(safe_to_contact="no", safe_phone="020 7946 0000").problems() == {}
    assert ContactDetails(safe_to_contact="no", safe_times="after 6pm").problems() == {}


@pytest.mark.parametrize(
    ("phone", "address", "contact", "reason", "ok"),
    [
        ("07700 900123", "", ContactDetails(), "", True),
        ("", "1 High Street", ContactDetails(), "", True),
        ("", "", ContactDetails(safe_phone="020 7946 0000"), "", True),
        ("", "", ContactDetails(), "", False),
        ("", "", ContactDetails(), "none", False),
        ("", "", ContactDetails(), "sleeping rough, day centre on Tuesdays", True),
        ("  ", " ", ContactDetails(), "", False),
    ],
)
def test_a_referral_is_contactable_by_phone_address_safe_number_or_a_reason(
    phone, address, contact, reason, ok
):
    assert (contactable_problem(phone, address, contact, reason) is None) is ok
