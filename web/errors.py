"""Errors on the pages are pages (or JSON for the scripts), never a stack trace."""

import logging

from flask import jsonify, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from referrals.errors import Forbidden, NotFound
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
CSRF_MESSAGE = (
    "This form could not be sent",
    "It was not sent from this site's own page, or the page was open too long. "
    "Go back, reload the page and send the form again.",
)


def error_page(status: int, title: str, detail: str):
    if wants_json():
        return jsonify(error=f"{title}. {detail}"), status
    return render_template("error.html", title=title, detail=detail, status=status), status


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
    log.exception("unhandled error on a page", exc_info=error)
    return error_page(500, *MESSAGES[500])
