"""Temporary, growing delays after failed sign-ins and bad API tokens, kept in the shared limiter store.

Each key (an account, a client address, an account on a device it was signed in from before) may fail
`free_failures` times; after that each failure makes the next attempt wait `base_seconds * 2**(n - 1)` seconds
(n counting the failures past the free ones), never more than `max_seconds`. A key's failures are forgotten
`forget_seconds` after its last one. Nothing is ever locked for good: the longest anyone waits is
`max_seconds`, and an attempt refused during a delay is not counted, so it cannot stretch the delay.

The counts live where Flask-Limiter keeps its counters (`RATELIMIT_STORAGE_URI`): in Redis every gunicorn
worker and every server sees the same delays; `memory://` (development and tests) is one process's own.
Times come from the `Throttle`'s clock, stored with each count, so tests move a clock instead of sleeping;
the store's own expiry only tidies keys away once they cannot matter. When the store cannot be reached
(`RATELIMIT_FALLBACK`): `memory` (the default) counts in this process's memory until Redis is back
(`FallbackStore`, logged once each way), so the delays keep working per worker; `open` lets everyone try
(logged): people can still sign in during a Redis outage either way, and argon2 still makes each guess cost.
"""

import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from limits.storage import RedisStorage, storage_from_string

log = logging.getLogger(__name__)


class ThrottleConfigError(ValueError):
    """The limiter store cannot hold the delays (neither memory:// nor Redis)."""


class StoreUnavailable(RuntimeError):
    """The store could not be reached or answered with an error."""


@dataclass(frozen=True)
class Failures:
    count: int
    last_at: float


@dataclass(frozen=True)
class DelayPolicy:
    free_failures: int
    base_seconds: float
    max_seconds: float
    forget_seconds: float

    def delay_after(self, count: int) -> float:
        """How long the next attempt waits after `count` failures in a row."""
        past_free = count - self.free_failures
        if past_free <= 0:
            return 0.0
        return min(self.max_seconds, self.base_seconds * 2 ** min(past_free - 1, 62))

    def wait(self, failures: Failures | None, now: float) -> float:
        """Seconds left before the key may try again (0: now)."""
        if failures is None or now - failures.last_at >= self.forget_seconds:
            return 0.0
        return max(0.0, failures.last_at + self.delay_after(failures.count) - now)


class FailureStore(Protocol):
    def get(self, key: str) -> Failures | None: ...

    def add_failure(self, key: str, now: float, forget_seconds: float, keep_seconds: int) -> Failures:
        """Atomically: forget a count older than `forget_seconds`, then count one more failure at `now`."""
        ...

    def clear(self, key: str) -> None: ...


