"""What every operation of the OpenAPI document says without each view having to say it, so an endpoint
added later is documented the same way: an apispec plugin that flask-smorest runs on each operation as its
blueprint is registered.

- `operationId`: the method and the path, in lower camel case (`POST /api/v1/referrals/{referral_id}/accept`
  is `postReferralsByReferralIdAccept`); a view may set its own with `@blp.doc(operationId=...)`.
- The error answers each operation can give, all problem+json (`api/errors.py`): 401 and 403 where a token
  is required; 404 where the path names something; 400 (a body that is not JSON) and 415 (not sent as JSON)
  where a body is read; 409 where a POST acts on something that exists or takes an Idempotency-Key; 422
  (control characters in the query, invalid fields); 429 (rate limits, with Retry-After); 503 (the database
  not answering, with Retry-After); anything else is `default`.
- The `Idempotency-Key` header, on the views `api.idempotency.idempotent` wraps (and their 409 and 410).

`document_webhooks` adds the Twilio webhooks, which are not flask-smorest views (they take Twilio's signed
form, not JSON), as OpenAPI 3.1 `webhooks`.
"""

import re
from collections.abc import Callable

from apispec import APISpec, BasePlugin
from flask import Flask
from werkzeug.routing import Rule

from api.errors import PROBLEM_MIMETYPE

API_PATH_PREFIX = "/api/v1"
BODY_METHODS = frozenset({"post", "put", "patch"})
IDEMPOTENT_ATTR = "_idempotent"
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 0},
    }
}
# status → (component name, description, has Retry-After); named apart from the responses flask-smorest
# registers itself (UNPROCESSABLE_ENTITY, DEFAULT_ERROR, ...)
ERRORS: dict[int, tuple[str, str, bool]] = {
    400: (
        "BadRequestProblem",
        "The body is not JSON this service can read, or a blank Idempotency-Key",
        False,
    ),
    401: ("UnauthorizedProblem", "No valid bearer token (missing, unknown, expired or revoked)", False),
    403: ("ForbiddenProblem", "The token's role may not do this (or not to this referral)", False),
    404: ("NotFoundProblem", "Nothing with that id, or nothing the caller may see", False),
    409: (
        "ConflictProblem",
        "The action does not fit the state it is in (current_state says which), a possible repeat caller "
        "(code possible_repeat_caller), or a request with this Idempotency-Key still being processed",
        False,
    ),
    410: (
        "GoneProblem",
        "This Idempotency-Key's request was about a person since erased: not repeated",
        False,
    ),
    415: ("UnsupportedMediaTypeProblem", "The body was not sent as application/json", False),
    422: ("UnprocessableContentProblem", "Invalid fields, or control characters in the query string", False),
    429: ("TooManyRequestsProblem", "Too many requests from this caller: wait Retry-After seconds", True),
    503: (
        "ServiceUnavailableProblem",
        "The database is not answering: try again after Retry-After seconds",
        True,
    ),
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Any unique text of up to 200 characters (a UUID): a retry with the same key and body "
    "gets the first answer (Idempotent-Replayed: true) instead of acting twice; keys are per token",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
}

SEE_OTHER = {
    "description": "The request with this Idempotency-Key was carried out but its answer was lost: see the "
    "referral it acted on (Location)",
    "headers": {"Location": {"schema": {"type": "string"}}},
}


def operation_id(method: str, path: str) -> str:
    words = [method.lower()]
    for segment in path.removeprefix(API_PATH_PREFIX).strip("/").split("/"):
        if segment.startswith("{"):
            words += ["by", *re.split(r"[^0-9A-Za-z]+", segment.strip("{}"))]
        else:
            words += re.split(r"[^0-9A-Za-z]+", segment)
    words = [word for word in words if word]
    return words[0] + "".join(word[:1].upper() + word[1:] for word in words[1:])


def errors_for(method: str, path: str, operation: dict, idempotent: bool) -> list[int]:
    statuses = [422, 429, 503]
    if operation.get("security"):
        statuses += [401, 403]
    if "{" in path:
        statuses.append(404)
    if method in BODY_METHODS and path.startswith(API_PATH_PREFIX):
        statuses += [400, 415]
        if idempotent or "{" in path:
            statuses.append(409)
    if idempotent:
        statuses += [409, 410]
    return sorted(set(statuses))


class OperationConventions(BasePlugin):
    def __init__(self, view_for: Callable[[Rule, str], object]) -> None:
        self._view_for = view_for

    def init_spec(self, spec: APISpec) -> None:
        super().init_spec(spec)
        for name, description, retry_after in ERRORS.values():
            response: dict = {
                "description": description,
                "content": {PROBLEM_MIMETYPE: {"schema": "Problem"}},
            }
            if retry_after:
                response["headers"] = RETRY_AFTER
            spec.components.response(name, response)

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        rule = kwargs.get("rule")
        for method, operation in (operations or {}).items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            openapi_path = path or ""
            operation.setdefault("operationId", operation_id(method, openapi_path))
            view = self._view_for(rule, method) if rule is not None else None
            idempotent = bool(getattr(view, IDEMPOTENT_ATTR, False))
            for status in errors_for(method, openapi_path, operation, idempotent):
                operation["responses"].setdefault(str(status), ERRORS[status][0])
            if idempotent:
                operation["responses"].setdefault("303", SEE_OTHER)
                parameters = operation.setdefault("parameters", [])
                if not any(
                    p.get("name") == IDEMPOTENCY_KEY["name"] for p in parameters if isinstance(p, dict)
                ):
                    parameters.append(dict(IDEMPOTENCY_KEY))


