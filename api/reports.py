"""Reports over HTTP: needs against provision as JSON or CSV and as a map picture (reports/README.md), and
what came of referrals (the outcomes recorded)."""

import marshmallow as ma
from flask import Response, current_app
from marshmallow import validate

from api.auth import BEARER_SECURITY, current_principal, roles
from api.blueprints import api_blueprint
from api.db import get_session
from api.schemas import InSchema
from reports.needs import NeedsReport
from reports.outcomes import as_dict
from reports.render import report_dict, to_csv, trend_csv, trend_dict
from reports.scope import REPORT_ROLES, outcomes_for, report_for, trend_for

blp = api_blueprint("reports", __name__, url_prefix="/api/v1/reports", description="Needs against provision")
PNG_RESPONSE = {"image/png": {"schema": {"type": "string", "format": "binary"}}}
CSV_RESPONSE = {"text/csv": {"schema": {"type": "string"}}}


class ReportQuerySchema(InSchema):
    since = ma.fields.Date(
        load_default=None, metadata={"description": "Referrals created on or after this day (UTC)"}
    )
    area = ma.fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=40),
        metadata={"description": "A council area code (config/areas.yaml); all served areas when left out"},
    )


class MapQuerySchema(ReportQuerySchema):
    until = ma.fields.Date(
        load_default=None,
        metadata={"description": "Referrals created on or before this day (UTC); today if left out"},
    )
    open_data = ma.fields.Boolean(
        load_default=False,
        truthy={"true"},
        falsy={"false"},
        metadata={"description": "Suppress counts under REPORT_SUPPRESSION_THRESHOLD (default 5)"},
    )


class NeedsQuerySchema(MapQuerySchema):
    format = ma.fields.String(
        load_default="json",
        validate=validate.OneOf(("json", "csv")),
        metadata={"description": "json, or csv for the rows as text/csv (suppressed counts read <5)"},
    )


class NeedsRowSchema(ma.Schema):
    area_type = ma.fields.String(
        metadata={"description": "council_area, hub, outcode or ward (ons_code and ons_name: the ward's own)"}
    )
    area = ma.fields.String(metadata={"description": "Area code, hub organisation id, or postcode district"})
    area_name = ma.fields.String()
    ons_code = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "ONS code(s) of the place's local authority district(s), ';' between several"
        },
    )
    ons_name = ma.fields.String(allow_none=True, metadata={"description": "Their ONS name(s)"})
    council_area = ma.fields.String(allow_none=True)
    need = ma.fields.String()
    people = ma.fields.Integer(
        allow_none=True, metadata={"description": "People with the need, however many referrals they made"}
    )
    referrals = ma.fields.Integer(allow_none=True, metadata={"description": "Referrals asking for the need"})
    accepted = ma.fields.Integer(allow_none=True, metadata={"description": "People whose need was accepted"})
    completed = ma.fields.Integer(allow_none=True)
    unmet = ma.fields.Integer(
        allow_none=True, metadata={"description": "People whose need no provider could take (a gap)"}
    )
    late = ma.fields.Integer(
        allow_none=True, metadata={"description": "People who waited longer than their urgency allows"}
    )
    median_hours_to_accept = ma.fields.Float(allow_none=True)
    capacity_offered = ma.fields.Float(
        metadata={"description": "Each provider's capacity split evenly over the needs it offers"}
    )
    providers = ma.fields.Integer()
    providers_needed = ma.fields.Integer(
        metadata={"description": "The fewest providers, largest first, whose capacity covers the people"}
    )
    duplicated = ma.fields.Boolean(metadata={"description": "More providers here than the demand needs"})
    gap = ma.fields.Boolean(metadata={"description": "Someone's need went unmet or waited too long"})
    suppressed = ma.fields.List(ma.fields.String(), metadata={"description": "Fields withheld as open data"})
    withheld = ma.fields.List(
        ma.fields.String(),
        metadata={"description": "Of those, the ones withheld only so a small count cannot be worked out"},
    )


