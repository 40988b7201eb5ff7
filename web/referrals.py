"""One referral: its status, owner, current offer, triage and timeline, the actions the viewer may take, and
(for safety-net officers and admins) the full audit trail."""

import re
from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, url_for

from accounts.tokens import Principal
from db.base import utcnow
from referrals import access, passing_on
from referrals.actions import Action, perform, record_consent
from referrals.errors import Conflict, DomainValidationError, NotFound
from referrals.reading import (
    RedactedResident,
    ReferralDetail,
    get_referral_for,
    organisation_facts,
    shown_to,
)
from web.auth import HOME_BY_ROLE, current_principal, roles
from web.blueprint import blp, db, services
from web.call_form import FLAG_LABELS
from web.lookups import actor_words, area_names, need_labels, organisation_names

VIEW_ROLES = ("helpline_staff", "hub_coordinator", "safety_net_officer", "admin")
AUDIT_ROLES = ("safety_net_officer", "admin")


def outcome_labels() -> dict[str, str]:
    """Every outcome code (the service's own and older names included) → its words, for showing them."""
    outcomes = services().outcomes
    return {code: outcomes.label(code) for code in [*outcomes.by_code, *outcomes.aliases]}


def outcome_choices() -> list[tuple[str, str]]:
    """The outcomes a person may record, in config/outcomes.yaml's order."""
    return [(outcome.code, outcome.label) for outcome in services().outcomes.choices]


@dataclass(frozen=True)
class ActionForm:
    name: str
    button: str
    fields: tuple[str, ...] = ()
    reason_label: str = ""
    warning: bool = False


ACTION_FORMS = {
    form.name: form
    for form in (
        ActionForm("accept", "Accept this referral"),
        ActionForm("decline", "Decline", ("reason",), "Why are you declining?", warning=True),
        ActionForm("start", "Start the work"),
        ActionForm("complete", "Complete", ("outcome_codes", "note")),
        ActionForm("record_occurrence", "Record this visit or call", ("outcome_code", "note")),
        ActionForm("transfer", "Transfer", ("to_org_id", "reason"), "Why are you transferring it?"),
        ActionForm("pass_on", "Pass it on to a volunteer or group", ("pass_to", "note")),
        ActionForm("escalate", "Escalate to the safety net", ("reason",), "Why does it need escalating?"),
        ActionForm("cancel", "Cancel the referral", ("reason",), "Why is it no longer needed?", warning=True),
        ActionForm("close", "Close", ("outcome_codes", "note")),
    )
}
ACTION_FIELDS = ("reason", "outcome_code", "note", "to_org_id", "pass_to")
PASS_TO = re.compile(r"^(volunteer|group):(\d+)$")
DONE_MESSAGES = {
    "accept": "Accepted: the resident's details are shown below.",
    "decline": "Declined: the referral has moved on.",
    "start": "Started.",
    "complete": "Completed.",
    "record_occurrence": "Recorded.",
    "transfer": "Transfer offered: the referral stays with you until they accept it.",
    "pass_on": "Passed on: they are texted the offer. It stays yours, and comes back to you if they say no "
    "or do not answer in time.",
    "escalate": "Escalated to the council safety net.",
    "cancel": "Cancelled.",
    "close": "Closed.",
}


def available_actions(detail: ReferralDetail, principal: Principal) -> list[ActionForm]:
    """The buttons are the access rule's allowed actions: the same answer the API and its POSTs give."""
    allowed = access.allowed_actions(principal, detail, detail.current_offer)
    return [ACTION_FORMS[name] for name in allowed]


def transfer_choices(detail: ReferralDetail) -> list[tuple[int, str]]:
    """The organisations the access rule lets this referral be transferred to."""
    candidates = organisation_facts(db(), area=detail.area)
    return [(org.id, org.name) for org in access.transfer_targets(detail, candidates)]


def pass_on_choices(detail: ReferralDetail) -> list[tuple[str, str]]:
    """The volunteers and groups the access rule lets the holder pass this referral's work on to."""
    allowed = passing_on.pass_on_choices(
        db(), detail._referral, services().lifecycle_policy.matching_policy, utcnow()
    )
    return [(target.key, _target_words(target)) for target in allowed]


def _target_words(target) -> str:
    if target.volunteer_id is None:
        return f"{target.name} (mutual-aid group)"
    return f"{target.name} (volunteer{', ' + target.detail if target.detail else ''})"


def render_referral(referral_id: int, errors: dict | None = None, values: dict | None = None, status=200):
    session, principal = db(), current_principal()
    detail = shown_to(session, get_referral_for(session, referral_id, principal), principal, "web")
    actions = available_actions(detail, principal)
    offer = detail.current_offer
    names = organisation_names(
        [detail.owner_org_id, detail.safety_net_org_id, detail.escalated_to_org_id, offer and offer.org_id]
        + [event.actor_org_id for event in detail.timeline]
    )
    pending = [o for o in detail.occurrences or [] if o.get("outcome_code") is None]
    page = render_template(
        "referral.html",
        referral=detail,
        offer=offer,
        offer_seconds_left=int((offer.expires_at - utcnow()).total_seconds()) if offer else None,
        names=names,
        needs=need_labels(),
        areas=area_names(),
        flag_labels=FLAG_LABELS,
        redacted=isinstance(detail.resident, RedactedResident),
        actions=actions,
        outcomes=outcome_labels(),
        outcome_choices=outcome_choices(),
        transfer_choices=transfer_choices(detail) if any(a.name == "transfer" for a in actions) else [],
        pass_on_choices=pass_on_choices(detail) if any(a.name == "pass_on" for a in actions) else [],
        doing=passing_on.who_is_doing(session, [detail._referral])[detail.id],
        next_occurrence=pending[0] if pending else None,
        may_audit=principal.role in AUDIT_ROLES,
        may_record_consent=access.consent_refusal(principal, detail, offer) is None,
        actor_words=actor_words,
        errors=errors or {},
        values=values or {},
    )
    return page, status


