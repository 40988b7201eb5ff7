"""Reports in the browser for safety-net officers and admins: needs against provision as a table and as a map,
and how each organisation answers offers. Who may read them, and which area, is the API's rule
(`reports.scope.report_for`): both doors ask it."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from itertools import groupby

from flask import Response, current_app, render_template, request

from referrals.errors import DomainValidationError
from reports.colour_scale import SUPPRESSED_COLOUR
from reports.needs import NeedsReport, NeedsRow, NeedsTrend
from reports.organisations import DirectoryFilter, list_organisations
from reports.render import cell_text, trend_csv
from reports.response import RESPONSE_WINDOW, usually_accepts
from reports.scope import REPORT_ROLES, outcomes_for, report_for, trend_for
from reports.trend import ANY_NEED
from reports.ward_map import NO_DEMAND_COLOUR, RATE_CLASSES, ward_shade, wards_to_label
from web.auth import current_principal, roles
from web.blueprint import blp, db, services
from web.errors import error_page
from web.formatting import day
from web.lookups import area_names, need_labels

GROUPS = {
    "council_area": "Council area",
    "hub": "Community hub",
    "outcode": "Postcode district",
    "ward": "Ward",
}
OPEN_DATA_WORDS = {"": False, "false": False, "true": True}
MOST_UNMET_SHOWN = 3
TREND_FIGURES = ("people", "referrals", "accepted", "unmet", "late")


@dataclass(frozen=True)
class Filters:
    area: str | None = None
    since: date | None = None
    open_data: bool = False
    group: str = "council_area"
    until: date | None = None

    def query(self) -> dict[str, str]:
        """The same filters as query parameters (for the map's address and the API's)."""
        found = {
            "area": self.area,
            "since": self.since and self.since.isoformat(),
            "until": self.until and self.until.isoformat(),
        }
        found["open_data"] = "true" if self.open_data else None
        return {key: value for key, value in found.items() if value}


def read_filters(args: Mapping[str, str]) -> tuple[Filters, dict[str, str], dict[str, str]]:
    """The filters from the query string as the API reads them; errors in words, keyed by field; and the
    values as typed, to show again."""
    typed = {name: args.get(name, "").strip() for name in ("area", "since", "until", "open_data", "group")}
    errors: dict[str, str] = {}
    if len(typed["area"]) > 40:
        errors["area"] = "Choose an area from the list"
    since, until = None, None
    if typed["since"]:
        try:
            since = date.fromisoformat(typed["since"])
        except ValueError:
            errors["since"] = "Enter the first day as a date, for example 2026-03-01"
    if typed["until"]:
        try:
            until = date.fromisoformat(typed["until"])
        except ValueError:
            errors["until"] = "Enter the last day as a date, for example 2026-03-31"
    if typed["open_data"] not in OPEN_DATA_WORDS:
        errors["open_data"] = "Open data is either ticked or not"
    if typed["group"] not in ("", *GROUPS):
        errors["group"] = "Choose council areas, community hubs or postcode districts"
    if since and until and until < since:
        errors["until"] = "The last day must be the same as or after the first day"
    filters = Filters(
        area=typed["area"] or None,
        since=since,
        open_data=OPEN_DATA_WORDS.get(typed["open_data"], False),
        group=typed["group"] or "council_area",
        until=until,
    )
    return filters, errors, typed


def scoped_report(filters: Filters) -> NeedsReport:
    """The report as the signed-in person may read it: Forbidden (403) for another council's officer,
    DomainValidationError for an area that is not served."""
    return report_for(
        db(),
        current_principal(),
        services().areas,
        since=filters.since,
        until=filters.until,
        area=filters.area,
        open_data=filters.open_data,
        threshold=current_app.config["REPORT_SUPPRESSION_THRESHOLD"],
    )


def scoped_trend(filters: Filters) -> NeedsTrend:
    """Needs week by week as the signed-in person may read them (the API's rule); DomainValidationError for
    a period longer than the trend covers."""
    return trend_for(
        db(),
        current_principal(),
        services().areas,
        since=filters.since,
        until=filters.until,
        area=filters.area,
        open_data=filters.open_data,
        threshold=current_app.config["REPORT_SUPPRESSION_THRESHOLD"],
    )


@dataclass(frozen=True)
class WeekView:
    """A week of one council's trend over all needs, each figure as text."""

    week: date | None
    cells: dict[str, str]


def trend_views(trend: NeedsTrend) -> dict[str, list[WeekView]]:
    """Council name → its weeks over all needs, then its period total (week None)."""
    found: dict[str, list[WeekView]] = {}
    for row in trend.rows:
        if row.need != ANY_NEED:
            continue
        cells = {name: cell_text(row, name, trend.suppression_threshold) for name in TREND_FIGURES}
        found.setdefault(trend.councils.get(row.council_area or "", row.council_area or ""), []).append(
            WeekView(row.week, cells)
        )
    return found


@dataclass(frozen=True)
class RowView:
    """A row of the table as it reads: each figure as text (suppressed ones as "<5" or "withheld"), and what
    the row means for provision, in words."""

    row: NeedsRow
    cells: dict[str, str]
    findings: tuple[str, ...]


def findings(row: NeedsRow) -> tuple[str, ...]:
    found = []
    if row.unmet:
        found.append(f"Gap: {people(row.unmet)} whose need no provider could take")
    elif "unmet" in row.suppressed:
        found.append("Gap: a few people whose need no provider could take (how many is withheld)")
    if row.late:
        found.append(f"Gap: {people(row.late)} waited longer than their urgency allows")
    elif "late" in row.suppressed:
        found.append("Gap: a few people waited longer than their urgency allows (how many is withheld)")
    if row.providers == 0 and (row.people is None or row.people > 0):
        found.append("Gap: no provider of this need here")
    if row.duplicated:
        found.append(
            f"Duplicated: {row.providers} providers of this need here, where {row.providers_needed} "
            "could take its demand"
        )
    return tuple(found)


def people(count: int) -> str:
    return f"{count} {'person' if count == 1 else 'people'}"


def row_views(report: NeedsReport, group: str) -> list[list[RowView]]:
    """The rows of one kind of place, a list per place (a row per need), in the report's order."""
    columns = (
        "people",
        "referrals",
        "accepted",
        "completed",
        "unmet",
        "late",
        "median_hours_to_accept",
        "capacity_offered",
    )
    shown = [row for row in report.rows if row.area_type == group]
    return [
        [
            RowView(row, {c: cell_text(row, c, report.suppression_threshold) for c in columns}, findings(row))
            for row in rows
        ]
        for _place, rows in groupby(shown, key=lambda row: row.area)
    ]


def map_description(report: NeedsReport) -> str:
    """The map's alt text: what it shows, and what it shows most (the wards the map names)."""
    where = report.area_name if report.area else "all served areas"
    where += f" since {day(report.since)}" if report.since else ""
    threshold = report.suppression_threshold
    text = (
        f"Map of the wards of {where}. Each ward is coloured by the share of the people referred from it "
        "whose need went unmet or waited longer than its urgency allows; community hubs and other "
        "organisations are marked at their bases."
    )
    if not report.wards:
        return text + " No ward is known for the people referred."
    shades = {w.code: ward_shade(w, threshold) for w in report.wards}
    named = wards_to_label(report.wards, threshold, MOST_UNMET_SHOWN)
    by_code = {w.code: w for w in report.wards}
    if named:
        parts = [f"{by_code[code].name} ({shades[code].rate:.0%})" for code in named]
        text += f" Highest unmet need: {', '.join(parts)}."
    elif any(shade.kind == "rate" for shade in shades.values()):
        text += " No ward shown has an unmet need."
    hidden = sum(shade.kind == "suppressed" for shade in shades.values())
    if hidden:
        text += (
            f" {hidden} ward{'s' if hidden != 1 else ''} with fewer than {threshold} people "
            f"{'are' if hidden != 1 else 'is'} hatched grey."
        )
    return text


def hours_words(hours: float | None) -> str:
    """4.5 → "4.5 hours", 0.25 → "15 minutes"; none → "no acceptances"."""
    if hours is None:
        return "no acceptances"
    if hours < 1:
        minutes = max(1, round(hours * 60))
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{hours:g} hour{'s' if hours != 1 else ''}"


def _page(filters: Filters, typed: dict[str, str], errors: dict[str, str], report: NeedsReport | None):
    own_area = current_principal().area if current_principal().role == "safety_net_officer" else None
    areas = area_names()
    organisations, outcomes, weeks, trend_problem = [], None, {}, None
    if report is not None:
        try:
            weeks = trend_views(scoped_trend(filters))
        except DomainValidationError as exc:
            trend_problem = exc.message
        organisations = list_organisations(db(), DirectoryFilter(area=report.area))
        found = services()
        if not filters.open_data:  # per organisation and unsuppressed: not part of the open data
            outcomes = outcomes_for(
                db(), current_principal(), found.areas, found.outcomes, since=filters.since, area=report.area
            )
    return render_template(
        "reports.html",
        filters=filters,
        typed=typed,
        errors=errors,
        report=report,
        rows=row_views(report, filters.group) if report else [],
        totals=report.places if report else (),
        groups=GROUPS,
        areas={own_area: areas.get(own_area, own_area)} if own_area else areas,
        needs=need_labels(),
        map_alt=map_description(report) if report else "",
        organisations=organisations,
        usually_accepts=usually_accepts,
        hours_words=hours_words,
        window_days=RESPONSE_WINDOW.days,
        outcomes=outcomes,
        outcome_label=services().outcomes.label,
        weeks=weeks,
        trend_problem=trend_problem,
    )


@blp.get("/reports")
@roles(*REPORT_ROLES)
def reports():
    filters, errors, typed = read_filters(request.args)
    if errors:
        return _page(filters, typed, errors, None), 422
    try:
        report = scoped_report(filters)
    except DomainValidationError as exc:
        return _page(filters, typed, {exc.field: "Choose an area from the list"}, None), 422
    return _page(filters, typed, {}, report)


def _scoped(build, failed: str) -> tuple[Filters, NeedsReport | NeedsTrend | None, Response | None]:
    """The filters of the query string and what `build` makes of them for the signed-in person, or a 422
    page titled `failed` saying what is wrong (a bad filter, an area not served, too long a period)."""
    filters, errors, _typed = read_filters(request.args)
    if errors:
        return filters, None, error_page(422, failed, f"{next(iter(errors.values()))}.")
    try:
        return filters, build(filters), None
    except DomainValidationError as exc:
        why = (
            "Choose an area from the list"
            if exc.field == "area"
            else exc.message[:1].upper() + exc.message[1:]
        )
        return filters, None, error_page(422, failed, f"{why}.")


@blp.get("/reports/needs.png")
@roles(*REPORT_ROLES)
def reports_map():
    from reports.needs_map import render_needs_map  # matplotlib and shapely: loaded only to draw

    _filters, report, refused = _scoped(scoped_report, "The map could not be drawn")
    if refused is not None:
        return refused
    return Response(render_needs_map(report), mimetype="image/png")


@blp.get("/reports/trend.csv")
@roles(*REPORT_ROLES)
def reports_trend_csv():
    """Needs week by week as CSV, the API's own rows (`reports.render.trend_csv`)."""
    _filters, trend, refused = _scoped(scoped_trend, "The trend could not be made")
    if refused is not None:
        return refused
    return Response(
        trend_csv(trend),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="needs-trend.csv"'},
    )


def ward_rows(report: NeedsReport) -> dict[str, list[RowView]]:
    """Each ward's rows (a row per need) as the table shows them, by ward code."""
    found: dict[str, list[RowView]] = {}
    for row in report.rows:
        if row.area_type == "ward":
            cells = {c: cell_text(row, c, report.suppression_threshold) for c in ("people", "unmet", "late")}
            found.setdefault(row.area, []).append(RowView(row, cells, findings(row)))
    return found


@blp.get("/reports/wards")
@roles(*REPORT_ROLES)
def reports_wards():
    """The ward map to explore: each ward's shade, its figures on hover or focus, and its needs on a click,
    with the same filters and the same figures as the reports page."""
    from reports.ward_shapes import ATTRIBUTION
    from reports.ward_svg import ward_panels  # shapely, only for this page

    filters, report, refused = _scoped(scoped_report, "The map could not be drawn")
    if refused is not None:
        return refused
    return render_template(
        "reports_wards.html",
        filters=filters,
        report=report,
        panels=ward_panels(report),
        ward_rows=ward_rows(report),
        needs=need_labels(),
        rate_classes=RATE_CLASSES,
        no_demand_colour=NO_DEMAND_COLOUR,
        suppressed_colour=SUPPRESSED_COLOUR,
        attribution=ATTRIBUTION,
    )
