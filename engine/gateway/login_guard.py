"""The failed-login slow-down: per peer address, how long before its next login is considered.
Pure: no I/O, and the clock is an argument (``now``, seconds of any monotonic clock, never
going back), so tests drive it with a fake clock and every protocol's server can share it.

Contract.

* After ``k`` consecutive failed logins from one address (``k >= 1``), a login from that
  address is not considered before ``base_delay * 2 ** (k - 1)`` seconds, capped at
  ``max_delay``, have passed since the last failure: :meth:`LoginGuard.delay` says how long
  a login arriving ``now`` must wait (0: consider it now), and :meth:`LoginGuard.failed`
  records a failure and returns the new delay (servers also hold the refusal that long, so a
  client that retries at once, one attempt per connection, is slowed down as well).
* The defaults (0.25 s doubling to 4 s) cost a person who mistyped once a quarter of a second,
  and hold a password-guessing client to one guess per 4 s per connection per address.
* ``forgive_after`` seconds without a failure forget the address; a successful login forgets
  it at once (:meth:`LoginGuard.succeeded`).
* The guard only ever delays: it never refuses a login outright, so a flood from one address
  (the operator's own host included) cannot lock anyone out for more than ``max_delay``.
* Memory is bounded: at most ``max_addresses`` addresses are tracked; one more evicts the
  address whose last failure is the oldest (forgiving it early is the price of the bound).
  Forgiven records are dropped as they are met, the oldest first.

Each operation is O(1) amortised (an ordered dict kept in order of last failure).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Final

BASE_DELAY: Final = 0.25
MAX_DELAY: Final = 4.0
FORGIVE_AFTER: Final = 60.0
MAX_ADDRESSES: Final = 4096


@dataclass(slots=True)
class _Record:
    failures: int
    last_failure: float
    retry_at: float


class LoginGuard:
    """Per-address failed-login backoff (see the module's contract)."""

    def __init__(
        self,
        *,
        base_delay: float = BASE_DELAY,
        max_delay: float = MAX_DELAY,
        forgive_after: float = FORGIVE_AFTER,
        max_addresses: int = MAX_ADDRESSES,
    ) -> None:
        if not 0 <= base_delay <= max_delay:
            raise ValueError(f"need 0 <= base_delay <= max_delay, not {base_delay}, {max_delay}")
        if forgive_after <= 0 or max_addresses < 1:
            raise ValueError("forgive_after must be positive and max_addresses at least 1")
        self._base = base_delay
        self._max = max_delay
        self._forgive = forgive_after
        self._max_addresses = max_addresses
        #: address -> record, oldest last failure first
        self._records: OrderedDict[str, _Record] = OrderedDict()

    def __len__(self) -> int:
        return len(self._records)

    def backoff(self, failures: int) -> float:
        """The delay after ``failures`` consecutive failures (0 for none)."""
        if failures <= 0:
            return 0.0
        # 2 ** 64 is far past any cap; keeps the float finite for absurd counts
        return min(self._base * 2.0 ** min(failures - 1, 64), self._max)

    def delay(self, address: str, now: float) -> float:
        """Seconds a login from ``address`` arriving at ``now`` waits before it is considered."""
        record = self._current(address, now)
        return 0.0 if record is None else max(0.0, record.retry_at - now)

    def failures(self, address: str, now: float) -> int:
        """Consecutive failures of ``address`` that are not forgiven at ``now``."""
        record = self._current(address, now)
        return 0 if record is None else record.failures

    def failed(self, address: str, now: float) -> float:
        """Record a failed login from ``address`` at ``now``; returns the delay before its next
        login is considered (and for which the server holds this refusal)."""
        self._forget_stale(now)
        record = self._current(address, now)
        failures = 1 if record is None else record.failures + 1
        wait = self.backoff(failures)
        self._records[address] = _Record(failures, now, now + wait)
        self._records.move_to_end(address)
        while len(self._records) > self._max_addresses:
            self._records.popitem(last=False)
        return wait

    def succeeded(self, address: str) -> None:
        """A login from ``address`` succeeded: its failures are forgiven."""
        self._records.pop(address, None)

    def _current(self, address: str, now: float) -> _Record | None:
        record = self._records.get(address)
        if record is not None and now - record.last_failure >= self._forgive:
            del self._records[address]
            return None
        return record

    def _forget_stale(self, now: float) -> None:
        records = self._records
        while records:
            oldest = next(iter(records.values()))
            if now - oldest.last_failure < self._forgive:
                break
            records.popitem(last=False)

    def check(self) -> None:
        """Assert the structural invariants (for tests): bounded, ordered by last failure."""
        assert len(self._records) <= self._max_addresses
        last = float("-inf")
        for record in self._records.values():
            assert record.failures >= 1
            assert record.last_failure >= last
            assert record.retry_at == record.last_failure + self.backoff(record.failures)
            last = record.last_failure
