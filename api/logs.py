"""Log lines a machine can read: JSON (python-json-logger), each carrying the request id, who asked (a user
or token id and its role: never a name, never personal data) and, for the line that ends a request, the
route, status and time taken.

The request id is the caller's `X-Request-ID` when it is a plain token (letters, digits, `.`, `_`, `-`, at
most 128 characters: a load balancer's or another service's id, so one request can be followed across
them), or a new one; it is sent back in the response's `X-Request-ID`. The worker gives each tick its own
id, so the lines one tick writes can be read together. `LOG_FORMAT=text` writes the same fields as plain
text for a developer's terminal.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
import uuid
from collections.abc import Iterator
from contextvars import ContextVar

from flask import Flask, g, request

from config.settings import ConfigError

LOG_FORMATS = ("json", "text")
REQUEST_ID_HEADER = "X-Request-ID"
ACCEPTED_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
CONTEXT_FIELDS = ("request_id", "user", "role")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
JSON_FIELDS = ("asctime", "levelname", "name", "message")
RENAMED = {"asctime": "time", "levelname": "level", "name": "logger"}
request_log = logging.getLogger("oneroute.request")

_context: ContextVar[dict[str, str] | None] = ContextVar("oneroute_log_context", default=None)


class ContextFilter(logging.Filter):
    """Adds the current request's (or worker tick's) id, user and role to every record; '-' outside one."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get() or {}
        for field in CONTEXT_FIELDS:
            if not hasattr(record, field):
                setattr(record, field, context.get(field, "-"))
        return True


def json_formatter():
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(
        list(JSON_FIELDS) + list(CONTEXT_FIELDS), rename_fields=RENAMED, datefmt="%Y-%m-%dT%H:%M:%S%z"
    )


def log_handler(log_format: str, stream=None) -> logging.Handler:
    """A handler writing JSON lines (or text) with the request id, user and role of the line's context."""
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(json_formatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    return handler


def configure_logging(log_format: str, level: str = "INFO") -> None:
    """One handler on the root logger, JSON or text, with the context filter. Called by the app factory; a
    second call replaces the handler rather than adding another."""
    if log_format not in LOG_FORMATS:
        raise ConfigError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}")
    handler = log_handler(log_format)
    handler.set_name("oneroute")
    root = logging.getLogger()
    for existing in [h for h in root.handlers if h.get_name() == "oneroute"]:
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id_from(header: str | None) -> str:
    """The caller's id when it is a plain token, else a new one (a header is never trusted to be safe)."""
    if header and ACCEPTED_REQUEST_ID.match(header):
        return header
    return new_request_id()


@contextlib.contextmanager
def log_context(**fields: str) -> Iterator[dict[str, str]]:
    """Every line logged inside carries these fields (request_id, user, role); the worker uses it per tick."""
    context = {"request_id": new_request_id(), **fields}
    token = _context.set(context)
    try:
        yield context
    finally:
        _context.reset(token)


def current_request_id() -> str | None:
    context = _context.get()
    return context["request_id"] if context else None


def init_request_logging(app: Flask) -> None:
    """The request id in and out, and one line per request: method, route (the URL rule, never the path or
    its query, which may name a person), status and milliseconds, with who asked."""

    @app.before_request
    def _start():
        g.request_started = time.perf_counter()
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        g.log_context_token = _context.set({"request_id": request_id})

    @app.after_request
    def _finish(response):
        context = _context.get()
        if context is None:  # a request that failed before our first hook
            return response
        context.update(_who())
        response.headers[REQUEST_ID_HEADER] = context["request_id"]
        started = g.get("request_started")
        request_log.info(
            "request",
            extra={
                "method": request.method,
                "route": request.url_rule.rule if request.url_rule else "unmatched",
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
            },
        )
        return response

    @app.teardown_request
    def _end(_error):
        token = g.pop("log_context_token", None)
        if token is not None:
            _context.reset(token)


def _who() -> dict[str, str]:
    """The signed-in user's or the token's id and role: ids only, so no log line names anyone."""
    principal = g.get("principal")
    if principal is not None:
        return {"user": f"token:{principal.token_id}", "role": principal.role}
    user = g.get("web_user")
    if user is not None:
        return {"user": f"user:{user.id}", "role": user.role}
    return {}
