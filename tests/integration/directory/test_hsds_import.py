import shutil

import pytest

from config.settings import ConfigError
from directory.hsds import load_taxonomy_mapping
from directory.hsds_import import import_hsds
from tests.integration.directory.helpers import OFFICIAL_3_0, SAMPLE_1_1, UK_FICTIONAL, messages, snapshot

OFFICIAL_SERVICE = "hsds:ac148810-d857-441c-9679-408f346de14b"


def run_import(session_factory, path, geocoder, areas, **options):
    with session_factory() as session:
        return import_hsds(session, path, geocoder=geocoder, areas=areas, **options)


def test_official_example_reports_the_bad_location_and_imports_the_rest(
    session_factory, session, geocoder, areas
):
    report = run_import(session_factory, OFFICIAL_3_0, geocoder, areas)

    assert (report.created, report.updated, report.skipped) == (1, 0, 0)
    assert report.summary().startswith("created 1, updated 0, unchanged 0, skipped 0; 4 problems:\n  ")
    assert "locations.csv row 2, latitude: 100 is not a latitude (-90 to 90): location skipped" in messages(
        report
    )
    assert any("term 'name' (code 'code') maps to no need code" in m for m in messages(report))
    org = snapshot(session)[OFFICIAL_SERVICE]
    assert org["name"] == "Example Organization Inc. — Community Counselling"
    assert (org["base_lat"], org["base_lon"], org["base_postcode"]) == (None, None, None)
    assert (org["active"], org["area"], org["kind"]) == (False, "", "vcs")
    assert org["opening_hours"] == {"thu": [["10:00", "18:00"]], "fri": [["10:00", "18:00"]]}
    assert (org["min_age"], org["max_age"]) == (12, 100)
    assert (org["contact_name"], org["contact_email"], org["contact_phone"]) == (
        "Ann Persona",
        "email@example.com",
        "+441234234567",
    )
    assert org["public_contact"] == "01234 234567 · email@example.com · http://example.com/counselling"
    assert org["description"].startswith("Counselling Services provided by trained professionals")


