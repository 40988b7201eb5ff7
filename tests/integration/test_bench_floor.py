"""The intake benchmark's floor server (bench/floor_app.py) is the app's own stack doing one insert: it
authenticates, checks the role and validates the body exactly as intake does, so its figure measures what the
benchmark says it does."""

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text, func, select

from bench.floor_app import PATH, create_floor_app
from tests.builders import auth, call, organisation, token_for
from tests.conftest import RELAXED_LIMITS


@pytest.fixture
def baseline_call(engine):
    metadata = MetaData()
    table = Table(
        "baseline_call",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", Text, nullable=False),
        Column("postcode", Text, nullable=False),
        Column("notes", Text, nullable=False),
    )
    metadata.create_all(engine)
    yield table
    metadata.drop_all(engine)


@pytest.fixture
def floor(database_url, session_factory, baseline_call):
    app = create_floor_app({"DATABASE_URL": database_url, "TESTING": True, **RELAXED_LIMITS})
    yield app.test_client()
    app.extensions["oneroute"].engine.dispose()


def rows(engine, table) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(table))


def test_floor_inserts_one_row_per_call(floor, session_factory, engine, baseline_call):
    token = token_for(session_factory, "helpline_staff")
    response = floor.post(PATH, json=call(), headers=auth(token))
    assert response.status_code == 201, response.get_json()
    assert response.get_json() == {"id": 1, "status": "received"}
    assert rows(engine, baseline_call) == 1


def test_floor_authenticates_checks_the_role_and_validates_like_intake(
    floor, session_factory, engine, baseline_call
):
    assert floor.post(PATH, json=call()).status_code == 401
    coordinator = token_for(session_factory, "hub_coordinator", org_id=organisation(session_factory))
    refused = floor.post(PATH, json=call(), headers=auth(coordinator))
    assert refused.status_code == 403
    bad = floor.post(PATH, json=call(notes=""), headers=auth(token_for(session_factory, "helpline_staff")))
    assert bad.status_code == 422
    assert rows(engine, baseline_call) == 0
