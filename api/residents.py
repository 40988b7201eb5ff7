import marshmallow as ma
from flask import current_app
from marshmallow import validate

from api.auth import BEARER_SECURITY, current_principal, roles
from api.blueprints import MAX_ID, api_blueprint
from api.db import get_session
from api.idempotency import idempotent
from api.schemas import ReasonInSchema
from referrals.erasure import MAX_OTHER_RECORDS, erase_resident, erasure_check

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