class MemoryStore:
    """One process's counts (development, tests): with several workers each would count on its own."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, Failures] = {}

    def get(self, key: str) -> Failures | None:
        with self._lock:
            return self._items.get(key)

    def add_failure(self, key: str, now: float, forget_seconds: float, keep_seconds: int) -> Failures:
        with self._lock:
            old = self._items.get(key)
            count = 1 if old is None or now - old.last_at >= forget_seconds else old.count + 1
            self._items[key] = found = Failures(count, now)
            if len(self._items) > 100_000:
                self._items = {k: v for k, v in self._items.items() if now - v.last_at < keep_seconds}
            return found

    def clear(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)


# One round trip, atomic whichever worker runs it: forget a stale count, count this failure, keep the key
# only as long as it can matter.
ADD_FAILURE = """
local count = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
local last = tonumber(redis.call('HGET', KEYS[1], 't') or '0')
local now = tonumber(ARGV[1])
if count > 0 and now - last >= tonumber(ARGV[2]) then count = 0 end
count = count + 1
redis.call('HSET', KEYS[1], 'n', count, 't', ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return count
"""


class RedisStore:
    """The counts in Redis (plain, sentinel or cluster: the client Flask-Limiter's URI gives)."""

    def __init__(self, client) -> None:
        import redis  # the client's errors: loaded with a Redis store only, never by memory://

        self._errors = redis.RedisError
        self._client = client
        self._add = client.register_script(ADD_FAILURE)

    def get(self, key: str) -> Failures | None:
        try:
            count, last = self._client.hmget(key, "n", "t")
        except self._errors as exc:
            raise StoreUnavailable(str(exc)) from exc
        if count is None or last is None:
            return None
        return Failures(int(count), float(last))

    def add_failure(self, key: str, now: float, forget_seconds: float, keep_seconds: int) -> Failures:
        try:
            count = self._add(keys=[key], args=[repr(now), repr(forget_seconds), keep_seconds])
        except self._errors as exc:
            raise StoreUnavailable(str(exc)) from exc
        return Failures(int(count), now)

    def clear(self, key: str) -> None:
        try:
            self._client.delete(key)
        except self._errors as exc:
            raise StoreUnavailable(str(exc)) from exc


class FallbackStore:
    """The shared store while it answers; this process's memory while it does not (asked again every
    `retry_seconds`). The outage is logged when it starts and when it ends, not on every sign-in. Counts made
    in memory stay in memory: once Redis is back the delays are Redis's again."""

    def __init__(
        self,
        primary: FailureStore,
        fallback: FailureStore | None = None,
        retry_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.primary, self.fallback = primary, fallback or MemoryStore()
        self.retry_seconds, self.clock = retry_seconds, clock
        self.down_since: float | None = None
        self._retry_at = 0.0

    def _call(self, name: str, *args):
        now = self.clock()
        if self.down_since is None or now >= self._retry_at:
            try:
                found = getattr(self.primary, name)(*args)
            except StoreUnavailable as exc:
                if self.down_since is None:
                    self.down_since = now
                    log.error(
                        "the limiter store is unavailable (%s): sign-in and bad-token delays are counted in "
                        "this process's memory until it is back",
                        exc,
                    )
                self._retry_at = now + self.retry_seconds
            else:
                if self.down_since is not None:
                    log.warning("the limiter store is back after %.0f s", now - self.down_since)
                    self.down_since = None
                return found
        return getattr(self.fallback, name)(*args)

    def get(self, key: str) -> Failures | None:
        return self._call("get", key)

    def add_failure(self, key: str, now: float, forget_seconds: float, keep_seconds: int) -> Failures:
        return self._call("add_failure", key, now, forget_seconds, keep_seconds)

    def clear(self, key: str) -> None:
        self._call("clear", key)


FALLBACKS = ("memory", "open")  # RATELIMIT_FALLBACK: what the limits do while Redis cannot be reached


def store_from_uri(uri: str) -> FailureStore:
    if uri.startswith("memory://"):
        return MemoryStore()
    try:
        storage = storage_from_string(uri)
    except Exception as exc:  # limits says ConfigurationError, or the driver's own error
        raise ThrottleConfigError(f"RATELIMIT_STORAGE_URI {uri!r} cannot be used: {exc}") from exc
    if not isinstance(storage, RedisStorage):
        raise ThrottleConfigError(
            "the sign-in delays are kept in Redis (redis://, rediss://, redis+sentinel://, redis+cluster://) "
            f"or memory://; RATELIMIT_STORAGE_URI is {uri.split('://')[0]}://"
        )
    return RedisStore(storage.storage)


def hashed(value: str) -> str:
    """Usernames and addresses are stored hashed: the store holds no one's name."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


EXTENSION = "auth_throttle"  # where the app factory keeps the app's Throttle (app.extensions)
LIMITER = "oneroute_limiter"  # where it keeps the app's Flask-Limiter, whose store the counts share
ACCOUNT = "account"  # a username, from anywhere not known to it
DEVICE = "device"  # a username on a browser it was signed in from before (its known-device cookie)
SIGN_IN_ADDRESS = "address"  # wrong passwords from a client address, whatever the usernames
TOKEN_ADDRESS = "token-address"  # bad API tokens from a client address


@dataclass
class Throttle:
    """The delays of every kind of key, each kind on its own policy, all in one store."""

    store: FailureStore
    policies: dict[str, DelayPolicy]
    prefix: str = "oneroute"
    clock: Callable[[], float] = time.time

    def _key(self, kind: str, value: str) -> str:
        return f"{self.prefix}:delay:{kind}:{hashed(value)}"

    def wait(self, *keys: tuple[str, str]) -> int:
        """Whole seconds before an attempt under all of `keys` ((kind, value) pairs) may be made (0: now);
        the longest wait wins."""
        now = self.clock()
        try:
            waits = [
                self.policies[kind].wait(self.store.get(self._key(kind, value)), now) for kind, value in keys
            ]
        except StoreUnavailable as exc:
            log.error("sign-in delays not applied: the limiter store is unavailable (%s)", exc)
            return 0
        return math.ceil(max(waits, default=0.0))

    def fail(self, *keys: tuple[str, str]) -> None:
        now = self.clock()
        for kind, value in keys:
            policy = self.policies[kind]
            keep = math.ceil(policy.forget_seconds + policy.max_seconds) + 1
            try:
                self.store.add_failure(self._key(kind, value), now, policy.forget_seconds, keep)
            except StoreUnavailable as exc:
                log.error("a failed sign-in was not counted: the limiter store is unavailable (%s)", exc)

    def clear(self, *keys: tuple[str, str]) -> None:
        for kind, value in keys:
            try:
                self.store.clear(self._key(kind, value))
            except StoreUnavailable as exc:
                log.error("a sign-in delay was not cleared: the limiter store is unavailable (%s)", exc)


def throttle_from_settings(settings: Mapping[str, object]) -> Throttle:
    """Accounts (and accounts on known devices) get AUTH_FREE_FAILURES_PER_ACCOUNT free failures; client
    addresses, which many people may share behind one office's router, AUTH_FREE_FAILURES_PER_ADDRESS."""
    base = float(settings["AUTH_DELAY_BASE_SECONDS"])
    longest = float(settings["AUTH_DELAY_MAX_SECONDS"])
    forget = max(float(settings["AUTH_FORGET_FAILURES_SECONDS"]), longest)
    per_account = DelayPolicy(int(settings["AUTH_FREE_FAILURES_PER_ACCOUNT"]), base, longest, forget)
    per_address = DelayPolicy(int(settings["AUTH_FREE_FAILURES_PER_ADDRESS"]), base, longest, forget)
    store = store_from_uri(str(settings["RATELIMIT_STORAGE_URI"]))
    fallback = str(settings.get("RATELIMIT_FALLBACK", "memory"))
    if fallback not in FALLBACKS:
        raise ThrottleConfigError(f"RATELIMIT_FALLBACK must be memory or open, not {fallback!r}")
    if fallback == "memory" and not isinstance(store, MemoryStore):
        store = FallbackStore(store)
    return Throttle(
        store=store,
        policies={
            ACCOUNT: per_account,
            DEVICE: per_account,
            SIGN_IN_ADDRESS: per_address,
            TOKEN_ADDRESS: per_address,
        },
        prefix=str(settings["RATELIMIT_KEY_PREFIX"]),
    )
