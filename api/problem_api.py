"""flask-smorest's Api answering HTTP errors as problem+json (`api/errors.py`), and the schema the OpenAPI
document gives them. Apart so that what every request and command needs (`api.errors.problem`) does not load
flask-smorest and marshmallow: only installing the API does."""

import logging

import marshmallow as ma
from flask_smorest import Api
from werkzeug.exceptions import HTTPException, InternalServerError

from api.errors import database_unavailable, problem
from db.faults import is_unavailable

log = logging.getLogger("api.errors")  # the logger these lines always had


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
