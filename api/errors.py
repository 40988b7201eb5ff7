"""Every error is RFC 9457 application/problem+json: never HTML, never a stack trace. The API's own handler of
HTTP errors (flask-smorest's, with its marshmallow schema) is `api/problem_api.py`."""

import logging

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

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


def database_unavailable(error: BaseException) -> Response:
    """503 with Retry-After for a database restart, failover or lost connection (`db.faults`): one log line,
    not a traceback, since nothing is wrong with the request or the code."""
    log.warning(
        "database unavailable, answered 503: %s %s (%s)", request.method, request.path, first_line(error)
    )
    response = problem(503, "Service Unavailable", UNAVAILABLE_DETAIL)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
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
