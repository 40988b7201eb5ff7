from datetime import date

import pytest

from directory.csv_import import (
    RowContext,
    import_organisations_csv,
    import_volunteers_csv,
    parse_availability,
    parse_opening_hours,
    validate_organisation_rows,
    validate_volunteer_rows,
)
from directory.hsds import known_need_codes
from directory.models import Volunteer
from tests.builders import organisation
from tests.integration.directory.helpers import messages, snapshot, write_csv


def org_row(number: int, **cells) -> dict:
    return {
        "external_id": f"csv:org-{number}",
        "name": f"Organisation {number}",
        "kind": "vcs",
        "area": "sutton",
        "services": "food;advice",
        **cells,
    }


def volunteer_row(number: int, **cells) -> dict:
    return {
        "external_id": f"csv:vol-{number}",
        "name": f"Volunteer {number}",
        "phone": f"07700 900{number:03d}",
        "postcode": "SM1 1EA",
        "skills": "shopping;dog_walking",
        **cells,
    }


def import_organisations(session_factory, path, geocoder, areas, **options):
    with session_factory() as session:
        return import_organisations_csv(session, path, geocoder=geocoder, areas=areas, **options)


def import_volunteers(session_factory, path, geocoder, **options):
    with session_factory() as session:
        return import_volunteers_csv(session, path, geocoder=geocoder, **options)


def test_organisations_are_imported_with_parsed_fields(session_factory, session, geocoder, areas, tmp_path):
    rows = [
        org_row(
            1,
            coverage_outcodes="sm1, SM2",
            base_postcode="sm1 1ea",
            capacity="12",
            opening_hours="mon-fri 09:00-17:00; sat 10:00-13:00, 14:00-16:00",
            min_age="18",
            max_age="99",
            contact_name="  Jo   Example ",
            contact_phone="020 7946 0100",
            contact_email="jo@example.org",
            public_contact="020 7946 0100 · https://example.org",
        ),
        org_row(2, kind="mutual_aid", mutual_aid_mode="supported", base_postcode="CV1 2AA", radius_km="1.5"),
    ]
    report = import_organisations(session_factory, write_csv(tmp_path / "orgs.csv", rows), geocoder, areas)

    assert (report.created, report.updated, report.skipped, report.errors) == (2, 0, 0, [])
    first, second = snapshot(session)["csv:org-1"], snapshot(session)["csv:org-2"]
    sm1 = geocoder.geocode("SM1")
    assert (first["base_postcode"], first["base_lat"], first["base_lon"]) == ("SM1 1EA", sm1.lat, sm1.lon)
    assert first["coverage_outcodes"] == ["SM1", "SM2"]
    assert first["services"] == ["food", "advice"]
    assert first["opening_hours"] == {
        **{day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
        "sat": [["10:00", "13:00"], ["14:00", "16:00"]],
    }
    assert (first["capacity"], first["min_age"], first["max_age"]) == (12, 18, 99)
    assert (first["contact_name"], first["contact_phone"]) == ("Jo Example", "+442079460100")
    assert (first["active"], first["radius_km"], first["mutual_aid_mode"]) == (True, None, None)
    assert (second["kind"], second["mutual_aid_mode"], second["radius_km"]) == (
        "mutual_aid",
        "supported",
        1.5,
    )
    assert (second["capacity"], second["opening_hours"]) == (10, None)


def test_reimport_updates_by_external_id_and_leaves_absent_columns_alone(
    session_factory, session, geocoder, areas, tmp_path
):
    path = write_csv(tmp_path / "orgs.csv", [org_row(1, capacity="12"), org_row(2)])
    import_organisations(session_factory, path, geocoder, areas)
    again = import_organisations(session_factory, path, geocoder, areas)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)

    renamed = [{"external_id": "csv:org-1", "name": "Renamed", "kind": "vcs", "area": "sutton"}]
    report = import_organisations(
        session_factory, write_csv(tmp_path / "rename.csv", renamed), geocoder, areas
    )

    assert (report.created, report.updated) == (0, 1)
    directory = snapshot(session)
    assert len(directory) == 2
    assert (directory["csv:org-1"]["name"], directory["csv:org-1"]["capacity"]) == ("Renamed", 12)
    assert directory["csv:org-1"]["services"] == ["food", "advice"]  # no services column: left alone


