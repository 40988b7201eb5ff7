"""The public Open Referral UK feed: the directory's services, organisations and taxonomies as the HSDS 3.0
API describes them, read-only, for other directories and apps. No token (anyone may read it), rate-limited
per address (RATELIMIT_ORUK), no personal data: what is published is `referrals.access`'s
`published_in_directory` and `PUBLIC_DIRECTORY_WITHHELD`; `directory/oruk.py` lays it out."""

import marshmallow as ma
from flask import current_app, url_for
from flask_smorest import Blueprint
from marshmallow import validate

from api.blueprints import refuse_bad_input
from api.db import get_session
from api.errors import problem
from api.schemas import ONE_LINE, InSchema
from directory.oruk import DEFAULT_PER_PAGE, MAX_PER_PAGE, Feed, Filters, about
from referrals.access import PUBLIC_DIRECTORY_WITHHELD, published_in_directory

blp = Blueprint(
    "oruk",
    __name__,
    url_prefix="/oruk",
    description="The public Open Referral UK (HSDS 3.0) feed of the directory: no token, read-only",
)
blp.before_request(refuse_bad_input)
CACHE_CONTROL = "public, max-age=300"


class PageQuerySchema(InSchema):
    """Paging and search. Other HSDS parameters (`full`, `format`, `modified_after`, ...) are ignored, as
    HSDS lets a feed do: every list answers one-to-one fields as JSON pages."""

    class Meta:
        unknown = ma.EXCLUDE

    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(
        load_default=DEFAULT_PER_PAGE, validate=validate.Range(min=1, max=MAX_PER_PAGE)
    )
    search = ma.fields.String(load_default="", validate=[validate.Length(max=200), ONE_LINE])


class ServiceQuerySchema(PageQuerySchema):
    taxonomy_term_id = ma.fields.String(load_default="", validate=[validate.Length(max=100), ONE_LINE])
    taxonomy_id = ma.fields.String(load_default="", validate=[validate.Length(max=100), ONE_LINE])
    organization_id = ma.fields.String(load_default="", validate=[validate.Length(max=100), ONE_LINE])


class TermQuerySchema(PageQuerySchema):
    taxonomy_id = ma.fields.String(load_default="", validate=[validate.Length(max=100), ONE_LINE])


class PageSchema(ma.Schema):
    total_items = ma.fields.Integer(required=True)
    total_pages = ma.fields.Integer(required=True)
    page_number = ma.fields.Integer(required=True)
    size = ma.fields.Integer(required=True, metadata={"description": "How many items this page holds"})
    first_page = ma.fields.Boolean(required=True)
    last_page = ma.fields.Boolean(required=True)
    empty = ma.fields.Boolean(required=True)
    contents = ma.fields.List(
        ma.fields.Dict(), required=True, metadata={"description": "HSDS 3.0 objects (see the HSDS schemas)"}
    )


class AboutSchema(ma.Schema):
    version = ma.fields.String(required=True)
    profile = ma.fields.String(required=True)
    openapi_url = ma.fields.String(required=True)


HSDS_OBJECT = "An HSDS 3.0 object (https://docs.openreferral.org/en/v3.0/), as the official schemas describe"


def feed() -> Feed:
    found = current_app.extensions["oneroute"]
    return Feed(get_session(), found.geocoder, PUBLIC_DIRECTORY_WITHHELD, published_in_directory)


def found(document: dict | None, what: str):
    if document is None:
        return problem(404, "Not Found", f"No {what} with that id is published here.")
    return document, 200, {"Cache-Control": CACHE_CONTROL}


def listed(document: dict):
    return document, 200, {"Cache-Control": CACHE_CONTROL}


@blp.get("/")
@blp.response(200, AboutSchema)
def oruk_about():
    """Which HSDS version this feed speaks and where its API description is."""
    return about(url_for("api-docs.openapi_json", _external=True)), 200, {"Cache-Control": CACHE_CONTROL}


@blp.get("/services")
@blp.arguments(ServiceQuerySchema, location="query")
@blp.response(200, PageSchema)
def oruk_services(query):
    """Published services, a page at a time, each with its organization."""
    number, per_page = query.pop("page"), query.pop("per_page")
    return listed(feed().services(Filters(**query), number, per_page))


@blp.get("/services/<uuid:service_id>")
@blp.response(200, description=HSDS_OBJECT)
def oruk_service(service_id):
    """One service with its organization, locations and addresses, phones, schedules and attributes."""
    return found(feed().service(str(service_id)), "service")


@blp.get("/organizations")
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, PageSchema)
def oruk_organizations(query):
    """Published organizations, a page at a time."""
    return listed(feed().organizations(query["search"], query["page"], query["per_page"]))


@blp.get("/organizations/<uuid:organization_id>")
@blp.response(200, description=HSDS_OBJECT)
def oruk_organization(organization_id):
    """One organization with its services and locations."""
    return found(feed().organization(str(organization_id)), "organization")


@blp.get("/taxonomies")
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, PageSchema)
def oruk_taxonomies(query):
    """The taxonomies the feed's terms belong to."""
    return listed(feed().taxonomies(query["page"], query["per_page"]))


@blp.get("/taxonomies/<uuid:taxonomy_id>")
@blp.response(200, description=HSDS_OBJECT)
def oruk_taxonomy(taxonomy_id):
    """One taxonomy."""
    return found(feed().taxonomy(str(taxonomy_id)), "taxonomy")


@blp.get("/taxonomy_terms")
@blp.arguments(TermQuerySchema, location="query")
@blp.response(200, PageSchema)
def oruk_taxonomy_terms(query):
    """Taxonomy terms (the needs the directory's services meet), a page at a time."""
    return listed(
        feed().taxonomy_terms(query["taxonomy_id"], query["search"], query["page"], query["per_page"])
    )


@blp.get("/taxonomy_terms/<uuid:term_id>")
@blp.response(200, description=HSDS_OBJECT)
def oruk_taxonomy_term(term_id):
    """One taxonomy term."""
    return found(feed().taxonomy_term(str(term_id)), "taxonomy term")