def test_multi_row_sample_imports_every_service_inactive_for_review(
    session_factory, session, geocoder, areas
):
    report = run_import(session_factory, SAMPLE_1_1, geocoder, areas)

    directory = snapshot(session)
    assert report.created == len(directory) == 13
    assert not any(org["active"] for org in directory.values())
    assert "locations.csv row 3, latitude: 39.428192, -119.897426 is outside the UK: location skipped" in (
        messages(report)
    )
    assert "physical_addresses.csv row 2, country: 'US' is not in the UK: address ignored" in messages(report)
    assert "phones.csv row 3, number: '(223) 346 12361' is not a UK phone number: ignored" in messages(report)
    cross = directory["hsds:62e95523-07b9-4d1b-9bcf-6cea6e2be5d8"]
    assert cross["name"] == "Example Cross Trust — Meals To-Go at The Cross"
    assert cross["public_contact"] == "thecross@example.com · http://example.com"
    helpline = directory["hsds:c89eb05c-62dd-4b64-b494-0cc347b6ea7f"]
    assert helpline["contact_name"] == "Contact 1"
    assert helpline["opening_hours"] == {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed")}


UK = {
    # service id: (name, area, active, services, kind, postcode)
    "afb4d3f8-7347-507c-acb6-fd2d1623de4a": (
        "Sutton Community Larder — Food parcels",
        "sutton",
        True,
        ["food"],
        "vcs",
        "SM1 1EA",
    ),
    "6cbffab1-d687-5a58-a69e-ce5218f09a77": (
        "Sutton Community Larder — Shopping and prescriptions",
        "sutton",
        True,
        ["shopping", "prescriptions"],
        "vcs",
        "SM1 1EA",
    ),
    "7ad57512-b548-5f0f-903e-671a29462ee2": (
        "Sutton Community Larder — Volunteer training",
        "sutton",
        False,
        [],
        "vcs",
        "SM1 1EA",
    ),
    "4b5cebd7-745e-52de-a41b-cc48961cb23f": (
        "Carshalton Mutual Aid",
        "sutton",
        True,
        ["dog_walking", "errands"],
        "mutual_aid",
        "SM5 3AB",
    ),
    "b7d5a5b0-6a7c-5a38-ab90-f375d83b43ec": (
        "Coventry Befriending Network — Telephone befriending",
        "coventry",
        True,
        ["befriending"],
        "vcs",
        "CV1 2AA",
    ),
    "ed86001e-f972-5ce6-a1a5-e80d76d8c6dd": (
        "Manchester Money Advice — Debt advice",
        "",
        False,
        ["financial"],
        "vcs",
        "M1 1AE",
    ),
    "e6be5c00-c123-5da6-a100-b34e551d9940": (
        "Calais Welcome Desk — Welcome desk",
        "",
        False,
        [],
        "vcs",
        None,
    ),
}


def test_uk_package_places_services_in_their_areas(session_factory, session, geocoder, areas):
    report = run_import(session_factory, UK_FICTIONAL, geocoder, areas)

    directory = snapshot(session)
    assert report.created == len(directory) == len(UK)
    for service_id, (name, area, active, services, kind, postcode) in UK.items():
        org = directory[f"hsds:{service_id}"]
        got = (org["name"], org["area"], org["active"], org["services"], org["kind"], org["base_postcode"])
        assert got == (name, area, active, services, kind, postcode), service_id
    assert "locations.csv row 6, latitude: 50.9658, 1.8620 is outside the UK: location skipped" in messages(
        report
    )
    assert any("M1 1AE is in Manchester, outside the served areas" in m for m in messages(report))
    assert any("'Arts and crafts' (code 'A1') maps to no need code" in m for m in messages(report))
    assert "schedules.csv row 5, byday: 'XX' is not a day: ignored" in messages(report)


def test_uk_package_fields(session_factory, session, geocoder, areas):
    run_import(session_factory, UK_FICTIONAL, geocoder, areas)

    directory = snapshot(session)
    parcels = directory["hsds:afb4d3f8-7347-507c-acb6-fd2d1623de4a"]
    assert (parcels["base_lat"], parcels["base_lon"]) == (51.3612, -0.1934)  # the location's own, not SM1's
    assert (parcels["radius_km"], parcels["capacity"], parcels["min_age"]) == (5.0, 10, 18)
    assert parcels["opening_hours"] == {
        "tue": [["10:00", "13:00"]],
        "thu": [["10:00", "13:00"], ["17:00", "19:00"]],
    }
    assert (parcels["contact_name"], parcels["contact_phone"], parcels["contact_email"]) == (
        "Priya Example",
        "+442079460311",
        "priya@larder.example.org",
    )
    assert parcels["public_contact"] == (
        "020 7946 0310 · parcels@larder.example.org · https://larder.example.org/parcels"
    )
    carshalton = directory["hsds:4b5cebd7-745e-52de-a41b-cc48961cb23f"]
    sm5 = geocoder.geocode("SM5")
    assert (carshalton["base_lat"], carshalton["base_lon"]) == (sm5.lat, sm5.lon)  # from the postcode
    assert carshalton["contact_phone"] == "+442079460320"  # the organisation's phone
    calls = directory["hsds:b7d5a5b0-6a7c-5a38-ab90-f375d83b43ec"]
    assert calls["opening_hours"] == {
        day: [["09:30", "16:30"]] for day in ("mon", "tue", "wed", "thu", "fri")
    }
    assert (calls["min_age"], calls["max_age"]) == (60, 120)
    calais = directory["hsds:e6be5c00-c123-5da6-a100-b34e551d9940"]
    assert (calais["base_lat"], calais["radius_km"]) == (None, None)


def test_reimport_updates_instead_of_duplicating(session_factory, session, geocoder, areas, tmp_path):
    first = run_import(session_factory, UK_FICTIONAL, geocoder, areas)
    again = run_import(session_factory, UK_FICTIONAL, geocoder, areas)
    assert (again.created, again.updated, again.unchanged) == (0, 0, first.created)

    changed = shutil.copytree(UK_FICTIONAL, tmp_path / "changed")
    services = changed / "services.csv"
    services.write_text(services.read_text().replace("Telephone befriending", "Phone befriending"))
    report = run_import(session_factory, changed, geocoder, areas)

    directory = snapshot(session)
    assert (report.created, report.updated, report.unchanged) == (0, 1, first.created - 1)
    assert len(directory) == first.created
    calls = directory["hsds:b7d5a5b0-6a7c-5a38-ab90-f375d83b43ec"]
    assert calls["name"] == "Coventry Befriending Network — Phone befriending"


def test_mapping_by_id_and_code(session_factory, session, geocoder, areas, tmp_path):
    mapping_file = tmp_path / "mapping.yaml"
    mapping_file.write_text(
        "defaults: {kind: hub, radius_km: 2.5, capacity: 4}\n"
        "needs:\n"
        "  digital: {codes: [A1]}\n"
        "  advice: {ids: [3f7b145d-84af-42d7-8fae-eaca714b02b2]}\n"
    )
    mapping = load_taxonomy_mapping(mapping_file)
    assert mapping.needs_by_id == {"3f7b145d-84af-42d7-8fae-eaca714b02b2": ("advice",)}

    report = run_import(session_factory, UK_FICTIONAL, geocoder, areas, mapping=mapping_file)

    calls = snapshot(session)["hsds:b7d5a5b0-6a7c-5a38-ab90-f375d83b43ec"]
    assert calls["services"] == ["digital"]  # "Telephone befriending" is not in this mapping; A1 is
    assert (calls["kind"], calls["radius_km"], calls["capacity"]) == ("hub", 2.5, 4)
    assert any("'Telephone befriending' (code 'B1') maps to no need code" in m for m in messages(report))


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("needs: {parcels: {names: [Food]}}", "needs.parcels is not a need code"),
        ("defaults: {kind: charity}", "defaults.kind 'charity'"),
        ("kinds: [{name_contains: hub}]", "kinds[0] needs name_contains and a kind"),
        ("defaults: {radius_km: -1}", "radius_km must be positive"),
        ("needs: [", "cannot read the taxonomy mapping"),
    ],
)
def test_mapping_errors_name_the_file_and_entry(tmp_path, text, complaint):
    mapping_file = tmp_path / "mapping.yaml"
    mapping_file.write_text(text)
    with pytest.raises(ConfigError, match=r"mapping\.yaml") as error:
        load_taxonomy_mapping(mapping_file)
    assert complaint in str(error.value)


def test_a_package_without_services_imports_nothing(session_factory, session, geocoder, areas, tmp_path):
    report = run_import(session_factory, tmp_path, geocoder, areas)
    assert report.created == 0
    assert messages(report) == ["services.csv: no services table: nothing imported"]
    assert snapshot(session) == {}


def test_resources_outside_the_package_are_not_read(session_factory, geocoder, areas, tmp_path):
    package = tmp_path / "package"
    package.mkdir()
    (package / "datapackage.json").write_text(
        '{"resources": [{"name": "service", "path": "../services.csv"}]}'
    )
    (tmp_path / "services.csv").write_text("id,name\nx,Outside\n")
    report = run_import(session_factory, package, geocoder, areas)
    assert report.created == 0
    assert any("'../services.csv' is not a file in the package" in m for m in messages(report))
