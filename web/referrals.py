"""One referral: its status, owner, current offer, triage and timeline, the actions the viewer may take, and
(for safety-net officers and admins) the full audit trail."""

from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from accounts.tokens import Principal
from db.base import utcnow
from directory.models import Organisation
from referrals.actions import OWNER_ONLY, WHO_MAY, Action, perform
from referrals.audit import events_for_referral
from referrals.errors import Conflict, DomainValidationError
from referrals.lifecycle import LEGAL_ACTIONS, State
from referrals.queries import (
    RedactedResident,
    ReferralDetail,
    describe,
    get_referral_for,
    readable_timeline,
    sees_personal_details,
)
from web.auth import current_principal, roles
from web.blueprint import blp, db, services
from web.call_form import FLAG_LABELS
from web.lookups import actor_words, area_names, need_labels, organisation_names

VIEW_ROLES = ("helpline_staff", "hub_coordinator", "safety_net_officer", "admin")
AUDIT_ROLES = ("safety_net_officer", "admin")
OUTCOMES = {
    "help_given": "Help given",
    "shopping_delivered": "Shopping delivered",
    "prescription_collected": "Prescription collected and delivered",
    "food_parcel_delivered": "Food parcel delivered",
    "call_made": "Check-in call made",
    "advice_given": "Advice given",
    "referred_elsewhere": "Referred to another service",
    "no_longer_needed": "No longer needed",
    "could_not_contact": "Could not contact the resident",
}


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
        ActionForm("complete", "Complete", ("outcome_code", "note")),
        ActionForm("record_occurrence", "Record this visit or call", ("outcome_code", "note")),
        ActionForm("transfer", "Transfer", ("to_org_id", "reason"), "Why are you transferring it?"),
        ActionForm("escalate", "Escalate to the safety net", ("reason",), "Why does it need escalating?"),
        ActionForm("cancel", "Cancel the referral", ("reason",), "Why is it no longer needed?", warning=True),
        ActionForm("close", "Close", ("outcome_code", "note")),
    )
}
ACTION_FIELDS = ("reason", "outcome_code", "note", "to_org_id")
DONE_MESSAGES = {
    "accept": "Accepted: the resident's details are shown below.",
    "decline": "Declined: the referral has moved on.",
    "start": "Started.",
    "complete": "Completed.",
    "record_occurrence": "Recorded.",
    "transfer": "Transferred.",
    "escalate": "Escalated to the council safety net.",
    "cancel": "Cancelled.",
    "close": "Closed.",
}


def acting_org(detail: ReferralDetail, principal: Principal) -> int | None:
    if principal.role == "safety_net_officer":
        return principal.org_id or detail.safety_net_org_id
    return principal.org_id


def available_actions(detail: ReferralDetail, principal: Principal) -> list[ActionForm]:
    """What the viewer may do now: legal in this state, allowed to the role, and theirs to do."""
    legal = LEGAL_ACTIONS[State(detail.status)]
    org = acting_org(detail, principal)
    offer_org = detail.current_offer.org_id if detail.current_offer else None
    pending = [o for o in detail.occurrences or [] if o.get("outcome_code") is None]
    chosen = []
    for name, form in ACTION_FORMS.items():
        if name not in legal or principal.role not in WHO_MAY[name]:
            continue
        if name == "accept":
            takers = (
                {offer_org}
                if offer_org is not None
                else {detail.escalated_to_org_id, detail.safety_net_org_id}
            )
            if org not in takers:
                continue
        if name == "decline" and (offer_org is None or org != offer_org):
            continue
        owner_only = (
            OWNER_ONLY if principal.role == "hub_coordinator" else OWNER_ONLY - {"escalate", "cancel"}
        )
        if name in owner_only and org != detail.owner_org_id:
            continue
        if (name == "complete" and pending) or (name == "record_occurrence" and not pending):
            continue
        chosen.append(form)
    return chosen


def transfer_choices(detail: ReferralDetail) -> list[tuple[int, str]]:
    rows = db().execute(
        select(Organisation.id, Organisation.name)
        .where(Organisation.area == detail.area, Organisation.active.is_(True))
        .where(Organisation.id != (detail.owner_org_id or 0))
        .order_by(Organisation.name)
    )
    return list(rows.all())


def render_referral(referral_id: int, errors: dict | None = None, values: dict | None = None, status=200):
    session, principal = db(), current_principal()
    detail = describe(session, get_referral_for(session, referral_id, principal), principal)
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
        outcomes=OUTCOMES,
        transfer_choices=transfer_choices(detail) if any(a.name == "transfer" for a in actions) else [],
        next_occurrence=pending[0] if pending else None,
        may_audit=principal.role in AUDIT_ROLES,
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
    if "outcome_code" in form.fields and values["outcome_code"] not in OUTCOMES:
        errors[f"{name}-outcome_code"] = "Choose the outcome"
    if "to_org_id" in form.fields and not values["to_org_id"].isdigit():
        errors[f"{name}-to_org_id"] = "Choose the organisation to transfer to"
    occurrence = request.form.get("occurrence_index", "")
    action = Action(
        name=name,
        reason=values["reason"][:1000],
        outcome_code=values["outcome_code"] if "outcome_code" in form.fields else "",
        note=values["note"][:2000],
        to_org_id=int(values["to_org_id"]) if values["to_org_id"].isdigit() else None,
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
        return render_referral(referral_id, {f"{name}-{exc.field}": _sentence(exc.message)}, values, 422)
    except Conflict as exc:
        session.rollback()
        message = f"This could not be done: {exc}. The page now shows the referral as it is."
        return render_referral(referral_id, {"form": message}, values, 409)
    flash(DONE_MESSAGES[name], "success")
    return redirect(url_for("web.referral", referral_id=referral_id))


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


@blp.get("/referrals/<int:referral_id>/audit")
@roles(*AUDIT_ROLES)
def referral_audit(referral_id: int):
    session, principal = db(), current_principal()
    row = get_referral_for(session, referral_id, principal)
    events = events_for_referral(session, row.id)
    readable = readable_timeline(session, row.resident_id, events, sees_personal_details(row, principal))
    return render_template(
        "audit.html",
        referral=row,
        events=events,
        readable={event.seq: shown for event, shown in zip(events, readable, strict=True)},
        names=organisation_names(event.actor_org_id for event in events),
        actor_words=actor_words,
    )
