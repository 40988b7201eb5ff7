import pytest

from tests.builders import auth, token_for


@pytest.fixture
def helpline(session_factory) -> dict:
    return auth(token_for(session_factory, "helpline_staff"))


@pytest.fixture
def headers_for(session_factory):
    def make(role: str, org_id: int | None = None) -> dict:
        return auth(token_for(session_factory, role, org_id))

    return make
