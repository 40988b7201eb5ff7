"""Requests from outside, and the helpline's review of them.

- "Ask for help" (`/ask-for-help`, no sign-in): a resident's own request. Abuse is kept down without a
  third-party captcha: limits per address and for everyone together (`RATELIMIT_SELF_REFERRAL*`, in the
  app's limiter store), a hidden field only programs fill (answered with the same-looking thank-you page and a
  reference that leads nowhere, logged, nothing saved: a 400 would teach a program to leave the field empty),
  the size limits of `request_form.py` and the app's `MAX_CONTENT_LENGTH`, and CSRF. Emergency and
  safeguarding words get advice on screen as they are typed (a small script asks `/ask-for-help/check`,
  triage's own rules) and again when the form is sent, so it works without JavaScript.
- A group lead's referral (`/refer/<token>`): the form behind the one-time link texted to a mutual-aid lead
  (REFER), and the status page behind the link they get after (`/refer/status/<token>`).
- "Requests to review" (`/requests`): the helpline confirms (correcting the summary or needs) or does not
  take forward each request; `referrals.requests` does it.
"""

import logging
from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from limits import parse

from accounts.throttle import LIMITER
from db.base import utcnow
from referrals import access
from referrals.errors import Conflict, DomainValidationError, Forbidden, NotFound
from referrals.requests import (
    GROUP_REFERRAL,
    RESIDENT,
    SELF_REFERRAL,
    confirm,
    group_referrals,
    group_view,
    new_reference,
    not_taken_forward,
    open_link,
    submit,
    submit_from_group,
    waiting_for_review,
)
from referrals.triaging import decide
from web import request_form
from web.auth import current_principal, json_view, public, roles
from web.blueprint import blp, db, services
from web.calls import intake_context, need_options
from web.lookups import need_labels

log = logging.getLogger(__name__)
SENT_KEY = "request_sent"
TOO_MANY = (
    "Too many requests",
    "Too many requests have been sent from here, or to the service, in the last hour. "
    "If anyone is in danger now, call 999. Otherwise try again later.",
)


def within_limit(setting: str, *identifiers: str) -> bool:
    """Count one hit against the limit in `setting` (e.g. "5 per hour") for these identifiers, in the app's
    shared limiter store (Redis in production); False when it is used up."""
    limiter = current_app.extensions[LIMITER]
    item = parse(str(current_app.config[setting]))
    return limiter.limiter.hit(item, current_app.config["RATELIMIT_KEY_PREFIX"], setting, *identifiers)


def client_address() -> str:
    return request.remote_addr or "unknown"


def urgent_words(text: str) -> dict[str, bool]:
    """What triage's own rules find in the words: an emergency, a safeguarding concern. Nothing else."""
    if not text.strip():
        return {"emergency": False, "safeguarding": False}
    decision = decide(text, [], {}, None, services().rules, utcnow().date())
    return {"emergency": decision.urgency == "emergency", "safeguarding": bool(decision.safeguarding)}


def safeguarding_contacts(area_code: str | None) -> list:
    """The council's safeguarding number for the person's area, or every area's while it is not known."""
    areas = services().areas.by_code
    chosen = [areas[area_code]] if area_code in areas else list(areas.values())
    return [area.safeguarding_contact for area in chosen if area.safeguarding_contact]


def _too_many():
    title, detail = TOO_MANY
    return render_template(
        "ask_too_many.html", title=title, detail=detail, contacts=safeguarding_contacts(None)
    ), 429


def _form_page(template: str, form, status: int = 200, **extra):
    urgent = urgent_words(form.values.get("details", "")) if form.values else {}
    return (
        render_template(
            template,
            values=form.values,
            errors=form.errors,
            need_options=need_options(services().rules),
            urgent=urgent,
            contacts=safeguarding_contacts(form.area),
            honeypot=request_form.HONEYPOT,
            **extra,
        ),
        status,
    )


# --- a resident's own request ------------------------------------------------------------------------------


@blp.get("/ask-for-help")
@public
def ask_for_help():
    return _form_page("ask_for_help.html", request_form.RequestForm({}))


