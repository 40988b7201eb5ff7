from dataclasses import asdict

from flask import current_app
from flask.views import MethodView

from api.auth import BEARER_SECURITY, current_principal, roles
from api.blueprints import api_blueprint, body_optional
from api.db import get_session
from api.errors import problem
from api.idempotency import idempotent
from api.schemas import (
    CandidateOutSchema,
    ConsentInSchema,
    DuplicateSchema,
    NoBodySchema,
    OccurrenceOutcomeInSchema,
    OutcomeChoiceSchema,
    OutcomeInSchema,
    PassOnInSchema,
    PassOnTargetSchema,
    ReasonInSchema,
    ReferralCreatedSchema,
    ReferralInSchema,
    ReferralOutSchema,
    RepeatCallerInSchema,
    RetriageInSchema,
    TransferInSchema,
)
from db.base import utcnow
from geo.geocoder import on_session
from referrals import access, passing_on
from referrals.access import WHO_MAY
from referrals.actions import Action, perform, raise_for, record_consent
from referrals.contact import ContactDetails
from referrals.intake import CallLog, IntakeContext, PossibleRepeatCaller, ResidentDetails, log_call
from referrals.persistence import pending_offer
from referrals.reading import describe, duplicates_shown, get_referral_for, record_people_shown, shown_to
from referrals.repeat_callers import settle
from referrals.tier_checks import check_lowered_tier
from referrals.triaging import Retriage, retriage

blp = api_blueprint("referrals", __name__, url_prefix="/api/v1/referrals", description="The single route in")
INTAKE_ROLES = ("helpline_staff", "partner_referrer", "safety_net_officer", "admin")
READ_ROLES = ("helpline_staff", "partner_referrer", "safety_net_officer", "hub_coordinator", "admin")
PARTNER_DUPLICATE_CHECK = "The helpline will check whether this person is already known."
# One instance for every call: given the class, webargs builds it (and its nested schemas) per request.
REFERRAL_IN = ReferralInSchema()


def services():
    return current_app.extensions["oneroute"]


def intake_context() -> IntakeContext:
    """The postcode is looked up through the request's session (its connection, inside its transaction)."""
    found = services()
    return IntakeContext(
        geocoder=on_session(found.geocoder, get_session()),
        areas=found.areas,
        rules=found.rules,
        routing=found.routing,
    )


@blp.route("")
class Referrals(MethodView):
    @roles(*INTAKE_ROLES)
    @idempotent
    @blp.doc(security=BEARER_SECURITY)
    @blp.arguments(REFERRAL_IN)
    @blp.response(201, ReferralCreatedSchema)
    def post(self, data):
        """Log a call: the resident and the referral, triaged, matched and offered, in one transaction."""
        resident = dict(data["resident"])
        resident["contact"] = ContactDetails(**resident.get("contact", {}))
        call = CallLog(
            channel=data["channel"],
            resident=ResidentDetails(**resident),
            notes=data["notes"],
            summary=data["summary"],
            needs=data["needs"],
            consent_to_share=data["consent_to_share"],
            resident_id=data["resident_id"],
            recurrence=data["recurrence"],
            no_contact_reason=data["no_contact_reason"],
            new_person=data["new_person"],
        )
        session, principal = get_session(), current_principal()
        result = log_call(session, call, principal, intake_context())
        partner = not access.sees_duplicate_candidates(principal)
        return describe(
            session,
            result.referral,
            principal,
            known=(result.current_offer, result.timeline),
            possible_duplicates=duplicates_shown(session, principal, result.possible_duplicates),
            duplicate_check=PARTNER_DUPLICATE_CHECK if partner else None,
        )


@blp.errorhandler(PossibleRepeatCaller)
def _possible_repeat_caller(error: PossibleRepeatCaller):
    """Nothing was saved: the caller is asked who the person is. The candidates are only those the caller may
    attach a call to (never shown to partner referrers, whose calls are not held); showing them is a read."""
    session, principal = get_session(), current_principal()
    session.rollback()
    record_people_shown(
        session, [match.resident_id for match in error.matches], principal, "intake: possible repeat caller"
    )
    return problem(
        409,
        "Conflict",
        str(error),
        code="possible_repeat_caller",
        possible_duplicates=DuplicateSchema(many=True).dump(error.matches),
    )


