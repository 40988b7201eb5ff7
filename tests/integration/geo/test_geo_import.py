import csv
import gzip
import shutil
import zipfile

import pytest
from sqlalchemy import func, select, text

from db import Base, make_engine, make_session_factory
from geo import DATA_DIR, Postcode, import_postcodes
from geo.location import distance_km
from tests.unit.geo.test_codelist import codelist_xlsx

SLICE_ROWS = (
    319  # 219 SM rows, 100 TW rows of which 4 (TW15 9FR, 9FW, 9GA, 9GB) have PQ 90 and no coordinates
)
SLICE_LOCATED = 315


def all_rows(session_factory):
    with session_factory() as session:
        return {row.postcode: row for row in session.scalars(select(Postcode))}


def shipped_regional_rows():
    with gzip.open(DATA_DIR / "postcodes_SM_CV_HP_MK_SL.csv.gz", "rt", encoding="utf-8", newline="") as file:
        return {row["postcode"]: row for row in csv.DictReader(file)}


def test_code_point_slice_matches_the_shipped_regional_file(postcode_db, geo_test_data):
    report = import_postcodes(postcode_db, geo_test_data / "codepo_slice.zip", progress=False)

    assert (report.rows_read, report.imported, report.updated, report.skipped) == (
        SLICE_ROWS,
        SLICE_LOCATED,
        0,
        4,
    )
    assert report.errors == []
    rows = all_rows(postcode_db)
    assert len(rows) == SLICE_LOCATED
    assert {"TW15 9FR", "TW15 9FW", "TW15 9GA", "TW15 9GB"}.isdisjoint(rows)
    expected = shipped_regional_rows()
    sutton = [postcode for postcode in rows if postcode.startswith("SM")]
    assert len(sutton) == 219
    for postcode in sutton:
        want = expected[postcode]
        got = rows[postcode]
        metres = 1000 * distance_km(
            got.latitude, got.longitude, float(want["latitude"]), float(want["longitude"])
        )
        assert metres < 1, postcode
        assert got.admin_district == (want["admin_district"] or None)
        assert got.admin_ward_code == (want["admin_ward_code"] or None), postcode
        assert got.admin_ward is None, "the slice carries no code list to name wards from"
        assert got.positional_quality == int(want["positional_quality"])


def test_code_point_rows_carry_district_names_and_the_dataset_version(postcode_db, geo_test_data):
    import_postcodes(postcode_db, geo_test_data / "codepo_slice.zip", progress=False)
    rows = all_rows(postcode_db)

    assert rows["SM1 1AA"].latitude == pytest.approx(51.3597, abs=1e-4)
    assert rows["SM1 1AA"].longitude == pytest.approx(-0.1931, abs=1e-4)
    assert (rows["SM1 1AA"].outcode, rows["SM1 1AA"].admin_district) == ("SM1", "Sutton")
    assert (rows["TW15 9FL"].admin_district_code, rows["TW15 9FL"].admin_district) == (
        "E07000213",
        "Spelthorne",
    )
    assert (rows["SM1 9WA"].admin_district_code, rows["SM1 9WA"].admin_district) == (None, None)
    assert {row.source for row in rows.values()} == {"OS Code-Point Open 2025.2.0"}


def test_reimport_updates_instead_of_duplicating(postcode_db, geo_test_data):
    import_postcodes(postcode_db, geo_test_data / "codepo_slice.zip", progress=False)
    again = import_postcodes(postcode_db, geo_test_data / "codepo_slice.zip", progress=False, batch_size=50)

    assert (again.rows_read, again.imported, again.updated, again.skipped) == (
        SLICE_ROWS,
        0,
        SLICE_LOCATED,
        4,
    )
    with postcode_db() as session:
        assert session.scalar(select(func.count()).select_from(Postcode)) == SLICE_LOCATED


def test_derived_csv_plain_and_gzipped(postcode_db, geo_test_data, tmp_path):
    path = geo_test_data / "postcodes_slice.csv"
    with open(path, newline="", encoding="utf-8") as file:
        expected = list(csv.DictReader(file))
    gzipped = tmp_path / "postcodes_slice.csv.gz"
    with open(path, "rb") as source, gzip.open(gzipped, "wb") as target:
        shutil.copyfileobj(source, target)

    first = import_postcodes(postcode_db, path, progress=False, batch_size=64)
    second = import_postcodes(postcode_db, gzipped, progress=False)

    assert (first.rows_read, first.imported, first.updated, first.skipped) == (303, 303, 0, 0)
    assert (second.rows_read, second.imported, second.updated, second.skipped) == (303, 0, 303, 0)
    rows = all_rows(postcode_db)
    assert len(rows) == 303
    for want in expected:
        got = rows[want["postcode"]]
        assert (got.outcode, got.latitude, got.longitude) == (
            want["outcode"],
            float(want["latitude"]),
            float(want["longitude"]),
        )
        assert (got.admin_district_code, got.admin_district) == (
            want["admin_district_code"] or None,
            want["admin_district"] or None,
        )
        assert (got.admin_ward_code, got.admin_ward) == (
            want["admin_ward_code"] or None,
            want["admin_ward"] or None,
        )
        assert got.source == "postcodes_slice.csv.gz"
    assert (rows["CV1 1AH"].admin_ward_code, rows["CV1 1AH"].admin_ward) == ("E05001228", "St. Michael's")
    assert (rows["SM1 9WA"].admin_ward_code, rows["SM1 9WA"].admin_ward) == (None, None)


