"""Deactivating and reactivating by CSV (an id column and `active`, nothing else touched), the DBS level and
driver columns, and the templates the import page offers, made from the importer's own column list."""

import csv
import io

import pytest
from sqlalchemy import select

from directory.csv_import import (
    ORGANISATION_COLUMNS,
    VOLUNTEER_COLUMNS,
    RowContext,
    template_rows,
    validate_organisation_rows,
    validate_volunteer_rows,
)
from directory.csv_status import STATUS_COLUMNS, is_status_file
from directory.hsds import known_need_codes
from directory.models import Organisation, Volunteer
from tests.builders import organisation, volunteer
from tests.integration.directory.helpers import messages, write_csv
from tests.integration.directory.test_csv_import import import_organisations, import_volunteers, volunteer_row


def test_a_status_file_deactivates_by_id_and_leaves_every_other_field_alone(
    session_factory, session, geocoder, tmp_path
):
    """The measured bug: deactivating needed name and postcode columns, and a blank phone cell blanked the
    volunteer's phone. A file of id and active changes `active` only."""
    keep = volunteer(session_factory, name="Kept Volunteer", phone="+447700900501", email="kept@example.org")
    other = volunteer(session_factory, name="Other Volunteer", phone="+447700900502", external_id="ext:2")
    before = {
        row.id: {
            c.key: getattr(row, c.key)
            for c in Volunteer.__table__.columns
            if c.key not in ("active", "updated_at")
        }
        for row in session.scalars(select(Volunteer))
    }
    session.rollback()

    path = write_csv(
        tmp_path / "leavers.csv", [{"id": str(keep), "active": "no"}, {"id": str(other), "active": "no"}]
    )
    report = import_volunteers(session_factory, path, geocoder)

    assert (report.updated, report.created, report.errors) == (2, 0, [])
    rows = {row.id: row for row in session.scalars(select(Volunteer))}
    assert not rows[keep].active
    assert not rows[other].active
    for volunteer_id, fields in before.items():
        assert {name: getattr(rows[volunteer_id], name) for name in fields} == fields, "nothing else changed"
    session.rollback()

    back = write_csv(tmp_path / "back.csv", [{"external_id": "ext:2", "active": "yes"}])
    report = import_volunteers(session_factory, back, geocoder)
    assert (report.updated, report.unchanged) == (1, 0)
    assert session.get(Volunteer, other).active


def test_a_status_file_for_organisations_and_its_row_errors(
    session_factory, session, geocoder, areas, tmp_path
):
    hub = organisation(
        session_factory, name="Status Hub", external_id="st:hub", contact_phone="+447700900600"
    )
    rows = [{"external_id": "st:hub", "active": "no"}, {"external_id": "st:nowhere", "active": "no"}]
    report = import_organisations(session_factory, write_csv(tmp_path / "orgs.csv", rows), geocoder, areas)
    assert report.updated == 0, "the one file is one batch: a bad row holds it back"
    assert messages(report)[0].endswith("no record with external_id 'st:nowhere' in the directory")

    report = import_organisations(session_factory, write_csv(tmp_path / "one.csv", rows[:1]), geocoder, areas)
    assert report.updated == 1
    org = session.get(Organisation, hub)
    assert (org.active, org.contact_phone, org.name) == (False, "+447700900600", "Status Hub")


@pytest.mark.parametrize(
    ("rows", "complaint"),
    [
        ([{"id": "{volunteer}", "external_id": "x", "active": "no"}], "fill in id or external_id, not both"),
        ([{"id": "", "external_id": "", "active": "no"}], "required: id or external_id"),
        ([{"id": "999", "active": "no"}], "no record with id '999'"),
        ([{"id": "{volunteer}", "active": "maybe"}], "'maybe' is not yes or no"),
        ([{"id": "{volunteer}", "active": ""}], "required: yes or no"),
        ([{"id": "{volunteer}", "active": "no"}, {"id": "{volunteer}", "active": "yes"}], "is also on row 2"),
    ],
)
def test_status_rows_that_cannot_be_applied_are_named(session_factory, geocoder, tmp_path, rows, complaint):
    volunteer_id = volunteer(session_factory)
    rows = [{key: value.format(volunteer=volunteer_id) for key, value in row.items()} for row in rows]
    report = import_volunteers(session_factory, write_csv(tmp_path / "status.csv", rows), geocoder)
    assert report.updated == 0
    assert any(complaint in message for message in messages(report)), messages(report)


def test_which_files_are_status_files():
    assert is_status_file(["id", "active"])
    assert is_status_file([" external_id ", "active"])
    assert not is_status_file(["id"])
    assert not is_status_file(["external_id", "name", "postcode", "active"])


def test_dbs_level_and_driver_are_imported(session_factory, session, geocoder, tmp_path):
    rows = [
        volunteer_row(
            1,
            dbs_level="enhanced_barred",
            dbs_checked_on="2025-01-10",
            dbs_expires_on="2028-01-10",
            driver="yes",
        ),
        volunteer_row(2),
        volunteer_row(3, dbs_level="gold"),
    ]
    report = import_volunteers(session_factory, write_csv(tmp_path / "v.csv", rows), geocoder, batch_size=1)
    assert report.created == 2
    assert [(error.row, error.field) for error in report.errors] == [(4, "dbs_level")]
    found = {row.external_id: (row.dbs_level, row.driver) for row in session.scalars(select(Volunteer))}
    assert found == {"csv:vol-1": ("enhanced_barred", True), "csv:vol-2": (None, False)}


@pytest.mark.parametrize(
    ("columns", "validate"),
    [(ORGANISATION_COLUMNS, validate_organisation_rows), (VOLUNTEER_COLUMNS, validate_volunteer_rows)],
)
def test_each_template_has_every_column_and_an_example_row_that_imports(geocoder, areas, columns, validate):
    header, example = template_rows(columns)
    assert header == list(columns)
    context = RowContext(geocoder, known_need_codes(), areas, {"acme:hub-1": 1}, {1})
    result = validate(header, [(2, dict(zip(header, example, strict=True)))], context)
    assert result.errors == []
    assert all(column.holds for column in columns.values())


def test_the_status_template_is_a_status_file():
    header, example = template_rows(STATUS_COLUMNS)
    assert is_status_file(header)
    out = io.StringIO()
    csv.writer(out).writerows([header, example])
    assert out.getvalue().splitlines() == ["id,external_id,active", "12,,no"]
