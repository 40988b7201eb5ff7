"""The needs report as a map picture, drawn on the server with matplotlib's Agg renderer and no internet:
one panel per council area, each postcode district at its shipped centroid, coloured by people with an
unmet need (a graduated scale, reports/colour_scale.py) and sized by people with a need. In open data,
districts with fewer people than the threshold are grey and all the same size. Under them, the council's
wards are outlined (drawn from the shipped postcodes: reports.geography.ward_areas); each panel has a scale
bar and a north arrow."""

import io
import math
from collections.abc import Sequence
from datetime import date

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from shapely.geometry import MultiPolygon, Polygon

from reports.colour_scale import SUPPRESSED_COLOUR, ColourClass, ColourScale
from reports.geography import ward_areas
from reports.needs import DistrictDemand, NeedsReport

MAP_SIZE_INCHES = (9.0, 9.0)
MAP_DPI = 100
ATTRIBUTION = (
    "Contains OS data © Crown copyright and database right 2025. "
    "Contains Royal Mail data © Royal Mail copyright and database right 2025.\n"
    "Contains National Statistics data © Crown copyright and database right 2025. "
    "Source: Office for National Statistics licensed under the Open Government Licence v.3.0."
)
EDGE_COLOUR = "#404040"
CONTEXT_COLOUR = "#bdbdbd"
LABEL_COLOUR = "#252525"
SMALLEST_MARKER = 40.0
LARGEST_MARKER = 900.0
SUPPRESSED_MARKER = 60.0
CONTEXT_MARKER = 14.0
PADDING_DEGREES = 0.02
MARKER_ALPHA = 0.9
WARD_EDGE_COLOUR = "#9e9e9e"
WARD_FILL_COLOUR = "#f7f7f7"
KM_PER_DEGREE = 111.32
SCALE_STEPS_KM = (0.5, 1, 2, 5, 10, 20, 50)


def marker_area(people: int, most: int) -> float:
    """Marker area in points², growing with people from the smallest to the largest marker."""
    if most <= 0:
        return SMALLEST_MARKER
    return SMALLEST_MARKER + (LARGEST_MARKER - SMALLEST_MARKER) * people / most


def scale_bar_km(width_km: float) -> float:
    """A round length for the scale bar: the largest step no longer than a quarter of the panel's width."""
    fitting = [step for step in SCALE_STEPS_KM if step <= width_km / 4]
    return fitting[-1] if fitting else SCALE_STEPS_KM[0]


def render_needs_map(report: NeedsReport, ward_outlines: bool = True) -> bytes:
    figure = draw_needs_map(report, ward_outlines)
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return buffer.getvalue()


def draw_needs_map(report: NeedsReport, ward_outlines: bool = True) -> Figure:
    figure = Figure(figsize=MAP_SIZE_INCHES, dpi=MAP_DPI)
    scale = ColourScale.for_threshold(report.suppression_threshold)
    most = max((d.people or 0 for d in report.districts), default=0)
    panels = list(report.councils.items())
    columns = 1 if len(panels) == 1 else 2
    grid = figure.add_gridspec(
        math.ceil(len(panels) / columns), columns, left=0.08, right=0.72, bottom=0.13, top=0.87, wspace=0.3
    )
    for cell, (code, name) in zip(grid, panels, strict=False):
        axes = figure.add_subplot(cell)
        districts = [d for d in report.districts if d.council_area == code]
        bounds = _draw_wards(axes, report.district_codes.get(code, ())) if ward_outlines else None
        _draw_districts(axes, districts, scale, most)
        _frame(axes, districts, name if len(panels) > 1 else "", bounds)
        _scale_bar(axes)
        _north_arrow(axes)
    _legend(figure, scale, most, report)
    _titles(figure, report)
    return figure


def _draw_wards(axes: Axes, district_codes: Sequence[str]) -> tuple[float, float, float, float] | None:
    """Each ward's outline, lightly filled; the bounds of them all (west, south, east, north), if any."""
    areas = ward_areas(tuple(district_codes))
    for area in areas.values():
        polygons = (
            area.geoms if isinstance(area, MultiPolygon) else [area] if isinstance(area, Polygon) else []
        )
        for polygon in polygons:
            xs, ys = polygon.exterior.xy
            axes.fill(
                xs, ys, facecolor=WARD_FILL_COLOUR, edgecolor=WARD_EDGE_COLOUR, linewidth=0.4, zorder=0.5
            )
    if not areas:
        return None
    corners = [area.bounds for area in areas.values()]
    return (
        min(c[0] for c in corners),
        min(c[1] for c in corners),
        max(c[2] for c in corners),
        max(c[3] for c in corners),
    )


def _scale_bar(axes: Axes) -> None:
    """A bar of a round number of kilometres in the lower left, at the panel's middle latitude."""
    (west, east), (south, north) = axes.get_xlim(), axes.get_ylim()
    km_per_degree = KM_PER_DEGREE * math.cos(math.radians((south + north) / 2))
    length_km = scale_bar_km((east - west) * km_per_degree)
    x0, y0 = west + 0.05 * (east - west), south + 0.05 * (north - south)
    axes.plot([x0, x0 + length_km / km_per_degree], [y0, y0], color=LABEL_COLOUR, linewidth=2.5, zorder=4)
    label = f"{length_km:g} km"
    axes.text(x0, y0 + 0.015 * (north - south), label, fontsize=7, color=LABEL_COLOUR, zorder=4)


