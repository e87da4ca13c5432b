"""Agents and their runners (agrona style): a stage is an agent, a runner owns its loop.

An agent has ``do_work() -> int`` (work done, 0 when idle; it never sleeps itself unless its
work *is* waiting, like a Disruptor consumer blocking in its wait strategy), ``on_start()``,
``on_close()`` and ``halt()`` (make a blocked ``do_work`` return or raise promptly).
:class:`AgentRunner` loops ``idle.idle(agent.do_work())`` until stopped, alerted
(:class:`AlertException`) or interrupted by :data:`STOP_SIGNAL`.

Who stops a child: its parent alone. ``ManagedProcess.stop`` sends :data:`STOP_SIGNAL`
(SIGUSR1), and the children ignore SIGINT and SIGTERM. Both reach every process of the group
at once when a terminal's Ctrl-C, ``kill -- -PGID`` or systemd's default
``KillMode=control-group`` stops the service; the children then let their parent stop them
in its own order (a host: the gateway first, then the drain, then the stages), and the parent
does not mistake their exits for crashes.

:class:`AgentProcess` runs an agent in its own OS process, optionally pinned to a CPU. The agent
is built *in the child* by a picklable factory, so it attaches to shared memory there. We use
the ``spawn`` start method by default: the child starts from a clean interpreter, inherits no
threads, locks or mappings of the parent, and behaves the same whatever the parent is (a pytest
run, a threaded supervisor). ``fork`` is accepted for speed-sensitive callers that know the
parent is single-threaded. A clean stop exits with code 0; an exception in the agent exits with
code 1 (after the traceback is printed); a kill shows as ``-signal``: the parent reads
``exitcode`` and fails fast.

Every :class:`ManagedProcess` (an agent's or not) dies with the process that started it: the
child's first act is ``disruptor.lifeline.exit_with_parent`` (SIGKILL when the parent dies), so a
supervisor killed outright leaves no stage running unsupervised. Start children from a thread
that lives as long as the parent: Linux signals the child when that *thread* exits.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any, Final, Protocol

from disruptor.idle import IdleStrategy, NoOpIdleStrategy
from disruptor.lifeline import exit_with_parent
from disruptor.wait import AlertException


class Agent(Protocol):
    def on_start(self) -> None: ...

    def do_work(self) -> int: ...

    def on_close(self) -> None: ...

    def halt(self) -> None: ...


class AgentCrashed(RuntimeError):
    """An agent process exited with a non-zero code."""

    def __init__(self, name: str, exitcode: int | None) -> None:
        super().__init__(f"agent {name!r} exited with code {exitcode}")
        self.name = name
        self.exitcode = exitcode


class AgentRunner:
    """Runs one agent in the calling thread until stopped."""

    def __init__(self, agent: Agent, idle: IdleStrategy | None = None) -> None:
        self.agent = agent
        self._idle: IdleStrategy = idle if idle is not None else NoOpIdleStrategy()
        self._running = True

    def stop(self) -> None:
        """Request a stop (callable from a signal handler or another thread)."""
        self._running = False
        self.agent.halt()

    def run(self) -> None:
        agent = self.agent
        idle = self._idle
        agent.on_start()
        try:
            while self._running:
                idle.idle(agent.do_work())
        except AlertException:
            pass  # a ring-wide or local alert is a normal stop
        finally:
            agent.on_close()


#: What ``ManagedProcess.stop`` sends: not SIGTERM, which a group-wide stop sends to every
#: child at once (module docstring). Held off during a semaphore wait like the others
#: (``disruptor.wait``), so it is handled within one wait's timeout.
STOP_SIGNAL: Final = signal.SIGUSR1


def ignore_group_stops() -> None:
    """In a child: ignore the signals a stop of the whole process group sends (the parent
    decides when and in what order its children stop)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _child_main(
    factory: Callable[[], Agent], idle: IdleStrategy | None, cpu: int | None, freeze: bool
) -> None:
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    runner = AgentRunner(factory(), idle)

    def on_term(signum: int, frame: FrameType | None) -> None:
        runner.stop()

    signal.signal(STOP_SIGNAL, on_term)
    ignore_group_stops()
    if freeze:
        gc.freeze()  # start-up objects never need collecting; keeps GC pauses short
    runner.run()


