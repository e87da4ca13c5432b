"""The CPU priority of a stage that works off the order path.

Contract. :func:`lower_priority` lowers the calling process's priority: by ``nice`` steps and,
with ``idle``, into Linux's ``SCHED_IDLE`` class, where it runs only when no other process
wants a core. Threads started afterwards inherit it. Where the class is missing (not Linux) or
refused, the niceness alone stays. It returns what it did, for people. :func:`leave_idle`
takes the calling thread back to the normal class (the niceness stays), for work that someone
waits for, such as a shutdown snapshot.

Why ``SCHED_IDLE`` for the reporter. Niced, a background process still runs beside the
pipeline, and on 2 cores what it costs is the core's own speed (caches, memory bandwidth,
wake-ups), not only its CPU share: attaching the reporter niced cost a fused host 12% to 16%
of its throughput, in the idle class about 1% (``docs/performance.md``). The reporter loses
nothing by waiting: it follows the journal, reports its lag, and catches up when the cores
are free.
"""

from __future__ import annotations

import os

__all__ = ["leave_idle", "lower_priority"]


def lower_priority(nice: int, *, idle: bool = False) -> str:
    """Renice the process by ``nice`` and, with ``idle``, move it to ``SCHED_IDLE``; returns
    "idle" or "nice N" (what it now runs at)."""
    if nice:
        os.nice(nice)
    if idle and hasattr(os, "SCHED_IDLE"):
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        except OSError:
            pass  # refused (a sandbox): the niceness stays
        else:
            return "idle"
    return f"nice {nice}"


def leave_idle() -> bool:
    """Leave ``SCHED_IDLE`` for the normal class, keeping the niceness; whether it did (False:
    not in the idle class, or refused)."""
    if not hasattr(os, "SCHED_IDLE"):
        return False
    try:
        if os.sched_getscheduler(0) != os.SCHED_IDLE:
            return False
        os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
    except OSError:
        return False
    return True
