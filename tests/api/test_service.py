import pytest
from openapi_spec_validator import validate

from api import create_app
from config import ConfigError


def test_healthz_answers_after_a_database_round_trip(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_is_503_when_the_database_is_down(tmp_path):
    app = create_app({"DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"


def test_openapi_is_valid_and_needs_no_token(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    assert "/api/v1/referrals" in spec["paths"]
    post = spec["paths"]["/api/v1/referrals"]["post"]
    assert post["security"] == [{"bearerAuth": []}]


def test_docs_are_served_from_the_installed_package(client):
    page = client.get("/docs/")
    assert page.status_code == 200
    assert b"swagger-ui" in page.data
    assert b"cdn" not in page.data.lower()
    assert client.get("/docs/swagger-ui-bundle.js").status_code == 200


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"SECRET_KEY": "x" * 40, "DATABASE_URL": "sqlite:///x.db"}, "PostgreSQL"),
        ({"DATABASE_URL": "postgresql://u@h/db"}, "SECRET_KEY"),
        (
            {
                "SECRET_KEY": "x" * 40,
                "DATABASE_URL": "postgresql://u@h/db",
                "AUDIT_CHECKPOINT_DESTINATION": "/var/lib/audit/checkpoints.jsonl",
            },
            "AUDIT_CHECKPOINT_KEY_FILE",
        ),
    ],
)
def test_production_refuses_demo_secrets_and_sqlite(overrides, complaint):
    with pytest.raises(ConfigError, match=complaint):
        create_app({"APP_ENV": "production", **overrides})
