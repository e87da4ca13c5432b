"""The gateway as a process of the host, with the interface of ``disruptor.AgentProcess``.

The gateway is an asyncio server, not an agent, but the supervisor watches and stops it like
every stage: ``name``, ``start``, ``is_alive``, ``exitcode``, ``join`` and ``stop`` (SIGTERM,
then SIGKILL). Like the stage processes it ignores SIGINT: Ctrl-C reaches the whole process
group, and the supervisor, not each child, decides how the host stops (the gateway first, so
no command enters a host that is draining).
"""

from __future__ import annotations

import multiprocessing
import signal
from multiprocessing.process import BaseProcess
from typing import Any

from engine.config import HostConfig
from engine.gateway.server import run_gateway


def _gateway_main(config: HostConfig, ring_in: str, ring_exec: str, base_seq: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor decides; see the docstring
    run_gateway(config, ring_in, ring_exec, base_seq, stop_signals=(signal.SIGTERM,))


class GatewayProcess:
    """The JSON-lines gateway serving ``config``'s endpoint, as the single writer of ring[in]."""

    def __init__(
        self,
        config: HostConfig,
        ring_in: str,
        ring_exec: str,
        base_seq: int,
        *,
        name: str = "gateway",
    ) -> None:
        ctx: Any = multiprocessing.get_context("spawn")
        self.name = name
        self._process: BaseProcess = ctx.Process(
            target=_gateway_main,
            args=(config, ring_in, ring_exec, base_seq),
            name=name,
            daemon=True,
        )

    @property
    def pid(self) -> int | None:
        return self._process.pid

    @property
    def exitcode(self) -> int | None:
        return self._process.exitcode

    def start(self) -> None:
        self._process.start()

    def is_alive(self) -> bool:
        return self._process.is_alive()

    def join(self, timeout: float | None = None) -> int | None:
        self._process.join(timeout)
        return self._process.exitcode

    def stop(self, timeout: float = 5.0) -> int | None:
        """SIGTERM, wait up to ``timeout``, then SIGKILL; returns the exit code."""
        if self._process.pid is None:
            return None
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(timeout)
        return self._process.exitcode
