import pytest

from db.base import utcnow
from directory.areas import load_areas
from tests.builders import small_directory
from tests.integration.reports.history import KnownHistory, build_known_history


@pytest.fixture(scope="session")
def areas():
    return load_areas()


@pytest.fixture
def directory(session_factory) -> dict[str, int]:
    return small_directory(session_factory)


@pytest.fixture
def now():
    return utcnow()


@pytest.fixture
def history(session_factory, directory, now) -> KnownHistory:
    return build_known_history(session_factory, directory, now)
