"""Helpers for the tests of the delays after failed sign-ins and bad tokens: apps over the memory store or a
shared Redis, each test with keys of its own, and a clock the test moves instead of sleeping."""

import uuid
from contextlib import contextmanager

import pytest
import redis

from accounts import throttle

# Not database 15, which other tests flush: these tests never flush, their keys carry a prefix of their own.
REDIS_URL = "redis://127.0.0.1:6379/13"


def redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def needs_redis() -> None:
    if not redis_available():
        pytest.skip("no Redis at 127.0.0.1:6379 (CI here runs one: these tests must run there)")


class FakeClock:
    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@contextmanager
def delay_apps(database_url: str, storage: str = "memory", count: int = 1, **settings):
    """`count` app instances (as gunicorn workers would be) over one store and one clock: Redis shares the
    delays between them; memory:// is each app's own."""
    from api import create_app

    if storage == "redis":
        needs_redis()
    clock = FakeClock()
    config = {
        "DATABASE_URL": database_url,
        "TESTING": True,
        "RATELIMIT_STORAGE_URI": REDIS_URL if storage == "redis" else "memory://",
        "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        "RATELIMIT_API": "10000 per minute",
        "AUTH_FREE_FAILURES_PER_ACCOUNT": 2,
        "AUTH_FREE_FAILURES_PER_ADDRESS": 100,
        "AUTH_DELAY_BASE_SECONDS": 10,
        "AUTH_DELAY_MAX_SECONDS": 60,
        "AUTH_FORGET_FAILURES_SECONDS": 600,
        **settings,
    }
    apps = [create_app(config) for _ in range(count)]
    for app in apps:
        app.extensions[throttle.EXTENSION].clock = clock
    try:
        yield (apps if count > 1 else apps[0]), clock
    finally:
        for app in apps:
            app.extensions["oneroute"].engine.dispose()
