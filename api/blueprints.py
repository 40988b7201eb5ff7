"""Every /api/v1 blueprint is made here, so none can forget authentication or the JSON body rule."""

import json

from flask import request
from flask_smorest import Blueprint
from werkzeug.exceptions import UnprocessableEntity
from werkzeug.routing import IntegerConverter

from api.auth import authenticate_request
from api.errors import problem
from safe_text.controls import MESSAGE as CONTROLS_MESSAGE
from safe_text.controls import TooDeep, has_controls, strings_with_controls

JSON_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
MAX_ID = 2**31 - 1
MAX_JSON_DEPTH = 32  # the deepest body the schemas take is 4 levels; this is far past any honest one
BODY_OPTIONAL_ATTR = "_body_optional"


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: a non-negative integer that fits the database's integer columns."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


ID_SCHEMA = {"type": "integer", "minimum": 0, "maximum": MAX_ID}


def body_optional(view):
    """Mark a POST view that may be called without a body (accept, start)."""
    setattr(view, BODY_OPTIONAL_ATTR, True)
    return view


def _body_is_optional() -> bool:
    from api.auth import view_for

    return getattr(view_for(request.endpoint, request.method), BODY_OPTIONAL_ATTR, False)


def require_json_body():
    if request.method not in JSON_BODY_METHODS:
        return None
    has_body = bool(request.content_length) or request.headers.get("Transfer-Encoding") == "chunked"
    if (has_body or not _body_is_optional()) and not request.is_json:
        return problem(415, "Unsupported Media Type", "Send the body as application/json.")
    return None


def refuse_bad_input():
    """What the schemas never see: control characters in the query string (one line: none at all) or in the
    body's strings (tabs and line breaks allowed) are 422, naming the fields; a body that is not JSON, is
    nested more than MAX_JSON_DEPTH deep or holds a number too long to read is 400. All before any parsing
    that could fail with a 500 (Python's json raises RecursionError and ValueError the parsers miss)."""
    errors = {
        key if not has_controls(key, multi_line=False) else "_query": [CONTROLS_MESSAGE]
        for key, value in request.args.items(multi=True)
        if has_controls(key, multi_line=False) or has_controls(value, multi_line=False)
    }
    if request.method in JSON_BODY_METHODS and request.is_json:
        body = request.get_data(cache=True)
        if body:
            try:
                document = json.loads(body)
                errors.update(
                    {path: [CONTROLS_MESSAGE] for path in strings_with_controls(document, MAX_JSON_DEPTH)}
                )
            except (RecursionError, TooDeep):
                return problem(
                    400, "Bad Request", f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep."
                )
            except json.JSONDecodeError as exc:
                return problem(
                    400, "Bad Request", f"The body is not valid JSON: {exc.msg} (character {exc.pos})."
                )
            except UnicodeDecodeError:
                return problem(400, "Bad Request", "The body is not valid JSON: it is not UTF-8 text.")
            except ValueError:
                return problem(400, "Bad Request", "The body holds a number with too many digits to read.")
    if errors:
        detail = "The request has invalid fields: " + ", ".join(sorted(errors))
        return problem(422, UnprocessableEntity().name, detail, errors)
    return None


def api_blueprint(name: str, import_name: str, url_prefix: str, description: str) -> Blueprint:
    blueprint = Blueprint(name, import_name, url_prefix=url_prefix, description=description)
    blueprint.before_request(authenticate_request)
    blueprint.before_request(require_json_body)
    blueprint.before_request(refuse_bad_input)
    return blueprint
