"""The gateway as a process of the host, with the interface of ``disruptor.AgentProcess``.

The gateway is an asyncio server, not an agent, but the supervisor watches and stops it like
every stage: ``name``, ``start``, ``is_alive``, ``exitcode``, ``join`` and ``stop`` (SIGTERM,
then SIGKILL). Like the stage processes it ignores SIGINT: Ctrl-C reaches the whole process
group, and the supervisor, not each child, decides how the host stops (the gateway first, so
no command enters a host that is draining).
"""

from __future__ import annotations

import signal

from disruptor import ManagedProcess
from engine.config import HostConfig
from engine.gateway.server import run_gateway


def _gateway_main(config: HostConfig, ring_in: str, ring_exec: str, base_seq: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor decides; see the docstring
    run_gateway(config, ring_in, ring_exec, base_seq, stop_signals=(signal.SIGTERM,))


class GatewayProcess(ManagedProcess):
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
        args = (config, ring_in, ring_exec, base_seq)
        super().__init__(_gateway_main, args, name=name, start_method="spawn")