BAD_ORGANISATION_CELLS = [
    ({"kind": "charity"}, "kind", "'charity' is not one of"),
    ({"area": "leeds"}, "area", "'leeds' is not a served area"),
    ({"name": ""}, "name", "required"),
    ({"services": "food;shoping"}, "services", "unknown need code shoping"),
    ({"coverage_outcodes": "SM1;QQ1"}, "coverage_outcodes", "not a UK postcode district format"),
    ({"coverage_outcodes": "SM99"}, "coverage_outcodes", "unknown postcode district SM99"),
    ({"base_postcode": "SM1"}, "base_postcode", "a postcode district only"),
    ({"base_postcode": "SM99 1AA"}, "base_postcode", "SM99 1AA is not a known postcode"),
    ({"radius_km": "5"}, "radius_km", "a radius needs a base_postcode"),
    ({"radius_km": "far", "base_postcode": "SM1 1EA"}, "radius_km", "'far' is not a number"),
    ({"capacity": "-1"}, "capacity", "'-1' is not a whole number from 0 to 100000"),
    ({"capacity": "2.5"}, "capacity", "not a whole number"),
    ({"mutual_aid_mode": "integrated"}, "mutual_aid_mode", "only for kind mutual_aid"),
    ({"opening_hours": "mon-fri 9-5"}, "opening_hours", "'9-5' is not a time span"),
    ({"opening_hours": "someday 09:00-17:00"}, "opening_hours", "'someday' is not a day"),
    ({"opening_hours": "mon"}, "opening_hours", "'mon' has no hours"),
    ({"min_age": "65", "max_age": "18"}, "max_age", "below min_age"),
    ({"contact_phone": "12345"}, "contact_phone", "not a valid phone number"),
    ({"contact_email": "jo at example"}, "contact_email", "not an email address"),
    ({"public_contact": "x" * 301}, "public_contact", "longer than 300 characters"),
    ({"active": "maybe"}, "active", "'maybe' is not true or false"),
]


@pytest.mark.parametrize(("cells", "column", "complaint"), BAD_ORGANISATION_CELLS)
def test_validate_organisation_rows_names_row_field_and_problem(geocoder, areas, cells, column, complaint):
    rows = [org_row(1), org_row(2, **cells)]
    header = list(dict.fromkeys(key for row in rows for key in row))
    context = RowContext(geocoder, known_need_codes(), areas)

    result = validate_organisation_rows(header, enumerate(rows, start=2), context)

    assert [entry.row for entry in result.valid] == [2]
    assert [(error.row, error.field) for error in result.errors] == [(3, column)]
    assert complaint in result.errors[0].message


def test_one_invalid_row_and_the_default_batch_imports_nothing(
    session_factory, session, geocoder, areas, tmp_path
):
    rows = [org_row(1), org_row(2, kind="charity"), org_row(3), org_row(4, area="leeds")]
    report = import_organisations(session_factory, write_csv(tmp_path / "orgs.csv", rows), geocoder, areas)

    assert (report.created, report.skipped) == (0, 4)
    assert [(error.row, error.field) for error in report.errors] == [(3, "kind"), (5, "area"), (2, "")]
    assert messages(report)[-1] == "orgs.csv row 2: rows 2–5 not imported: 2 invalid in this batch"
    assert snapshot(session) == {}


