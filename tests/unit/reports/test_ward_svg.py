"""The page's ward map (reports/ward_svg.py): every ward drawn inside its panel, shaded as the PNG map shades
it, counts as the report publishes them (withheld where the report withholds them), and the organisations
marked where they are."""

import re
from datetime import date, datetime

from reports.geography import ward_areas
from reports.needs import NeedsReport, PlaceTotal, ProviderSite
from reports.ward_map import WardDemand, ward_shade
from reports.ward_svg import count_text, scale_bar_km, ward_panels

SUTTON = ("E09000029",)


def report(wards, places=(), provision=(), open_data=False) -> NeedsReport:
    return NeedsReport(
        generated_at=datetime(2026, 3, 31),
        since=None,
        until=date(2026, 3, 31),
        area="sutton",
        area_name="Sutton",
        councils={"sutton": "London Borough of Sutton"},
        open_data=open_data,
        suppression_threshold=5,
        rows=(),
        districts=(),
        places=tuple(places),
        district_codes={"sutton": SUTTON},
        wards=tuple(wards),
        provision=tuple(provision),
    )


def numbers(path: str) -> list[float]:
    return [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path)]


def test_every_ward_is_drawn_inside_the_panel_and_named():
    codes = sorted(ward_areas(SUTTON))
    (panel,) = ward_panels(report([WardDemand(codes[0], "First", "sutton", 12, 6)]))
    assert {w.code for w in panel.wards} == set(codes)
    for ward in panel.wards:
        xs, ys = numbers(ward.path)[0::2], numbers(ward.path)[1::2]
        assert ward.path.startswith("M")
        assert ward.path.endswith("Z")
        assert 0 <= min(xs) <= max(xs) <= panel.width
        assert 0 <= min(ys) <= max(ys) <= panel.height
        assert not re.fullmatch(r"E05\d{6}", ward.name), "a ward nobody was referred from is named too"
    first = next(w for w in panel.wards if w.code == codes[0])
    assert (first.name, first.people, first.unmet) == ("First", "12", "6")
    assert first.fill == ward_shade(WardDemand(codes[0], "First", "sutton", 12, 6), 5).colour
    assert panel.labels[0].text == "First"
    assert panel.scale_label == "2 km"


def test_small_counts_are_hatched_and_withheld_ones_read_withheld():
    codes = sorted(ward_areas(SUTTON))
    wards = [
        WardDemand(codes[0], "Small", "sutton", None, None, ("people", "unmet")),
        WardDemand(codes[1], "Big", "sutton", 9, 1),
    ]
    places = [
        PlaceTotal("ward", codes[0], "Small", "sutton", None, 0, 0, suppressed=("people",)),
        PlaceTotal(
            "ward", codes[1], "Big", "sutton", None, 0, 0, suppressed=("people",), withheld=("people",)
        ),
    ]
    (panel,) = ward_panels(report(wards, places, open_data=True))
    drawn = {w.code: w for w in panel.wards}
    assert (drawn[codes[0]].hatched, drawn[codes[0]].people, drawn[codes[0]].unmet) == (True, "<5", "<5")
    assert drawn[codes[1]].people == "withheld", "secondary suppression against the council's total"
    assert count_text(None, 5) == "<5"


def test_organisations_are_marked_where_they_are():
    sites = [
        ProviderSite("Sutton hub", "hub", "sutton", 51.3656, -0.1932),
        ProviderSite("Far away", "vcs", "sutton", 52.4, -1.5),  # outside the council's wards: not drawn
    ]
    (panel,) = ward_panels(report([], provision=sites))
    assert [(m.name, m.hub) for m in panel.markers] == [("Sutton hub", True)]
    marker = panel.markers[0]
    assert 0 < marker.x < panel.width
    assert 0 < marker.y < panel.height


def test_the_scale_bar_is_a_round_length_under_a_quarter_of_the_width():
    assert scale_bar_km(10.0) == 2
    assert scale_bar_km(1.0) == 0.5
    assert scale_bar_km(300.0) == 50
