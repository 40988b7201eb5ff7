"""Signing people in and out, and the guard every page passes: CSRF on unsafe methods, then a signed-in user
whose role the view lists. A view without `@roles` (or `@public`) refuses everyone."""

import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, jsonify, redirect, render_template, request, session, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from accounts import second_factor, sso, throttle
from accounts.models import User
from accounts.oidc import OidcError
from accounts.passwords import (
    SignInOutcome,
    check_sign_in,
    end_sessions,
    normalise_username,
    principal_for,
)
from accounts.tokens import Principal
from referrals import access
from web.blueprint import UNSAFE_METHODS, blp, csrf, db, services

if TYPE_CHECKING:  # the client (authlib, requests): loaded only where it is built
    from accounts.oidc_client import OidcClient

SESSION_MAX_AGE_SECONDS = 12 * 3600
OIDC_EXTENSION = "oneroute_oidc"
KNOWN_DEVICE_MAX_AGE_SECONDS = 90 * 24 * 3600
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
    ("web.requests_to_review", "Requests", ("helpline_staff", "safety_net_officer")),
    ("web.safety_net", "Safety net", ("safety_net_officer",)),
    ("web.phone_task_list", "Phone tasks", ("helpline_staff", "safety_net_officer")),
    ("web.emails", "Emails", ("helpline_staff",)),
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
    if user is None or not user.active or session.get("session_version") != user.session_version:
        session.clear()
        return None
    if session.get("method") == "sso" and not _still_enabled_at_provider(user):
        session.clear()
        flash("Your council account could not be confirmed, so you have been signed out.", "error")
        return None
    return user


def oidc_client() -> "OidcClient | None":
    return current_app.extensions.get(OIDC_EXTENSION)


def _still_enabled_at_provider(user: User) -> bool:
    """A single sign-on session asks the provider again every OIDC_RECHECK_SECONDS (refresh token): an account
    disabled or deleted there ends here at the next page after that."""
    client = oidc_client()
    if client is None:
        return False
    if time.time() - float(session.get("sso_checked_at", 0)) < client.config.recheck_seconds:
        return True
    if not sso.recheck(db(), client, user, secret_key=current_app.secret_key or "", audit=auditor()):
        return False
    session["sso_checked_at"] = time.time()
    return True


def web_principal(user: User | None) -> Principal:
    """Who the audit trail names: the user as the access rule sees them, or the address for a stranger."""
    if user is None:
        return Principal(None, f"anonymous@{request.remote_addr}", "anonymous", None)
    if user.role is None:
        return Principal(None, f"user:{user.id}:{user.username}", "no_role", None)
    return principal_for(db(), user)


def auditor():
    """The `audit` port of accounts' services: one event in the service's own transaction."""
    from referrals import audit

    def record(kind: str, user: User | None, payload: dict) -> None:
        audit.record(db(), kind, web_principal(user), payload={**payload, "address": request.remote_addr})

    return record


def audit_now(kind: str, user: User | None, payload: dict | None = None) -> None:
    """An event on its own (a refused sign-in: nothing else is written), committed now."""
    auditor()(kind, user, payload or {})
    db().commit()


def start_session(user: User, method: str, **extra) -> None:
    """The person is who they say (password and second factor, or the provider): a fresh session."""
    session.clear()
    session["user_id"] = user.id
    session["session_version"] = user.session_version
    session["signed_in_at"] = time.time()
    session["method"] = method
    session.update(extra)


def home_of(user: User) -> str:
    return url_for(HOME_BY_ROLE[user.role]) if user.role else url_for("web.no_role")


def finish_sign_in(user: User, method: str, next_url: str | None = None, **extra):
    start_session(user, method, **extra)
    return redirect(next_url or home_of(user))


def totp_required_roles() -> frozenset[str]:
    return second_factor.required_roles(str(services().settings.get("TOTP_REQUIRED_ROLES", "")))


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
    if user.role is None:
        return redirect(url_for("web.no_role"))
    if user.role not in getattr(view, ROLES_ATTR, frozenset()):
        abort(403)
    g.web_principal = principal_for(db(), user)
    return None


@blp.app_context_processor
def _page_context() -> dict:
    user = g.get("web_user")
    links = [(endpoint, label) for endpoint, label, allowed in NAVIGATION if user and user.role in allowed]
    principal = g.get("web_principal")
    if principal is not None and access.may_refer_as_group(principal):  # a mutual-aid group with accounts
        links.append(("web.group_referrals_page", "Our referrals"))
    return {"web_user": user, "navigation": links}


def _known_devices() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt="known-device")


def known_device_cookie() -> str:
    return "__Host-known-device" if current_app.config.get("SESSION_COOKIE_SECURE") else "known-device"


def known_device(username: str) -> str | None:
    """This browser's device id if it has signed in as `username` before (its signed known-device cookie)."""
    cookie = request.cookies.get(known_device_cookie())
    if not cookie:
        return None
    try:
        found = _known_devices().loads(cookie, max_age=KNOWN_DEVICE_MAX_AGE_SECONDS)
    except BadSignature:
        return None
    if not isinstance(found, dict) or found.get("user") != username:
        return None
    if not isinstance(found.get("device"), str):
        return None
    return found["device"]


