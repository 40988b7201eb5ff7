from flask import current_app
from flask.views import MethodView

from api.auth import BEARER_SECURITY, current_principal, roles
from api.blueprints import api_blueprint
from api.db import get_session
from api.schemas import ReferralCreatedSchema, ReferralInSchema, ReferralOutSchema, RetriageInSchema
from referrals.intake import CallLog, IntakeContext, ResidentDetails, log_call
from referrals.queries import get_referral_for
from referrals.triaging import Retriage, retriage

blp = api_blueprint("referrals", __name__, url_prefix="/api/v1/referrals", description="The single route in")
INTAKE_ROLES = ("helpline_staff", "partner_referrer", "safety_net_officer", "admin")
READ_ROLES = ("helpline_staff", "partner_referrer", "safety_net_officer", "hub_coordinator", "admin")
TRIAGE_ROLES = ("helpline_staff", "safety_net_officer", "hub_coordinator", "admin")


class WithDuplicates:
    """The created referral, read through, plus the possible duplicates found at intake."""

    def __init__(self, referral, possible_duplicates):
        self._referral = referral
        self.possible_duplicates = possible_duplicates

    def __getattr__(self, name):
        return getattr(self._referral, name)


def intake_context() -> IntakeContext:
    services = current_app.extensions["oneroute"]
    return IntakeContext(geocoder=services.geocoder, areas=services.areas, rules=services.rules)


@blp.route("")
class Referrals(MethodView):
    @roles(*INTAKE_ROLES)
    @blp.doc(security=BEARER_SECURITY)
    @blp.arguments(ReferralInSchema)
    @blp.response(201, ReferralCreatedSchema)
    def post(self, data):
        """Log a call: store the resident and the triaged referral in one transaction."""
        call = CallLog(
            channel=data["channel"],
            resident=ResidentDetails(**data["resident"]),
            notes=data["notes"],
            needs=data["needs"],
            consent_to_share=data["consent_to_share"],
            resident_id=data["resident_id"],
        )
        result = log_call(get_session(), call, current_principal(), intake_context())
        return WithDuplicates(result.referral, result.possible_duplicates)


@blp.route("/<int:referral_id>")
class ReferralById(MethodView):
    @roles(*READ_ROLES)
    @blp.doc(security=BEARER_SECURITY)
    @blp.response(200, ReferralOutSchema)
    def get(self, referral_id: int):
        """Read one referral."""
        return get_referral_for(get_session(), referral_id, current_principal())


@blp.route("/<int:referral_id>/triage")
class ReferralTriage(MethodView):
    @roles(*TRIAGE_ROLES)
    @blp.doc(security=BEARER_SECURITY)
    @blp.arguments(RetriageInSchema)
    @blp.response(200, ReferralOutSchema)
    def post(self, data, referral_id: int):
        """Triage again (with extra notes) or override: anyone may raise a tier; lowering a safeguarding
        referral or clearing its flag needs a safety-net officer and a reason."""
        session, principal = get_session(), current_principal()
        referral = get_referral_for(session, referral_id, principal)
        rules = current_app.extensions["oneroute"].rules
        return retriage(session, referral, Retriage(**data), principal, rules)
