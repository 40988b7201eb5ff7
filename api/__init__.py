"""The HTTP layer: app factory, blueprints, error handling. Thin: parse, call one service, serialise."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from flask import Flask, request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from api import db as request_db
from api.app import OneRouteApp
from api.limits import client_address, init_limits
from api.logs import configure_logging, init_request_logging
from api.metrics import init_metrics
from api.proxies import TrustedProxiesError, trust_proxies
from config import load_settings
from config.quiet_hours import QuietHours
from config.settings import ConfigError
from db import make_engine, make_session_factory
from db.base import utcnow
from directory.areas import Areas, load_areas
from directory.config_check import log_area_problems
from geo import DATA_DIR, Geocoder, build_geocoder
from matching import load_matching_policy
from referrals.outcomes import Outcomes, load_outcomes
from referrals.policy import LifecyclePolicy, load_lifecycle_policy
from referrals.routing import RoutingContext
from referrals.snapshot import DirectorySnapshot
from referrals.tier_changes import TierChangePolicy, load_tier_change_policy
from triage import Rules, load_rules
from web.settings import check_settings as check_page_settings

API_PREFIX = "/api/"
INTAKE_ENDPOINT = "referrals.Referrals"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"
)


@dataclass
class Services:
    """What the app is built from: the composition root hands these to services, never a global."""

    settings: dict
    engine: Engine
    session_factory: sessionmaker[Session]
    geocoder: Geocoder
    areas: Areas
    routing: RoutingContext
    lifecycle_policy: LifecyclePolicy
    tier_changes: TierChangePolicy
    outcomes: Outcomes
    # The one place the worker's timers take `now` from (tests set it to drive reminders, missed visits and
    # expiries without waiting).
    clock: Callable[[], datetime] = field(default=utcnow)

    _rules: Rules | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def rules(self) -> Rules:
        """The triage rules, compiled on first use (about a second of regular expressions) and then cached
        (`load_rules`): a `flask` command that never triages starts without them, and gunicorn workers load
        them before their first request (`config/gunicorn.py`). Kept here once loaded: `load_rules` resolves
        its folder on the filesystem on every call."""
        if self._rules is None:
            rules = load_rules()
            if self.settings.get("TRIAGE_SECOND_OPINION", "1") == "1":
                from triage.second_opinion import load_second_opinion

                rules = replace(rules, second_opinion=load_second_opinion())
            self._rules = rules
        return self._rules


API_DESCRIPTION = """Referral triage and volunteer matching for local crisis response.

**What each role sees** (one rule, `referrals/access.py`; the whole table is in `docs/access.md`):

- Helpline staff and admins see every referral; safety-net officers their council's; hub coordinators what
  their organisation owns or has a pending offer (or transfer) of; partner referrers what they referred.
