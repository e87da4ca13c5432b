"""A child process's lifeline to its parent: the child dies when the parent dies.

Contract:

* :func:`exit_with_parent` is the first thing a child runs (:class:`ManagedProcess` calls it
  before its target; for a ``subprocess`` child, :func:`preexec_exit_with_parent` makes its
  ``preexec_fn``). It asks Linux for SIGKILL when the parent dies (``prctl(PR_SET_PDEATHSIG,
  SIGKILL)``), then compares ``os.getppid()`` with the pid the parent passed down: a parent that
  died before the request leaves the child re-parented, and it kills itself at once.
* SIGKILL, not SIGTERM: a stage that outlives its supervisor must not go on acknowledging orders
  or holding the journal's lock for even one more batch. Nothing is lost: the journal is the
  truth and the next start recovers from it.
* Where ``prctl`` is not available (not Linux, or it failed), a daemon thread polls
  ``os.getppid()`` every 100 ms and kills the process when it changes: later, but the same end.
* Caveat: Linux sends the signal when the parent *thread* that created the child exits, not the
  parent process. A child must be started by a thread that lives as long as the host (the
  supervisor starts every stage and the gateway from the thread that drives it), or it dies
  with that thread.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

#: <linux/prctl.h>: set the signal this process gets when its parent dies.
PR_SET_PDEATHSIG = 1
#: How often the fallback watch looks at the parent.
WATCH_INTERVAL = 0.1


def _die() -> None:
    # The same end as PR_SET_PDEATHSIG, so that every way an orphan goes looks alike (-SIGKILL).
    os.kill(os.getpid(), signal.SIGKILL)


@functools.cache
def _prctl() -> Callable[..., int] | None:
    """libc's ``prctl``, loaded once (None where there is none): loading it in a forked child
    of a threaded parent could deadlock on the dynamic loader's lock."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        prctl: Callable[..., int] = libc.prctl
    except (OSError, AttributeError):
        return None
    return prctl


def request_parent_death_signal() -> bool:
    """Ask Linux for SIGKILL when the parent dies; False where that is not possible."""
    prctl = _prctl()
    return prctl is not None and int(prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)) == 0


def watch_parent(parent_pid: int, interval: float = WATCH_INTERVAL) -> threading.Thread:
    """Start a daemon thread that kills this process once its parent is no longer
    ``parent_pid`` (re-parented: the parent died)."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(interval)
        _die()

    thread = threading.Thread(target=watch, name="parent-watch", daemon=True)
    thread.start()
    return thread


def exit_with_parent(parent_pid: int) -> None:
    """Bind this process's life to ``parent_pid``, its parent: see the module docstring."""
    armed = request_parent_death_signal()
    # After the request, not before: a parent that died in between would otherwise go unseen.
    if os.getppid() != parent_pid:
        _die()
    if not armed:
        watch_parent(parent_pid)


def preexec_exit_with_parent() -> Callable[[], None]:
    """A ``preexec_fn`` for ``subprocess.Popen`` that binds the command to this process.

    Call it in the parent: it loads ``prctl`` and reads the parent pid here, so that the
    returned function, which runs between fork and exec, only makes the call and compares
    pids. No watch thread there (exec would end it); the death signal survives the exec."""
    parent_pid = os.getpid()
    _prctl()

    def preexec() -> None:
        request_parent_death_signal()
        if os.getppid() != parent_pid:
            os._exit(1)

    return preexec
