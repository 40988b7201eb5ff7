"""The delay policy after failed sign-ins and bad tokens (`accounts/throttle.py`): free failures, doubling,
a cap, forgetting, and the memory store's counting; pure, with explicit times."""

import pytest

from accounts.throttle import (
    ACCOUNT,
    SIGN_IN_ADDRESS,
    DelayPolicy,
    Failures,
    FallbackStore,
    MemoryStore,
    StoreUnavailable,
    Throttle,
    ThrottleConfigError,
    store_from_uri,
)

POLICY = DelayPolicy(free_failures=3, base_seconds=2, max_seconds=60, forget_seconds=3600)


@pytest.mark.parametrize(
    ("count", "delay"),
    [(0, 0), (1, 0), (3, 0), (4, 2), (5, 4), (6, 8), (8, 32), (9, 60), (50, 60), (10_000, 60)],
)
def test_the_delay_doubles_after_the_free_failures_up_to_the_cap(count, delay):
    assert POLICY.delay_after(count) == delay


def test_the_wait_counts_from_the_last_failure_and_ends():
    failures = Failures(count=6, last_at=1000.0)
    assert POLICY.wait(failures, 1000.0) == 8
    assert POLICY.wait(failures, 1005.0) == 3
    assert POLICY.wait(failures, 1008.0) == 0
    assert POLICY.wait(None, 1000.0) == 0


def test_failures_older_than_the_forget_time_do_not_count():
    store = MemoryStore()
    for now in (0.0, 1.0, 2.0, 3.0):
        store.add_failure("k", now, forget_seconds=3600, keep_seconds=4000)
    assert store.get("k") == Failures(4, 3.0)
    assert store.add_failure("k", 3603.0, forget_seconds=3600, keep_seconds=4000) == Failures(1, 3603.0)


def test_the_throttle_takes_the_longest_wait_of_its_keys_and_clears_only_those_named():
    now = [0.0]
    throttle = Throttle(MemoryStore(), {ACCOUNT: POLICY, SIGN_IN_ADDRESS: POLICY}, clock=lambda: now[0])
    for _ in range(5):
        throttle.fail((ACCOUNT, "sam"))
    throttle.fail((SIGN_IN_ADDRESS, "192.0.2.1"))
    assert throttle.wait((ACCOUNT, "sam"), (SIGN_IN_ADDRESS, "192.0.2.1")) == 4
    now[0] = 1.5
    assert throttle.wait((ACCOUNT, "sam")) == 3, "whole seconds, rounded up"
    assert throttle.wait((ACCOUNT, "kim")) == 0
    throttle.clear((ACCOUNT, "sam"))
    assert throttle.wait((ACCOUNT, "sam"), (SIGN_IN_ADDRESS, "192.0.2.1")) == 0


def test_keys_are_stored_hashed():
    store = MemoryStore()
    Throttle(store, {ACCOUNT: POLICY}, prefix="p").fail((ACCOUNT, "sam.smith"))
    [key] = store._items
    assert key.startswith("p:delay:account:")
    assert "sam" not in key


def test_only_memory_or_redis_can_hold_the_delays():
    assert isinstance(store_from_uri("memory://"), MemoryStore)
    with pytest.raises(ThrottleConfigError, match="memcached://"):
        store_from_uri("memcached://127.0.0.1:11211")


def test_an_unreachable_redis_lets_people_sign_in_and_says_so(caplog):
    """Fail open: during a Redis outage no one is delayed (argon2 still makes each guess cost), and it is
    logged. Nothing listens on port 1, so the connection is refused at once."""
    throttle = Throttle(store_from_uri("redis://127.0.0.1:1/0"), {ACCOUNT: POLICY})
    throttle.fail((ACCOUNT, "sam"))
    assert throttle.wait((ACCOUNT, "sam")) == 0
    throttle.clear((ACCOUNT, "sam"))
    assert "the limiter store is unavailable" in caplog.text


class FlakyStore(MemoryStore):
    """A shared store that can be switched off, as Redis going away."""

    def __init__(self) -> None:
        super().__init__()
        self.up = True

    def get(self, key):
        if not self.up:
            raise StoreUnavailable("connection refused")
        return super().get(key)

    def add_failure(self, key, now, forget_seconds, keep_seconds):
        if not self.up:
            raise StoreUnavailable("connection refused")
        return super().add_failure(key, now, forget_seconds, keep_seconds)


def test_the_fallback_counts_in_memory_while_the_store_is_down_and_goes_back_to_it(caplog):
    shared, clock = FlakyStore(), [0.0]
    store = FallbackStore(shared, retry_seconds=30, clock=lambda: clock[0])
    throttle = Throttle(store, {ACCOUNT: POLICY}, clock=lambda: 1000.0)
    shared.up = False
    for _ in range(4):
        throttle.fail((ACCOUNT, "sam"))
    assert throttle.wait((ACCOUNT, "sam")) == 2, "the delays go on, counted in this process"
    assert caplog.text.count("the limiter store is unavailable") == 1, "logged once, not per sign-in"
    shared.up = True
    clock[0] = 10.0
    assert throttle.wait((ACCOUNT, "sam")) == 2, "not asked again before retry_seconds"
    clock[0] = 31.0
    assert throttle.wait((ACCOUNT, "sam")) == 0, "back on the shared store, which counted nothing"
    assert "the limiter store is back" in caplog.text
