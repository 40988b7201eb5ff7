"""The directory over HTTP: organisations and volunteers (admins manage; others read what they need)."""

from dataclasses import asdict

import marshmallow as ma
from marshmallow import validate

from api.auth import BEARER_SECURITY, roles
from api.blueprints import api_blueprint
from api.db import get_session
from api.schemas import ONE_LINE, InSchema
from directory.models import MUTUAL_AID_MODES, ORG_KINDS
from reports.organisations import DirectoryFilter, OrganisationSummary, get_organisation, list_organisations
from reports.response import usually_accepts

blp = api_blueprint("directory", __name__, url_prefix="/api/v1", description="Organisations and volunteers")
DIRECTORY_READ_ROLES = ("admin", "helpline_staff", "safety_net_officer")


class DirectoryQuerySchema(InSchema):
    area = ma.fields.String(load_default=None, validate=[validate.Length(min=1, max=40), ONE_LINE])
    kind = ma.fields.String(load_default=None, validate=validate.OneOf(ORG_KINDS))
    service = ma.fields.String(load_default=None, validate=[validate.Length(min=1, max=40), ONE_LINE])
    active = ma.fields.Boolean(load_default=None)


class CoverageSchema(ma.Schema):
    outcodes = ma.fields.List(ma.fields.String())
    base_postcode = ma.fields.String(allow_none=True)
    radius_km = ma.fields.Float(allow_none=True)
    area_wide = ma.fields.Boolean(metadata={"description": "No districts or radius: covers its whole area"})


class ResponseStatsSchema(ma.Schema):
    usually = ma.fields.String(allow_none=True, metadata={"example": "usually accepts within 4 hours"})
    accepts_within_hours = ma.fields.Float(
        allow_none=True, metadata={"description": "Median hours from offer to acceptance (last 90 days)"}
    )
    acceptance_rate = ma.fields.Float(
        allow_none=True, metadata={"description": "accepted / (accepted + declined + expired)"}
    )
    offers = ma.fields.Integer()
    accepted = ma.fields.Integer()
    declined = ma.fields.Integer()
    expired = ma.fields.Integer()
    withdrawn = ma.fields.Integer()
    pending = ma.fields.Integer()


class OrganisationOutSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    kind = ma.fields.String(validate=validate.OneOf(ORG_KINDS))
    area = ma.fields.String()
    services = ma.fields.List(ma.fields.String())
    coverage = ma.fields.Nested(CoverageSchema)
    capacity = ma.fields.Integer()
    open_accepted = ma.fields.Integer(metadata={"description": "Referrals it holds (accepted, in progress)"})
    mutual_aid_mode = ma.fields.String(allow_none=True, validate=validate.OneOf(MUTUAL_AID_MODES))
    public_contact = ma.fields.String()
    active = ma.fields.Boolean()
    response = ma.fields.Nested(ResponseStatsSchema)


def organisation_view(summary: OrganisationSummary) -> dict:
    org, stats = summary.organisation, summary.response
    return {
        "id": org.id,
        "name": org.name,
        "kind": org.kind,
        "area": org.area,
        "services": list(org.services),
        "coverage": {
            "outcodes": list(org.coverage_outcodes),
            "base_postcode": org.base_postcode,
            "radius_km": org.radius_km,
            "area_wide": summary.area_wide,
        },
        "capacity": org.capacity,
        "open_accepted": summary.open_accepted,
        "mutual_aid_mode": org.mutual_aid_mode,
        "public_contact": org.public_contact,
        "active": org.active,
        "response": {**asdict(stats), "usually": usually_accepts(stats)},
    }


@blp.get("/organisations")
@roles(*DIRECTORY_READ_ROLES)
@blp.doc(security=BEARER_SECURITY)
@blp.arguments(DirectoryQuerySchema, location="query")
@blp.response(200, OrganisationOutSchema(many=True))
def organisations(query):
    """Organisations with their services, coverage, capacity, open work and how they answer offers."""
    found = list_organisations(get_session(), DirectoryFilter(**query))
    return [organisation_view(summary) for summary in found]


@blp.get("/organisations/<int:org_id>")
@roles(*DIRECTORY_READ_ROLES)
@blp.doc(security=BEARER_SECURITY)
@blp.response(200, OrganisationOutSchema)
def organisation(org_id: int):
    """One organisation, as in the list."""
    return organisation_view(get_organisation(get_session(), org_id))
