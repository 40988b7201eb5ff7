"""A database with just the `postcode` table: a temporary SQLite file, and PostgreSQL too when
TEST_DATABASE_URL names one (each test gets a fresh schema there, dropped afterwards)."""

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from db import Base, make_engine, make_session_factory
from geo import Boundary, Postcode

GEO_TEST_DATA = Path(__file__).resolve().parents[2] / "data" / "geo"
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


@pytest.fixture(params=BACKENDS)
def postcode_db(request, tmp_path):
    """A session factory for a database holding empty `postcode` and `boundary` tables."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'geo.db'}")
        Base.metadata.create_all(engine, tables=[Postcode.__table__, Boundary.__table__])
        yield make_session_factory(engine)
        engine.dispose()
        return
    url = os.environ["TEST_DATABASE_URL"]
    schema = f"geo_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        Base.metadata.create_all(engine, tables=[Postcode.__table__, Boundary.__table__])
        yield make_session_factory(engine)
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def geo_test_data():
    return GEO_TEST_DATA
