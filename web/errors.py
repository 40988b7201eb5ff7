"""Errors on the pages are pages (or JSON for the scripts), never a stack trace."""

import logging
from dataclasses import dataclass

from flask import g, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import inspect as sa_inspect
from werkzeug.exceptions import HTTPException

from db import close_session
from db.faults import first_line, is_unavailable
from referrals.errors import Forbidden, NotFound
from safe_text.controls import has_controls
from web.auth import wants_json
from web.blueprint import blp

log = logging.getLogger(__name__)
MESSAGES = {
    400: ("The request could not be understood", "Go back, check what you entered and try again."),
    403: ("You cannot use this page", "Your role does not include this page. Ask an admin if you need it."),
    404: ("Page not found", "There is nothing here, or it is not yours to see. Check the address or number."),
    405: ("That cannot be done here", "Go back and use the buttons on the page."),
    413: ("The file is too large", "Split it into smaller files and upload them one by one."),
    500: ("Sorry, something went wrong", "It has been logged. Try again in a moment."),
}
UNAVAILABLE_MESSAGE = (
    "The service is briefly unavailable",
    "Your form is kept: go back in your browser, where what you typed is still on the page, wait a "
    "minute and send it again. What you sent may not have been saved yet.",
)
RETRY_AFTER_SECONDS = 5
CSRF_MESSAGE = (
    "This form could not be sent",
    "It was not sent from this site's own page, or the page was open too long. "
    "Go back, reload the page and send the form again.",
)

CONTROLS_MESSAGE = (
    "What you sent holds characters that cannot be used",
    "It has a control character (such as a NUL byte), which no one types and which could not be saved. "
    "Go back, retype what you entered and send it again.",
)


def error_page(status: int, title: str, detail: str):
    if wants_json():
        return jsonify(error=f"{title}. {detail}"), status
    return render_template("error.html", title=title, detail=detail, status=status), status


@blp.before_request
def _refuse_control_characters():
    """Before any page reads them: control characters in the query string or the address (one line: none at
    all) or in a form's fields (tabs and line breaks allowed, for the boxes that take several lines) are a
    400 page. NUL bytes gave a 500 (PostgreSQL refuses them) and a log line holding the person's details."""
    one_line = [
        *(text for pair in request.args.items(multi=True) for text in pair),
        *request.form.keys(),
        *(value for value in (request.view_args or {}).values() if isinstance(value, str)),
    ]
    fields = (value for _key, value in request.form.items(multi=True))
    if any(has_controls(text, multi_line=False) for text in one_line) or any(
        has_controls(text, multi_line=True) for text in fields
    ):
        log.warning("refused %s %s: control characters in the input", request.method, request.path)
        return error_page(400, *CONTROLS_MESSAGE)
    return None


@blp.errorhandler(CSRFError)
def _csrf(error: CSRFError):
    log.warning("CSRF refused: %s", error.description)
    return error_page(400, *CSRF_MESSAGE)


@blp.errorhandler(NotFound)
def _not_found(_error: NotFound):
    return error_page(404, *MESSAGES[404])


@blp.errorhandler(Forbidden)
def _forbidden(error: Forbidden):
    return error_page(403, MESSAGES[403][0], f"{str(error)[:1].upper()}{str(error)[1:]}.")


@blp.errorhandler(HTTPException)
def _http(error: HTTPException):
    status = error.code or 500
    title, detail = MESSAGES.get(status, (error.name, error.description or ""))
    return error_page(status, title, detail)


@blp.errorhandler(Exception)
def _unexpected(error: Exception):
    if is_unavailable(error):
        return _database_unavailable(error)
    log.exception("unhandled error on a page", exc_info=error)
    session = g.get("web_db")
    if session is not None:
        session.rollback()  # after a database error the page itself (who is signed in) still reads
    return error_page(500, *MESSAGES[500])


@dataclass(frozen=True)
class _SignedIn:
    """Who is signed in as last read, for a page drawn while the database cannot be asked again."""

    id: int
    role: str | None
    display_name: str


def _as_last_read(user) -> "_SignedIn | None":
    """The signed-in user's fields as already loaded (a failed transaction expires them, and the session is
    about to close): None when they are not all there, and the page then has no menu."""
    if user is None:
        return None
    loaded = sa_inspect(user).dict
    if not {"id", "role", "display_name"} <= set(loaded):
        return None
    return _SignedIn(loaded["id"], loaded["role"], loaded["display_name"])


def _database_unavailable(error: Exception):
    """A restart or failover of the database (`db.faults`): 503 with Retry-After, one log line. The call form
    comes back filled in as it was sent; any other page says the form is kept (the browser's Back has it)."""
    from web.calls import render_call_kept

    log.warning(
        "database unavailable, page answered 503: %s %s (%s)", request.method, request.path, first_line(error)
    )
    g.web_user = _as_last_read(g.get("web_user"))
    session = g.pop("web_db", None)
    if session is not None:
        close_session(session)
    kept = render_call_kept()
    response = make_response(kept if kept is not None else error_page(503, *UNAVAILABLE_MESSAGE))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
