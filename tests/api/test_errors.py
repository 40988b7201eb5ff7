import pytest

from tests.builders import call

PROBLEM = "application/problem+json"


def test_malformed_json_is_400_problem(client, helpline):
    response = client.post(
        "/api/v1/referrals", data="{not json", content_type="application/json", headers=helpline
    )
    assert response.status_code == 400
    assert response.mimetype == PROBLEM


def test_non_json_body_is_415(client, helpline):
    response = client.post("/api/v1/referrals", data="channel=phone", headers=helpline)
    assert response.status_code == 415
    assert response.mimetype == PROBLEM


def test_oversized_body_is_413(client, helpline):
    body = call(notes="x" * (70 * 1024))
    response = client.post("/api/v1/referrals", json=body, headers=helpline)
    assert response.status_code == 413
    assert response.mimetype == PROBLEM


def test_unknown_route_is_404_problem(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.mimetype == PROBLEM


def test_wrong_method_is_405_problem(client, helpline):
    response = client.delete("/api/v1/referrals", headers=helpline)
    assert response.status_code == 405
    assert response.mimetype == PROBLEM
    assert "POST" in response.headers["Allow"]


def test_unexpected_failure_is_500_without_a_stack_trace(app):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert response.mimetype == PROBLEM
    assert b"secret internals" not in response.data
    assert b"Traceback" not in response.data


@pytest.mark.parametrize("path", ["/healthz", "/api/v1/referrals/1"])
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