@blp.get("/referrals/<int:referral_id>")
@roles(*VIEW_ROLES)
def referral(referral_id: int):
    return render_referral(referral_id)


def _read_action(name: str) -> tuple[Action, dict, dict[str, str]]:
    form = ACTION_FORMS[name]
    values = {key: request.form.get(f"{name}-{key}", "").strip() for key in ACTION_FIELDS}
    errors: dict[str, str] = {}
    if "reason" in form.fields and not values["reason"]:
        errors[f"{name}-reason"] = f"Enter the reason: {form.reason_label[:1].lower()}{form.reason_label[1:]}"
    chosen = tuple(dict.fromkeys(request.form.getlist(f"{name}-outcome_codes")))
    values["outcome_codes"] = chosen
    if "outcome_codes" in form.fields and (problem := services().outcomes.problem(chosen)):
        errors[f"{name}-outcome_codes"] = "Choose what came of it: " + problem.replace("choose ", "")
    if "outcome_code" in form.fields and services().outcomes.problem([values["outcome_code"]]):
        errors[f"{name}-outcome_code"] = "Choose the outcome"
    if "to_org_id" in form.fields and not values["to_org_id"].isdigit():
        errors[f"{name}-to_org_id"] = "Choose the organisation to transfer to"
    pass_to = PASS_TO.match(values["pass_to"]) if "pass_to" in form.fields else None
    if "pass_to" in form.fields and pass_to is None:
        errors[f"{name}-pass_to"] = "Choose the volunteer or group to pass it on to"
    occurrence = request.form.get("occurrence_index", "")
    action = Action(
        name=name,
        reason=values["note" if name == "pass_on" else "reason"][:1000],  # a pass-on's note is its reason
        outcome_code=values["outcome_code"] if "outcome_code" in form.fields else "",
        outcome_codes=chosen if "outcome_codes" in form.fields else (),
        note=values["note"][:2000],
        to_org_id=int(values["to_org_id"]) if values["to_org_id"].isdigit() else None,
        volunteer_id=int(pass_to[2]) if pass_to and pass_to[1] == "volunteer" else None,
        org_id=int(pass_to[2]) if pass_to and pass_to[1] == "group" else None,
        occurrence_index=int(occurrence) if occurrence.isdigit() else None,
    )
    return action, {name: values}, errors


@blp.post("/referrals/<int:referral_id>/actions/<name>")
@roles("helpline_staff", "hub_coordinator", "safety_net_officer")
def act(referral_id: int, name: str):
    if name not in ACTION_FORMS:
        abort(404)
    action, values, errors = _read_action(name)
    if errors:
        return render_referral(referral_id, errors, values, 422)
    session = db()
    try:
        perform(session, referral_id, action, current_principal(), services().lifecycle_policy)
    except DomainValidationError as exc:
        session.rollback()
        field = "pass_to" if name == "pass_on" else exc.field  # the form names the volunteer or group in one
        return render_referral(referral_id, {f"{name}-{field}": _sentence(exc.message)}, values, 422)
    except Conflict as exc:
        session.rollback()
        message = f"This could not be done: {exc}. The page now shows the referral as it is."
        return render_referral(referral_id, {"form": message}, values, 409)
    flash(DONE_MESSAGES[name], "success")
    return _land(session, referral_id)


@blp.post("/referrals/<int:referral_id>/consent")
@roles(*sorted(access.CONSENT_ROLES))
def record_consent_page(referral_id: int):
    """The person rang back to give or withdraw consent to share their details."""
    reason = request.form.get("consent-reason", "").strip()[:1000]
    consent = request.form.get("consent_to_share") == "yes"
    values = {"consent": {"reason": reason}}
    if not reason:
        return render_referral(referral_id, {"consent-reason": "Enter what the person said"}, values, 422)
    session = db()
    try:
        record_consent(
            session, referral_id, consent, reason, current_principal(), services().lifecycle_policy
        )
    except Conflict as exc:
        session.rollback()
        return render_referral(referral_id, {"form": f"This could not be done: {exc}."}, values, 409)
    flash(
        "Consent recorded." if consent else "Consent withdrawn: only the council's teams see their details.",
        "success",
    )
    return _land(session, referral_id)


def _land(session, referral_id: int):
    """Every action ends on a page the user may see: the referral, or their own start page."""
    session.rollback()  # see the action's result
    try:
        get_referral_for(session, referral_id, current_principal())
    except NotFound:
        return redirect(url_for(HOME_BY_ROLE[current_principal().role]))
    return redirect(url_for("web.referral", referral_id=referral_id))


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
