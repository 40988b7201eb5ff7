"""The council areas' optional numbers (config/areas.yaml): the safeguarding team and who answers out of
hours, shown on the call form and after saving; a wrong entry is refused naming the area and the field."""

import re

import pytest

from config.settings import ConfigError
from directory.areas import AreaContact, load_areas
from directory.phones import is_drama_number, normalise_phone

AREA = """version: 1
areas:
  - code: sutton
    name: London Borough of Sutton
    admin_district_codes: [E09000029]
    coordination_model: hub_network
{extra}"""


def test_every_shipped_area_has_its_numbers_marked_as_demo_numbers():
    for area in load_areas().by_code.values():
        for contact in (area.safeguarding_contact, area.out_of_hours):
            assert isinstance(contact, AreaContact), area.code
            assert contact.demo, f"{area.code}: the shipped numbers are demo numbers"
            assert is_drama_number(normalise_phone(contact.phone)), f"{area.code}: {contact.phone}"


def test_the_numbers_are_optional(tmp_path):
    path = tmp_path / "areas.yaml"
    path.write_text(AREA.format(extra=""))
    area = load_areas(path).by_code["sutton"]
    assert area.safeguarding_contact is None
    assert area.out_of_hours is None


def test_a_contact_is_read_with_its_hours(tmp_path):
    path = tmp_path / "areas.yaml"
    path.write_text(
        AREA.format(
            extra="    out_of_hours:\n      name: Emergency duty team\n      phone: 020 7946 0901\n"
            "      hours: evenings and weekends\n"
        )
    )
    contact = load_areas(path).by_code["sutton"].out_of_hours
    assert contact == AreaContact("Emergency duty team", "020 7946 0901", "evenings and weekends", False)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("    safeguarding_contact: 020 7946 0900\n", "safeguarding_contact: must be a mapping"),
        ("    safeguarding_contact:\n      name: Team\n", "safeguarding_contact: phone must be given"),
        (
            "    out_of_hours:\n      name: Team\n      phone: '1'\n      fax: '2'\n",
            "out_of_hours: unknown fax",
        ),
        (
            "    out_of_hours:\n      name: Team\n      phone: '1'\n      demo: maybe\n",
            "demo must be true or false",
        ),
    ],
)
def test_a_wrong_contact_is_refused_naming_the_area_and_field(tmp_path, extra, message):
    path = tmp_path / "areas.yaml"
    path.write_text(AREA.format(extra=extra))
    with pytest.raises(ConfigError, match=re.escape(message)) as refused:
        load_areas(path)
    assert "areas[0]: " in str(refused.value)
