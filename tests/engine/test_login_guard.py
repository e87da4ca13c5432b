"""The failed-login slow-down (engine.gateway.login_guard), pure, driven by a fake clock."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.gateway.login_guard import BASE_DELAY, FORGIVE_AFTER, MAX_DELAY, LoginGuard

A, B = "192.0.2.1", "192.0.2.2"


def test_an_address_without_failures_is_never_delayed() -> None:
    guard = LoginGuard()
    assert guard.delay(A, 0.0) == 0.0 and guard.failures(A, 0.0) == 0 and len(guard) == 0


def test_each_failure_doubles_the_delay_up_to_the_cap() -> None:
    guard = LoginGuard(base_delay=0.25, max_delay=4.0)
    now = 100.0
    waits = []
    for _ in range(8):
        wait = guard.failed(A, now)
        waits.append(wait)
        assert guard.delay(A, now) == wait
        now += wait  # the client retries as soon as it may
        assert guard.delay(A, now) == 0.0
    assert waits == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0]
    assert guard.failures(A, now) == 8
    guard.check()


def test_the_delay_counts_from_the_last_failure() -> None:
    guard = LoginGuard(base_delay=1.0, max_delay=8.0)
    guard.failed(A, 10.0)
    assert guard.delay(A, 10.0) == 1.0
    assert guard.delay(A, 10.25) == 0.75
    assert guard.delay(A, 11.5) == 0.0


def test_other_addresses_are_unaffected() -> None:
    guard = LoginGuard()
    for _ in range(5):
        guard.failed(A, 0.0)
    assert guard.delay(A, 0.0) == MAX_DELAY
    assert guard.delay(B, 0.0) == 0.0


def test_a_quiet_period_forgives_the_failures() -> None:
    guard = LoginGuard(forgive_after=60.0)
    for _ in range(5):
        guard.failed(A, 0.0)
    assert guard.failures(A, 59.9) == 5
    assert guard.failures(A, 60.0) == 0 and len(guard) == 0
    assert guard.failed(A, 61.0) == BASE_DELAY  # counted from one again


def test_a_successful_login_forgives_at_once() -> None:
    guard = LoginGuard()
    guard.failed(A, 0.0)
    guard.failed(A, 0.0)
    guard.succeeded(A)
    assert guard.delay(A, 0.0) == 0.0 and guard.failures(A, 0.0) == 0
    guard.succeeded(B)  # unknown: a no-op


def test_memory_is_bounded_by_evicting_the_oldest_address() -> None:
    guard = LoginGuard(max_addresses=3)
    for i, address in enumerate(["a", "b", "c"]):
        guard.failed(address, float(i))
    guard.failed("a", 3.0)  # a is now the most recent
    guard.failed("d", 4.0)  # b is the oldest: evicted
    assert len(guard) == 3
    assert guard.failures("b", 4.0) == 0
    assert [guard.failures(x, 4.0) for x in "acd"] == [2, 1, 1]
    guard.check()


def test_stale_records_are_dropped_as_new_failures_come() -> None:
    guard = LoginGuard(forgive_after=10.0)
    for i in range(100):
        guard.failed(f"10.0.0.{i}", float(i) / 100)
    guard.failed(B, 50.0)
    assert len(guard) == 1


def test_absurd_failure_counts_stay_at_the_cap() -> None:
    guard = LoginGuard()
    assert guard.backoff(0) == 0.0
    assert guard.backoff(10_000) == MAX_DELAY


@pytest.mark.parametrize(
    "kwargs",
    [
        {"base_delay": -1.0},
        {"base_delay": 5.0, "max_delay": 1.0},
        {"forgive_after": 0.0},
        {"max_addresses": 0},
    ],
)
def test_nonsense_settings_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        LoginGuard(**kwargs)  # type: ignore[arg-type]


OPS = st.lists(
    st.tuples(
        st.sampled_from(["fail", "ok", "ask"]),
        st.sampled_from(["a", "b", "c", "d", "e"]),
        st.floats(min_value=0.0, max_value=30.0),
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(OPS)
def test_random_operations_keep_the_invariants(ops: list[tuple[str, str, float]]) -> None:
    guard = LoginGuard(max_addresses=3, forgive_after=FORGIVE_AFTER / 2)
    now = 0.0
    for op, address, step in ops:
        now += step
        if op == "fail":
            wait = guard.failed(address, now)
            assert 0 < wait <= MAX_DELAY
            assert guard.delay(address, now) == pytest.approx(wait)
        elif op == "ok":
            guard.succeeded(address)
            assert guard.delay(address, now) == 0.0
        else:
            assert 0.0 <= guard.delay(address, now) <= MAX_DELAY
        guard.check()
