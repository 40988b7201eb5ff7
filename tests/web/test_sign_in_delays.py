"""Wrong passwords earn temporary, growing delays per account and per client address, kept in the shared
limiter store (`accounts/throttle.py`), never a lock: a right password during a delay is refused with how long
to wait; the browsers the owner signed in from before are never delayed by anyone else's failures; two app
instances (two gunicorn workers) over one Redis see the same delays; X-Forwarded-For is believed only from
TRUSTED_PROXIES. Delays here (`tests/auth_delays.py`): two free failures per account, then 10 s, 20 s, 40 s,
at most 60 s; forgotten after 600 s without a failure. The clock is moved, never slept on."""

import re

import pytest

from tests.auth_delays import delay_apps
from tests.web.conftest import PASSWORD, Person, csrf_token, post_form

WRONG = "not the password!"
STORES = ["memory", "redis"]


def attempt(client, person: Person, password: str = PASSWORD, forwarded_for: str | None = None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    token = csrf_token(client)
    return client.post(
        "/sign-in",
        data={"username": person.username, "password": password, "csrf_token": token},
        headers=headers,
    )


def client_at(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def waits(response) -> int:
    """The seconds the refusal says to wait (the page and Retry-After agree)."""
    assert response.status_code == 429, response.status_code
    found = re.search(r"Try again in (\d+) seconds", response.get_data(as_text=True))
    assert found, "the page says how long to wait"
    assert response.headers["Retry-After"] == found.group(1)
    return int(found.group(1))


@pytest.mark.parametrize("storage", STORES)
def test_wrong_passwords_earn_a_delay_that_grows_and_ends(database_url, people, storage):
    with delay_apps(database_url, storage) as (app, clock):
        browser = app.test_client()
        hub = people["hub"]
        assert [attempt(browser, hub, WRONG).status_code for _ in range(3)] == [422, 422, 422]
        assert waits(attempt(browser, hub)) == 10, "even the right password waits"
        clock.advance(4)
        assert waits(attempt(browser, hub, WRONG)) == 6, (
            "a refused attempt is not counted: it cannot stretch it"
        )
        clock.advance(6)
        assert attempt(browser, hub, WRONG).status_code == 422
        assert waits(attempt(browser, hub)) == 20, "each failure past the free ones doubles the delay"
        clock.advance(20)
        assert attempt(browser, hub, WRONG).status_code == 422
        assert waits(attempt(browser, hub)) == 40
        clock.advance(40)
        assert attempt(browser, hub, WRONG).status_code == 422
        assert waits(attempt(browser, hub)) == 60, "never longer than AUTH_DELAY_MAX_SECONDS"
        clock.advance(60)
        assert attempt(browser, hub).status_code == 302, "the delay ends: the right password signs in"


@pytest.mark.parametrize("storage", STORES)
def test_failures_are_forgotten_after_a_quiet_spell(database_url, people, storage):
    with delay_apps(database_url, storage) as (app, clock):
        browser = app.test_client()
        for _ in range(3):
            attempt(browser, people["hub"], WRONG)
        clock.advance(600)
        assert attempt(browser, people["hub"], WRONG).status_code == 422
        assert attempt(browser, people["hub"], WRONG).status_code == 422, "counting starts again from one"


@pytest.mark.parametrize("storage", STORES)
def test_an_attackers_wrong_passwords_never_lock_the_owner_out(database_url, people, storage):
    with delay_apps(database_url, storage) as (app, clock):
        admin = people["admin"]
        owner = client_at(app, "198.51.100.7")
        assert attempt(owner, admin).status_code == 302, "the owner's browser signed in before"
        post_form(owner, "/sign-out", {}, form_page="/admin/organisations")
        attacker = client_at(app, "203.0.113.66")
        statuses = [attempt(attacker, admin, WRONG).status_code for _ in range(30)]
        assert statuses == [422, 422, 422] + [429] * 27
        assert waits(attempt(client_at(app, "192.0.2.1"), admin)) == 10, "a new browser waits for the account"
        assert attempt(owner, admin).status_code == 302, "the owner's own browser is not delayed by others"
        clock.advance(10)
        assert attempt(client_at(app, "192.0.2.1"), admin).status_code == 302, (
            "and nothing is locked for good"
        )


@pytest.mark.parametrize("storage", STORES)
def test_the_owners_browser_is_delayed_by_its_own_wrong_passwords(database_url, people, storage):
    with delay_apps(database_url, storage) as (app, clock):
        owner = app.test_client()
        assert attempt(owner, people["officer"]).status_code == 302
        post_form(owner, "/sign-out", {}, form_page="/safety-net")
        assert [attempt(owner, people["officer"], WRONG).status_code for _ in range(3)] == [422] * 3
        assert waits(attempt(owner, people["officer"])) == 10
        assert attempt(app.test_client(), people["officer"]).status_code == 302, "the account is not delayed"
        clock.advance(10)
        assert attempt(owner, people["officer"]).status_code == 302


@pytest.mark.parametrize("storage", STORES)
def test_wrong_passwords_from_one_address_delay_it_whatever_the_usernames(database_url, people, storage):
    with delay_apps(database_url, storage, AUTH_FREE_FAILURES_PER_ADDRESS=3) as (app, clock):
        sprayer = client_at(app, "203.0.113.9")
        for key in ("helpline", "hub", "officer", "food_bank"):
            assert attempt(sprayer, people[key], WRONG).status_code == 422
        assert waits(attempt(client_at(app, "203.0.113.9"), people["admin"])) == 10
        assert attempt(client_at(app, "203.0.113.10"), people["admin"]).status_code == 302
        clock.advance(10)
        assert attempt(client_at(app, "203.0.113.9"), people["admin"]).status_code == 302


def test_two_workers_over_one_redis_share_the_delays(database_url, people):
    with delay_apps(database_url, "redis", count=2) as ((first, second), clock):
        for _ in range(3):
            assert attempt(first.test_client(), people["hub"], WRONG).status_code == 422
        assert waits(attempt(second.test_client(), people["hub"])) == 10, "the other worker sees the delay"
        clock.advance(10)
        assert attempt(second.test_client(), people["hub"], WRONG).status_code == 422
        assert waits(attempt(first.test_client(), people["hub"])) == 20, "and counts on from where it was"


def test_without_trusted_proxies_a_forwarded_address_is_not_believed(database_url, people):
    with delay_apps(database_url, AUTH_FREE_FAILURES_PER_ADDRESS=2) as (app, _clock):
        proxy = client_at(app, "10.0.0.1")
        for n, key in enumerate(("helpline", "hub", "officer")):
            assert attempt(proxy, people[key], WRONG, forwarded_for=f"203.0.113.{n}").status_code == 422
        spoofed = attempt(proxy, people["admin"], forwarded_for="203.0.113.99")
        assert waits(spoofed) == 10, "a new X-Forwarded-For does not make a new address"


@pytest.mark.parametrize("trusted", ["1", "10.0.0.0/8, 192.168.1.1"])
def test_with_trusted_proxies_each_client_behind_them_has_its_own_delay(database_url, people, trusted):
    with delay_apps(database_url, AUTH_FREE_FAILURES_PER_ADDRESS=2, TRUSTED_PROXIES=trusted) as (app, _c):
        proxy = client_at(app, "10.0.0.1")
        for key in ("helpline", "hub", "officer"):
            assert attempt(proxy, people[key], WRONG, forwarded_for="203.0.113.5").status_code == 422
        assert waits(attempt(proxy, people["admin"], forwarded_for="203.0.113.5")) == 10
        assert attempt(proxy, people["admin"], forwarded_for="203.0.113.6").status_code == 302


def test_listed_proxies_are_believed_only_when_the_request_comes_through_them(database_url, people):
    with delay_apps(database_url, AUTH_FREE_FAILURES_PER_ADDRESS=2, TRUSTED_PROXIES="10.0.0.0/8") as (
        app,
        _c,
    ):
        direct = client_at(app, "198.51.100.20")  # not a proxy: what it says it forwards is ignored
        for n, key in enumerate(("helpline", "hub", "officer")):
            assert attempt(direct, people[key], WRONG, forwarded_for=f"203.0.113.{n}").status_code == 422
        assert waits(attempt(direct, people["admin"], forwarded_for="203.0.113.50")) == 10