@blp.route("/outcomes")
class OutcomeChoices(MethodView):
    @roles(*READ_ROLES)
    @blp.doc(security=BEARER_SECURITY)
    @blp.response(200, OutcomeChoiceSchema(many=True))
    def get(self):
        """The outcomes that may be recorded when completing or closing a referral (config/outcomes.yaml)."""
        return [asdict(outcome) for outcome in services().outcomes.choices]


@blp.route("/<int:referral_id>")
class ReferralById(MethodView):
    @roles(*READ_ROLES)
    @blp.doc(security=BEARER_SECURITY)
    @blp.response(200, ReferralOutSchema)
    def get(self, referral_id: int):
        """Read one referral: status, owner, current offer and timeline."""
        session, principal = get_session(), current_principal()
        return shown_to(session, get_referral_for(session, referral_id, principal), principal, "api")


@blp.route("/<int:referral_id>/pass-on-targets")
class ReferralPassOnTargets(MethodView):
    @roles(*sorted(WHO_MAY["pass_on"]))
    @blp.doc(security=BEARER_SECURITY)
    @blp.response(200, PassOnTargetSchema(many=True))
    def get(self, referral_id: int):
        """Whom you may pass this referral's work on to now, as the referral page lists them: your volunteers
        who fit the task (best fit first), then the mutual-aid groups you work with. 403/404/409 as for
        POST …/pass-on, by the same access rule."""
        session, principal = get_session(), current_principal()
        row = get_referral_for(session, referral_id, principal)
        raise_for(access.refusal(principal, row, pending_offer(session, row.id), "pass_on"), row)
        policy = services().lifecycle_policy.matching_policy
        return passing_on.pass_on_choices(session, row, policy, utcnow())


@blp.route("/<int:referral_id>/candidates")
class ReferralCandidates(MethodView):
    @roles(*sorted(access.CANDIDATE_READERS))
    @blp.doc(security=BEARER_SECURITY)
    @blp.response(200, CandidateOutSchema(many=True))
    def get(self, referral_id: int):
        """The ranked candidates found at routing, each with why it qualified and why it ranks there."""
        return get_referral_for(get_session(), referral_id, current_principal()).candidates


@blp.route("/<int:referral_id>/triage")
class ReferralTriage(MethodView):
    @roles(*sorted(access.TRIAGE_ROLES))
    @idempotent
    @blp.doc(security=BEARER_SECURITY)
    @blp.arguments(RetriageInSchema)
    @blp.response(200, ReferralOutSchema)
    def post(self, data, referral_id: int):
        """Triage again (with extra notes) or override: anyone may raise a tier; who may lower it, in which
        cases, is `config/tier_changes.yaml` (by default a safeguarding, emergency or statutory-need referral
        only a safety-net officer, others helpline staff too: 403 otherwise), and lowering or clearing the
        safeguarding flag (safety-net officers only) needs a reason in words (422 on `reason`)."""
        session, principal = get_session(), current_principal()
        referral = get_referral_for(session, referral_id, principal)
        found = services()
        row = retriage(
            session, referral, Retriage(**data), principal, found.rules, found.routing, found.tier_changes
        )
        return shown_to(session, row, principal, "api")


def _act(referral_id: int, action: Action):
    session, principal = get_session(), current_principal()
    row = perform(session, referral_id, action, principal, services().lifecycle_policy)
    return shown_to(session, row, principal, "api")


def _action_route(name: str, schema, summary: str, path: str | None = None):
    """One action's endpoint; who may take it is the access rule's table (`referrals.access.WHO_MAY`)."""

    @blp.route(f"/<int:referral_id>/{path or name}", endpoint=f"referral_{name}")
    class ActionView(MethodView):
        @roles(*sorted(WHO_MAY[name]))
        @body_optional if schema is NoBodySchema else (lambda view: view)
        @idempotent
        @blp.doc(security=BEARER_SECURITY, summary=summary)
        @blp.arguments(schema, required=schema is not NoBodySchema)
        @blp.response(200, ReferralOutSchema)
        def post(self, data, referral_id: int):
            return _act(referral_id, Action(name=name, **data))

    ActionView.__name__ = f"Referral{name.title().replace('_', '')}"
    return ActionView


