import marshmallow as ma
from flask import current_app
from marshmallow import validate

from api.auth import BEARER_SECURITY, current_principal, roles
from api.blueprints import MAX_ID, api_blueprint
from api.db import get_session
from api.idempotency import idempotent
from api.schemas import ONE_LINE, InSchema, ReasonInSchema
from referrals.erasure import MAX_OTHER_RECORDS, erase_resident, erasure_check
from referrals.people import DEFAULT_LIMIT, MAX_LIMIT, search_people
from referrals.search_text import MAX_QUERY_LENGTH

blp = api_blueprint(
    "residents", __name__, url_prefix="/api/v1/residents", description="People and their data"
)


class EraseInSchema(ReasonInSchema):
    also_erase = ma.fields.List(
        ma.fields.Integer(validate=validate.Range(min=0, max=MAX_ID)),
        load_default=list,
        validate=validate.Length(max=MAX_OTHER_RECORDS),
        metadata={
            "description": "The person's other records to erase in the same request, as confirmed from "
            "GET /api/v1/residents/{id}/erasure; any other id is refused (422) and nothing is erased"
        },
    )


class ErasedSchema(ma.Schema):
    id = ma.fields.Integer()
    erased_at = ma.fields.DateTime()
    also_erased = ma.fields.List(ma.fields.Integer())


class ErasureResidentSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    postcode = ma.fields.String()
    area = ma.fields.String(allow_none=True)
    erased_at = ma.fields.DateTime(allow_none=True)


class OtherRecordSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    postcode = ma.fields.String()
    score = ma.fields.Float(metadata={"description": "0-100, as intake's duplicate check scores"})
    matched_fields = ma.fields.List(ma.fields.String())


class ErasureCheckSchema(ma.Schema):
    resident = ma.fields.Nested(ErasureResidentSchema)
    candidates = ma.fields.List(
        ma.fields.Nested(OtherRecordSchema),
        metadata={"description": "Other records that may be the same person: confirm them with also_erase"},
    )


@blp.get("/<int:resident_id>/erasure")
@roles("admin", "safety_net_officer")
@blp.doc(security=BEARER_SECURITY)
@blp.response(200, ErasureCheckSchema)
def erasure_candidates(resident_id: int):
    """Before erasing a person: their other records (the same person logged more than once), found as
    intake finds duplicates, for the officer to confirm. Officers see their own council area's people only;
    the read is audited."""
    return erasure_check(get_session(), resident_id, current_principal())


@blp.post("/<int:resident_id>/erase")
@roles("admin", "safety_net_officer")
@idempotent
@blp.doc(security=BEARER_SECURITY)
@blp.arguments(EraseInSchema)
@blp.response(200, ErasedSchema)
def erase(data, resident_id: int):
    """Erase a person's data on request (with a reason), and with `also_erase` their other records confirmed
    from `GET .../erasure`, in one transaction: open referrals are cancelled, every stored text that names
    them is blanked, the audit chain stays verifiable, and the personal details sealed in it can no longer be
    read."""
    policy = current_app.extensions["oneroute"].lifecycle_policy
    resident = erase_resident(
        get_session(),
        resident_id,
        current_principal(),
        data["reason"],
        policy,
        also_erase=data["also_erase"],
    )
    return {"id": resident.id, "erased_at": resident.erased_at, "also_erased": data["also_erase"]}


class SearchQuerySchema(InSchema):
    q = ma.fields.String(
        required=True,
        validate=[validate.Length(min=1, max=MAX_QUERY_LENGTH), ONE_LINE],
        metadata={
            "description": "A name (fuzzy), a phone number in any format, a postcode or district, a date of "
            "birth (27/3/1948, 27 March 1948, 1948-03-27) or a referral reference (123, R123, ref 123); "
            "pieces combine and narrow (Smith SM1)"
        },
    )
    limit = ma.fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT))


class LatestReferralSchema(ma.Schema):
    id = ma.fields.Integer(attribute="last_referral_id")
    status = ma.fields.String(attribute="last_referral_status")
    created_at = ma.fields.DateTime(attribute="last_contact_at")


class FoundPersonSchema(ma.Schema):
    id = ma.fields.Integer(attribute="resident_id")
    personal_details = ma.fields.Boolean(
        metadata={"description": "false for a person whose details were erased: only the district is given"}
    )
    name = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True, metadata={"description": "E.164"})
    postcode = ma.fields.String(allow_none=True)
    outcode = ma.fields.String()
    address = ma.fields.String(allow_none=True)
    date_of_birth = ma.fields.Date(allow_none=True)
    area = ma.fields.String(allow_none=True)
    erased = ma.fields.Boolean()
    matched = ma.fields.List(
        ma.fields.String(),
        metadata={"description": "why: referral, phone, postcode, district, date of birth, name"},
    )
    name_score = ma.fields.Float(allow_none=True, metadata={"description": "0-100, how alike the name is"})
    referral_count = ma.fields.Integer(
        metadata={"description": "their referrals you see with their details (as GET /referrals/{id})"}
    )
    latest_referral = ma.fields.Method("_latest", metadata={"type": "object", "nullable": True})

    def _latest(self, person):
        return LatestReferralSchema().dump(person) if person.last_referral_id is not None else None


class SearchResultSchema(ma.Schema):
    query = ma.fields.Function(lambda result: result.terms.text)
    looked_for = ma.fields.Function(
        lambda result: result.terms.described(),
        metadata={"type": "array", "items": {"type": "string"}, "description": "what the text was read as"},
    )
    not_understood = ma.fields.Function(
        lambda result: list(result.terms.ignored), metadata={"type": "array", "items": {"type": "string"}}
    )
    results = ma.fields.List(ma.fields.Nested(FoundPersonSchema), attribute="people")
    more = ma.fields.Boolean(metadata={"description": "more people matched than `limit`"})


@blp.get("/search")
@roles("helpline_staff", "hub_coordinator", "safety_net_officer", "partner_referrer", "admin")
@blp.doc(security=BEARER_SECURITY)
@blp.arguments(SearchQuerySchema, location="query")
@blp.response(200, SearchResultSchema)
def search(query):
    """Find a person by name (fuzzy), phone, postcode, date of birth or referral reference, best first. Only
    the people the access rule lets you find (docs/access.md: helpline staff and admins anyone, a safety-net
    officer their council's people, a partner referrer the people they referred, a coordinator the people of
    referrals their organisation has accepted and may hold details of); the same answer as the web's
    /search. Every person shown is a read of their details, audited."""
    return search_people(get_session(), current_principal(), query["q"], query["limit"], door="api search")
