"""The `web` blueprint and what every page shares: session cookies, CSRF checks, one database session per
request, security headers and the template helpers."""

from collections.abc import Mapping
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, request
from flask.blueprints import BlueprintSetupState
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import Session

from db import close_session
from web import formatting
from web.settings import cookie_is_secure, oidc_config

blp = Blueprint(
    "web", __name__, template_folder="templates", static_folder="static", static_url_path="/static/web"
)
csrf = CSRFProtect()
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)


@blp.record_once
def _configure(state: BlueprintSetupState) -> None:
    app = state.app
    settings = app.extensions["oneroute"].settings
    secure = cookie_is_secure(settings)
    app.config.update(
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_NAME="__Host-session" if secure else "session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,
    )
    csrf.init_app(app)
    _configure_sso(app, settings)
    app.jinja_env.filters.update(formatting.FILTERS)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def services():
    return current_app.extensions["oneroute"]


def db() -> Session:
    """This request's session for the pages; closed when the request ends. Services commit, views never."""
    if "web_db" not in g:
        g.web_db = services().session_factory()
    return g.web_db


@blp.teardown_request
def _close_session(_exc) -> None:
    session = g.pop("web_db", None)
    if session is not None:
        close_session(session)


def content_security_policy() -> str:
    """Forms post to this site only, and, with single sign-on, to the provider: signing out is a form whose
    answer sends the browser on to the provider's end_session page (a form's redirects count as its
    action)."""
    issuer = str(services().settings.get("OIDC_ISSUER") or "")
    if not issuer:
        return CONTENT_SECURITY_POLICY
    parts = urlsplit(issuer)
    return CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'", f"form-action 'self' {parts.scheme}://{parts.netloc}"
    )


@blp.after_request
def _headers(response):
    response.headers.setdefault("Content-Security-Policy", content_security_policy())
    response.headers["Referrer-Policy"] = "same-origin"
    if request.endpoint != "web.static":
        response.headers["Cache-Control"] = "no-store"
    return response


def _configure_sso(app, settings: Mapping[str, object]) -> None:
    """With OIDC_ISSUER set, one client for the app (its discovery and keys read once and kept)."""
    config = oidc_config(settings)
    if config.enabled:
        from accounts.oidc_client import OidcClient  # authlib and requests: only when single sign-on is on

        app.extensions["oneroute_oidc"] = OidcClient(config)