_action_route("accept", NoBodySchema, "Accept the offer made to your organisation")
_action_route("decline", ReasonInSchema, "Decline the offer, with a reason; it moves on")
_action_route("start", NoBodySchema, "Start the work you accepted")
_action_route(
    "complete", OutcomeInSchema, "Complete the work with its outcomes (one or several codes) and a note"
)
_action_route("transfer", TransferInSchema, "Hand the referral to another organisation")
_action_route(
    "pass_on",
    PassOnInSchema,
    "Pass the work on to one of your volunteers or a mutual-aid group you work with, keeping the referral",
    path="pass-on",
)
_action_route("cancel", ReasonInSchema, "Cancel: the help is no longer needed")
_action_route("escalate", ReasonInSchema, "Escalate to the council safety net")
_action_route("close", OutcomeInSchema, "Close with its outcomes (one or several codes)")


@blp.route("/<int:referral_id>/consent")
class ReferralConsent(MethodView):
    @roles(*sorted(access.CONSENT_ROLES))
    @idempotent
    @blp.doc(security=BEARER_SECURITY)
    @blp.arguments(ConsentInSchema)
    @blp.response(200, ReferralOutSchema)
    def post(self, data, referral_id: int):
        """The person rang back: record that they give or withdraw consent to share their details, with a
        reason. Withdrawn, an organisation offered or holding the referral that may not hold their details
        without consent loses it, and the safety-net team holds it."""
        session, principal = get_session(), current_principal()
        row = record_consent(
            session,
            referral_id,
            data["consent_to_share"],
            data["reason"],
            principal,
            services().lifecycle_policy,
        )
        return shown_to(session, row, principal, "api")


@blp.route("/<int:referral_id>/repeat-caller")
class ReferralRepeatCaller(MethodView):
    @roles(*sorted(access.CANDIDATE_READERS))
    @idempotent
    @blp.doc(security=BEARER_SECURITY)
    @blp.arguments(RepeatCallerInSchema)
    @blp.response(200, ReferralOutSchema)
    def post(self, data, referral_id: int):
        """Settle a call on the repeat-callers list: `same_as` the known person it is (the call's new record
        is folded into theirs: its referrals move there) or null for someone else."""
        session, principal = get_session(), current_principal()
        row = settle(session, referral_id, principal, data["same_as"])
        return shown_to(session, row, principal, "api")


@blp.route("/<int:referral_id>/tier-check")
class ReferralTierCheck(MethodView):
    @roles(*sorted(access.TIER_CHECK_ROLES))
    @body_optional
    @idempotent
    @blp.doc(security=BEARER_SECURITY)
    @blp.arguments(NoBodySchema, required=False)
    @blp.response(200, ReferralOutSchema)
    def post(self, data, referral_id: int):
        """Let a lowered tier stand: someone other than the person who lowered it has checked it, and the
        referral leaves the safety net's late list (to raise it again, triage it again). 409 when no lowering
        waits for a check."""
        session, principal = get_session(), current_principal()
        row = check_lowered_tier(session, referral_id, principal)
        return shown_to(session, row, principal, "api")


@blp.route("/<int:referral_id>/occurrences/<int:index>")
class ReferralOccurrence(MethodView):
    @roles(*sorted(WHO_MAY["record_occurrence"]))
    @idempotent
    @blp.doc(security=BEARER_SECURITY)
    @blp.arguments(OccurrenceOutcomeInSchema)
    @blp.response(200, ReferralOutSchema)
    def post(self, data, referral_id: int, index: int):
        """Record the outcome of one occurrence of recurring support (the last one completes the referral)."""
        return _act(referral_id, Action(name="record_occurrence", occurrence_index=index, **data))
