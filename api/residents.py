import marshmallow as ma
from flask import current_app

from api.auth import BEARER_SECURITY, current_principal, roles
from api.blueprints import api_blueprint
from api.db import get_session
from api.idempotency import idempotent
from api.schemas import ReasonInSchema
from referrals.erasure import erase_resident

blp = api_blueprint(
    "residents", __name__, url_prefix="/api/v1/residents", description="People and their data"
)


class ErasedSchema(ma.Schema):
    id = ma.fields.Integer()
    erased_at = ma.fields.DateTime()


@blp.post("/<int:resident_id>/erase")
@roles("admin", "safety_net_officer")
@idempotent
@blp.doc(security=BEARER_SECURITY)
@blp.arguments(ReasonInSchema)
@blp.response(200, ErasedSchema)
def erase(data, resident_id: int):
    """Erase a person's data on request (with a reason): open referrals are cancelled, the audit chain stays
    verifiable, and the personal details sealed in it can no longer be read."""
    policy = current_app.extensions["oneroute"].lifecycle_policy
    return erase_resident(get_session(), resident_id, current_principal(), data["reason"], policy)
