from flask import current_app
from flask.views import MethodView

from api.auth import BEARER_SECURITY, current_principal, roles
from api.blueprints import api_blueprint
from api.db import get_session
from api.schemas import ReferralInSchema, ReferralOutSchema
from referrals.intake import CallLog, IntakeContext, ResidentDetails, log_call
from referrals.queries import get_referral_for

blp = api_blueprint("referrals", __name__, url_prefix="/api/v1/referrals", description="The single route in")
INTAKE_ROLES = ("helpline_staff", "partner_referrer", "safety_net_officer", "admin")
READ_ROLES = ("helpline_staff", "partner_referrer", "safety_net_officer", "hub_coordinator", "admin")


def intake_context() -> IntakeContext:
    services = current_app.extensions["oneroute"]
    return IntakeContext(geocoder=services.geocoder, areas=services.areas)


@blp.route("")
class Referrals(MethodView):
    @roles(*INTAKE_ROLES)
    @blp.doc(security=BEARER_SECURITY)
    @blp.arguments(ReferralInSchema)
    @blp.response(201, ReferralOutSchema)
    def post(self, data):
        """Log a call: store the resident and the referral in one transaction."""
        call = CallLog(
            channel=data["channel"],
            resident=ResidentDetails(**data["resident"]),
            notes=data["notes"],
            needs=data["needs"],
            consent_to_share=data["consent_to_share"],
            resident_id=data["resident_id"],
        )
        return log_call(get_session(), call, current_principal(), intake_context())


@blp.route("/<int:referral_id>")
class ReferralById(MethodView):
    @roles(*READ_ROLES)
    @blp.doc(security=BEARER_SECURITY)
    @blp.response(200, ReferralOutSchema)
    def get(self, referral_id: int):
        """Read one referral."""
        return get_referral_for(get_session(), referral_id, current_principal())
