"""Wait strategies: how a party waits for sequences to reach a value, and how it wakes others.

A wait strategy has one job, in two methods:

* ``wait_for(sequence, cursor, dependents, barrier) -> int`` returns the lowest of ``cursor``
  and every sequence of ``dependents`` once that lowest value is at least ``sequence``; it calls
  ``barrier.check_alert()`` while waiting, which raises :class:`AlertException` to stop.
* ``signal_all_when_blocking()`` is called by anybody who has just advanced a sequence (the
  producer after publishing, a consumer after consuming) so that blocked parties wake up.

Consumers wait on the cursor and their upstream consumers; the producer waits on the gating
consumers when the ring is full: the same call, with the gating sequences as arguments.

:class:`SpinThenBlockWaitStrategy` is the default and the only one fit for more processes than
cores. Each party that may block (the producer, each consumer) is a *waiter* with a flag line in
the ring and a POSIX semaphore. Before blocking, the waiter publishes a positive epoch in its
flag, re-checks the sequences, then sleeps on its semaphore. A signaller reads every flag and
posts a semaphore only for a waiter that declared a new epoch: when nobody waits, signalling is a
few loads and no system call. The classic lost-wakeup race (the waiter stores its flag and loads
the cursor while the signaller stores the cursor and loads the flag; x86-64 may reorder a store
with a later load) is closed by a full fence on both sides, and a semaphore timeout remains as a
safety net for anything we did not foresee.

A waiter inside an event loop cannot sleep on a semaphore. It waits on a *doorbell* instead
(:class:`Doorbell`): a Unix datagram socket in the abstract namespace, named from the ring's
random nonce and the waiter (``RingBuffer.doorbell_name``), that the loop watches like any
other socket. The waiter declares the episode with the :data:`DOORBELL` bit in its flag, and a
signaller that sees the bit sends one byte to the doorbell instead of posting the semaphore.
Either way it is one system call and one wake-up; the waiter's process no longer needs a thread
parked on the semaphore that hands the wake-up to its loop (two more wake-ups and a GIL
hand-over each time).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterable
from collections.abc import Sequence as Seq
from typing import Protocol

import posix_ipc

from disruptor.sequence import Sequence


class AlertException(Exception):
    """Raised inside a wait when the barrier or the whole ring was alerted to stop."""


class Alertable(Protocol):
    def check_alert(self) -> None:
        """Raise AlertException if waiting must stop."""


class WaitStrategy(Protocol):
    def wait_for(
        self, sequence: int, cursor: Sequence, dependents: Seq[Sequence], barrier: Alertable
    ) -> int: ...

    def signal_all_when_blocking(self) -> None: ...


_fence_lock = threading.Lock()
#: the C function under ``signal.pthread_sigmask``: the wrapper turns every signal of the old
#: mask into an enum member, which was most of the cost of a block (3.0 against 0.7 us a call)
_sigmask: Callable[[int, Iterable[int]], set[int]] = getattr(
    importlib.import_module("_signal"), "pthread_sigmask", signal.pthread_sigmask
)
_HELD_SIGNALS = {
    signal.SIGINT,
    signal.SIGTERM,
    signal.SIGALRM,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGUSR1,
    signal.SIGUSR2,
}


def full_fence() -> None:
    """A full memory barrier: an uncontended lock round trip is a locked instruction on x86-64,
    which drains the store buffer before any later load."""
    _fence_lock.acquire()
    _fence_lock.release()


def lowest(cursor: Sequence, dependents: Seq[Sequence]) -> int:
    """min(cursor, *dependents) without building a list."""
    value = cursor.get()
    for dep in dependents:
        v = dep.get()
        if v < value:
            value = v
    return value


class BusySpinWaitStrategy:
    """Spin on the sequences; lowest latency, burns a core: only with a core per process."""

    def wait_for(
        self, sequence: int, cursor: Sequence, dependents: Seq[Sequence], barrier: Alertable
    ) -> int:
        while True:
            available = lowest(cursor, dependents)
            if available >= sequence:
                return available
            barrier.check_alert()

    def signal_all_when_blocking(self) -> None:
        pass


class YieldingWaitStrategy:
    """Spin a little, then ``sched_yield`` between checks: gives the core to runnable peers,
    but still never sleeps, so an idle party keeps a core busy."""

    def __init__(self, spin_tries: int = 100) -> None:
        self._spin_tries = spin_tries

    def wait_for(
        self, sequence: int, cursor: Sequence, dependents: Seq[Sequence], barrier: Alertable
    ) -> int:
        tries = self._spin_tries
        while True:
            available = lowest(cursor, dependents)
            if available >= sequence:
                return available
            barrier.check_alert()
            if tries > 0:
                tries -= 1
            else:
                os.sched_yield()

    def signal_all_when_blocking(self) -> None:
        pass


#: the flag bit of a waiter that listens on its doorbell (a flag is +-epoch, so the epoch
#: lives below it)
DOORBELL = 1 << 61
EPOCH_MASK = DOORBELL - 1


def doorbell_address(name: str) -> str:
    """The abstract-namespace address of doorbell ``name``: nothing on disk, gone when its
    socket closes or its process dies."""
    return "\0" + name + ".bell"


class Doorbell:
    """The listening end of one waiter's doorbell: a non-blocking datagram socket bound to
    :func:`doorbell_address`, for an event loop to watch (``fileno()``).

    Binding fails (``OSError``, EADDRINUSE) while another socket listens at the name: one
    waiter is one party. Rings carry no meaning beyond "look again", so :meth:`clear` reads
    them and throws them away. A context manager: closed on exit.
    """

    __slots__ = ("_sock",)

    def __init__(self, name: str) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            sock.bind(doorbell_address(name))
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        self._sock = sock

    def fileno(self) -> int:
        return self._sock.fileno()

    def clear(self, most: int = 64) -> int:
        """Read the rings queued, at most ``most`` (a flood from elsewhere cannot hold the
        caller: what is left keeps the socket readable); returns how many were read."""
        recv = self._sock.recv
        for n in range(most):
            try:
                recv(16)
            except BlockingIOError:
                return n
        return most

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> Doorbell:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class WakeBoard:
    """The waiter flags of one ring plus their semaphores, as seen by one party.

    ``counters`` is the ring's int64 counter view; ``flag_indices[w]`` is waiter ``w``'s flag.
    A flag holds ``+epoch`` while its waiter is (about to be) blocked and ``-epoch`` otherwise;
    only waiter ``w`` writes flag ``w``. Epochs keep increasing across restarts of a waiter
    (it resumes from the flag), so a signaller posts at most once per blocking episode. With
    ``bells`` (each waiter's doorbell name), a flag that carries :data:`DOORBELL` is answered
    with a ring instead of a post.
    """

    __slots__ = ("_bells", "_counters", "_flags", "_last_posted", "_ringers", "_sems", "_targets")

    def __init__(
        self,
        counters: memoryview,
        flag_indices: Seq[int],
        semaphores: Seq[posix_ipc.Semaphore],
        bells: Seq[str] = (),
    ) -> None:
        if len(flag_indices) != len(semaphores):
            raise ValueError(
                f"one semaphore per waiter: {len(flag_indices)} flags, {len(semaphores)} semaphores"
            )
        if bells and len(bells) != len(semaphores):
            raise ValueError(f"one doorbell name per waiter: {len(bells)} for {len(semaphores)}")
        self._counters = counters
        self._flags = list(flag_indices)
        self._sems = list(semaphores)
        #: each waiter's doorbell address (see :class:`Doorbell`); none: no doorbells
        self._bells = [doorbell_address(name) for name in bells]
        #: per waiter, the unbound socket this party rings its doorbell with, made on first
        #: use: one each, so that a full send buffer (EAGAIN) can only mean that this waiter
        #: has rings it has not read yet, never another waiter's
        self._ringers: list[socket.socket | None] = [None] * len(self._bells)
        self._last_posted = [0] * len(self._flags)
        self._targets = list(range(len(self._flags)))

    @property
    def waiters(self) -> int:
        return len(self._flags)

    def aim(self, targets: Iterable[int]) -> None:
        """Post only ``targets`` from now on: the waiters whose condition this party's
        progress can make true (the topology knows which, ``engine.wiring.Wiring.wakes``).
        Every other post would be a wake-up for nothing: the waiter finds its condition
        still false and blocks again. By default a party posts every waiter."""
        chosen = sorted(set(targets))
        if any(not 0 <= w < len(self._flags) for w in chosen):
            raise ValueError(f"waiters are 0..{len(self._flags) - 1}, got {chosen}")
        self._targets = chosen

    def begin_wait(self, waiter: int, *, bell: bool = False) -> None:
        """Declare that ``waiter`` is about to block; the caller re-checks before blocking.
        ``bell``: it listens on its :class:`Doorbell`, so the signallers ring that instead of
        posting the semaphore."""
        if bell and not self._bells:
            raise ValueError("this board has no doorbells")
        index = self._flags[waiter]
        epoch = (abs(self._counters[index]) & EPOCH_MASK) + 1
        self._counters[index] = epoch | DOORBELL if bell else epoch
        full_fence()  # the flag store must be visible before the re-check loads the sequences

    def end_wait(self, waiter: int) -> None:
        index = self._flags[waiter]
        self._counters[index] = -abs(self._counters[index])

    def block(self, waiter: int, timeout: float) -> None:
        """Sleep until posted or ``timeout`` seconds pass; signals are handled right after."""
        # posix_ipc runs a Python signal handler inside acquire() and then replaces whatever it
        # raised (KeyboardInterrupt, a test timeout) with its own SignalError. So asynchronous
        # signals are held off during the sleep and delivered when it ends, at most ``timeout``
        # later, where the handler's exception propagates normally.
        old_mask = _sigmask(signal.SIG_BLOCK, _HELD_SIGNALS)
        try:
            with contextlib.suppress(posix_ipc.BusyError, posix_ipc.SignalError):
                self._sems[waiter].acquire(timeout)
        finally:
            _sigmask(signal.SIG_SETMASK, old_mask)

    def signal(self) -> None:
        """Post every waiter that declared a blocking episode not yet posted by us."""
        full_fence()  # our sequence store must be visible before we read the flags
        counters = self._counters
        flags = self._flags
        last = self._last_posted
        for w in self._targets:
            epoch = counters[flags[w]]
            if epoch > 0 and epoch != last[w]:
                last[w] = epoch
                if epoch & DOORBELL:
                    self._ring(w)
                else:
                    self._sems[w].release()

    def _ring(self, waiter: int) -> None:
        """One byte to ``waiter``'s doorbell; its semaphore when nobody listens there (the
        waiter went away meanwhile: the post is then harmless, and a waiter that comes back
        re-checks before it waits)."""
        ringer = self._ringers[waiter]
        if ringer is None:
            ringer = self._ringers[waiter] = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            ringer.setblocking(False)
        try:
            ringer.sendto(b"\x01", self._bells[waiter])
        except BlockingIOError:
            pass  # this socket's rings to it are still unread: it will wake anyway
        except OSError:  # nobody bound there (ECONNREFUSED, ENOENT)
            self._sems[waiter].release()

    def wake_all(self) -> None:
        """Post every semaphore once, and ring every doorbell that is listened on, waiting or
        not (used to deliver an alert)."""
        for sem in self._sems:
            sem.release()
        for w in range(len(self._bells)):
            if abs(self._counters[self._flags[w]]) & DOORBELL:
                self._ring(w)

    def close(self) -> None:
        """Close the ringing sockets (those that were made)."""
        for w, ringer in enumerate(self._ringers):
            if ringer is not None:
                ringer.close()
                self._ringers[w] = None


class SpinThenBlockWaitStrategy:
    """Spin up to ``spin_tries`` checks, then block on this waiter's semaphore (the default).

    A blocked process uses no CPU, so it behaves with more processes than cores; the short spin
    catches the common case where the data arrives within microseconds without a system call.
    """

    def __init__(
        self, board: WakeBoard, waiter: int, spin_tries: int = 200, timeout: float = 0.05
    ) -> None:
        if not 0 <= waiter < board.waiters:
            raise ValueError(f"waiter must be in [0, {board.waiters}), got waiter={waiter}")
        self._board = board
        self._waiter = waiter
        self._spin_tries = spin_tries
        self._timeout = timeout

    def wait_for(
        self, sequence: int, cursor: Sequence, dependents: Seq[Sequence], barrier: Alertable
    ) -> int:
        for _ in range(self._spin_tries):
            available = lowest(cursor, dependents)
            if available >= sequence:
                return available
        board = self._board
        waiter = self._waiter
        while True:
            barrier.check_alert()
            board.begin_wait(waiter)
            try:
                available = lowest(cursor, dependents)
                if available >= sequence:
                    return available
                barrier.check_alert()
                board.block(waiter, self._timeout)
            finally:
                board.end_wait(waiter)
            available = lowest(cursor, dependents)
            if available >= sequence:
                return available

    def signal_all_when_blocking(self) -> None:
        self._board.signal()


WAIT_KINDS = {"block": 0, "spin": 1, "yield": 2}


def make_wait_strategy(kind: str, board: WakeBoard, waiter: int) -> WaitStrategy:
    """The strategy named ``kind`` ("block", "spin" or "yield") for ``waiter`` of a ring."""
    if kind == "block":
        return SpinThenBlockWaitStrategy(board, waiter)
    if kind == "spin":
        return BusySpinWaitStrategy()
    if kind == "yield":
        return YieldingWaitStrategy()
    raise ValueError(f"unknown wait strategy kind={kind!r}, expected one of {sorted(WAIT_KINDS)}")