def test_derived_csv_reports_bad_rows_by_line(postcode_db, tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text(
        "postcode,latitude,longitude,admin_district\n"
        "sm1 1aa,51.359723,-0.193146,Sutton\n"
        "NOT A POSTCODE,51.0,-0.1,\n"
        "SM1 1AB,north,-0.1,\n"
        "SM1 1AD,40.7128,-74.006,\n"
        "SM1 1AE\n"
        "SM1 1AA,51.36,-0.19,Sutton\n",
        encoding="utf-8",
    )
    report = import_postcodes(postcode_db, path, progress=False, source="test file")

    assert (report.rows_read, report.imported, report.updated, report.skipped) == (6, 1, 0, 5)
    reasons = dict(report.errors)
    assert "not a UK postcode format" in reasons["mixed.csv:3"]
    assert "could not convert" in reasons["mixed.csv:4"]
    assert "outside the UK" in reasons["mixed.csv:5"]
    assert reasons["mixed.csv:6"] == "too few columns"
    assert "repeated" in reasons["SM1 1AA"]
    row = all_rows(postcode_db)["SM1 1AA"]
    assert (row.latitude, row.admin_district, row.source) == (51.36, "Sutton", "test file")


def test_a_failed_batch_is_rolled_back_whole_and_a_rerun_completes_it(postcode_db, geo_test_data):
    refuse_area_tw(postcode_db)
    failed = import_postcodes(postcode_db, geo_test_data / "codepo_slice.zip", progress=False, batch_size=100)

    # Batches: SM 1-100, SM 101-200, SM 201-219 + TW 1-81 (refused), TW 82-96 (refused).
    assert (failed.imported, failed.updated, failed.skipped) == (200, 0, 4 + 115)
    assert [reason.split(":")[0] for _, reason in failed.errors] == [
        "100 rows rolled back",
        "15 rows rolled back",
    ]
    assert len(all_rows(postcode_db)) == 200

    accept_area_tw(postcode_db)
    rerun = import_postcodes(postcode_db, geo_test_data / "codepo_slice.zip", progress=False, batch_size=100)
    assert (rerun.imported, rerun.updated, rerun.skipped) == (115, 200, 4)
    assert len(all_rows(postcode_db)) == SLICE_LOCATED


def test_progress_bar_goes_to_stderr(postcode_db, geo_test_data, capsys):
    import_postcodes(postcode_db, geo_test_data / "codepo_slice.zip", progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "import OS Code-Point Open 2025.2.0" in captured.err
    assert "100%" in captured.err


def test_refuses_a_file_in_neither_format(postcode_db, tmp_path):
    path = tmp_path / "addresses.csv"
    path.write_text("name,street\nAge UK,High St\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing postcode, latitude, longitude"):
        import_postcodes(postcode_db, path, progress=False)


def test_refuses_to_start_without_the_table(tmp_path, geo_test_data):
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    Base.metadata.create_all(engine, tables=[])
    with pytest.raises(RuntimeError, match="postcode table does not exist"):
        import_postcodes(make_session_factory(engine), geo_test_data / "codepo_slice.zip", progress=False)
    engine.dispose()


def refuse_area_tw(session_factory):
    with session_factory() as session, session.begin():
        if session.get_bind().dialect.name == "sqlite":
            session.execute(
                text(
                    "CREATE TRIGGER refuse_tw BEFORE INSERT ON postcode WHEN NEW.outcode LIKE 'TW%' "
                    "BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END"
                )
            )
            return
        session.execute(
            text(
                "CREATE FUNCTION refuse_tw() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "IF NEW.outcode LIKE 'TW%' THEN RAISE EXCEPTION 'refused by test trigger'; END IF; "
                "RETURN NEW; END $$"
            )
        )
        session.execute(
            text(
                "CREATE TRIGGER refuse_tw BEFORE INSERT ON postcode FOR EACH ROW EXECUTE FUNCTION refuse_tw()"
            )
        )


def accept_area_tw(session_factory):
    with session_factory() as session, session.begin():
        on_table = "" if session.get_bind().dialect.name == "sqlite" else " ON postcode"
        session.execute(text(f"DROP TRIGGER refuse_tw{on_table}"))


def test_code_point_wards_are_named_from_the_zip_s_own_code_list(postcode_db, geo_test_data, tmp_path):
    archive = tmp_path / "codepo_with_codelist.zip"
    shutil.copy(geo_test_data / "codepo_slice.zip", archive)
    with zipfile.ZipFile(archive, "a") as target:
        target.writestr("Doc/Codelist.xlsx", codelist_xlsx({"LBW": [("Sutton Central Ward", "E05013765")]}))

    import_postcodes(postcode_db, archive, progress=False)

    rows = all_rows(postcode_db)
    assert (rows["SM1 1AA"].admin_ward_code, rows["SM1 1AA"].admin_ward) == ("E05013765", "Sutton Central")
    assert (rows["SM1 9WA"].admin_ward_code, rows["SM1 9WA"].admin_ward) == (None, None)