def sign_in_keys(username: str) -> list[tuple[str, str]]:
    """Whose failures delay this attempt. A browser that has signed in as this username before counts only
    its own failures for it; anyone else counts against the account (wherever they are) and against their
    address (whatever usernames they try). So an attacker's wrong passwords delay the account for strangers,
    but never for the browsers its owner uses, and never for good (`accounts/throttle.py`)."""
    device = known_device(username)
    if device is not None:
        return [(throttle.DEVICE, f"{username}\n{device}")]
    return [(throttle.ACCOUNT, username), (throttle.SIGN_IN_ADDRESS, request.remote_addr or "unknown")]


def remember_device(response, username: str) -> None:
    device = known_device(username) or secrets.token_urlsafe(16)
    response.set_cookie(
        known_device_cookie(),
        _known_devices().dumps({"user": username, "device": device}),
        max_age=KNOWN_DEVICE_MAX_AGE_SECONDS,
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite="Lax",
        path="/",
    )


def second_step_keys(username: str) -> list[tuple[str, str]]:
    """Whose failures delay a second-factor code: always the account's and the address's (a known browser
    counts its own too), since whoever is here already has the password."""
    keys = [(throttle.ACCOUNT, username), (throttle.SIGN_IN_ADDRESS, request.remote_addr or "unknown")]
    device = known_device(username)
    return keys + ([(throttle.DEVICE, f"{username}\n{device}")] if device is not None else [])


def too_many_wrong_passwords(wait: int) -> str:
    return f"Too many wrong passwords for this account or from here. Try again in {wait} seconds."


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
    return redirect(url_for(HOME_BY_ROLE[user.role]) if user.role else url_for("web.no_role"))


@blp.get("/no-role")
@public
def no_role():
    """Signed in through the council's provider, but given no role here: nothing to show until an admin
    gives one (or the provider's groups do)."""
    user = g.web_user
    if user is None:
        return redirect(url_for("web.sign_in"))
    if user.role is not None:
        return redirect(url_for(HOME_BY_ROLE[user.role]))
    return render_template("no_role.html"), 403


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
            username = normalise_username(values["username"])
            keys = sign_in_keys(username)
            delays = current_app.extensions[throttle.EXTENSION]
            wait = delays.wait(*keys)
            if wait:
                # Refused before the password is looked at, right or wrong, and not counted: the delay ends
                # when it said it would.
                errors["username"] = too_many_wrong_passwords(wait)
                page = render_template("sign_in.html", values=values, errors=errors)
                return page, 429, {"Retry-After": str(wait)}
            result = check_sign_in(db(), username, password[:1000])
            if result.outcome is SignInOutcome.OK and result.user is not None:
                response = _after_password(result.user, values["next"] or None)
                if g.get("second_step") is None:
                    # Fully in: the delays end and this browser is known. With a second step to come, both
                    # wait for it, so the password alone never earns a fresh allowance of code guesses.
                    delays.clear(*(key for key in keys if key[0] != throttle.SIGN_IN_ADDRESS))
                    remember_device(response, username)
                return response
            delays.fail(*keys)
            audit_now("auth.sign_in_failed", None, {"door": "web"})
            errors["username"] = "The username or password is not right"
        status = 422
    return render_template("sign_in.html", values=values, errors=errors, sso=_sso_button()), status


def _sso_button() -> str | None:
    client = oidc_client()
    return client.config.button_label if client is not None else None


def _after_password(user: User, next_url: str | None):
    """The password was right: a second factor next if the person has one, or must enrol one, else in."""
    if second_factor.is_enrolled(user) or second_factor.must_enrol(user, totp_required_roles()):
        session.clear()
        session["pending_user_id"] = user.id
        session["pending_version"] = user.session_version
        session["pending_at"] = time.time()
        session["pending_next"] = next_url or ""
        g.second_step = True
        if second_factor.is_enrolled(user):
            return redirect(url_for("web.enter_code"))
        return redirect(url_for("web.enrol_second_factor"))
    auditor()("auth.signed_in", user, {"method": "password"})
    db().commit()
    return finish_sign_in(user, "password", next_url)


@blp.route("/sign-out", methods=["POST"])
@public
def sign_out():
    """Ends every session of the user, not only this browser's: a copy of the cookie is refused too."""
    user = g.web_user
    id_token = session.get("id_token")
    provider_sign_out = None
    if user is not None:
        auditor()("auth.signed_out", user, {"method": session.get("method", "password")})
        end_sessions(db(), user)
        client = oidc_client()
        if session.get("method") == "sso" and client is not None:
            after = url_for("web.sign_in", _external=True)
            try:
                provider_sign_out = client.end_session_url(id_token, after)
            except OidcError:  # the provider unreachable: signed out here all the same
                provider_sign_out = None
    session.clear()
    flash("You have signed out.", "success")
    return redirect(provider_sign_out or url_for("web.sign_in"))
