from flask import current_app

from api.auth import BEARER_SECURITY, current_principal, roles
from api.blueprints import api_blueprint
from api.db import get_session
from api.schemas import PreviewInSchema, PreviewOutSchema
from db.base import utcnow
from referrals.duplicates import PersonRecord
from referrals.reading import duplicates_shown
from referrals.residents import possible_duplicates
from referrals.triaging import decide

blp = api_blueprint("triage", __name__, url_prefix="/api/v1/triage", description="Live triage feedback")


@blp.post("/preview")
@roles("helpline_staff", "safety_net_officer", "admin")
@blp.doc(security=BEARER_SECURITY)
@blp.arguments(PreviewInSchema)
@blp.response(200, PreviewOutSchema)
def preview(data):
    """Triage what has been typed so far, and look for the same person, without storing anything."""
    resident = data["resident"]
    rules = current_app.extensions["oneroute"].rules
    decision = decide(
        data["notes"],
        data["needs"],
        resident.get("flags", {}),
        resident.get("date_of_birth"),
        rules,
        utcnow().date(),
    )
    body = decision.to_dict()
    body["possible_duplicates"] = []
    if resident.get("name"):
        person = PersonRecord(
            id=None,
            name=resident["name"],
            phone=resident.get("phone") or None,
            postcode=resident.get("postcode") or None,
            address=resident.get("address") or None,
            date_of_birth=resident.get("date_of_birth"),
        )
        body["possible_duplicates"] = [
            {
                "resident_id": m.resident_id,
                "score": m.score,
                "matched_fields": list(m.matched_fields),
                "field_scores": dict(m.field_scores),
            }
            for m in duplicates_shown(
                get_session(), current_principal(), possible_duplicates(get_session(), person)
            )
        ]
    return body