- **Before an organisation accepts** it sees the needs, urgency, district and `summary` ("what the helper
  needs to know", written by the call-taker), never the name, contact details, call notes (`notes` is null)
  or the words triage quoted. **After accepting** it sees them, unless it is an arm's-length group (never) or
  the person gave no consent and it is not one of the council's own teams. `personal_details` says which.
- Transfers are offers: the receiving organisation accepts or declines; the referral stays with the sender
  until then and returns to it on a decline or expiry.
- **Repeat callers**: a call for someone who looks like a person already known (the same phone in any
  format, or a similar name with the same postcode, address or date of birth) is not saved: `409` with
  `code: possible_repeat_caller` and `possible_duplicates`; send it again with `resident_id` (that person:
  a call for a need already open is added to their open referral) or `new_person: true`. Partner referrers
  are never shown other residents and never held: they get `duplicate_check`, and the helpline settles the
  call from `GET /api/v1/repeat-callers`.
- A call must be contactable: a phone number, an address or `resident.contact.safe_phone`, or a
  `no_contact_reason` in words.
- Every read that shows a person's details is audited.
- **Retrying safely**: send every call (`POST /api/v1/referrals`) and every action with an
  `Idempotency-Key` header (any unique string, such as a UUID, kept for the retries of that request). A
  retry with the same key is answered with the first answer and never acts twice; a key whose request was
  carried out but whose answer was lost answers `409` with `Retry-After` for a few minutes, then `303` to
  the referral. While the database is briefly unavailable (a restart or a failover) the answer is `503`
  with `Retry-After` (seconds): send the same request again, with the same key, after that long.
"""


def quiet_hours(settings: dict) -> QuietHours | None:
    try:
        return QuietHours.parse(str(settings["QUIET_HOURS"]), str(settings["COUNCIL_TIMEZONE"]))
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc


def create_app(config: dict | None = None, *, defer_http: bool = False) -> OneRouteApp:
    """The app. With `defer_http` its HTTP side is installed on first need (`api/app.py`); `wsgi.py` asks for
    that only when the `flask` command line loads the app to find or list its commands."""
    settings = load_settings(overrides=config)
    app = OneRouteApp(__name__, instance_relative_config=True)
    try:
        app.wsgi_app = trust_proxies(app.wsgi_app, settings["TRUSTED_PROXIES"])  # type: ignore[method-assign]
    except TrustedProxiesError as exc:
        raise ConfigError(str(exc)) from exc
    app.config.update(settings)
    app.config.update(
        API_TITLE="One Route In",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_URL_PREFIX="/",
        JSON_SORT_KEYS=False,
        API_SPEC_OPTIONS={
            "info": {"description": API_DESCRIPTION},
            "components": {
                "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            },
        },
    )
    configure_logging(settings["LOG_FORMAT"], settings["LOG_LEVEL"])  # JSON lines with the request id
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    engine = make_engine(settings["DATABASE_URL"])
    session_factory = make_session_factory(engine)
    readonly_sessions = make_session_factory(engine, readonly=True)
    areas = load_areas(Path(settings["AREAS_FILE"]))
    matching_policy = load_matching_policy()
    lifecycle_policy = replace(
        load_lifecycle_policy(matching_policy=matching_policy), quiet_hours=quiet_hours(settings)
    )
    app.extensions["oneroute"] = Services(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        geocoder=build_geocoder(settings["GEOCODER"], session_factory=readonly_sessions, data_dir=DATA_DIR),
        areas=areas,
        routing=RoutingContext(
            snapshot=DirectorySnapshot(
                readonly_sessions, areas, workload_refresh_s=settings["WORKLOAD_REFRESH_SECONDS"]
            ),
            matching_policy=matching_policy,
            lifecycle_policy=lifecycle_policy,
        ),
        lifecycle_policy=lifecycle_policy,
        tier_changes=load_tier_change_policy(),
        outcomes=load_outcomes(),
    )
    log_area_problems(readonly_sessions, areas)  # logged, not refused: calls are still saved (see the module)
    request_db.init_app(app)
    # Operations (api/logs.py, api/metrics.py): request ids and a JSON line per request; /metrics.
    init_request_logging(app)
    init_metrics(app, readonly_sessions)
    limiter = init_limits(app)
    check_page_settings(settings)  # refused when the app is built, even with the pages installed later
    if defer_http:
        app.defer_http(lambda: _register_http(app, limiter))
        app.cli.added_when_installed("openapi", "OpenAPI commands.")  # flask-smorest's, added with the API
    else:
        _register_http(app, limiter)

    from api.cli import register_cli

    register_cli(app)
    return app


def _register_http(app: Flask, limiter) -> None:
    from flask_swagger_ui import get_swaggerui_blueprint

    from api import (
        directory,
        email,
        health,
        openapi,
        oruk,
        oversight,
        referrals,
        reports,
        residents,
        sms,
        sms_notify,
        triage,
        webhooks,
    )
    from api.blueprints import ID_SCHEMA, IdConverter
    from api.errors import PROBLEM_MIMETYPE, register_domain_errors
    from api.problem_api import ProblemApi
    from web.pages import blp as web_pages

    app.url_map.converters["int"] = IdConverter
    api = ProblemApi(app)
    openapi.install(app, api.spec)
    openapi.document_webhooks(api.spec)
    openapi.document_notify_webhooks(api.spec)
    api.register_converter(IdConverter, lambda _converter: dict(ID_SCHEMA))
    app.extensions["problem_api"] = api
    register_domain_errors(app)
    for blueprint in (
        referrals.blp,
        triage.blp,
        oversight.blp,
        reports.blp,
        directory.blp,
        residents.blp,
        webhooks.blp,
    ):
        limiter.limit(app.config["RATELIMIT_API"])(blueprint)
        api.register_blueprint(blueprint)
    intake = app.config["RATELIMIT_INTAKE"]
    limiter.limit(intake, methods=["POST"], exempt_when=lambda: request.endpoint != INTAKE_ENDPOINT)(
        referrals.blp
    )
    limiter.shared_limit(app.config["RATELIMIT_ORUK"], scope="oruk", key_func=client_address)(oruk.blp)
    api.register_blueprint(oruk.blp)
    for response in api.spec.components.responses.values():
        if "application/json" in response.get("content", {}):
            response["content"] = {PROBLEM_MIMETYPE: response["content"].pop("application/json")}
    for blueprint in (health.blp, sms.blp, sms_notify.blp, email.blp, web_pages):
        app.register_blueprint(blueprint)
    docs = get_swaggerui_blueprint("/docs", "/openapi.json", config={"app_name": "One Route In"})
    app.register_blueprint(docs)

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
        if not request.path.startswith("/docs"):
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if app.config["APP_ENV"] == "production":
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.path.startswith(API_PREFIX):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
