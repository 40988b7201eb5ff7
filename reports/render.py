"""A needs report as JSON-ready data, CSV and a plain-text table. Suppressed counts read "<threshold" in CSV
and tables and null in JSON; a count withheld only to protect a suppressed one (secondary suppression) reads
"withheld"; a figure with no data (no acceptances, so no median) is blank or null."""

import io
from dataclasses import asdict, fields

from reports.needs import NeedsReport, NeedsRow, NeedsTrend
from reports.suppression import PERSON_COUNTS
from reports.trend import TrendRow
from safe_text import cells

# The ONS code and name of each place's local authority next to the place itself.
_FIELDS = [
    f.name for f in fields(NeedsRow) if f.name not in ("suppressed", "withheld", "ons_code", "ons_name")
]
COLUMNS = (*_FIELDS[:3], "ons_code", "ons_name", *_FIELDS[3:])
TABLE_COLUMNS = (
    ("area_type", "place"),
    ("area_name", "name"),
    ("ons_code", "ons"),
    ("need", "need"),
    ("people", "people"),
    ("referrals", "referrals"),
    ("accepted", "accepted"),
    ("completed", "completed"),
    ("unmet", "unmet"),
    ("late", "late"),
    ("median_hours_to_accept", "median h"),
    ("capacity_offered", "capacity"),
    ("providers", "providers"),
    ("providers_needed", "needed"),
    ("duplicated", "dup"),
    ("gap", "gap"),
)
NUMERIC = {
    "people",
    "referrals",
    "accepted",
    "completed",
    "unmet",
    "late",
    "median_hours_to_accept",
    "capacity_offered",
    "providers",
    "providers_needed",
}


def report_dict(report: NeedsReport) -> dict:
    document = asdict(report)
    document["generated_at"] = report.generated_at.isoformat()
    document["since"] = report.since and report.since.isoformat()
    document["until"] = report.until.isoformat()
    document["notes"] = list(report.notes)
    document.pop("district_codes")  # for drawing; each row carries its own ONS code
    for drawn in (
        "ward_boundaries",
        "boundary_names",
        "boundary_districts",
        "wards",
        "provision",
    ):  # for the map; ward rows carry the ward figures
        document.pop(drawn)
    for part in ("rows", "districts", "places"):
        document[part] = [{**cell, "suppressed": list(cell["suppressed"])} for cell in document[part]]
    for part in ("rows", "places"):
        document[part] = [{**row, "withheld": list(row["withheld"])} for row in document[part]]
    return document


def cell_text(row: NeedsRow | TrendRow, column: str, threshold: int) -> str:
    value = getattr(row, column)
    if column in row.withheld:
        return "withheld"
    if column in row.suppressed:
        return f"<{threshold}" if column in PERSON_COUNTS else ""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def to_csv(report: NeedsReport) -> str:
    buffer = io.StringIO()
    writer = cells.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in report.rows:
        writer.writerow([cell_text(row, column, report.suppression_threshold) for column in COLUMNS])
    return buffer.getvalue()


def to_table(report: NeedsReport) -> str:
    since = report.since.isoformat() if report.since else "the first referral"
    heading = f"Needs against provision: {report.area_name}, from {since} to {report.until.isoformat()}"
    if report.open_data:
        heading += f" (open data: counts under {report.suppression_threshold} suppressed)"
    lines = [[title for _column, title in TABLE_COLUMNS]]
    for row in report.rows:
        lines.append(
            [cell_text(row, column, report.suppression_threshold) for column, _title in TABLE_COLUMNS]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(TABLE_COLUMNS))]
    text = [heading, ""]
    for line in lines:
        cells = (
            cell.rjust(width) if column in NUMERIC else cell.ljust(width)
            for cell, width, (column, _title) in zip(line, widths, TABLE_COLUMNS, strict=True)
        )
        text.append("  ".join(cells).rstrip())
    if not report.rows:
        text.append("(no referrals and no provision)")
    text += ["", "Notes:", *(f"- {note}" for note in report.notes)]
    return "\n".join(text) + "\n"


TREND_COLUMNS = (
    "week",
    "council_area",
    "ons_code",
    "need",
    "people",
    "referrals",
    "accepted",
    "unmet",
    "late",
)


def trend_dict(trend: NeedsTrend) -> dict:
    """The trend as JSON-ready data: suppressed counts null and listed in each row's `suppressed`."""
    document = asdict(trend)
    document["generated_at"] = trend.generated_at.isoformat()
    document["since"] = trend.since.isoformat()
    document["until"] = trend.until.isoformat()
    document["notes"] = list(trend.notes)
    document["rows"] = [
        {
            **row,
            "week": row["week"] and row["week"].isoformat(),
            "ons_code": trend.ons_codes.get(row["council_area"] or ""),
            "suppressed": list(row["suppressed"]),
            "withheld": list(row["withheld"]),
        }
        for row in document["rows"]
    ]
    document.pop("ons_codes")
    return document


def trend_csv(trend: NeedsTrend) -> str:
    """The trend as CSV: a row per council, need and week ("period" for the total), suppressed counts as
    "<threshold" and those withheld to protect them as "withheld"."""
    buffer = io.StringIO()
    writer = cells.writer(buffer, lineterminator="\n")
    writer.writerow(TREND_COLUMNS)
    for row in trend.rows:
        writer.writerow(
            [
                row.week.isoformat() if row.week else "period",
                row.council_area or "",
                trend.ons_codes.get(row.council_area or "", ""),
                row.need,
                *(cell_text(row, column, trend.suppression_threshold) for column in TREND_COLUMNS[4:]),
            ]
        )
    return buffer.getvalue()