def install(app: Flask, spec: APISpec) -> None:
    """Add the conventions to the spec before any blueprint is registered."""

    def view_for(rule: Rule, method: str):
        view = app.view_functions.get(rule.endpoint)
        view_class = getattr(view, "view_class", None)
        return getattr(view_class, method.lower(), None) if view_class is not None else view

    plugin = OperationConventions(view_for)
    plugin.init_spec(spec)
    spec.plugins.append(plugin)


TWILIO_FORM = {
    "type": "object",
    "properties": {
        "MessageSid": {"type": "string", "description": "Twilio's id of the message"},
        "From": {"type": "string", "description": "The sender's phone number (E.164)"},
        "To": {"type": "string", "description": "Our number"},
        "Body": {"type": "string", "description": "The text"},
    },
    "required": ["MessageSid", "From"],
}
STATUS_FORM = {
    "type": "object",
    "properties": {
        "MessageSid": {"type": "string"},
        "MessageStatus": {
            "type": "string",
            "description": "queued, sent, delivered, undelivered, failed, ...",
        },
        "ErrorCode": {"type": "integer", "description": "Twilio's error code when it failed"},
    },
    "required": ["MessageSid", "MessageStatus"],
}
SIGNATURE = {
    "name": "X-Twilio-Signature",
    "in": "header",
    "required": True,
    "description": "Twilio's signature (TWILIO_AUTH_TOKEN) over PUBLIC_BASE_URL + path + query and the form",
    "schema": {"type": "string"},
}
REFUSED = {
    "403": {
        "description": "No valid X-Twilio-Signature (or no TWILIO_AUTH_TOKEN set): refused and audited",
        "content": {PROBLEM_MIMETYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    },
    "422": {
        "description": "A signed form without the fields it needs",
        "content": {PROBLEM_MIMETYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    },
    "503": {"$ref": "#/components/responses/ServiceUnavailableProblem"},
}


NOTIFY_AUTH = {
    "name": "Authorization",
    "in": "header",
    "required": True,
    "description": "Bearer NOTIFY_CALLBACK_TOKEN: the token set on the Notify service's callbacks",
    "schema": {"type": "string"},
}
NOTIFY_REFUSED = {
    "400": {
        "description": "Not a JSON object",
        "content": {PROBLEM_MIMETYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    },
    "403": {
        "description": "No valid bearer token (or no NOTIFY_CALLBACK_TOKEN set): refused and audited",
        "content": {PROBLEM_MIMETYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    },
    "422": {
        "description": "A callback without the fields it needs",
        "content": {PROBLEM_MIMETYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    },
    "503": {"$ref": "#/components/responses/ServiceUnavailableProblem"},
}
NOTIFY_RECEIPT = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "format": "uuid", "description": "Notify's id of the notification"},
        "reference": {"type": "string", "description": "Ours: outbox-<row>-<attempt>, sent with the text"},
        "to": {"type": "string"},
        "status": {
            "type": "string",
            "enum": ["delivered", "permanent-failure", "temporary-failure", "technical-failure"],
        },
    },
    "required": ["id", "status"],
}
NOTIFY_RECEIVED = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "source_number": {"type": "string", "description": "The sender's phone number"},
        "destination_number": {"type": "string", "description": "The service's number"},
        "message": {"type": "string"},
        "date_received": {"type": "string"},
    },
    "required": ["id", "source_number"],
}


def document_notify_webhooks(spec: APISpec) -> None:
    """GOV.UK Notify's callbacks to this service (set on the Notify service, SMS_PROVIDER=notify)."""
    spec.options.setdefault("webhooks", {})
    for name, path, schema, summary in (
        ("notifyStatus", "/sms/notify/status", NOTIFY_RECEIPT, "a delivery receipt for a text we sent"),
        ("notifyInbound", "/sms/notify/inbound", NOTIFY_RECEIVED, "a text received (YES, NO, DONE, STOP...)"),
    ):
        spec.options["webhooks"][name] = {
            "post": {
                "operationId": "post" + name[0].upper() + name[1:],
                "summary": f"POST {path}: {summary}",
                "tags": ["sms"],
                "parameters": [NOTIFY_AUTH],
                "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
                "responses": {
                    "204": {"description": "Recorded (a received text is answered by SMS)"},
                    **NOTIFY_REFUSED,
                },
            }
        }


def document_webhooks(spec: APISpec) -> None:
    """Twilio's requests to this service (configure them on the Twilio number and its messages)."""
    form = "application/x-www-form-urlencoded"
    spec.options.setdefault("webhooks", {})
    spec.options["webhooks"]["smsInbound"] = {
        "post": {
            "operationId": "postSmsInbound",
            "summary": "POST /sms/inbound: a text from a lead or volunteer (YES, NO, DONE, HELP, STOP)",
            "tags": ["sms"],
            "parameters": [SIGNATURE],
            "requestBody": {"required": True, "content": {form: {"schema": TWILIO_FORM}}},
            "responses": {
                "200": {
                    "description": "TwiML: the reply to text back, if any",
                    "content": {"application/xml": {"schema": {"type": "string"}}},
                },
                **REFUSED,
            },
        }
    }
    spec.options["webhooks"]["smsStatus"] = {
        "post": {
            "operationId": "postSmsStatus",
            "summary": "POST /sms/status?m={outbox id}: Twilio's delivery status for a text we sent",
            "tags": ["sms"],
            "parameters": [
                SIGNATURE,
                {
                    "name": "m",
                    "in": "query",
                    "required": True,
                    "description": "Our outbox id, set in the callback URL when the text was sent",
                    "schema": {"type": "integer"},
                },
            ],
            "requestBody": {"required": True, "content": {form: {"schema": STATUS_FORM}}},
            "responses": {"204": {"description": "Recorded"}, **REFUSED},
        }
    }
