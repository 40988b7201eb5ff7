"""Bearer-token authentication and deny-by-default role checks for every /api/v1 route."""

import logging
from collections.abc import Callable

from flask import current_app, g, request

from accounts.tokens import Principal, authenticate
from api.db import get_session
from api.errors import problem
from api.limits import bad_token_delay, record_bad_token

log = logging.getLogger(__name__)
ALLOWED_ROLES_ATTR = "_allowed_roles"
BEARER_SECURITY = [{"bearerAuth": []}]


def roles(*allowed: str) -> Callable:
    """Declare which roles may call a view. A view without this decorator refuses everyone."""

    def decorate(view: Callable) -> Callable:
        setattr(view, ALLOWED_ROLES_ATTR, frozenset(allowed))
        return view

    return decorate


def view_for(endpoint: str | None, method: str):
    """The function that answers this endpoint and method (a MethodView's method, or the view itself)."""
    view = current_app.view_functions.get(endpoint or "")
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        view = getattr(view_class, method.lower(), None)
    return view


def allowed_roles(endpoint: str | None, method: str) -> frozenset[str]:
    return getattr(view_for(endpoint, method), ALLOWED_ROLES_ATTR, frozenset())


def current_principal() -> Principal:
    return g.principal


def authenticate_request():
    """before_request hook for the API blueprints: 401 without a valid token (429 while the address waits out
    the delay its bad tokens earned), 403 for the wrong role."""
    if request.method == "OPTIONS" or request.endpoint is None:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    principal = None
    if scheme.lower() == "bearer" and token.strip():
        principal = authenticate(get_session(), token.strip())
    if principal is None:
        delayed = bad_token_delay()
        if delayed is not None:
            return delayed
        log.warning(
            "authentication failed for %s %s from %s", request.method, request.path, request.remote_addr
        )
        record_bad_token()
        audit_refusal("auth.failed", None, "no valid bearer token")
        response = problem(401, "Unauthorized", "A valid bearer token is required.")
        response.headers["WWW-Authenticate"] = 'Bearer realm="one-route-in"'
        return response
    g.principal = principal
    if principal.role not in allowed_roles(request.endpoint, request.method):
        log.warning("denied %s %s to %s (%s)", request.method, request.path, principal.label, principal.role)
        audit_refusal("auth.denied", principal, f"role {principal.role} may not use this route")
        return problem(403, "Forbidden", f"The {principal.role} role may not use this route.")
    return None


def audit_refusal(kind: str, principal: Principal | None, reason: str) -> None:
    """Failed authentication and denied authorisation are audited (the request ends here, so commit now)."""
    from referrals import audit

    who = principal or Principal(None, f"anonymous@{request.remote_addr}", "anonymous", None)
    session = get_session()
    payload = {"method": request.method, "path": request.path, "address": request.remote_addr}
    audit.record(session, kind, who, reason=reason, payload=payload)
    session.commit()
