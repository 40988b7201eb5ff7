"""The map picture renders offline: a PNG of the right size, with districts in the scale's colours."""

import io

import pytest
from PIL import Image

from reports.colour_scale import NONE_COLOUR, SUPPRESSED_COLOUR, ColourScale
from reports.geography import ward_areas
from reports.needs import needs_report
from reports.needs_map import MAP_DPI, MAP_SIZE_INCHES, MARKER_ALPHA, draw_needs_map, render_needs_map

FILLED_MARKER_PIXELS = 40
EXPECTED_SIZE = (int(MAP_SIZE_INCHES[0] * MAP_DPI), int(MAP_SIZE_INCHES[1] * MAP_DPI))


def decode(png: bytes) -> Image.Image:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(io.BytesIO(png)).convert("RGB")


def on_white(colour: str) -> tuple[int, int, int]:
    """A marker's colour as drawn: semi-transparent over the white background."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return tuple(round(MARKER_ALPHA * c + (1 - MARKER_ALPHA) * 255) for c in rgb)


def has_colour(image: Image.Image, colour: tuple[int, int, int], tolerance: int = 2) -> bool:
    """At least a small filled marker's worth of pixels in the colour (anti-aliased edges are fewer)."""
    found = sum(
        count
        for count, pixel in image.getcolors(maxcolors=1_000_000)
        if all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))
    )
    return found >= FILLED_MARKER_PIXELS


@pytest.mark.parametrize("area", [None, "sutton"])
def test_the_map_renders_with_the_scale_s_colours(session, areas, history, now, area):
    report = needs_report(session, areas, since=history.since, area=area, now=now)

    image = decode(render_needs_map(report))

    assert image.size == EXPECTED_SIZE
    assert len(image.getcolors(maxcolors=1_000_000)) > 50, "not blank: text, markers, legend"
    one_to_four = ColourScale.for_threshold(5).classify(1).colour
    assert has_colour(image, on_white(NONE_COLOUR)), "districts with referrals but no gap (SM1, SM2)"
    assert has_colour(image, on_white(one_to_four)), "a district with one gap (SM3)"
    assert not has_colour(image, on_white(SUPPRESSED_COLOUR)), "nothing is suppressed outside open data"


def test_open_data_greys_districts_with_too_few_referrals(session, areas, history, now):
    report = needs_report(session, areas, since=history.since, area="sutton", now=now, open_data=True)

    image = decode(render_needs_map(report))

    assert image.size == EXPECTED_SIZE
    assert has_colour(image, on_white(SUPPRESSED_COLOUR))
    assert not has_colour(image, on_white(NONE_COLOUR)), "every district with referrals has fewer than 5"


def test_an_empty_report_still_draws_the_districts(session, areas, directory, now):
    image = decode(render_needs_map(needs_report(session, areas, area="buckinghamshire", now=now)))

    assert image.size == EXPECTED_SIZE
    assert len(image.getcolors(maxcolors=1_000_000)) > 10


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
