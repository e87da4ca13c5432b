"""A stop that a signal handler asks for: ``set()`` is safe to call from a handler.

``threading.Event`` is not. Its ``wait()`` runs Python code while it holds the event's lock, and
CPython runs a signal handler in the main thread between any two bytecodes. A handler that calls
``Event.set()`` there blocks on the lock its own thread holds, forever. That is how
``sequex run`` could hang at SIGTERM: the host never stopped its gateway and printed nothing more
(about 1 stop in 100, more often on a loaded machine).

:class:`StopRequest` keeps the part of ``Event``'s interface the hosts use (``set``, ``is_set``,
``wait``), but ``set()`` only stores a flag, and ``wait()`` sleeps in short slices and looks at
the flag between them. No lock is taken anywhere, so a handler can run at any point of a wait.
"""

from __future__ import annotations

import time

#: The longest a wait sleeps before it looks at the flag again: how late a stop can be noticed.
#: A signal ends the current slice early only if it interrupts the sleep; PEP 475 restarts it.
POLL_SECONDS = 0.02


class StopRequest:
    """A one-way flag: False until :meth:`set`, True from then on."""

    __slots__ = ("_asked",)

    def __init__(self) -> None:
        self._asked = False

    def set(self) -> None:
        """Ask for the stop. Takes no lock: safe from a signal handler and from any thread."""
        self._asked = True

    def is_set(self) -> bool:
        return self._asked

    def wait(self, timeout: float) -> bool:
        """Sleep until the stop is asked for or ``timeout`` seconds pass; whether it was."""
        deadline = time.monotonic() + timeout
        while not self._asked:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(left, POLL_SECONDS))
        return True
