"""Helpline staff log a call: the form, its live postcode check and triage preview, the duplicate check."""

import uuid

from flask import flash, redirect, render_template, request, session, url_for
from sqlalchemy import select

from db.base import utcnow
from referrals.duplicates import PersonRecord
from referrals.errors import DomainValidationError, NotFound
from referrals.intake import IntakeContext, locate, log_call
from referrals.models import Resident
from referrals.reading import duplicates_shown, record_people_shown
from referrals.residents import possible_duplicates
from referrals.triaging import decide
from triage import Rules, TriageDecision
from web.auth import current_principal, json_view, roles
from web.blueprint import blp, db, services
from web.call_form import (
    CHANNEL_LABELS,
    FLAG_LABELS,
    NEW_PERSON,
    CallForm,
    empty_form,
    field_for,
    read_call_form,
    resident_details,
    to_call_log,
)

INTAKE_ROLES = ("helpline_staff", "safety_net_officer", "admin")
REMEMBERED_FORMS = 5


def intake_context() -> IntakeContext:
    found = services()
    return IntakeContext(geocoder=found.geocoder, areas=found.areas, rules=found.rules, routing=found.routing)


def need_options(rules: Rules) -> list[tuple[str, str]]:
    return [(code, need.detector.label) for code, need in rules.needs.items()]


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def preview_of(decision: TriageDecision, rules: Rules) -> dict:
    labels = dict(need_options(rules))
    return {
        "tier": decision.tier,
        "urgency": decision.urgency,
        "safeguarding": decision.safeguarding,
        "needs": [{"code": code, "label": labels.get(code, code)} for code in decision.needs],
        "reasons": [
            {"conclusion": r.conclusion, "evidence": r.evidence, "detail": r.detail} for r in decision.reasons
        ],
    }


def triage_preview(call: CallForm) -> dict | None:
    values = call.values
    if not values["notes"] and not values["needs"]:
        return None
    rules = services().rules
    details = resident_details(call)
    try:
        decision = decide(
            values["notes"], values["needs"], details.flags, details.date_of_birth, rules, utcnow().date()
        )
    except DomainValidationError:
        return None
    return preview_of(decision, rules)


def known_people(call: CallForm) -> list[dict]:
    """People already on record who may be this caller, with enough to tell them apart on the phone."""
    details = resident_details(call)
    if not details.name:
        return []
    record = PersonRecord(
        id=None,
        name=details.name,
        phone=details.phone or None,
        postcode=details.postcode or None,
        address=details.address or None,
        date_of_birth=details.date_of_birth,
    )
    principal = current_principal()
    shown = duplicates_shown(db(), principal, possible_duplicates(db(), record))
    ids = [match.resident_id for match in shown]
    found = db().scalars(select(Resident).where(Resident.id.in_(ids))) if ids else []
    people = {row.id: row for row in found}
    record_people_shown(db(), [match.resident_id for match in shown], principal, "call form: known people")
    return [_person(people[match.resident_id], match.matched_fields, match.score) for match in shown]


def _person(resident: Resident, matched: tuple[str, ...], score: float) -> dict:
    return {
        "resident_id": resident.id,
        "name": resident.name,
        "postcode": resident.postcode,
        "address": resident.address,
        "date_of_birth": resident.date_of_birth.isoformat() if resident.date_of_birth else None,
        "phone_ending": resident.phone[-4:] if resident.phone else "",
        "matched": [name.replace("_", " ") for name in matched],
        "score": round(score),
    }


def render_call(call: CallForm, status: int = 200, preview: dict | None = None, people=None):
    rules = services().rules
    return (
        render_template(
            "call_form.html",
            values=call.values,
            errors=call.errors,
            preview=preview,
            people=people or [],
            need_options=need_options(rules),
            flag_labels=FLAG_LABELS,
            channel_labels=CHANNEL_LABELS,
            new_person=NEW_PERSON,
        ),
        status,
    )


@blp.route("/calls/new", methods=["GET", "POST"])
@roles(*INTAKE_ROLES)
def new_call():
    if request.method == "GET":
        call = empty_form()
        call.values["form_id"] = uuid.uuid4().hex
        return render_call(call)
    call = read_call_form(request.form, services().rules.need_codes)
    if "check" in request.form:
        call.errors.clear()
        return render_call(call, preview=triage_preview(call), people=known_people(call))
    if not call.valid:
        return render_call(call, 422, preview=triage_preview(call))
    saved = session.get("saved_calls", {}).get(call.values["form_id"])
    if saved:
        return redirect(url_for("web.referral", referral_id=saved))
    people = [] if call.person_decided else known_people(call)
    if people:
        call.errors["resident_choice"] = (
            "The caller may already be known: choose who they are, or a new person"
        )
        return render_call(call, 422, preview=triage_preview(call), people=people)
    try:
        result = log_call(db(), to_call_log(call), current_principal(), intake_context())
    except DomainValidationError as exc:
        db().rollback()
        call.errors[field_for(exc.field)] = sentence(exc.message)
        return render_call(call, 422, preview=triage_preview(call))
    except NotFound:
        db().rollback()
        call.errors["resident_choice"] = "That person is no longer on record: choose again"
        return render_call(call, 422, preview=triage_preview(call), people=known_people(call))
    _remember(call.values["form_id"], result.referral.id)
    flash(f"Call saved as referral {result.referral.id}.", "success")
    return redirect(url_for("web.referral", referral_id=result.referral.id))


def _remember(form_id: str, referral_id: int) -> None:
    """Pressing Save twice (or reloading) shows the referral already made, not a second one."""
    if not form_id:
        return
    saved = dict(session.get("saved_calls", {}))
    saved[form_id] = referral_id
    session["saved_calls"] = dict(list(saved.items())[-REMEMBERED_FORMS:])


@blp.get("/calls/postcode")
@roles(*INTAKE_ROLES)
@json_view
def check_postcode():
    text = request.args.get("postcode", "").strip()[:16]
    if not text:
        return {"ok": False, "message": "Enter the caller's postcode"}
    try:
        normalised, location, area = locate(text, intake_context())
    except DomainValidationError as exc:
        return {"ok": False, "message": sentence(exc.message)}
    precision = (
        "postcode found"
        if location.precision == "postcode"
        else "district only: the full postcode is not on file"
    )
    area_name = services().areas.by_code[area].name
    return {
        "ok": True,
        "postcode": normalised,
        "area": area_name,
        "message": f"{normalised}, {area_name} ({precision})",
    }


@blp.post("/calls/preview")
@roles(*INTAKE_ROLES)
@json_view
def preview_call():
    call = read_call_form(request.form, services().rules.need_codes)
    return {"triage": triage_preview(call), "people": known_people(call)}
