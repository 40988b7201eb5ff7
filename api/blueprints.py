"""Every /api/v1 blueprint is made here, so none can forget authentication or the JSON body rule."""

from flask import request
from flask_smorest import Blueprint

from api.auth import authenticate_request
from api.errors import problem

JSON_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def require_json_body():
    has_body = bool(request.content_length) or request.headers.get("Transfer-Encoding") == "chunked"
    if request.method in JSON_BODY_METHODS and has_body and not request.is_json:
        return problem(415, "Unsupported Media Type", "Send the body as application/json.")
    return None


def api_blueprint(name: str, import_name: str, url_prefix: str, description: str) -> Blueprint:
    blueprint = Blueprint(name, import_name, url_prefix=url_prefix, description=description)
    blueprint.before_request(authenticate_request)
    blueprint.before_request(require_json_body)
    return blueprint
