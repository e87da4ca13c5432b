"""The gateway as a process of the host, with the interface of ``disruptor.AgentProcess``.

The gateway is an asyncio server, not an agent, but the supervisor watches and stops it like
every stage: ``name``, ``start``, ``is_alive``, ``exitcode``, ``join`` and ``stop`` (SIGTERM,
then SIGKILL). Like the stage processes it ignores SIGINT: Ctrl-C reaches the whole process
group, and the supervisor, not each child, decides how the host stops (the gateway first, so
no command enters a host that is draining).
"""

from __future__ import annotations

import signal
from collections.abc import Mapping

from disruptor import ManagedProcess
from engine.config import HostConfig
from engine.gateway.server import MAX_CONNECTIONS, run_gateway
from engine.proctitle import set_title


def _gateway_main(
    config: HostConfig,
    ring_in: str,
    ring_events: str,
    events_consumer: int,
    base_seq: int,
    max_connections: int,
    owners: dict[str, str],
) -> None:
    set_title("gateway")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor decides; see the docstring
    run_gateway(
        config,
        ring_in,
        ring_events,
        events_consumer,
        base_seq,
        stop_signals=(signal.SIGTERM,),
        max_connections=max_connections,
        owners=owners,
    )


class GatewayProcess(ManagedProcess):
    """The JSON-lines gateway serving ``config``'s endpoint, as the single writer of ring[in];
    at most ``max_connections`` open connections (``engine.gateway.server``); ``owners``: the
    account -> firm map of the recovered state (``engine.gateway.accounts``)."""

    def __init__(
        self,
        config: HostConfig,
        ring_in: str,
        ring_events: str,
        events_consumer: int,
        base_seq: int,
        *,
        name: str = "gateway",
        max_connections: int = MAX_CONNECTIONS,
        owners: Mapping[str, str] | None = None,
    ) -> None:
        args = (
            config, ring_in, ring_events, events_consumer, base_seq, max_connections,
            dict(owners or {}),
        )  # fmt: skip
        super().__init__(_gateway_main, args, name=name, start_method="spawn")
