"""Redis, the shared limiter store, going away: never a 500. By default (RATELIMIT_FALLBACK=memory) each
worker keeps limiting, and keeps the delays after bad tokens and failed sign-ins, in its own memory, and
says so once; with `open` it stops limiting. Each test starts a Redis of its own on a spare port and stops
it (the machine's shared Redis is never touched)."""

import contextlib
import logging
import shutil
import socket
import subprocess
import time
import uuid

import pytest
import redis

from api import create_app
from tests.builders import call

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def own_redis():
    """A throwaway Redis (no persistence) on a free port; `stop()` shuts it down as an outage would."""
    port = free_port()
    subprocess.run(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no", "--daemonize", "yes"],
        check=True,
        capture_output=True,
    )
    client = redis.Redis(port=port, socket_timeout=2)
    for _ in range(50):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.1)

    class Server:
        url = f"redis://127.0.0.1:{port}/0"

        @staticmethod
        def stop() -> None:
            with contextlib.suppress(redis.ConnectionError):  # it closes the connection as it goes
                client.shutdown(nosave=True)

    yield Server
    Server.stop()


def app_over(url: str, database_url: str, **settings):
    return create_app(
        {
            "DATABASE_URL": database_url,
            "TESTING": True,
            "RATELIMIT_STORAGE_URI": url,
            "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            "RATELIMIT_INTAKE": "3 per minute",
            "AUTH_FREE_FAILURES_PER_ADDRESS": 2,
            **settings,
        }
    )


def bad_token() -> dict:
    return {"Authorization": f"Bearer ori_{uuid.uuid4().hex}"}


def test_redis_stopping_keeps_limiting_in_memory_and_never_answers_500(
    own_redis, database_url, helpline, caplog
):
    app = app_over(own_redis.url, database_url)
    client = app.test_client()
    try:
        assert client.post("/api/v1/referrals", json=call(), headers=helpline).status_code == 201
        own_redis.stop()
        caplog.set_level(logging.WARNING)
        statuses = [
            client.post("/api/v1/referrals", json=call(), headers=helpline).status_code for _ in range(4)
        ]
        # Redis's count (1) is lost with it: this worker counts afresh in memory, 3 a minute, then 429
        assert statuses == [201, 201, 201, 429]
        assert "falling back to in-memory storage" in caplog.text
        # the delays after bad tokens go on too: 2 free failures from this address, then a delay
        bad = [client.get("/api/v1/referrals/1", headers=bad_token()).status_code for _ in range(4)]
        assert bad == [401, 401, 401, 429]
        assert client.get("/api/v1/referrals/1", headers=helpline).status_code == 200  # a valid token passes
        assert caplog.text.count("the limiter store is unavailable") == 1, "the outage is logged once"
    finally:
        app.extensions["oneroute"].engine.dispose()


def test_with_fallback_open_a_lost_redis_stops_limiting_but_never_answers_500(
    own_redis, database_url, helpline, caplog
):
    app = app_over(own_redis.url, database_url, RATELIMIT_FALLBACK="open")
    client = app.test_client()
    try:
        own_redis.stop()
        statuses = [
            client.post("/api/v1/referrals", json=call(), headers=helpline).status_code for _ in range(5)
        ]
        assert statuses == [201] * 5
        bad = [client.get("/api/v1/referrals/1", headers=bad_token()).status_code for _ in range(4)]
        assert bad == [401] * 4
        assert "the limiter store is unavailable" in caplog.text
    finally:
        app.extensions["oneroute"].engine.dispose()


def test_redis_down_before_the_app_starts_is_no_500(database_url, helpline):
    """Nothing listens on the port at all: the app starts, limits in memory, answers."""
    app = app_over(f"redis://127.0.0.1:{free_port()}/0", database_url)
    try:
        client = app.test_client()
        statuses = [
            client.post("/api/v1/referrals", json=call(), headers=helpline).status_code for _ in range(4)
        ]
        assert statuses == [201, 201, 201, 429]
    finally:
        app.extensions["oneroute"].engine.dispose()


def test_an_unknown_fallback_refuses_to_start(database_url):
    from config.settings import ConfigError

    with pytest.raises(ConfigError, match="RATELIMIT_FALLBACK"):
        app_over("memory://", database_url, RATELIMIT_FALLBACK="closed")
