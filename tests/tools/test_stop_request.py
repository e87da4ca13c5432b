"""StopRequest: a stop asked for by a signal handler, wherever the handler interrupts a wait.

CPython runs a signal handler in the main thread between two bytecodes. The harness here runs
the "handler" (``set()``) at each bytecode boundary of ``wait()`` in turn, by tracing opcodes:
every point where a real signal could land. ``threading.Event`` fails the same harness (it
deadlocks: the test for that runs it in a child process that never finishes).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from tools.stop_request import StopRequest

ROOT = Path(__file__).resolve().parents[2]

HARNESS = textwrap.dedent(
    """
    import sys

    def interrupt_at(waiter, wait_code, handler, k):
        '''Run waiter(); at the k-th opcode executed in wait_code's frames, call handler.'''
        seen = [0]
        fired = [0]  # the line it ran on

        def local(frame, event, arg):
            if event == "opcode" and not fired[0]:
                seen[0] += 1
                if seen[0] == k:
                    fired[0] = frame.f_lineno
                    handler()
            return local

        def tracer(frame, event, arg):
            if frame.f_code is wait_code:
                frame.f_trace_opcodes = True
                return local
            return None

        sys.settrace(tracer)
        try:
            result = waiter()
        finally:
            sys.settrace(None)
        return fired[0], result
    """
)


def _interrupt_at(
    waiter: Callable[[], bool], code: Any, handler: Callable[[], None], k: int
) -> tuple[int, bool]:
    """(the line of ``code`` where ``handler`` ran, 0 if it never did; what waiter returned)"""
    scope: dict[str, Any] = {}
    exec(HARNESS, scope)
    line, result = scope["interrupt_at"](waiter, code, handler, k)
    return line, result


def test_a_handler_that_sets_it_at_any_bytecode_of_a_wait_ends_the_wait() -> None:
    fired_at = 0
    for k in range(1, 400):
        request = StopRequest()
        began = time.monotonic()
        line, result = _interrupt_at(
            lambda r=request: r.wait(0.03), StopRequest.wait.__code__, request.set, k
        )
        took = time.monotonic() - began
        if not line:
            break  # past the last opcode of a wait that timed out without the handler
        fired_at = k
        # False only if the handler ran as the wait was ending on its timeout (between its
        # last look at the flag and its return): the flag is still set, the caller looks next
        assert result is True or took >= 0.03, f"set() at line {line} did not end the wait"
        assert request.is_set(), f"set() at opcode {k} was lost"
        assert request.wait(0.0) is True
    assert fired_at > 10  # the harness reached into the wait's loop, not only its first line


def test_threading_event_deadlocks_under_the_same_harness() -> None:
    """Why StopRequest exists: the same harness hangs an Event at its first opcodes."""
    program = HARNESS + textwrap.dedent(
        """
        import threading
        event = threading.Event()
        code = threading.Condition.wait.__code__
        interrupt_at(lambda: event.wait(0.05), code, event.set, 5)
        print("finished")
        """
    )
    with pytest.raises(subprocess.TimeoutExpired):
        subprocess.run(
            [sys.executable, "-c", program], capture_output=True, text=True, timeout=5, check=False
        )


def test_real_signals_at_scattered_moments_always_end_the_wait() -> None:
    """SIGUSR1 from another thread at 200 different moments; each ends the spinning wait."""
    previous = signal.getsignal(signal.SIGUSR1)
    request = StopRequest()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        request.set()

    signal.signal(signal.SIGUSR1, on_signal)
    try:
        for i in range(200):
            request = StopRequest()
            timer = threading.Timer((i % 20) * 0.0002, os.kill, (os.getpid(), signal.SIGUSR1))
            timer.start()
            while not request.is_set():
                request.wait(0.0 if i % 2 else 0.0001)
            timer.join()
    finally:
        signal.signal(signal.SIGUSR1, previous)


def test_wait_times_out_when_nothing_asks_and_set_is_for_good() -> None:
    request = StopRequest()
    assert request.wait(0.01) is False
    assert not request.is_set()
    request.set()
    request.set()
    assert request.is_set() and request.wait(10.0) is True
