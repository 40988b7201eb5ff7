"""Every /api/v1 blueprint is made here, so none can forget authentication or the JSON body rule."""

from flask import request
from flask_smorest import Blueprint
from werkzeug.routing import IntegerConverter

from api.auth import authenticate_request
from api.errors import problem

JSON_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
MAX_ID = 2**31 - 1
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


def api_blueprint(name: str, import_name: str, url_prefix: str, description: str) -> Blueprint:
    blueprint = Blueprint(name, import_name, url_prefix=url_prefix, description=description)
    blueprint.before_request(authenticate_request)
    blueprint.before_request(require_json_body)
    return blueprint
