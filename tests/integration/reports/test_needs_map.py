"""The map picture renders offline: a PNG of the right size, with wards coloured by unmet need."""

import csv
import gzip
import io
from datetime import timedelta

import pytest
from PIL import Image

from geo.models import Postcode
from reports.geography import POSTCODE_FILE, ward_areas
from reports.needs import needs_report
from reports.needs_map import MAP_DPI, MAP_SIZE_INCHES, MARKER_ALPHA, draw_needs_map, render_needs_map
from reports.ward_map import ward_shade
from tests.integration.reports.history import SHOPPING, History, remove_postcodes

FILLED_MARKER_PIXELS = 40
EXPECTED_SIZE = (int(MAP_SIZE_INCHES[0] * MAP_DPI), int(MAP_SIZE_INCHES[1] * MAP_DPI))


def decode(png: bytes) -> Image.Image:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(io.BytesIO(png)).convert("RGB")


def on_white(colour: str, alpha: float = MARKER_ALPHA) -> tuple[int, int, int]:
    """A colour as drawn over the white background."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return tuple(round(alpha * c + (1 - alpha) * 255) for c in rgb)


def has_colour(image: Image.Image, colour: tuple[int, int, int], tolerance: int = 2) -> bool:
    """At least a small filled marker's worth of pixels in the colour (anti-aliased edges are fewer)."""
    found = sum(
        count
        for count, pixel in image.getcolors(maxcolors=1_000_000)
        if all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))
    )
    return found >= FILLED_MARKER_PIXELS


@pytest.mark.parametrize("area", [None, "sutton"])
def test_the_map_renders(session, areas, history, now, area):
    report = needs_report(session, areas, since=history.since, area=area, now=now)

    image = decode(render_needs_map(report))

    assert image.size == EXPECTED_SIZE
    assert len(image.getcolors(maxcolors=1_000_000)) > 50, "not blank: text, wards, legend"


def test_the_demo_like_map_colours_wards_by_unmet_need_and_hatches_small_ones(
    session_factory, session, areas, directory, now
):
    """Six people in one Sutton ward (half of them unmet: a gap), two in another: one ward coloured by its
    rate, one hatched grey."""
    history = History(session_factory, directory)
    central, small = sorted(ward_areas(("E09000029",)))[:2]
    units = {code: postcode_in(code) for code in (central, small)}
    for code, postcode in units.items():
        session.merge(
            Postcode(
                postcode=postcode,
                outcode=postcode.split()[0],
                latitude=51.36,
                longitude=-0.19,
                admin_district_code="E09000029",
                admin_ward_code=code,
                admin_ward=f"Ward {code}",
                source="test",
            )
        )
    session.commit()
    for i in range(6):
        history.log(
            now - timedelta(hours=30 - i),
            SHOPPING if i % 2 else "needs someone to walk the dog",
            units[central],
        )
    for i in range(2):
        history.log(now - timedelta(hours=3 - i), SHOPPING, units[small])

    report = needs_report(session, areas, area="sutton", now=now, open_data=True)
    wards = {w.code: w for w in report.wards}
    assert ward_shade(wards[small], 5).kind == "suppressed"
    assert ward_shade(wards[central], 5).kind == "rate"

    image = decode(render_needs_map(report))
    assert image.size == EXPECTED_SIZE
    assert has_colour(image, on_white(ward_shade(wards[central], 5).colour, alpha=1.0), tolerance=3)


def postcode_in(ward_code: str) -> str:
    with gzip.open(POSTCODE_FILE, "rt", newline="", encoding="utf-8") as file:
        return next(row["postcode"] for row in csv.DictReader(file) if row["admin_ward_code"] == ward_code)


def test_each_panel_outlines_its_wards_with_a_scale_bar_and_a_north_arrow(session, areas, history, now):
    report = needs_report(session, areas, since=history.since, now=now)

    figure = draw_needs_map(report)

    panels = [axes for axes in figure.axes if axes.get_title()]
    assert [axes.get_title() for axes in panels] == list(report.councils.values())
    for axes in panels:
        texts = [text.get_text() for text in axes.texts]
        assert "N" in texts, axes.get_title()
        assert any(text.endswith(" km") for text in texts), axes.get_title()
    sutton = panels[0]
    assert len(sutton.patches) >= 18, "Sutton's wards, drawn from its postcodes"
    west, east = sutton.get_xlim()
    wards = ward_areas(("E09000029",))
    assert west <= min(area.bounds[0] for area in wards.values()), "the frame holds every ward"
    assert east >= max(area.bounds[2] for area in wards.values())


def test_official_boundaries_once_imported_are_what_both_maps_draw(
    request, session_factory, session, areas, directory, now
):
    """The sample 2013 Sutton ward file imported (`geo import-boundaries`), and residents at postcodes whose
    ward codes are those boundaries' codes: the PNG map and the page's map draw the official shapes."""
    import shapely
    from shapely.geometry import shape

    from geo.boundaries import import_boundaries
    from reports.ward_shapes import panel_shapes
    from reports.ward_svg import ward_panels
    from tests.integration.geo.conftest import GEO_TEST_DATA

    import_boundaries(session_factory, GEO_TEST_DATA / "boundaries/wards_2013_E09000029.json", progress=False)
    with session_factory() as reading:
        from geo import Boundary

        loaded = {row.code: (row.name, shape(row.geometry)) for row in reading.query(Boundary)}
    points = {"SM1 1AA": (51.359723, -0.193146), "SM3 9AA": (51.372118, -0.225732)}
    # The postcode table of the same vintage as the boundaries: a postcode in each ward (as a postcode file
    # of 2013 would have), and the residents' two
    for n, (_code, (_name, area)) in enumerate(sorted(loaded.items())):
        inside = area.representative_point()
        points.setdefault(f"SM1 {n}ZZ", (inside.y, inside.x))
    for postcode, (lat, lon) in points.items():
        code, (name, _area) = next(
            (c, v) for c, v in loaded.items() if v[1].contains(shapely.Point(lon, lat))
        )
        session.merge(
            Postcode(
                postcode=postcode,
                outcode=postcode.split()[0],
                latitude=lat,
                longitude=lon,
                admin_district_code="E09000029",
                admin_district="Sutton",
                admin_ward_code=code,
                admin_ward=name,
                source="test",
            )
        )
    session.commit()
    request.addfinalizer(lambda: remove_postcodes(session_factory, points))
    history = History(session_factory, directory)
    for hours, postcode in enumerate(("SM1 1AA", "SM3 9AA")):
        history.log(now - timedelta(hours=hours + 1), SHOPPING, postcode)

    report = needs_report(session, areas, area="sutton", now=now)

    assert set(report.ward_boundaries) == set(loaded), (
        "every ward of the council's postcodes, not only those with people"
    )
    shapes, official = panel_shapes(report, "sutton", [w for w in report.wards if w.council_area == "sutton"])
    assert official
    assert {code: area.equals(loaded[code][1]) for code, area in shapes.items()} == dict.fromkeys(
        loaded, True
    )
    (panel,) = ward_panels(report)
    assert panel.official
    assert {w.code for w in panel.wards} == set(loaded)
    assert {w.name for w in panel.wards} == {name for name, _area in loaded.values()}, "named by the file"
    png = decode(render_needs_map(report))
    assert png.size == EXPECTED_SIZE
