"""Rate limits (Flask-Limiter): every API call per caller, intake per caller, and failed authentication per
address. Storage is configurable: memory for development, Redis in production (RATELIMIT_STORAGE_URI)."""

import hashlib

from flask import Flask, current_app, request
from flask_limiter import Limiter
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from api.errors import problem


def caller_key() -> str:
    """The token if one is presented (hashed), else the client address."""
    header = request.headers.get("Authorization", "")
    if header:
        return "token:" + hashlib.sha256(header.encode()).hexdigest()[:32]
    return "addr:" + (request.remote_addr or "unknown")


def init_limits(app: Flask) -> Limiter:
    settings = app.config
    limiter = Limiter(
        key_func=caller_key,
        app=app,
        storage_uri=settings["RATELIMIT_STORAGE_URI"],
        strategy="moving-window",
        headers_enabled=True,
        key_prefix="oneroute",
    )
    failures = MovingWindowRateLimiter(storage_from_string(settings["RATELIMIT_STORAGE_URI"]))
    app.extensions["auth_failures"] = (failures, parse(settings["RATELIMIT_AUTH_FAILURES"]))
    return limiter


def _failure_key() -> tuple[str, str]:
    return ("oneroute-auth-failures", request.remote_addr or "unknown")


def too_many_failures():
    """429 before even looking at the token when this address has failed too often."""
    limiter, limit = current_app.extensions["auth_failures"]
    if not limiter.test(limit, *_failure_key()):
        response = problem(
            429, "Too Many Requests", "Too many failed sign-ins from this address; wait a minute."
        )
        response.headers["Retry-After"] = str(limit.get_expiry())
        return response
    return None


def record_failure() -> None:
    limiter, limit = current_app.extensions["auth_failures"]
    limiter.hit(limit, *_failure_key())