def test_batches_with_an_invalid_row_import_none_of_it(session_factory, session, geocoder, areas, tmp_path):
    rows = [org_row(1), org_row(2), org_row(3), org_row(4, services="food;flying"), org_row(5)]
    path = write_csv(tmp_path / "orgs.csv", rows)
    report = import_organisations(session_factory, path, geocoder, areas, batch_size=2, progress=True)

    assert (report.created, report.skipped) == (3, 2)
    assert messages(report) == [
        "orgs.csv row 5, services: unknown need code flying",
        "orgs.csv row 4: rows 4–5 not imported: 1 invalid in this batch",
    ]
    assert sorted(snapshot(session)) == ["csv:org-1", "csv:org-2", "csv:org-5"]


@pytest.mark.parametrize(
    ("header_change", "complaint"),
    [
        ({"skils": "food"}, "orgs.csv row 1, skils: unknown column: nothing imported"),
        ({"area": None}, "orgs.csv row 1, area: required column missing: nothing imported"),
    ],
)
def test_header_problems_reject_the_file(
    session_factory, session, geocoder, areas, tmp_path, header_change, complaint
):
    rows = [{key: value for key, value in {**org_row(1), **header_change}.items() if value is not None}]
    report = import_organisations(session_factory, write_csv(tmp_path / "orgs.csv", rows), geocoder, areas)
    assert (report.created, report.skipped) == (0, 1)
    assert messages(report) == [complaint]
    assert snapshot(session) == {}


def test_volunteers_are_imported_and_linked_to_their_organisation(
    session_factory, session, geocoder, tmp_path
):
    hub_id = organisation(session_factory, external_id="demo:hub")
    other_id = organisation(session_factory, name="Other", external_id=None)
    rows = [
        volunteer_row(
            1,
            email="one@example.com",
            dbs_checked_on="2024-01-10",
            dbs_expires_on="2027-01-10",
            availability="mon-wed:morning,afternoon;sat:evening;mon:evening",
            travel_radius_km="2.5",
            max_active_tasks="2",
            max_tasks_per_week="4",
            org_external_id="demo:hub",
            active="no",
        ),
        volunteer_row(2, org_id=str(other_id)),
    ]
    report = import_volunteers(session_factory, write_csv(tmp_path / "volunteers.csv", rows), geocoder)

    assert (report.created, report.errors) == (2, [])
    volunteers = snapshot(session, Volunteer)
    one, two = volunteers["csv:vol-1"], volunteers["csv:vol-2"]
    sm1 = geocoder.geocode("SM1")
    assert (one["postcode"], one["lat"], one["lon"], one["phone"]) == (
        "SM1 1EA",
        sm1.lat,
        sm1.lon,
        "+447700900001",
    )
    assert (one["org_id"], two["org_id"]) == (hub_id, other_id)
    assert one["availability"] == {
        "mon": ["morning", "afternoon", "evening"],
        "tue": ["morning", "afternoon"],
        "wed": ["morning", "afternoon"],
        "sat": ["evening"],
    }
    assert (one["dbs_checked_on"], one["dbs_expires_on"]) == (date(2024, 1, 10), date(2027, 1, 10))
    assert (one["travel_radius_km"], one["max_active_tasks"], one["max_tasks_per_week"]) == (2.5, 2, 4)
    assert (one["active"], two["active"], one["skills"]) == (False, True, ["shopping", "dog_walking"])
    assert (two["travel_radius_km"], two["max_active_tasks"], two["max_tasks_per_week"]) == (3.0, 3, 5)