@blp.post("/ask-for-help")
@public
def send_request():
    address = client_address()
    if not within_limit("RATELIMIT_SELF_REFERRAL_ATTEMPTS", address):
        return _too_many()
    if request.form.get(request_form.HONEYPOT):
        # Not a person: the same page a person gets, with a reference that leads nowhere, and nothing saved.
        log.warning("ask-for-help: the hidden field was filled; nothing saved")
        within_limit("RATELIMIT_SELF_REFERRAL", address)
        session[SENT_KEY] = {
            "reference": new_reference(),
            "urgent": False,
            "safeguarding": False,
            "area": None,
        }
        return redirect(url_for("web.request_sent"))
    form = request_form.read(request.form, set(services().rules.need_codes))
    context = intake_context()
    request_form.check_place(form, context)
    if form.errors:
        return _form_page("ask_for_help.html", form, 400)
    if not within_limit("RATELIMIT_SELF_REFERRAL", address) or not within_limit(
        "RATELIMIT_SELF_REFERRAL_GLOBAL", "everyone"
    ):
        log.warning("ask-for-help: a request over the limit was refused")
        return _too_many()
    try:
        received = submit(db(), request_form.to_call_log(form, SELF_REFERRAL), RESIDENT, context)
    except DomainValidationError as exc:
        db().rollback()
        form.errors[exc.field.split(".")[-1] if exc.field.split(".")[-1] in form.values else "form"] = (
            exc.message
        )
        return _form_page("ask_for_help.html", form, 400)
    session[SENT_KEY] = {
        "reference": received.reference,
        "urgent": received.urgent,
        "safeguarding": received.safeguarding,
        "area": received.area,
    }
    return redirect(url_for("web.request_sent"))


@blp.get("/ask-for-help/sent")
@public
def request_sent():
    sent = session.pop(SENT_KEY, None)
    if not isinstance(sent, dict):
        return redirect(url_for("web.ask_for_help"))
    return render_template("ask_sent.html", sent=sent, contacts=safeguarding_contacts(sent.get("area")))


@blp.post("/ask-for-help/check")
@public
@json_view
def check_urgent_words():
    if not within_limit("RATELIMIT_URGENT_CHECK", client_address()):
        return {"error": "Too many checks: the form checks again when you send it."}, 429
    text = (request.form.get("details") or "")[: request_form.TEXT_LIMITS["details"]]
    return urgent_words(text)


# --- a mutual-aid group's lead ------------------------------------------------------------------------------


def _link_or_404(token: str, purpose: str):
    try:
        return open_link(db(), token, purpose, utcnow())
    except NotFound:
        abort(404)


@blp.get("/refer/<token>")
@public
def group_referral(token: str):
    link = _link_or_404(token, "refer")
    return _form_page(
        "group_refer.html",
        request_form.RequestForm({}),
        action=url_for("web.send_group_referral", token=token),
        group=_group_name(link.org_id),
    )


def _group_name(org_id: int) -> str:
    from directory.models import Organisation

    group = db().get(Organisation, org_id)
    return group.name if group else ""


@blp.post("/refer/<token>")
@public
def send_group_referral(token: str):
    link = _link_or_404(token, "refer")
    group = _group_name(link.org_id)
    form = request_form.read(request.form, set(services().rules.need_codes), by_group=True)
    context = intake_context()
    request_form.check_place(form, context)
    if form.errors:
        return _form_page("group_refer.html", form, 400, action=request.path, group=group)
    lifetime = timedelta(days=int(current_app.config["REFER_STATUS_DAYS"]))
    try:
        referred = submit_from_group(
            db(), token, request_form.to_call_log(form, GROUP_REFERRAL), context, lifetime
        )
    except NotFound:  # used meanwhile (two tabs)
        db().rollback()
        abort(404)
    except DomainValidationError as exc:
        db().rollback()
        form.errors["form"] = exc.message
        return _form_page("group_refer.html", form, 400, action=request.path, group=group)
    received = referred.received
    session[SENT_KEY] = {
        "reference": received.reference,
        "urgent": received.urgent,
        "safeguarding": received.safeguarding,
        "area": received.area,
        "status_url": url_for("web.group_referral_status", token=referred.status_token, _external=True),
        "group": group,
    }
    return redirect(url_for("web.group_referral_sent"))


