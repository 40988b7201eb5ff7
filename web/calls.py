"""Helpline staff log a call: the form, its live postcode check and triage preview, the duplicate check, a
call for someone already known, the page after saving (what to tell the caller), and the session check the
form's script makes so that a session that has ended never costs the call being typed."""

import uuid

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from db.base import utcnow
from directory.areas import Area
from directory.models import Organisation
from referrals.contact import ContactDetails
from referrals.duplicates import PersonRecord
from referrals.email_drafts import complete as complete_email
from referrals.email_drafts import get_draft
from referrals.errors import Conflict, DomainValidationError, NotFound
from referrals.intake import IntakeContext, PossibleRepeatCaller, locate, log_call, may_attach
from referrals.models import Referral, Resident
from referrals.reading import describe, duplicates_shown, get_referral_for, record_people_shown, shown_to
from referrals.residents import current_record, possible_duplicates
from referrals.triaging import decide
from triage import Rules, TriageDecision
from web.auth import current_principal, current_user, json_view, roles
from web.blueprint import blp, db, services
from web.call_form import (
    CHANNEL_LABELS,
    FLAG_LABELS,
    NEW_PERSON,
    SAFE_LABELS,
    CallForm,
    empty_form,
    field_for,
    form_from_email,
    postcode_problem,
    prefilled_form,
    read_call_form,
    resident_details,
    to_call_log,
)
from web.formatting import day, phone, reason_words, tier_words, within
from web.lookups import need_labels