BAD_VOLUNTEER_CELLS = [
    ({"postcode": "SM1"}, "postcode", "a postcode district only"),
    ({"postcode": "not a postcode"}, "postcode", "not a UK postcode format"),
    ({"phone": "0800"}, "phone", "not a valid phone number"),
    ({"phone": "", "email": ""}, "phone", "a volunteer needs a phone or an email"),
    ({"skills": "shopping;knitting"}, "skills", "unknown need code knitting"),
    ({"dbs_checked_on": "10/01/2024"}, "dbs_checked_on", "not a date (YYYY-MM-DD)"),
    ({"dbs_expires_on": "2027-01-10"}, "dbs_expires_on", "given without dbs_checked_on"),
    ({"dbs_checked_on": "2024-01-10", "dbs_expires_on": "2023-01-10"}, "dbs_expires_on", "not after"),
    ({"availability": "mon:brunch"}, "availability", "expected day(s):morning,afternoon,evening"),
    ({"availability": "funday:morning"}, "availability", "'funday' is not a day"),
    ({"travel_radius_km": "0"}, "travel_radius_km", "not a number from 0.1 to 100"),
    ({"max_active_tasks": "0"}, "max_active_tasks", "not a whole number from 1 to 100"),
    ({"org_external_id": "demo:nowhere"}, "org_external_id", "no organisation with external_id"),
    ({"org_id": "999"}, "org_id", "no organisation with id '999'"),
    ({"org_id": "7", "org_external_id": "demo:hub"}, "org_id", "names a different organisation"),
    ({"external_id": "csv:vol-1"}, "external_id", "'csv:vol-1' is also on row 2"),
]


@pytest.mark.parametrize(("cells", "column", "complaint"), BAD_VOLUNTEER_CELLS)
def test_validate_volunteer_rows_names_row_field_and_problem(geocoder, cells, column, complaint):
    rows = [volunteer_row(1, org_id="", org_external_id="", email=""), volunteer_row(2, **cells)]
    header = list(dict.fromkeys(key for row in rows for key in row))
    context = RowContext(geocoder, known_need_codes(), None, {"demo:hub": 3}, {3, 7})

    result = validate_volunteer_rows(header, enumerate(rows, start=2), context)

    assert [entry.row for entry in result.valid] == [2]
    assert [(error.row, error.field) for error in result.errors] == [(3, column)]
    assert complaint in result.errors[0].message


def test_invalid_volunteers_are_reported_with_row_numbers(session_factory, session, geocoder, tmp_path):
    rows = [volunteer_row(1), volunteer_row(2, postcode="SM1"), volunteer_row(3, skills="juggling")]
    path = write_csv(tmp_path / "volunteers.csv", rows)
    report = import_volunteers(session_factory, path, geocoder, batch_size=1)

    assert (report.created, report.skipped) == (1, 2)
    assert [(error.row, error.field) for error in report.errors] == [(3, "postcode"), (4, "skills")]
    assert list(snapshot(session, Volunteer)) == ["csv:vol-1"]


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("", None),
        ("Always", None),
        ("sat,sun 10:00-12:00", {"sat": [["10:00", "12:00"]], "sun": [["10:00", "12:00"]]}),
        ("fri-mon 22:00-02:00", {day: [["22:00", "02:00"]] for day in ("mon", "fri", "sat", "sun")}),
        ("Tuesday 9:30-13:00; tue 08:00-09:00", {"tue": [["08:00", "09:00"], ["09:30", "13:00"]]}),
        ("wed 18:00-24:00", {"wed": [["18:00", "24:00"]]}),
    ],
)
def test_opening_hours_grammar(text, hours):
    assert parse_opening_hours(text) == hours


@pytest.mark.parametrize(
    ("text", "availability"),
    [
        ("", {}),
        ("sun:evening;mon:morning", {"mon": ["morning"], "sun": ["evening"]}),
        ("sat-sun:afternoon,morning", {"sat": ["morning", "afternoon"], "sun": ["morning", "afternoon"]}),
    ],
)
def test_availability_grammar(text, availability):
    assert parse_availability(text) == availability


def test_row_numbers_are_the_spreadsheet_rows(session_factory, geocoder, areas, tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_text(
        "external_id,name,kind,area\n"
        "csv:1,One,vcs,sutton\n"
        "\n"
        'csv:2,"Two,\nlines",vcs,leeds\n'
        "csv:3,Three,vcs,sutton,extra\n"
    )
    report = import_organisations(session_factory, path, geocoder, areas, batch_size=1)

    assert report.created == 1
    assert messages(report) == [
        "orgs.csv row 4, area: 'leeds' is not a served area (sutton, coventry, buckinghamshire)",
        "orgs.csv row 5: more cells than the header has columns",
    ]
