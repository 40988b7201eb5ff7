"""Fixtures for the page tests: the small directory, one person per role, and signing in as them."""

import re
from dataclasses import dataclass

import pytest
from argon2 import PasswordHasher

import accounts.passwords
from accounts.passwords import create_user
from tests.builders import small_directory

PASSWORD = "correct horse battery staple"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@dataclass(frozen=True)
class Person:
    username: str
    role: str
    org_id: int | None


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch):
    """Real argon2id, with small costs so that tests stay fast; test_passwords checks the real costs."""
    monkeypatch.setattr(accounts.passwords, "HASHER", FAST_HASHER)


@pytest.fixture(autouse=True)
def directory(session_factory) -> dict[str, int]:
    return small_directory(session_factory)


@pytest.fixture
def people(session_factory, directory) -> dict[str, Person]:
    wanted = {
        "helpline": ("helpline_staff", None),
        "hub": ("hub_coordinator", directory["hub"]),
        "food_bank": ("hub_coordinator", directory["food_bank"]),
        "officer": ("safety_net_officer", directory["sutton_safety_net"]),
        "admin": ("admin", None),
    }
    made = {}
    with session_factory() as session:
        for key, (role, org_id) in wanted.items():
            create_user(
                session,
                username=f"{key}-user",
                display_name=f"{key.title()} Person",
                password=PASSWORD,
                role=role,
                org_id=org_id,
            )
            made[key] = Person(f"{key}-user", role, org_id)
    return made


def csrf_token(client, path: str = "/sign-in") -> str:
    match = CSRF_FIELD.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF field on {path}"
    return match.group(1)


def sign_in(client, person: Person, password: str = PASSWORD):
    token = csrf_token(client)
    return client.post(
        "/sign-in", data={"username": person.username, "password": password, "csrf_token": token}
    )


@pytest.fixture
def signed_in(app, people):
    """A test client signed in as one of `people`: signed_in("hub")."""

    def make(key: str):
        client = app.test_client()
        response = sign_in(client, people[key])
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return make


def post_form(client, path: str, data: dict, form_page: str | None = None):
    """POST like a browser: with the CSRF token of the page the form is on."""
    token = csrf_token(client, form_page or path)
    return client.post(path, data={**data, "csrf_token": token})


@pytest.fixture
def coventry_officer(app, session_factory, directory):
    with session_factory() as session:
        create_user(
            session,
            username="coventry-officer",
            display_name="Coventry Officer",
            password=PASSWORD,
            role="safety_net_officer",
            org_id=directory["coventry_safety_net"],
        )
    client = app.test_client()
    assert sign_in(client, Person("coventry-officer", "safety_net_officer", None)).status_code == 302
    return client
