"""Signing in through the council's OpenID Connect provider: off to the provider with state, nonce and a PKCE
verifier kept in this browser's session, and back with a code the provider vouches for. What the claims
allow is `accounts/sso.py`'s; these pages only carry the browser."""

import secrets
import time

from flask import abort, current_app, redirect, render_template, request, session, url_for

from accounts import sso
from accounts.oidc import OidcError
from web.auth import audit_now, auditor, finish_sign_in, oidc_client, public, safe_next
from web.blueprint import blp, db

START_KEYS = ("sso_state", "sso_nonce", "sso_verifier", "sso_next", "sso_started_at")
MAX_ROUND_TRIP_SECONDS = 600


def _refused(message: str, status: int):
    client = oidc_client()
    label = client.config.button_label if client is not None else None
    values = {"username": "", "next": ""}
    return render_template("sign_in.html", values=values, errors={"form": message}, sso=label), status


@blp.get("/sign-in/sso")
@public
def sso_start():
    client = oidc_client()
    if client is None:
        abort(404)
    try:
        started = client.start(_callback_url())
    except OidcError:
        current_app.logger.exception("the OpenID provider could not be reached")
        return _refused("Your council's sign-in service cannot be reached. Try again in a minute.", 502)
    for key in START_KEYS:
        session.pop(key, None)
    session.update(
        sso_state=started.state,
        sso_nonce=started.nonce,
        sso_verifier=started.code_verifier,
        sso_next=safe_next(request.args.get("next")) or "",
        sso_started_at=time.time(),
    )
    return redirect(started.url, 303)


def _callback_url() -> str:
    return url_for("web.sso_callback", _external=True)


@blp.get("/sign-in/sso/callback")
@public
def sso_callback():
    client = oidc_client()
    if client is None:
        abort(404)
    expected = {key: session.pop(key, None) for key in START_KEYS}
    state = request.args.get("state", "")
    if (
        not isinstance(expected["sso_state"], str)
        or not secrets.compare_digest(expected["sso_state"], state)
        or time.time() - float(expected["sso_started_at"] or 0) > MAX_ROUND_TRIP_SECONDS
    ):
        audit_now("auth.sso_refused", None, {"why": "state missing, wrong or too old"})
        return _refused("That sign-in did not start here, or took too long. Sign in again.", 400)
    if request.args.get("error"):
        audit_now("auth.sso_refused", None, {"why": f"provider: {request.args.get('error', '')[:100]}"})
        return _refused("Your council's sign-in service did not let you in. Ask your IT team.", 403)
    try:
        signed = client.finish(
            request.args.get("code", ""), _callback_url(), expected["sso_verifier"], expected["sso_nonce"]
        )
    except OidcError as exc:
        audit_now("auth.sso_refused", None, {"why": str(exc)[:300]})
        return _refused("Your council's sign-in could not be checked. Sign in again.", 403)
    result = sso.sign_in(
        db(),
        client.config,
        signed.claims,
        signed.refresh_token,
        secret_key=current_app.secret_key or "",
        audit=auditor(),
    )
    if result.user is None:
        return _refused(f"You cannot sign in here: {result.refused}.", 403)
    return finish_sign_in(
        result.user,
        "sso",
        expected["sso_next"] or None,
        sso_checked_at=time.time(),
        id_token=signed.id_token,
    )
