"""Signing people in and out, and the guard every page passes: CSRF on unsafe methods, then a signed-in user
whose role the view lists. A view without `@roles` (or `@public`) refuses everyone."""

import time
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, jsonify, redirect, render_template, request, session, url_for

from accounts.models import User
from accounts.passwords import SignInOutcome, check_sign_in, principal_for, session_fingerprint
from accounts.tokens import Principal
from web.blueprint import FAILURES_KEY, UNSAFE_METHODS, blp, csrf, db

SESSION_MAX_AGE_SECONDS = 12 * 3600
TOO_MANY_FAILURES = {
    "title": "Too many wrong passwords",
    "detail": "Too many sign-ins from here have failed. Wait a minute, then try again.",
}
ROLES_ATTR = "_web_roles"
PUBLIC_ATTR = "_web_public"
JSON_ATTR = "_web_json"
UPLOAD_ATTR = "_web_max_upload"
HOME_BY_ROLE = {
    "helpline_staff": "web.new_call",
    "hub_coordinator": "web.coordinator_queue",
    "safety_net_officer": "web.safety_net",
    "admin": "web.organisations",
}
NAVIGATION = (
    ("web.new_call", "Log a call", ("helpline_staff", "safety_net_officer", "admin")),
    ("web.coordinator_queue", "Queue", ("hub_coordinator", "safety_net_officer")),
    ("web.repeat_callers", "Repeat callers", ("helpline_staff", "safety_net_officer", "admin")),
    ("web.safety_net", "Safety net", ("safety_net_officer",)),
    ("web.phone_task_list", "Phone tasks", ("helpline_staff", "safety_net_officer")),
    ("web.reports", "Reports", ("safety_net_officer", "admin")),
    ("web.organisations", "Organisations", ("admin",)),
    ("web.volunteers", "Volunteers", ("admin",)),
    ("web.new_import", "Import", ("admin",)),
)


def roles(*allowed: str) -> Callable:
    def decorate(view: Callable) -> Callable:
        setattr(view, ROLES_ATTR, frozenset(allowed))
        return view

    return decorate


def public(view: Callable) -> Callable:
    setattr(view, PUBLIC_ATTR, True)
    return view


def json_view(view: Callable) -> Callable:
    """Errors from this view are answered as JSON, for the scripts that call it."""
    setattr(view, JSON_ATTR, True)
    return view


def max_upload(size: int) -> Callable:
    def decorate(view: Callable) -> Callable:
        setattr(view, UPLOAD_ATTR, size)
        return view

    return decorate


def current_user() -> User:
    return g.web_user


def current_principal() -> Principal:
    return g.web_principal


def wants_json() -> bool:
    view = blp_view()
    return bool(getattr(view, JSON_ATTR, False))


def blp_view() -> Callable | None:
    return current_app.view_functions.get(request.endpoint or "")


def signed_in_user() -> User | None:
    user_id = session.get("user_id")
    if not isinstance(user_id, int):
        return None
    if time.time() - float(session.get("signed_in_at", 0)) > SESSION_MAX_AGE_SECONDS:
        session.clear()
        return None
    user = db().get(User, user_id)
    if user is None or not user.active or session.get("fingerprint") != session_fingerprint(user):
        session.clear()
        return None
    return user


@blp.before_request
def _guard():
    if request.endpoint in (None, "web.static"):
        return None
    view = blp_view()
    if getattr(view, UPLOAD_ATTR, None):
        request.max_content_length = getattr(view, UPLOAD_ATTR)
    user = signed_in_user()
    g.web_user = user
    if user is None and not getattr(view, PUBLIC_ATTR, False):
        # The session has ended (signed out in another tab, or the time limit): nothing is done, so this is
        # said before the form's token is checked (it died with the session). A form sent from a page that
        # can be shown again comes back to it after signing in: the call form's script restores the draft.
        if wants_json():
            return jsonify(error="Sign in again: your session has ended."), 401
        shown_again = request.method == "GET" or "GET" in (request.url_rule.methods or ())
        if request.method in UNSAFE_METHODS:
            flash("Your session had ended, so that was not saved. Sign in again to carry on.", "error")
        return redirect(url_for("web.sign_in", next=request.full_path if shown_again else None))
    if request.method in UNSAFE_METHODS:
        csrf.protect()
    if getattr(view, PUBLIC_ATTR, False) or user is None:
        return None
    if user.role not in getattr(view, ROLES_ATTR, frozenset()):
        abort(403)
    g.web_principal = principal_for(db(), user)
    return None


@blp.app_context_processor
def _page_context() -> dict:
    user = g.get("web_user")
    links = [(endpoint, label) for endpoint, label, allowed in NAVIGATION if user and user.role in allowed]
    return {"web_user": user, "navigation": links}


def sign_in_allowed() -> bool:
    """Wrong passwords from one address are limited (RATELIMIT_AUTH_FAILURES), whatever usernames they try."""
    limiter, limit = current_app.extensions[FAILURES_KEY]
    return limiter.test(limit, FAILURES_KEY, request.remote_addr or "unknown")


def record_sign_in_failure() -> None:
    limiter, limit = current_app.extensions[FAILURES_KEY]
    limiter.hit(limit, FAILURES_KEY, request.remote_addr or "unknown")


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: never another host, never a scheme-relative or backslash trick."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


@blp.route("/")
@public
def home():
    user = g.web_user
    if user is None:
        return redirect(url_for("web.sign_in"))
    return redirect(url_for(HOME_BY_ROLE[user.role]))


@blp.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in():
    values = {"username": "", "next": safe_next(request.values.get("next")) or ""}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values["username"] = request.form.get("username", "").strip()[:200]
        password = request.form.get("password", "")
        if not values["username"]:
            errors["username"] = "Enter your username"
        if not password:
            errors["password"] = "Enter your password"
        if not errors:
            if not sign_in_allowed():
                return render_template("error.html", **TOO_MANY_FAILURES, status=429), 429
            result = check_sign_in(db(), values["username"], password[:1000])
            if result.outcome is SignInOutcome.OK and result.user is not None:
                session.clear()
                session["user_id"] = result.user.id
                session["fingerprint"] = session_fingerprint(result.user)
                session["signed_in_at"] = time.time()
                return redirect(values["next"] or url_for(HOME_BY_ROLE[result.user.role]))
            if result.outcome is SignInOutcome.LOCKED:
                errors["username"] = (
                    "This account is locked after too many wrong passwords. Ask an admin to set a new one."
                )
            else:
                record_sign_in_failure()
                errors["username"] = "The username or password is not right"
        status = 422
    return render_template("sign_in.html", values=values, errors=errors), status


@blp.route("/sign-out", methods=["POST"])
@public
def sign_out():
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("web.sign_in"))