INTAKE_ROLES = ("helpline_staff", "safety_net_officer", "admin")
REMEMBERED_FORMS = 5
MAY_BE_KNOWN = "The caller may already be known: choose who they are, or a new person"


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
        "tier_words": tier_words(decision.tier),
        "urgency": decision.urgency,
        "safeguarding": decision.safeguarding,
        "needs": [{"code": code, "label": labels.get(code, code)} for code in decision.needs],
        "reasons": [
            {"conclusion": r.conclusion, "evidence": r.evidence, "detail": reason_words(r.detail)}
            for r in decision.reasons
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


def preview_summary(preview: dict | None) -> str:
    """What the live region says when the preview changes."""
    if not preview:
        return ""
    extra = ", safeguarding concern" if preview["safeguarding"] else ""
    return f"Triage preview: goes to {preview['tier_words']}, {preview['urgency']}{extra}."


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
    return people_shown(shown)


def people_shown(shown: list) -> list[dict]:
    principal = current_principal()
    ids = [match.resident_id for match in shown]
    found = db().scalars(select(Resident).where(Resident.id.in_(ids))) if ids else []
    people = {row.id: row for row in found}
    record_people_shown(db(), [match.resident_id for match in shown], principal, "call form: known people")
    return [
        _person(people[match.resident_id], match.matched_fields, match.score)
        for match in shown
        if match.resident_id in people
    ]


def _person(resident: Resident, matched: tuple[str, ...], score: float) -> dict:
    return {
        "resident_id": resident.id,
        "name": resident.name,
        "postcode": resident.postcode,
        "address": resident.address,
        "date_of_birth": day(resident.date_of_birth) or None,
        "phone_ending": resident.phone[-4:] if resident.phone else "",
        "matched": [name.replace("_", " ") for name in matched],
        "score": round(score),
    }


def area_guidance(area_code: str | None) -> dict:
    """The council's numbers for the call form's guidance: the caller's area once the postcode is found, or
    the only area a deployment serves."""
    areas = services().areas.by_code
    area: Area | None = areas.get(area_code or "")
    if area is None and len(areas) == 1:
        area = next(iter(areas.values()))
    return {"area": area, "emergency_minutes": within(services().lifecycle_policy.offer_expiry["emergency"])}


def render_call(
    call: CallForm,
    status: int = 200,
    preview: dict | None = None,
    people=None,
    restorable: bool = False,
    unavailable: bool = False,
):
    rules = services().rules
    return (
        render_template(
            "call_form.html",
            values=call.values,
            errors=call.errors,
            date_parts_in_error=call.date_parts_in_error,
            preview=preview,
            people=people or [],
            known_person=None if unavailable else _known_person_shown(call),
            need_options=need_options(rules),
            flag_labels=FLAG_LABELS,
            channel_labels=CHANNEL_LABELS,
            safe_labels=SAFE_LABELS,
            new_person=NEW_PERSON,
            draft_key=f"oneroute.call-draft.{_user_id()}",
            session_started=session_started(),
            restorable=restorable,
            unavailable=unavailable,
            **area_guidance(call.area),
        ),
        status,
    )


def _user_id() -> int | None:
    """The signed-in user's id; from the signed session cookie when the database could not be asked."""
    user = g.get("web_user")
    return user.id if user is not None else session.get("user_id")


def render_call_kept():
    """The call form sent while the database was unavailable (a restart or failover): shown again with
    everything typed, as the browser sent it, and a plain message (503), so the call is never lost. Reads
    nothing from the database. None when this is not a signed-in user's call form."""
    if request.endpoint != "web.new_call" or request.method != "POST" or not isinstance(_user_id(), int):
        return None
    call = read_call_form(request.form, services().rules.need_codes)
    call.errors.clear()
    call.date_parts_in_error = ()
    if call.values.get("person_fixed"):
        call.values["person_fixed"] = ""  # their record cannot be read now; the choice itself is kept
    return render_call(call, 503, unavailable=True)


def _known_person_shown(call: CallForm) -> dict | None:
    """The person a call started from their record is for (`?person=`): named at the top of the form."""
    resident_id = call.attach_to()
    if not call.values.get("person_fixed") or resident_id is None:
        return None
    resident = db().get(Resident, resident_id)
    if resident is None or resident.erased_at is not None:
        return None
    return {"id": resident.id, "name": resident.name, "postcode": resident.postcode}


@blp.route("/calls/new", methods=["GET", "POST"])
@roles(*INTAKE_ROLES)
def new_call():
    if request.method == "GET":
        if request.args.get("email", "").isdigit():
            return _call_from_email(int(request.args["email"]))
        return _start_call(request.args.get("person", ""))
    context = intake_context()
    call = read_call_form(request.form, services().rules.need_codes, context)
    if "check" in request.form:
        call.errors.clear()
        call.date_parts_in_error = ()
        return render_call(call, preview=triage_preview(call), people=_people_unless_fixed(call))
    if not call.valid:
        return render_call(call, 422, preview=triage_preview(call))
    saved = session.get("saved_calls", {}).get(call.values["form_id"])
    if saved:
        return redirect(url_for("web.call_saved", referral_id=saved))
    people = [] if call.person_decided else known_people(call)
    if people:
        call.errors["resident_choice"] = MAY_BE_KNOWN
        return render_call(call, 422, preview=triage_preview(call), people=people)
    try:
        result = log_call(db(), to_call_log(call), current_principal(), context)
    except DomainValidationError as exc:
        db().rollback()
        call.errors[field_for(exc.field)] = sentence(exc.message)
        return render_call(call, 422, preview=triage_preview(call))
    except NotFound:
        db().rollback()
        call.errors["resident_choice"] = "That person is no longer on record: choose again"
        call.values["person_fixed"] = ""
        return render_call(call, 422, preview=triage_preview(call), people=known_people(call))
    except PossibleRepeatCaller as exc:  # intake found people already known that the form had not shown
        db().rollback()
        call.errors["resident_choice"] = MAY_BE_KNOWN
        return render_call(call, 422, preview=triage_preview(call), people=people_shown(exc.matches))
    _remember(call.values["form_id"], result.referral.id)
    if call.values.get("email_draft"):
        _complete_email(int(call.values["email_draft"]), result.referral.id)
    return redirect(url_for("web.call_saved", referral_id=result.referral.id))


def _call_from_email(draft_id: int):
    """The call form filled from an email to the helpline (`/emails`), for staff to complete."""
    draft = get_draft(db(), draft_id, current_principal())
    if draft.status != "draft":
        flash("That email has already been dealt with: this is an empty form.", "info")
        return _start_call("")
    call = form_from_email(draft)
    call.values["form_id"] = uuid.uuid4().hex
    return render_call(call)


def _complete_email(draft_id: int, referral_id: int) -> None:
    """The call is saved (and routed); the email it came from is done. Someone else finishing the same
    email meanwhile leaves both calls saved, and says so."""
    try:
        complete_email(db(), draft_id, referral_id, current_principal())
    except (Conflict, NotFound):
        db().rollback()
        flash("The email this call came from had already been dealt with by someone else.", "info")


def _people_unless_fixed(call: CallForm) -> list[dict]:
    return [] if call.values.get("person_fixed") else known_people(call)


def _start_call(person: str):
    """A new call: empty, or for someone already known (`?person=<id>`, from their page) when the helpline may
    add a call to them; otherwise an empty form that says why."""
    call = empty_form()
    if person:
        resident = current_record(db(), db().get(Resident, int(person))) if person.isdigit() else None
        principal = current_principal()
        if resident is None or resident.erased_at is not None or not may_attach(db(), resident, principal):
            call.errors.clear()
            flash(
                "That person is not on record, or you cannot add a call to them: this is an empty form.",
                "info",
            )
        else:
            call = prefilled_form(resident)
            record_people_shown(db(), [resident.id], principal, "call form: call for a known person")
            call.area = resident.area
    call.values["form_id"] = uuid.uuid4().hex
    return render_call(call, restorable=True)


def _remember(form_id: str, referral_id: int) -> None:
    """Pressing Save twice (or reloading) shows the referral already made, not a second one; and the page
    after saving knows the calls this user has just saved."""
    saved = dict(session.get("saved_calls", {}))
    saved[form_id or f"call-{referral_id}"] = referral_id
    session["saved_calls"] = dict(list(saved.items())[-REMEMBERED_FORMS:])


@blp.get("/calls/<int:referral_id>/saved")
@roles(*INTAKE_ROLES)
def call_saved(referral_id: int):
    """After saving: the reference, what to tell the caller (who will be in touch and by when), what to do now
    in an emergency or for a safeguarding concern, and the way to the next call. The page's script clears the
    draft the form kept in the browser."""
    principal = current_principal()
    try:
        detail = shown_to(db(), get_referral_for(db(), referral_id, principal), principal, "web")
        may_see = True
    except NotFound:
        # A call this user has just saved for someone they may not see afterwards (an officer logging a call
        # for another council's resident): the reference and what to tell the caller, nothing personal.
        if referral_id not in session.get("saved_calls", {}).values():
            raise
        detail = describe(db(), db().get(Referral, referral_id), principal)
        may_see = False
    offer = detail.current_offer
    org = db().get(Organisation, offer.org_id) if offer else None
    signposted_to = db().get(Organisation, detail.owner_org_id) if detail.status == "signposted" else None
    if signposted_to is None and detail.status == "signposted" and org is not None:
        signposted_to = org
    personal = getattr(detail, "personal_details", False)
    contact = ContactDetails.from_stored(detail.resident.contact) if personal else ContactDetails()
    guidance = area_guidance(detail.area)
    return render_template(
        "call_saved.html",
        referral=detail,
        tell=what_to_tell(detail, offer, org, signposted_to, contact, personal),
        contact=contact,
        personal=personal,
        needs=need_labels(),
        may_see=may_see,
        draft_key=f"oneroute.call-draft.{current_user().id}",
        **guidance,
    )


WHO_WILL_CALL = {  # by the kind of organisation the referral is offered to
    "mutual_aid": "A volunteer from the local mutual-aid group will {reach} within {within}.",
    "safety_net": "Someone from the council's safety-net team will {reach} within {within}.",
    "hub": "{name}, the local community hub, will arrange help: someone will {reach} within {within}.",
    "vcs": "Someone from {name}, a local charity, will {reach} within {within}.",
    "infrastructure": "{name} will find the right local group: someone will {reach} within {within}.",
}
VOLUNTEER_WILL_CALL = "A volunteer from {name} will {reach} within {within}."


def what_to_tell(detail, offer, org, signposted_to, contact: ContactDetails, personal: bool) -> list[str]:
    """The words for the caller: who will be in touch and by when (the time the offer has to be taken up,
    config/lifecycle.yaml), what happens about sharing, and the reference to give if they ring again."""
    expiry = within(services().lifecycle_policy.offer_expiry[detail.urgency or "routine"])
    by_phone = bool(personal and detail.resident.phone) or bool(contact.safe_phone)
    reachable = "ring you" if by_phone else "be in touch"
    when_safe = " at a time you said is safe" if contact.safe_to_contact == "no" else ""
    said = []
    if detail.linked_referral_id:
        said.append(
            f"We have added this to your open request (reference {detail.linked_referral_id}): the people "
            "already helping with it have been told you rang again."
        )
    elif detail.status == "signposted" and signposted_to is not None:
        number = f" on {phone(signposted_to.contact_phone)}" if signposted_to.contact_phone else ""
        said.append(
            f"No one in our directory can take this on for you, but {signposted_to.name} can help: you can "
            f"contact them{number}."
        )
    elif offer is not None and org is not None:
        words = WHO_WILL_CALL[org.kind]
        if offer.volunteer_id and org.kind not in ("mutual_aid", "safety_net"):
            words = VOLUNTEER_WILL_CALL
        said.append(words.format(name=org.name, reach=f"{reachable}{when_safe}", within=expiry))
        if org.kind != "safety_net":
            said.append("If they cannot help, we pass your request straight on to the next group.")
    else:
        said.append(
            f"Someone from the council's safety-net team will {reachable}{when_safe} within {expiry}."
        )
    if contact.no_message:
        said.append("No one will leave a voicemail or a text saying who called.")
    if not detail.consent_to_share:
        said.append(
            "As you did not agree to share your details, only the council's own teams will see them: local "
            "groups are not given your name or address."
        )
    if detail.occurrences:
        said.append(f"This is regular support: {len(detail.occurrences)} visits or calls have been planned.")
    reference = detail.linked_referral_id or detail.id  # the open request is the one to ask about
    said.append(f"Your reference is {reference}. If you ring us again, give this number.")
    return said


@blp.post("/calls/postcode")
@roles(*INTAKE_ROLES)
@json_view
def check_postcode():
    """The postcode as it is typed (the form's script): a POST with the form's CSRF token, so the caller's
    postcode is never in a URL, and so never in an access log or the browser's history."""
    text = request.form.get("postcode", "").strip()[:16]
    if not text:
        return {"ok": False, "message": "Enter the caller's postcode"}
    try:
        normalised, location, area = locate(text, intake_context())
    except DomainValidationError as exc:
        return {"ok": False, "message": postcode_problem(text, exc.message), "guidance": _guidance_html(None)}
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
        "area_code": area,
        "message": f"{normalised}, {area_name} ({precision})",
        "guidance": _guidance_html(area),
    }


