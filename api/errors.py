"""Every error is RFC 9457 application/problem+json: never HTML, never a stack trace."""

import logging

import marshmallow as ma
from flask import Flask, Response, json, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException, InternalServerError

from db.faults import first_line, is_unavailable
from referrals.errors import Conflict, DomainValidationError, Forbidden, NotFound

log = logging.getLogger(__name__)
PROBLEM_TYPE_BASE = "https://oneroutein.org/problems/"
PROBLEM_MIMETYPE = "application/problem+json"
# A restart takes seconds, a failover tens: a retry after this finds it back, or is told to wait again.
RETRY_AFTER_SECONDS = 5
UNAVAILABLE_DETAIL = (
    "The database is briefly unavailable (a restart or a failover), so this request may not have been "
    "carried out. Send it again after Retry-After seconds with the same Idempotency-Key header: a call "
    "(POST /api/v1/referrals) and every action are safe to retry with it, and a request that was carried "
    "out is answered, never done twice. Without an Idempotency-Key, check before sending it again."
)


class ProblemSchema(ma.Schema):
    type = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String()
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": "Validation messages per field, as dotted paths (resident.postcode)"},
    )
    current_state = ma.fields.String(metadata={"description": "For 409: the state that refused the action"})


def problem(status: int, title: str, detail: str = "", errors: dict | None = None, **extra) -> Response:
    body: dict = {
        "type": PROBLEM_TYPE_BASE + title.lower().replace(" ", "-"),
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body.update(extra)
    return Response(json.dumps(body), status=status, mimetype=PROBLEM_MIMETYPE)


def flatten_messages(messages, prefix: str = "") -> dict[str, list[str]]:
    """Turn marshmallow's nested messages into {"resident.postcode": ["..."]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_schema"] = list(messages)
        return flat
    if isinstance(messages, dict):
        for key, value in messages.items():
            flat.update(flatten_messages(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    flat[prefix or "_schema"] = [str(messages)]
    return flat


def _validation_errors(error: HTTPException) -> dict[str, list[str]] | None:
    data = getattr(error, "data", None) or {}
    messages = data.get("errors") or data.get("messages")
    if not messages:
        return None
    # webargs nests by location ({"json": {...}}); the location is noise for a caller.
    if isinstance(messages, dict) and set(messages) <= {"json", "query", "headers", "form", "view_args"}:
        merged: dict = {}
        for value in messages.values():
            merged.update(value if isinstance(value, dict) else {"_schema": value})
        messages = merged
    return flatten_messages(messages)


def database_unavailable(error: BaseException) -> Response:
    """503 with Retry-After for a database restart, failover or lost connection (`db.faults`): one log line,
    not a traceback, since nothing is wrong with the request or the code."""
    log.warning(
        "database unavailable, answered 503: %s %s (%s)", request.method, request.path, first_line(error)
    )
    response = problem(503, "Service Unavailable", UNAVAILABLE_DETAIL)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class ProblemApi(Api):
    """flask-smorest's Api, answering errors as problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error: HTTPException):
        if isinstance(error, InternalServerError):
            original = getattr(error, "original_exception", None)
            if is_unavailable(original):
                return database_unavailable(original)
            if original is not None:
                log.exception("unhandled error", exc_info=original)
            return problem(500, "Internal Server Error", "Something went wrong; it has been logged.")
        data = getattr(error, "data", None) or {}
        detail = data.get("message") or error.description or ""
        errors = _validation_errors(error)
        if error.code == 422 and errors:
            detail = "The request has invalid fields: " + ", ".join(sorted(errors))
        response = problem(error.code or 500, error.name, detail, errors)
        for key, value in (data.get("headers") or {}).items():
            response.headers[key] = value
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response


def register_domain_errors(app: Flask) -> None:
    @app.errorhandler(DomainValidationError)
    def _invalid(error: DomainValidationError):
        return problem(422, "Unprocessable Content", str(error), {error.field: [error.message]})

    @app.errorhandler(NotFound)
    def _not_found(error: NotFound):
        return problem(404, "Not Found", str(error))

    @app.errorhandler(Forbidden)
    def _forbidden(error: Forbidden):
        return problem(403, "Forbidden", str(error))

    @app.errorhandler(Conflict)
    def _conflict(error: Conflict):
        extra = {"current_state": error.current_state} if error.current_state else {}
        return problem(409, "Conflict", str(error), **extra)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return app.extensions["problem_api"].handle_http_exception(error)
        if is_unavailable(error):
            return database_unavailable(error)
        log.exception("unhandled error", exc_info=error)
        return problem(500, "Internal Server Error", "Something went wrong; it has been logged.")
