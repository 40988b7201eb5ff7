"""Bad API tokens from a client address earn it temporary, growing delays (429 with Retry-After, in the shared
limiter store), which never apply to a request bearing a valid token: other people's bad tokens from the same
address (an office's router, a proxy) cannot block a real caller. Delays here (`tests/auth_delays.py`): three
free failures per address, then 10 s, 20 s, ... at most 60 s. The clock is moved, never slept on."""

import re
import uuid

import pytest

from tests.auth_delays import delay_apps

REFERRAL = "/api/v1/referrals/1"  # none exists: a valid helpline token gets 404
STORES = ["memory", "redis"]


def bad_token() -> dict:
    return {"Authorization": f"Bearer ori_{uuid.uuid4().hex}"}


def client_at(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def waits(response) -> int:
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    detail = response.get_json()["detail"]
    found = re.search(r"try again in (\d+) seconds", detail)
    assert found, detail
    # Flask-Limiter sets Retry-After on every limited API answer: the later of ours and its window's end
    assert int(response.headers["Retry-After"]) >= int(found.group(1))
    return int(found.group(1))


@pytest.mark.parametrize("storage", STORES)
def test_bad_tokens_delay_their_address_but_never_a_valid_token(database_url, helpline, storage):
    with delay_apps(database_url, storage, AUTH_FREE_FAILURES_PER_ADDRESS=3) as (app, clock):
        office = client_at(app, "203.0.113.20")
        statuses = [office.get(REFERRAL, headers=bad_token()).status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 401]
        assert waits(office.get(REFERRAL, headers=bad_token())) == 10
        assert waits(office.get(REFERRAL)) == 10, "no token at all is a bad one too"
        for _ in range(20):
            assert office.get(REFERRAL, headers=helpline).status_code == 404, "a valid token is never delayed"
        assert client_at(app, "203.0.113.21").get(REFERRAL, headers=bad_token()).status_code == 401
        clock.advance(10)
        assert office.get(REFERRAL, headers=bad_token()).status_code == 401, "the delay ends"
        assert waits(office.get(REFERRAL, headers=bad_token())) == 20, "and the next one is longer"


@pytest.mark.parametrize("storage", STORES)
def test_requests_refused_during_a_delay_do_not_stretch_it(database_url, storage):
    with delay_apps(database_url, storage, AUTH_FREE_FAILURES_PER_ADDRESS=3) as (app, clock):
        client = client_at(app, "203.0.113.30")
        for _ in range(4):
            client.get(REFERRAL, headers=bad_token())
        for _ in range(50):
            client.get(REFERRAL, headers=bad_token())
        clock.advance(10)
        assert client.get(REFERRAL, headers=bad_token()).status_code == 401


def test_two_workers_over_one_redis_share_the_delay(database_url, helpline):
    with delay_apps(database_url, "redis", count=2, AUTH_FREE_FAILURES_PER_ADDRESS=3) as (
        (first, second),
        _c,
    ):
        for _ in range(4):
            assert first.test_client().get(REFERRAL, headers=bad_token()).status_code == 401
        assert waits(second.test_client().get(REFERRAL, headers=bad_token())) == 10
        assert second.test_client().get(REFERRAL, headers=helpline).status_code == 404


def test_behind_a_trusted_proxy_each_caller_has_its_own_delay(database_url, helpline):
    with delay_apps(database_url, AUTH_FREE_FAILURES_PER_ADDRESS=1, TRUSTED_PROXIES="1") as (app, _c):
        proxy = client_at(app, "10.0.0.1")
        for _ in range(2):
            proxy.get(REFERRAL, headers={**bad_token(), "X-Forwarded-For": "203.0.113.40"})
        assert waits(proxy.get(REFERRAL, headers={**bad_token(), "X-Forwarded-For": "203.0.113.40"})) == 10
        assert (
            proxy.get(REFERRAL, headers={**bad_token(), "X-Forwarded-For": "203.0.113.41"}).status_code == 401
        )


def test_production_refuses_a_limiter_store_each_worker_keeps_to_itself():
    from api import create_app
    from config.settings import ConfigError

    with pytest.raises(ConfigError, match="RATELIMIT_STORAGE_URI must be a store every worker shares"):
        create_app(
            {
                "APP_ENV": "production",
                "SECRET_KEY": "x" * 40,
                "AUDIT_SIGNING_KEY": "y" * 40,
                "DATABASE_URL": "postgresql://u@h/db",
                "RATELIMIT_STORAGE_URI": "memory://",
            }
        )


def test_a_bad_trusted_proxies_setting_refuses_to_start(database_url):
    from api import create_app
    from config.settings import ConfigError

    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        create_app({"DATABASE_URL": database_url, "TRUSTED_PROXIES": "the load balancer"})
