"""Areas drawn from postcode points where no boundaries are loaded (geo/areas.py): they cover every postcode,
each in its own ward's area, and no two areas overlap."""

import csv
import gzip
import itertools

import pytest
import shapely

from geo import DATA_DIR
from geo.areas import PostcodePoint, voronoi_areas

SQUARE_METRES_PER_SQUARE_DEGREE = 111_320.0**2 * 0.62  # at about 51.4° N


def sutton_postcodes() -> list[PostcodePoint]:
    with gzip.open(DATA_DIR / "postcodes_SM_CV_HP_MK_SL.csv.gz", "rt", newline="", encoding="utf-8") as file:
        return [
            PostcodePoint(
                row["postcode"], float(row["latitude"]), float(row["longitude"]), row["admin_ward_code"]
            )
            for row in csv.DictReader(file)
            if row["admin_district_code"] == "E09000029" and row["admin_ward_code"]
        ]


@pytest.fixture(scope="module")
def sutton():
    points = sutton_postcodes()
    return points, voronoi_areas(points)


def test_every_ward_of_the_postcode_file_gets_an_area(sutton):
    points, areas = sutton

    assert set(areas) == {point.code for point in points}
    assert len(areas) >= 18, "Sutton's wards"
    assert all(area.is_valid and not area.is_empty for area in areas.values())


def test_the_areas_cover_every_postcode_in_its_own_ward(sutton):
    points, areas = sutton
    grown = {code: area.buffer(1e-6) for code, area in areas.items()}  # 0.1 m: the rounding of coordinates
    for area in grown.values():
        shapely.prepare(area)

    outside = [p.postcode for p in points if not grown[p.code].contains(shapely.Point(p.lon, p.lat))]

    assert outside == []


def test_no_two_areas_overlap(sutton):
    _points, areas = sutton

    overlaps = {
        (a, b): areas[a].intersection(areas[b]).area * SQUARE_METRES_PER_SQUARE_DEGREE
        for a, b in itertools.combinations(sorted(areas), 2)
    }

    assert max(overlaps.values()) < 1.0, "under a square metre: shared edges only (coordinates are rounded)"


def test_neighbouring_wards_share_edges_rather_than_leaving_gaps(sutton):
    _points, areas = sutton
    together = shapely.union_all(list(areas.values()))

    assert together.geom_type == "Polygon", "one borough, in one piece"
    assert (
        len(together.interiors) == 0
        or max(shapely.Polygon(ring).area for ring in together.interiors) * SQUARE_METRES_PER_SQUARE_DEGREE
        < 1.0
    )


def test_postcodes_at_one_point_are_drawn_in_the_ward_most_of_them_belong_to():
    points = [
        PostcodePoint("AA1 1AA", 51.0, -0.1, "W1"),
        PostcodePoint("AA1 1AB", 51.0, -0.1, "W2"),
        PostcodePoint("AA1 1AD", 51.0, -0.1, "W2"),
        PostcodePoint("AA1 1AE", 51.01, -0.1, "W1"),
    ]

    areas = voronoi_areas(points)

    assert areas["W2"].contains(shapely.Point(-0.1, 51.0))
    assert areas["W1"].contains(shapely.Point(-0.1, 51.01))
    assert areas["W1"].intersection(areas["W2"]).area < 1e-12


def test_one_point_and_none():
    assert voronoi_areas([]) == {}
    (area,) = voronoi_areas([PostcodePoint("AA1 1AA", 51.0, -0.1, "W1")]).values()
    assert area.contains(shapely.Point(-0.1, 51.0))
