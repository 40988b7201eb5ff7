import pytest

from tests.builders import auth, small_directory, token_for


@pytest.fixture
def helpline(session_factory) -> dict:
    return auth(token_for(session_factory, "helpline_staff"))


@pytest.fixture
def headers_for(session_factory):
    def make(role: str, org_id: int | None = None) -> dict:
        return auth(token_for(session_factory, role, org_id))

    return make


@pytest.fixture(autouse=True)
def directory(session_factory) -> dict[str, int]:
    return small_directory(session_factory)


@pytest.fixture
def hub(headers_for, directory):
    return headers_for("hub_coordinator", directory["hub"])


@pytest.fixture
def food_bank(headers_for, directory):
    return headers_for("hub_coordinator", directory["food_bank"])


@pytest.fixture
def officer(headers_for, directory):
    return headers_for("safety_net_officer", directory["sutton_safety_net"])