@blp.get("/refer/sent")
@public
def group_referral_sent():
    sent = session.pop(SENT_KEY, None)
    if not isinstance(sent, dict) or "status_url" not in sent:
        abort(404)
    return render_template("group_sent.html", sent=sent, contacts=safeguarding_contacts(sent.get("area")))


@blp.get("/refer/status/<token>")
@public
def group_referral_status(token: str):
    try:
        view = group_view(db(), token)
    except NotFound:
        abort(404)
    return render_template("group_status.html", view=view)


# --- a group with accounts: the same form, signed in ------------------------------------------------------


def _own_group() -> int:
    principal = current_principal()
    if not access.may_refer_as_group(principal):
        abort(403)
    return principal.org_id


@blp.get("/group-referrals")
@roles("hub_coordinator")
def group_referrals_page():
    org_id = _own_group()
    return render_template(
        "group_referrals.html", views=group_referrals(db(), org_id), group=_group_name(org_id)
    )


@blp.get("/group-referrals/new")
@roles("hub_coordinator")
def new_group_referral():
    org_id = _own_group()
    return _form_page(
        "group_refer.html",
        request_form.RequestForm({}),
        action=url_for("web.send_signed_in_group_referral"),
        group=_group_name(org_id),
    )


@blp.post("/group-referrals/new")
@roles("hub_coordinator")
def send_signed_in_group_referral():
    org_id = _own_group()
    group = _group_name(org_id)
    action = url_for("web.send_signed_in_group_referral")
    form = request_form.read(request.form, set(services().rules.need_codes), by_group=True)
    context = intake_context()
    request_form.check_place(form, context)
    if form.errors:
        return _form_page("group_refer.html", form, 400, action=action, group=group)
    try:
        received = submit(db(), request_form.to_call_log(form, GROUP_REFERRAL), current_principal(), context)
    except DomainValidationError as exc:
        db().rollback()
        form.errors["form"] = exc.message
        return _form_page("group_refer.html", form, 400, action=action, group=group)
    message = f"Referral sent. Its reference is {received.reference}. The council's helpline checks it first."
    if received.urgent:
        message += " It may be urgent, so the council's safety-net team sees it straight away."
    flash(message, "success")
    return redirect(url_for("web.group_referrals_page"))


# --- the helpline's review ----------------------------------------------------------------------------------


@blp.get("/requests")
@roles(*sorted(access.REVIEW_ROLES))
def requests_to_review():
    items = waiting_for_review(db(), current_principal())  # each person shown is a read, audited (committed)
    return render_template(
        "requests.html", items=items, needs=need_labels(), need_options=need_options(services().rules)
    )


@blp.post("/requests/<int:referral_id>/confirm")
@roles(*sorted(access.REVIEW_ROLES))
def confirm_request(referral_id: int):
    needs = [code for code in request.form.getlist("needs") if code in services().rules.need_codes]
    summary = (request.form.get("summary") or "")[:500]
    try:
        confirm(
            db(),
            referral_id,
            current_principal(),
            services().routing,
            services().rules,
            summary=summary,
            needs=needs,
        )
    except (Conflict, DomainValidationError, Forbidden) as exc:
        db().rollback()
        flash(f"Referral {referral_id} could not be confirmed: {exc}.", "error")
        return redirect(url_for("web.requests_to_review"))
    except NotFound:
        abort(404)
    flash(f"Referral {referral_id} is confirmed and on its way to whoever can help.", "success")
    return redirect(url_for("web.referral", referral_id=referral_id))


@blp.post("/requests/<int:referral_id>/not-taken-forward")
@roles(*sorted(access.REVIEW_ROLES))
def decline_request(referral_id: int):
    reason = (request.form.get("reason") or "").strip()[:500]
    try:
        not_taken_forward(db(), referral_id, current_principal(), reason)
    except DomainValidationError as exc:
        db().rollback()
        flash(f"Referral {referral_id}: {exc.message}.", "error")
        return redirect(url_for("web.requests_to_review", _anchor=f"request-{referral_id}"))
    except (Conflict, Forbidden) as exc:
        db().rollback()
        flash(f"Referral {referral_id}: {exc}.", "error")
        return redirect(url_for("web.requests_to_review"))
    except NotFound:
        abort(404)
    flash(f"Referral {referral_id} is not taken forward.", "success")
    return redirect(url_for("web.requests_to_review"))
