"""The OpenAPI document: valid (openapi-spec-validator), every operation with a unique operationId and the
error answers it can give, the Idempotency-Key header where it is honoured, the Twilio webhooks; and an
endpoint added later gets the same without saying so."""

import re

import marshmallow as ma
from openapi_spec_validator import validate

from api import create_app
from api.auth import BEARER_SECURITY, roles
from api.blueprints import api_blueprint
from api.idempotency import idempotent

METHODS = {"get", "post", "put", "patch", "delete"}


def operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def header_names(operation):
    return {p["name"] for p in operation.get("parameters", []) if p.get("in") == "header"}


def test_the_document_is_valid_openapi_3_1(client):
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_every_operation_has_a_unique_operation_id(client):
    spec = client.get("/openapi.json").get_json()
    ids = [operation.get("operationId") for _, _, operation in operations(spec)]
    ids += [item["post"]["operationId"] for item in spec["webhooks"].values()]
    assert None not in ids
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][A-Za-z0-9]*", operation_id) for operation_id in ids)
    post = spec["paths"]["/api/v1/referrals/{referral_id}/accept"]["post"]
    assert post["operationId"] == "postReferralsByReferralIdAccept"


def test_every_operation_documents_the_errors_it_can_give_as_problems(client):
    spec = client.get("/openapi.json").get_json()
    missing = []
    for method, path, operation in operations(spec):
        expected = {"422", "429", "503"}
        if operation.get("security"):
            expected |= {"401", "403"}
        if "{" in path:
            expected.add("404")
        if method == "post" and path.startswith("/api/v1/"):
            expected |= {"400", "415"}
        if "Idempotency-Key" in header_names(operation):
            expected |= {"409", "410"}
        missing += [f"{method} {path}: {status}" for status in sorted(expected - set(operation["responses"]))]
    assert missing == []
    responses = spec["components"]["responses"]
    for name in ("TooManyRequestsProblem", "ServiceUnavailableProblem"):
        assert "Retry-After" in responses[name]["headers"]
    for response in responses.values():
        assert list(response["content"]) == ["application/problem+json"]


def test_the_idempotency_key_is_documented_where_it_is_honoured(client):
    spec = client.get("/openapi.json").get_json()
    with_key = {
        (method, path) for method, path, op in operations(spec) if "Idempotency-Key" in header_names(op)
    }
    assert ("post", "/api/v1/referrals") in with_key
    assert ("post", "/api/v1/referrals/{referral_id}/accept") in with_key
    assert ("post", "/api/v1/residents/{resident_id}/erase") in with_key
    assert ("post", "/api/v1/triage/preview") not in with_key, "preview changes nothing: no key"
    assert all(method == "post" for method, _ in with_key)
    conflicts = spec["paths"]["/api/v1/referrals"]["post"]["responses"]
    assert conflicts["409"] == {"$ref": "#/components/responses/ConflictProblem"}


def test_the_twilio_webhooks_are_documented(client):
    webhooks = client.get("/openapi.json").get_json()["webhooks"]
    inbound, status = webhooks["smsInbound"]["post"], webhooks["smsStatus"]["post"]
    for webhook in (inbound, status):
        assert "X-Twilio-Signature" in header_names(webhook)
        assert "application/x-www-form-urlencoded" in webhook["requestBody"]["content"]
        assert "403" in webhook["responses"]
    assert "/sms/inbound" in inbound["summary"]
    assert "/sms/status" in status["summary"]


def test_the_notify_callbacks_are_documented_and_every_webhook_route_is(app, client):
    webhooks = client.get("/openapi.json").get_json()["webhooks"]
    for name, path in (("notifyStatus", "/sms/notify/status"), ("notifyInbound", "/sms/notify/inbound")):
        webhook = webhooks[name]["post"]
        assert path in webhook["summary"]
        assert "Authorization" in header_names(webhook)
        assert "application/json" in webhook["requestBody"]["content"]
        assert {"403", "422"} <= set(webhook["responses"])
    documented = {item["post"]["summary"].split()[1].rstrip(":").split("?")[0] for item in webhooks.values()}
    routes = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/sms/")}
    assert routes == documented, "every SMS provider's route is a documented webhook"


def test_an_endpoint_added_later_is_documented_the_same_way(database_url, session_factory):
    app = create_app({"DATABASE_URL": database_url})
    blueprint = api_blueprint("later", __name__, url_prefix="/api/v1", description="Added later")

    @blueprint.post("/things/<int:thing_id>/poke")
    @roles("admin")
    @blueprint.doc(security=BEARER_SECURITY)
    @blueprint.arguments(ma.Schema.from_dict({"why": ma.fields.String()}))
    @blueprint.response(200)
    @idempotent
    def poke(body, thing_id):
        return {}

    app.extensions["problem_api"].register_blueprint(blueprint)
    spec = app.test_client().get("/openapi.json").get_json()
    validate(spec)
    operation = spec["paths"]["/api/v1/things/{thing_id}/poke"]["post"]
    assert operation["operationId"] == "postThingsByThingIdPoke"
    assert {"400", "401", "403", "404", "409", "410", "415", "422", "429", "503"} <= set(
        operation["responses"]
    )
    assert "Idempotency-Key" in header_names(operation)
    app.extensions["oneroute"].engine.dispose()