class DistrictDemandSchema(ma.Schema):
    outcode = ma.fields.String()
    lat = ma.fields.Float()
    lon = ma.fields.Float()
    council_area = ma.fields.String(allow_none=True)
    people = ma.fields.Integer(allow_none=True)
    unmet = ma.fields.Integer(allow_none=True)
    suppressed = ma.fields.List(ma.fields.String())


class PlaceTotalSchema(ma.Schema):
    area_type = ma.fields.String()
    area = ma.fields.String()
    area_name = ma.fields.String()
    ons_code = ma.fields.String(allow_none=True)
    ons_name = ma.fields.String(allow_none=True)
    council_area = ma.fields.String(allow_none=True)
    people = ma.fields.Integer(allow_none=True, metadata={"description": "People with any need here"})
    providers = ma.fields.Integer()
    capacity = ma.fields.Integer(metadata={"description": "Capacity of the providers, each counted once"})
    suppressed = ma.fields.List(ma.fields.String())
    withheld = ma.fields.List(ma.fields.String())


class NeedsReportSchema(ma.Schema):
    generated_at = ma.fields.String()
    since = ma.fields.String(allow_none=True)
    until = ma.fields.String()
    area = ma.fields.String(allow_none=True)
    area_name = ma.fields.String()
    councils = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.String(), metadata={"description": "Area code → name"}
    )
    open_data = ma.fields.Boolean()
    suppression_threshold = ma.fields.Integer()
    rows = ma.fields.List(ma.fields.Nested(NeedsRowSchema))
    districts = ma.fields.List(ma.fields.Nested(DistrictDemandSchema))
    places = ma.fields.List(ma.fields.Nested(PlaceTotalSchema))
    notes = ma.fields.List(ma.fields.String(), metadata={"description": "What each figure counts"})


def _report(query: dict) -> NeedsReport:
    return report_for(
        get_session(),
        current_principal(),
        current_app.extensions["oneroute"].areas,
        since=query["since"],
        until=query["until"],
        area=query["area"],
        open_data=query["open_data"],
        threshold=current_app.config["REPORT_SUPPRESSION_THRESHOLD"],
    )


def json_or_csv(what: str, schema: str) -> dict:
    """The 200 answer of a report that is JSON, or CSV with ?format=csv."""
    return {
        "200": {
            "description": f"The {what} as JSON, or as CSV with ?format=csv",
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}},
                **CSV_RESPONSE,
            },
        }
    }


