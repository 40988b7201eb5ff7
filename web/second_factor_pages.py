"""The second step of a password sign-in: a code from the authenticator app (or a recovery code), and
enrolling the app when the person's role requires one and they have none yet. Between the password and this
step the session holds only who is half-way in, for a few minutes; wrong codes earn the same growing delays as
wrong passwords."""

import time

import segno
from flask import current_app, flash, make_response, redirect, render_template, request, session, url_for

from accounts import second_factor, throttle
from accounts.models import User
from web.auth import (
    audit_now,
    auditor,
    finish_sign_in,
    home_of,
    public,
    remember_device,
    second_step_keys,
    start_session,
    too_many_wrong_passwords,
)
from web.blueprint import blp, db, services

PENDING_SECONDS = 600
PENDING_KEYS = ("pending_user_id", "pending_version", "pending_at", "pending_next", "pending_secret")


def _pending_user() -> User | None:
    user_id = session.get("pending_user_id")
    if not isinstance(user_id, int) or time.time() - float(session.get("pending_at", 0)) > PENDING_SECONDS:
        return None
    user = db().get(User, user_id)
    if user is None or not user.active or user.session_version != session.get("pending_version"):
        return None
    return user


def _start_again():
    for key in PENDING_KEYS:
        session.pop(key, None)
    flash("Sign in again: that took too long, or the sign-in had ended.", "error")
    return redirect(url_for("web.sign_in"))


def _secret_key() -> str:
    return current_app.secret_key or ""


@blp.route("/sign-in/code", methods=["GET", "POST"])
@public
def enter_code():
    user = _pending_user()
    if user is None or not second_factor.is_enrolled(user):
        return _start_again()
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        code = request.form.get("code", "").strip()[:40]
        keys = second_step_keys(user.username)
        delays = current_app.extensions[throttle.EXTENSION]
        wait = delays.wait(*keys)
        if wait:
            errors["code"] = too_many_wrong_passwords(wait)
            return render_template("second_factor.html", errors=errors), 429, {"Retry-After": str(wait)}
        if not code:
            errors["code"] = "Enter the 6-digit code from your authenticator app, or a recovery code"
        else:
            checked = second_factor.check(db(), user, code, secret_key=_secret_key(), audit=auditor())
            if checked is not second_factor.Checked.WRONG:
                delays.clear(*(key for key in keys if key[0] != throttle.SIGN_IN_ADDRESS))
                audit_now("auth.signed_in", user, {"method": "password", "second_factor": str(checked)})
                if checked is second_factor.Checked.RECOVERY_CODE:
                    left = second_factor.recovery_codes_left(db(), user)
                    flash(f"You used a recovery code; {left} are left.", "success")
                response = finish_sign_in(user, "password", session.get("pending_next") or None)
                remember_device(response, user.username)
                return response
            delays.fail(*keys)
            errors["code"] = "The code is not right. Check your authenticator app and try again"
        status = 422
    return render_template("second_factor.html", errors=errors), status


@blp.route("/sign-in/two-factor", methods=["GET", "POST"])
@public
def enrol_second_factor():
    user = _pending_user()
    if user is None or second_factor.is_enrolled(user):
        return _start_again()
    settings = services().settings
    issuer = str(settings.get("TOTP_ISSUER_NAME") or "One Route In")
    secret = second_factor.unseal_pending(_secret_key(), user.id, session.get("pending_secret"))
    if secret is None:
        enrolment = second_factor.totp.new_enrolment(user.username, issuer)
        secret = enrolment.secret
        session["pending_secret"] = second_factor.seal_pending(_secret_key(), user.id, secret)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        code = request.form.get("code", "").strip()[:40]
        codes = None
        if code:
            codes = second_factor.enrol(db(), user, secret, code, secret_key=_secret_key(), audit=auditor())
        if codes is not None:
            audit_now("auth.signed_in", user, {"method": "password", "second_factor": "enrolled"})
            next_url = session.get("pending_next") or home_of(user)
            start_session(user, "password")
            delays = current_app.extensions[throttle.EXTENSION]
            delays.clear(
                *(key for key in second_step_keys(user.username) if key[0] != throttle.SIGN_IN_ADDRESS)
            )
            response = make_response(render_template("recovery_codes.html", codes=codes, next_url=next_url))
            remember_device(response, user.username)
            return response
        audit_now("auth.second_factor_failed", user, {"user_id": user.id, "at": "enrolment"})
        errors["code"] = (
            "The code is not right. Add the key to your app again and enter the code it shows now"
            if code
            else "Enter the 6-digit code your authenticator app shows"
        )
        status = 422
    uri = second_factor.totp.uri_for(secret, user.username, issuer)
    qr = segno.make(uri, error="m").svg_data_uri(scale=4, dark="#0b0c0c", light="#ffffff", border=2)
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return render_template("enrol_second_factor.html", errors=errors, qr=qr, key=grouped), status
