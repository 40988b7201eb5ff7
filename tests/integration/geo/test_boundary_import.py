"""Official boundaries from ONS GeoJSON (geo/boundaries.py, `flask geo import-boundaries`), with the 2013
Sutton ward file (tests/data/geo/boundaries/README.md)."""

import json

import pytest
import shapely
from shapely.geometry import shape
from sqlalchemy import select

from geo import Boundary
from geo.boundaries import BoundaryFileError, import_boundaries

SUTTON_WARDS = "boundaries/wards_2013_E09000029.json"


def boundaries(session_factory) -> dict[str, Boundary]:
    with session_factory() as session:
        return {row.code: row for row in session.scalars(select(Boundary))}


def test_a_ward_file_is_loaded_with_codes_names_and_shapes(postcode_db, geo_test_data):
    report = import_boundaries(postcode_db, geo_test_data / SUTTON_WARDS, progress=False)

    assert (report.features, report.imported, report.updated, report.skipped) == (18, 18, 0, 0)
    rows = boundaries(postcode_db)
    assert len(rows) == 18
    beddington = rows["E05000555"]
    assert (beddington.name, beddington.level, beddington.source) == (
        "Beddington North",
        "ward",
        "wards_2013_E09000029.json",
    )
    shapes = {code: shape(row.geometry) for code, row in rows.items()}
    assert all(area.is_valid and area.geom_type in ("Polygon", "MultiPolygon") for area in shapes.values())
    assert shapes["E05000555"].contains(shapely.Point(-0.1453, 51.3727)), "Beddington North, by the park"
    borough = shapely.union_all(list(shapes.values()))
    assert borough.contains(shapely.Point(-0.1931, 51.3597)), "SM1 1AA is in Sutton"


def test_reimporting_replaces_the_shapes(postcode_db, geo_test_data):
    import_boundaries(postcode_db, geo_test_data / SUTTON_WARDS, progress=False)
    again = import_boundaries(postcode_db, geo_test_data / SUTTON_WARDS, progress=False, source="again")

    assert (again.imported, again.updated) == (0, 18)
    assert {row.source for row in boundaries(postcode_db).values()} == {"again"}


def test_the_progress_bar_goes_to_stderr(postcode_db, geo_test_data, capsys):
    import_boundaries(postcode_db, geo_test_data / SUTTON_WARDS, progress=True)

    captured = capsys.readouterr()
    assert "boundaries wards_2013_E09000029.json" in captured.err
    assert "18/18" in captured.err
    assert captured.out == ""


def test_bad_features_are_skipped_and_named(postcode_db, tmp_path):
    square = {"type": "Polygon", "coordinates": [[[-0.2, 51.3], [-0.1, 51.3], [-0.1, 51.4], [-0.2, 51.3]]]}
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[-0.2, 51.3], [-0.1, 51.4], [-0.1, 51.3], [-0.2, 51.4], [-0.2, 51.3]]],
    }
    national_grid = {
        "type": "Polygon",
        "coordinates": [[[525000, 164000], [526000, 164000], [526000, 165000]]],
    }
    features = [
        {"type": "Feature", "properties": {"LAD23CD": "E09000029", "LAD23NM": "Sutton"}, "geometry": square},
        {"type": "Feature", "properties": {"LAD23CD": "E09000030", "LAD23NM": "Bowtie"}, "geometry": bowtie},
        {
            "type": "Feature",
            "properties": {"LAD23CD": "E09000031", "LAD23NM": "Grid"},
            "geometry": national_grid,
        },
        {
            "type": "Feature",
            "properties": {"LAD23CD": "E09000032", "LAD23NM": "Point"},
            "geometry": {"type": "Point", "coordinates": [-0.2, 51.3]},
        },
        {"type": "Feature", "properties": {"LAD23CD": "", "LAD23NM": "Nameless"}, "geometry": square},
    ]
    path = tmp_path / "districts.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))

    report = import_boundaries(postcode_db, path, progress=False)

    assert (report.imported, report.skipped) == (2, 3)
    assert [where for where, _reason in report.errors] == ["feature 3", "feature 4", "feature 5"]
    assert "British National Grid" in report.errors[0][1]
    assert "Point, not an area" in report.errors[1][1]
    rows = boundaries(postcode_db)
    assert rows["E09000029"].level == "district"
    assert shape(rows["E09000030"].geometry).is_valid, "a self-crossing ring is repaired"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not a GeoJSON file"),
        ('{"type": "Feature"}', "not a GeoJSON FeatureCollection"),
        ('{"type": "FeatureCollection", "features": []}', "has no features"),
        (
            '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": 1}}]}',
            "no ONS code and name properties",
        ),
    ],
)
def test_a_file_that_is_not_ons_geojson_is_refused_whole(postcode_db, tmp_path, content, message):
    path = tmp_path / "bad.geojson"
    path.write_text(content)

    with pytest.raises(BoundaryFileError, match=message):
        import_boundaries(postcode_db, path, progress=False)
    assert boundaries(postcode_db) == {}


def test_the_command_loads_a_file_and_refuses_one_that_is_not_geojson(app, geo_test_data, tmp_path):
    runner = app.test_cli_runner()

    loaded = runner.invoke(args=["geo", "import-boundaries", str(geo_test_data / SUTTON_WARDS)])
    bad = tmp_path / "bad.geojson"
    bad.write_text("{}")
    refused = runner.invoke(args=["geo", "import-boundaries", str(bad)])

    assert loaded.exit_code == 0, loaded.output
    assert "18 features read: 18 imported, 0 updated, 0 skipped" in loaded.output
    assert refused.exit_code == 2
    assert "not a GeoJSON FeatureCollection" in refused.output
