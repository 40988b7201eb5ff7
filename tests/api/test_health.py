"""Liveness (the process answers) and readiness (database, migrations at head, Redis when configured)."""

import pytest
from sqlalchemy import text

from api import create_app
from db import make_engine
from tests.api.test_security import REDIS_URL, redis_available

NOWHERE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"


def test_live_needs_nothing_but_the_process():
    client = create_app({"DATABASE_URL": NOWHERE}).test_client()
    response = client.get("/healthz/live")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_ready_when_the_database_answers_at_the_migrations_head(client):
    response = client.get("/healthz/ready")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}


def test_not_ready_without_the_database():
    response = create_app({"DATABASE_URL": NOWHERE}).test_client().get("/healthz/ready")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["detail"] == "database: not reachable"


def test_not_ready_before_the_migrations_have_run(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    response = create_app({"DATABASE_URL": url}).test_client().get("/healthz/ready")
    assert response.status_code == 503
    assert "migrations: not migrated" in response.get_json()["detail"]


def test_not_ready_on_an_older_schema(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        connection.execute(text("INSERT INTO alembic_version VALUES ('0017')"))
    engine.dispose()
    response = create_app({"DATABASE_URL": url}).test_client().get("/healthz/ready")
    assert response.status_code == 503
    assert "migrations: at 0017, not at head" in response.get_json()["detail"]


def test_ready_checks_redis_when_it_is_the_shared_store(database_url):
    if not redis_available():
        pytest.skip("no Redis at 127.0.0.1:6379")
    settings = {"DATABASE_URL": database_url, "RATELIMIT_STORAGE_URI": REDIS_URL}
    answered = create_app(settings).test_client().get("/healthz/ready")
    assert answered.status_code == 200
    assert answered.get_json()["checks"]["redis"] == "ok"
    down = create_app({**settings, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1"})
    response = down.test_client().get("/healthz/ready")
    assert response.status_code == 503
    assert response.get_json()["detail"] == "redis: not reachable"


def test_healthz_stays_the_database_round_trip(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