def _north_arrow(axes: Axes) -> None:
    axes.annotate(
        "N",
        xy=(0.94, 0.95),
        xytext=(0.94, 0.84),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=8,
        weight="bold",
        color=LABEL_COLOUR,
        arrowprops={"arrowstyle": "-|>", "color": LABEL_COLOUR, "linewidth": 1.2},
        zorder=4,
    )


def _draw_districts(axes: Axes, districts: Sequence[DistrictDemand], scale: ColourScale, most: int) -> None:
    quiet = [d for d in districts if d.people == 0]
    if quiet:
        axes.scatter(
            [d.lon for d in quiet],
            [d.lat for d in quiet],
            s=CONTEXT_MARKER,
            facecolors="none",
            edgecolors=CONTEXT_COLOUR,
            linewidths=0.8,
            zorder=1,
        )
    shown = sorted((d for d in districts if d.people != 0), key=lambda d: d.people or 0, reverse=True)
    if shown:
        axes.scatter(
            [d.lon for d in shown],
            [d.lat for d in shown],
            s=[SUPPRESSED_MARKER if d.people is None else marker_area(d.people, most) for d in shown],
            c=[SUPPRESSED_COLOUR if d.people is None else _unmet_class(d, scale).colour for d in shown],
            edgecolors=EDGE_COLOUR,
            linewidths=0.6,
            alpha=MARKER_ALPHA,
            zorder=2,
        )
    for district in districts:
        axes.annotate(
            district.outcode,
            (district.lon, district.lat),
            xytext=(4, 4),
            textcoords="offset points",
            fontsize=7 if district.people != 0 else 5.5,
            color=LABEL_COLOUR if district.people != 0 else CONTEXT_COLOUR,
            zorder=3,
        )


def _unmet_class(district: DistrictDemand, scale: ColourScale) -> ColourClass:
    """A suppressed unmet count is 1 to threshold−1: exactly the scale's first graded class."""
    return scale.classify(1 if district.unmet is None else district.unmet)


def _frame(
    axes: Axes,
    districts: Sequence[DistrictDemand],
    title: str,
    bounds: tuple[float, float, float, float] | None = None,
) -> None:
    lats = [d.lat for d in districts] or [54.0]
    lons = [d.lon for d in districts] or [-2.0]
    if bounds is not None:
        lons, lats = [*lons, bounds[0], bounds[2]], [*lats, bounds[1], bounds[3]]
    axes.set_xlim(min(lons) - PADDING_DEGREES, max(lons) + PADDING_DEGREES)
    axes.set_ylim(min(lats) - PADDING_DEGREES, max(lats) + PADDING_DEGREES)
    axes.set_aspect(1 / math.cos(math.radians(sum(lats) / len(lats))), adjustable="box")
    axes.tick_params(labelsize=6)
    axes.grid(color="#f0f0f0", linewidth=0.6, zorder=0)
    if title:
        axes.set_title(title, fontsize=9)
    if not districts:
        axes.text(0.5, 0.5, "No postcode districts", ha="center", fontsize=8, transform=axes.transAxes)


def _size_examples(most: int, report: NeedsReport) -> list[int]:
    """Counts of people to show in the size legend; in open data none under the threshold."""
    smallest = report.suppression_threshold if report.open_data else 1
    return sorted(n for n in {most // 4, most // 2, most} if n >= smallest)


def _legend(figure: Figure, scale: ColourScale, most: int, report: NeedsReport) -> None:
    def dot(colour: str, area: float = 90.0, edge: str = EDGE_COLOUR) -> Line2D:
        return Line2D(
            [], [], marker="o", linestyle="", markersize=math.sqrt(area), color=colour, markeredgecolor=edge
        )

    handles = [dot(c.colour) for c in scale.classes]
    labels = [f"{c.label} unmet" if c.low else "none unmet" for c in scale.classes]
    if report.open_data:
        handles.append(dot(SUPPRESSED_COLOUR, SUPPRESSED_MARKER))
        labels.append(f"fewer than {report.suppression_threshold} people")
    handles.append(dot("none", CONTEXT_MARKER, CONTEXT_COLOUR))
    labels.append("nobody")
    for people in _size_examples(most, report):
        handles.append(dot("white", marker_area(people, most)))
        labels.append(f"{people} {'person' if people == 1 else 'people'}")
    figure.legend(
        handles,
        labels,
        loc="upper left",
        bbox_to_anchor=(0.75, 0.87),
        fontsize=8,
        title="People with an unmet need\n(colour) and all people with\na need (size)",
        title_fontsize=8,
        frameon=False,
        labelspacing=1.4,
        handlelength=3.0,
        handletextpad=1.0,
        borderpad=0.2,
    )


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _titles(figure: Figure, report: NeedsReport) -> None:
    figure.text(
        0.08, 0.955, f"Unmet needs by postcode district: {report.area_name}", fontsize=13, weight="bold"
    )
    if report.since:
        period = f"Referrals from {_long_date(report.since)} to {_long_date(report.until)}"
    else:
        period = f"All referrals up to {_long_date(report.until)}"
    if report.open_data:
        period += f"; open data: counts under {report.suppression_threshold} are not shown"
    figure.text(0.08, 0.925, period, fontsize=9)
    figure.text(0.08, 0.02, ATTRIBUTION, fontsize=6.5, color="#525252")
