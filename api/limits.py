"""Rate limits (Flask-Limiter): every API call per caller and intake per caller; growing delays after bad
tokens from an address (`accounts/throttle.py`). Storage is configurable: memory for development, Redis in
production (RATELIMIT_STORAGE_URI), shared by every worker."""

import hashlib

from flask import Flask, current_app, request
from flask_limiter import Limiter

from accounts.throttle import EXTENSION as THROTTLE
from accounts.throttle import LIMITER, TOKEN_ADDRESS, Throttle, ThrottleConfigError, throttle_from_settings
from api.errors import problem
from config.settings import ConfigError


def caller_key() -> str:
    """The token if one is presented (hashed), else the client address."""
    header = request.headers.get("Authorization", "")
    if header:
        return "token:" + hashlib.sha256(header.encode()).hexdigest()[:32]
    return "addr:" + (request.remote_addr or "unknown")


def client_address() -> str:
    """The client address alone: for doors without a token (the public feed), where a made-up
    Authorization header must not buy a fresh allowance."""
    return "addr:" + (request.remote_addr or "unknown")


def init_limits(app: Flask) -> Limiter:
    """While the store cannot be reached (Redis down), never a 500: with RATELIMIT_FALLBACK=memory (the
    default) each worker keeps limiting in its own memory and Flask-Limiter asks Redis again with a growing
    pause (logged once each way); with `open` the limits are not applied (each failure logged)."""
    settings = app.config
    try:
        throttle = throttle_from_settings(settings)
    except ThrottleConfigError as exc:
        raise ConfigError(str(exc)) from exc
    limiter = Limiter(
        key_func=caller_key,
        app=app,
        storage_uri=settings["RATELIMIT_STORAGE_URI"],
        strategy="moving-window",
        headers_enabled=True,
        key_prefix=settings["RATELIMIT_KEY_PREFIX"],
        in_memory_fallback_enabled=settings["RATELIMIT_FALLBACK"] == "memory",
        swallow_errors=True,
    )
    app.extensions[LIMITER] = limiter
    app.extensions[THROTTLE] = throttle
    return limiter


def auth_throttle() -> Throttle:
    """The delays after failed sign-ins and bad tokens (`accounts/throttle.py`), shared with the pages."""
    return current_app.extensions[THROTTLE]


def bad_token_delay():
    """A 429 for a request whose token is not valid, while its address waits out the delay its bad tokens
    earned. Asked only once the token has been found not valid: a valid token is never delayed by other
    people's bad tokens from the same address (an office's router, a proxy). That answers "valid or not" for a
    delayed address too, which is safe because a token is 256 random bits: the delay is against the noise
    and the audit writes of bad tokens, not against guessing one."""
    wait = auth_throttle().wait((TOKEN_ADDRESS, request.remote_addr or "unknown"))
    if not wait:
        return None
    response = problem(
        429,
        "Too Many Requests",
        f"Too many requests with a bad token came from this address; try again in {wait} seconds.",
    )
    response.headers["Retry-After"] = str(wait)
    return response


def record_bad_token() -> None:
    auth_throttle().fail((TOKEN_ADDRESS, request.remote_addr or "unknown"))
