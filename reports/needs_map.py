"""The needs report as a map picture, drawn on the server with matplotlib's Agg renderer and no internet:
one panel per council area, its wards coloured by the share of their people whose need went unmet or waited
longer than its urgency allows (reports/ward_map.py), wards with fewer people than the suppression threshold
hatched grey as "fewer than N" and not coloured by their count. The wards are the official boundaries when
the `boundary` table holds them (`flask geo import-boundaries`), else drawn from the shipped postcodes
(reports.geography.ward_areas). Organisations with a base location are marked on top (hubs as squares); the
wards with the highest unmet need are named; each panel has a scale bar and a north arrow."""

import io
import math
import textwrap
from collections.abc import Mapping, Sequence
from datetime import date

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.patheffects import withStroke
from shapely.geometry.base import BaseGeometry

from reports.colour_scale import SUPPRESSED_COLOUR
from reports.needs import DistrictDemand, NeedsReport, ProviderSite
from reports.ward_map import NO_DEMAND_COLOUR, RATE_CLASSES, WardDemand, ward_shade, wards_to_label
from reports.ward_shapes import ATTRIBUTION, panel_shapes, polygons

MAP_SIZE_INCHES = (9.0, 9.0)
MAP_DPI = 100
EDGE_COLOUR = "#404040"
LABEL_COLOUR = "#252525"
PADDING_DEGREES = 0.02
MARKER_ALPHA = 0.9
WARD_EDGE_COLOUR = "#9e9e9e"
SUPPRESSED_HATCH = "////"
LABEL_WIDTH = 16  # characters a ward's name is wrapped at
PROVIDER_COLOUR = "#1f3a93"
KM_PER_DEGREE = 111.32
SCALE_STEPS_KM = (0.5, 1, 2, 5, 10, 20, 50)


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
    panels = list(report.councils.items())
    columns = 1 if len(panels) == 1 else 2
    grid = figure.add_gridspec(
        math.ceil(len(panels) / columns), columns, left=0.06, right=0.72, bottom=0.12, top=0.87, wspace=0.25
    )
    official = False
    for cell, (code, name) in zip(grid, panels, strict=False):
        axes = figure.add_subplot(cell)
        wards = [w for w in report.wards if w.council_area == code]
        shapes, from_boundaries = panel_shapes(report, code, wards) if ward_outlines else ({}, False)
        official = official or from_boundaries
        bounds = _draw_wards(axes, shapes, wards, report.suppression_threshold)
        districts = [d for d in report.districts if d.council_area == code]
        _frame(axes, districts, name if len(panels) > 1 else "", bounds)
        _draw_provision(axes, [p for p in report.provision if p.council_area == code])
        _label_wards(axes, shapes, wards, report.suppression_threshold)
        _scale_bar(axes)
        _north_arrow(axes)
    _legend(figure, report)
    _titles(figure, report, official)
    return figure


def _draw_wards(
    axes: Axes, shapes: Mapping[str, BaseGeometry], wards: Sequence[WardDemand], threshold: int
) -> tuple[float, float, float, float] | None:
    """Each ward filled by its shade (reports/ward_map.py); the bounds of them all, if any."""
    by_code = {w.code: w for w in wards}
    for code, area in shapes.items():
        shade = ward_shade(by_code.get(code), threshold)
        hatched = shade.kind == "suppressed"
        for polygon in polygons(area):
            xs, ys = polygon.exterior.xy
            axes.fill(
                xs,
                ys,
                facecolor=shade.colour,
                edgecolor=WARD_EDGE_COLOUR,
                linewidth=0.5,
                hatch=SUPPRESSED_HATCH if hatched else None,
                zorder=0.5,
            )
    if not shapes:
        return None
    corners = [area.bounds for area in shapes.values()]
    return (
        min(c[0] for c in corners),
        min(c[1] for c in corners),
        max(c[2] for c in corners),
        max(c[3] for c in corners),
    )


def _draw_provision(axes: Axes, sites: Sequence[ProviderSite]) -> None:
    for hubs, marker, size in ((True, "s", 34), (False, "^", 26)):
        chosen = [site for site in sites if (site.kind == "hub") == hubs]
        if chosen:
            axes.scatter(
                [site.lon for site in chosen],
                [site.lat for site in chosen],
                s=size,
                marker=marker,
                c=PROVIDER_COLOUR,
                edgecolors="white",
                linewidths=0.8,
                zorder=3,
            )


def _label_wards(
    axes: Axes, shapes: Mapping[str, BaseGeometry], wards: Sequence[WardDemand], threshold: int
) -> None:
    """Names of the wards with the highest unmet need, on a white halo (none when the wards are too many)."""
    by_code = {w.code: w for w in wards}
    for code in wards_to_label([w for w in wards if w.code in shapes], threshold):
        point = shapes[code].representative_point()
        axes.annotate(
            textwrap.fill(by_code[code].name, LABEL_WIDTH),
            (point.x, point.y),
            ha="center",
            va="center",
            fontsize=7.5,
            weight="bold",
            color=LABEL_COLOUR,
            zorder=5,
            path_effects=[withStroke(linewidth=2.5, foreground="white")],
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


def _legend(figure: Figure, report: NeedsReport) -> None:
    def patch(colour: str, hatch: str | None = None) -> Patch:
        return Patch(facecolor=colour, edgecolor=WARD_EDGE_COLOUR, hatch=hatch, linewidth=0.6)

    def point(marker: str) -> Line2D:
        return Line2D(
            [], [], marker=marker, linestyle="", markersize=7, color=PROVIDER_COLOUR, markeredgecolor="white"
        )

    handles: list = [patch(colour) for _high, colour, _label in RATE_CLASSES]
    labels = [label for _high, _colour, label in RATE_CLASSES]
    handles.append(patch(SUPPRESSED_COLOUR, SUPPRESSED_HATCH))
    labels.append(f"fewer than {report.suppression_threshold} people:\nnot shown")
    handles.append(patch(NO_DEMAND_COLOUR))
    labels.append("nobody referred")
    handles += [point("s"), point("^")]
    labels += ["community hub", "other organisation\n(at its base)"]
    figure.legend(
        handles,
        labels,
        loc="upper left",
        bbox_to_anchor=(0.74, 0.87),
        fontsize=8,
        title="Share of people referred\nwhose need went unmet\nor waited too long\n(per ward)",
        title_fontsize=8.5,
        alignment="left",
        frameon=False,
        labelspacing=1.1,
        handlelength=2.2,
        handleheight=1.6,
        borderpad=0.2,
    )


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _titles(figure: Figure, report: NeedsReport, official: bool = False) -> None:
    figure.text(0.06, 0.955, f"Unmet need by ward: {report.area_name}", fontsize=13, weight="bold")
    if report.since:
        period = f"Referrals from {_long_date(report.since)} to {_long_date(report.until)}"
    else:
        period = f"All referrals up to {_long_date(report.until)}"
    if report.open_data:
        period += f"; open data: counts under {report.suppression_threshold} are not shown"
    figure.text(0.06, 0.925, period, fontsize=9)
    source = (
        "Ward boundaries: ONS Open Geography (official boundaries)."
        if official
        else "Ward areas drawn from postcode locations (not official boundaries)."
    )
    figure.text(0.06, 0.02, f"{source}\n{ATTRIBUTION}", fontsize=6.5, color="#525252")