def _guidance_html(area_code: str | None) -> str:
    return render_template("_call_guidance.html", **area_guidance(area_code))


@blp.post("/calls/preview")
@roles(*INTAKE_ROLES)
@json_view
def preview_call():
    call = read_call_form(request.form, services().rules.need_codes, intake_context())
    preview = triage_preview(call)
    return {
        "triage": preview,
        "summary": preview_summary(preview),
        "triage_html": render_template("_triage_preview.html", preview=preview, **area_guidance(call.area)),
        "people": [] if call.values["person_fixed"] else known_people(call),
    }


@blp.get("/calls/session")
@roles(*INTAKE_ROLES)
@json_view
def call_session():
    """The form's script asks whether the session is still there (401 when it has ended) and takes a fresh
    form token after the user signed in again in another tab, so the call on the page can still be saved."""
    return {
        "signed_in": True,
        "user": current_user().id,
        "started": session_started(),
        "csrf_token": generate_csrf(),
    }


def session_started() -> str:
    """When this session was signed in: a page whose session has been replaced (signed in again in another
    tab) takes the new session's form token; a page of the same session keeps the one it was given."""
    return f"{float(session.get('signed_in_at', 0)):.6f}"


@blp.get("/calls/signed-in-again")
@roles(*INTAKE_ROLES)
def signed_in_again():
    """Where signing in again in a new tab lands: back to the tab with the call."""
    return render_template("call_signed_in.html")