def csv_answer(text: str, filename: str) -> Response:
    return Response(
        text, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@blp.get("/needs")
@roles(*REPORT_ROLES)
@blp.doc(security=BEARER_SECURITY, responses=json_or_csv("report", "NeedsReport"))
@blp.arguments(NeedsQuerySchema, location="query")
@blp.response(200, NeedsReportSchema)
def needs(query):
    """Needs against provision by council area, hub and postcode district: people and referrals,
    acceptances, completions, unmet and late needs, median hours to acceptance, capacity offered (each
    organisation once) and duplicated provision (more providers than the demand needs)."""
    report = _report(query)
    if query["format"] == "csv":
        return csv_answer(to_csv(report), "needs.csv")
    return report_dict(report)


@blp.get("/needs.png")
@roles(*REPORT_ROLES)
@blp.doc(
    security=BEARER_SECURITY,
    responses={"200": {"description": "The map picture", "content": PNG_RESPONSE}},
)
@blp.arguments(MapQuerySchema, location="query")
def needs_map(query):
    """A map of postcode districts coloured by people with unmet needs and sized by people, drawn offline."""
    from reports.needs_map import render_needs_map  # matplotlib and shapely: loaded only to draw

    return Response(render_needs_map(_report(query)), mimetype="image/png")


class TrendRowSchema(ma.Schema):
    week = ma.fields.String(
        allow_none=True,
        metadata={"description": "The Monday (UTC) starting the week; null: the whole period"},
    )
    council_area = ma.fields.String(allow_none=True)
    ons_code = ma.fields.String(allow_none=True, metadata={"description": "The council's ONS code(s)"})
    need = ma.fields.String(metadata={"description": "A need code, or 'any' over all needs"})
    people = ma.fields.Integer(allow_none=True)
    referrals = ma.fields.Integer(allow_none=True)
    accepted = ma.fields.Integer(allow_none=True)
    unmet = ma.fields.Integer(allow_none=True)
    late = ma.fields.Integer(allow_none=True)
    suppressed = ma.fields.List(ma.fields.String())
    withheld = ma.fields.List(ma.fields.String())


class NeedsTrendSchema(ma.Schema):
    generated_at = ma.fields.String()
    since = ma.fields.String()
    until = ma.fields.String()
    area = ma.fields.String(allow_none=True)
    area_name = ma.fields.String()
    councils = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    open_data = ma.fields.Boolean()
    suppression_threshold = ma.fields.Integer()
    rows = ma.fields.List(ma.fields.Nested(TrendRowSchema))
    notes = ma.fields.List(ma.fields.String())


@blp.get("/trend")
@roles(*REPORT_ROLES)
@blp.doc(security=BEARER_SECURITY, responses=json_or_csv("trend", "NeedsTrend"))
@blp.arguments(NeedsQuerySchema, location="query")
@blp.response(200, NeedsTrendSchema)
def trend(query):
    """Needs week by week (Monday to Sunday, UTC) for each council area: the people who first asked for each
    need that week, the referrals that came in, and how many were accepted, unmet or late; each council's
    weeks add up to its period total. From `since` (default: the last twelve weeks) to `until` (default
    today), at most 260 weeks; open data suppresses small counts as the needs report does."""
    found = trend_for(
        get_session(),
        current_principal(),
        current_app.extensions["oneroute"].areas,
        since=query["since"],
        until=query["until"],
        area=query["area"],
        open_data=query["open_data"],
        threshold=current_app.config["REPORT_SUPPRESSION_THRESHOLD"],
    )
    if query["format"] == "csv":
        return csv_answer(trend_csv(found), "needs-trend.csv")
    return trend_dict(found)


class OutcomeCountSchema(ma.Schema):
    code = ma.fields.String(metadata={"example": "shopping_delivered"})
    label = ma.fields.String(metadata={"example": "Shopping delivered"})
    count = ma.fields.Integer()


class OutcomeRowSchema(ma.Schema):
    key = ma.fields.String(metadata={"description": "Area code or organisation id"})
    name = ma.fields.String()
    ons_code = ma.fields.String(
        allow_none=True, metadata={"description": "A council area's ONS local authority district code(s)"}
    )
    finished = ma.fields.Integer(metadata={"description": "Referrals completed or closed with an outcome"})
    outcomes = ma.fields.List(ma.fields.Nested(OutcomeCountSchema))
    results = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Integer(),
        metadata={"description": "Referrals per result: helped, referred_on, not_helped"},
    )


class OutcomesReportSchema(ma.Schema):
    since = ma.fields.Date(allow_none=True)
    area = ma.fields.String(allow_none=True)
    total = ma.fields.Nested(OutcomeRowSchema)
    by_area = ma.fields.List(ma.fields.Nested(OutcomeRowSchema))
    by_organisation = ma.fields.List(ma.fields.Nested(OutcomeRowSchema))


@blp.get("/outcomes")
@roles(*REPORT_ROLES)
@blp.doc(security=BEARER_SECURITY)
@blp.arguments(ReportQuerySchema, location="query")
@blp.response(200, OutcomesReportSchema)
def outcomes(query):
    """What came of referrals completed or closed: each outcome's count (config/outcomes.yaml; several may be
    recorded for one referral) per council area and per organisation that held it, and how many were
    helped, referred on or not helped."""
    found = current_app.extensions["oneroute"]
    report = outcomes_for(
        get_session(),
        current_principal(),
        found.areas,
        found.outcomes,
        since=query["since"],
        area=query["area"],
    )
    return as_dict(report, found.outcomes)