def _managed_main(parent_pid: int, target: Callable[..., None], args: tuple[Any, ...]) -> None:
    exit_with_parent(parent_pid)  # before anything else: the parent may already be gone
    target(*args)


class ManagedProcess:
    """A child OS process the supervisor can watch and stop: the handle every host process
    shares (a stage's :class:`AgentProcess`, or a process that is not an agent, such as an
    asyncio server). ``stop`` is :data:`STOP_SIGNAL`, then SIGKILL after ``timeout``. The
    child dies with this process (module docstring)."""

    def __init__(
        self, target: Callable[..., None], args: tuple[Any, ...], *, name: str, start_method: str
    ) -> None:
        ctx: Any = multiprocessing.get_context(start_method)
        self.name = name
        # multiprocessing refuses to start a Process from any process but its creator: the
        # pid taken here is the child's parent.
        self._process: BaseProcess = ctx.Process(
            target=_managed_main, args=(os.getpid(), target, args), name=name, daemon=True
        )

    @property
    def pid(self) -> int | None:
        return self._process.pid

    @property
    def exitcode(self) -> int | None:
        return self._process.exitcode

    @property
    def sentinel(self) -> int:
        """A file descriptor that becomes ready when the process ends (after ``start``)."""
        return self._process.sentinel

    def start(self) -> None:
        self._process.start()

    def is_alive(self) -> bool:
        return self._process.is_alive()

    def join(self, timeout: float | None = None) -> int | None:
        self._process.join(timeout)
        return self._process.exitcode

    def stop(self, timeout: float = 5.0) -> int | None:
        """:data:`STOP_SIGNAL`, wait up to ``timeout``, then SIGKILL; returns the exit code."""
        pid = self._process.pid
        if pid is None:
            return None
        if self._process.is_alive():
            with contextlib.suppress(ProcessLookupError):  # it exited meanwhile
                os.kill(pid, STOP_SIGNAL)
            self._process.join(timeout)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(timeout)
        return self._process.exitcode

    def check(self) -> None:
        """Raise AgentCrashed if the process has exited with a non-zero code."""
        code = self._process.exitcode
        if code not in (None, 0):
            raise AgentCrashed(self.name, code)


class AgentProcess(ManagedProcess):
    """One agent in its own OS process."""

    def __init__(
        self,
        factory: Callable[[], Agent],
        *,
        name: str = "agent",
        cpu: int | None = None,
        idle: IdleStrategy | None = None,
        start_method: str = "spawn",
        freeze_gc: bool = True,
    ) -> None:
        super().__init__(
            _child_main, (factory, idle, cpu, freeze_gc), name=name, start_method=start_method
        )


class AgentThread:
    """One agent in a thread of this process: same interface as AgentProcess, for tests and
    single-process runs (no signals; ``stop`` calls ``halt``)."""

    def __init__(self, factory: Callable[[], Agent], *, name: str = "agent") -> None:
        self.name = name
        self._factory = factory
        self._runner: AgentRunner | None = None
        self._ready = threading.Event()
        self._exitcode: int | None = None
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)

    def _main(self) -> None:
        try:
            self._runner = AgentRunner(self._factory())
            self._ready.set()
            self._runner.run()
            self._exitcode = 0
        except BaseException:
            # Like a crashed process: print the traceback, report a non-zero exit code.
            self._exitcode = 1
            traceback.print_exc()
        finally:
            self._ready.set()

    @property
    def exitcode(self) -> int | None:
        return self._exitcode

    def start(self) -> None:
        self._thread.start()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float | None = None) -> int | None:
        self._thread.join(timeout)
        return self._exitcode

    def stop(self, timeout: float = 5.0) -> int | None:
        self._ready.wait(timeout)
        if self._runner is not None and self._thread.is_alive():
            self._runner.stop()
        self._thread.join(timeout)
        return self._exitcode

    def check(self) -> None:
        if self._exitcode not in (None, 0):
            raise AgentCrashed(self.name, self._exitcode)


def wait_any(agents: Iterable[AgentProcess | AgentThread], timeout: float) -> list[str]:
    """Poll until one agent has exited or ``timeout`` passes; returns names of exited agents."""
    agents = list(agents)
    deadline = time.monotonic() + timeout
    while True:
        done = [a.name for a in agents if not a.is_alive()]
        if done or time.monotonic() >= deadline:
            return done
        time.sleep(0.01)
