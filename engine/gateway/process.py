"""The gateway as a process of the host, with the interface of ``disruptor.AgentProcess``, and
its entry point :func:`run_gateway`.

The gateway is an asyncio server, not an agent, but the supervisor watches and stops it like
every stage: ``name``, ``start``, ``is_alive``, ``exitcode``, ``join`` and ``stop``
(``disruptor.agent.STOP_SIGNAL``, then SIGKILL). Like the stage processes it ignores SIGINT
and SIGTERM: Ctrl-C, ``kill -- -PGID`` and systemd's default stop reach the whole process
group, and the supervisor, not each child, decides how the host stops (the gateway first, so
no command enters a host that is draining).

Its garbage collector is tuned like the stage processes' (``tune_collector``): every order
allocates short-lived objects (commands, events, reports) and, at the default thresholds, the
collector ran every few orders and took about a third of the process's time
(``docs/performance.md``).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import multiprocessing
import signal
from collections.abc import Mapping, Sequence
from multiprocessing.connection import Connection

from disruptor import ManagedProcess
from disruptor.agent import STOP_SIGNAL, ignore_group_stops
from engine.config import HostConfig
from engine.domain.types import Command
from engine.gateway.limits import fit_connection_cap
from engine.gateway.server import MAX_CONNECTIONS, GatewayServer
from engine.proctitle import set_title

#: The collector's thresholds in the gateway process, as the stages' (``STAGE_GC_THRESHOLD``
#: of ``engine.stage_factories``): cycles are rare, short-lived tuples are not.
GATEWAY_GC_THRESHOLD = (20_000, 20, 100)


def tune_collector() -> None:
    """Collect less often, and never again walk what start-up built (``gc.freeze``)."""
    gc.set_threshold(*GATEWAY_GC_THRESHOLD)
    gc.collect()
    gc.freeze()


def run_gateway(
    config: HostConfig,
    ring_in_name: str,
    events_ring_name: str,
    events_consumer: int,
    base_seq: int,
    setup: Sequence[Command] = (),
    stop_signals: tuple[int, ...] = (signal.SIGTERM, signal.SIGINT),
    max_connections: int = MAX_CONNECTIONS,
    owners: Mapping[str, str] | None = None,
    journaled_seq: int | None = None,
    in_wakes: Sequence[int] | None = None,
) -> None:
    """Process entry point (picklable, for a spawned process): serve until one of
    ``stop_signals`` arrives, then close cleanly (listener, sessions, report pump, ring
    handles)."""

    async def main() -> None:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        for signum in stop_signals:
            loop.add_signal_handler(signum, task.cancel)
        server = GatewayServer(
            config,
            ring_in_name,
            events_ring_name,
            events_consumer,
            base_seq,
            setup=setup,
            max_connections=fit_connection_cap(max_connections),
            owners=owners,
            journaled_seq=journaled_seq,
            in_wakes=in_wakes,
        )
        with contextlib.suppress(asyncio.CancelledError):
            try:
                await server.start()
                tune_collector()  # after start-up: its objects live as long as the process
                await asyncio.Event().wait()
            finally:
                await server.close()

    asyncio.run(main())


def _gateway_main(
    config: HostConfig,
    ring_in: str,
    ring_events: str,
    events_consumer: int,
    base_seq: int,
    max_connections: int,
    owners: dict[str, str],
    journaled_seq: int | None,
    parked: Connection | None = None,
    in_wakes: list[int] | None = None,
) -> None:
    set_title("gateway")
    ignore_group_stops()  # the supervisor decides; see the docstring
    if parked is not None:
        # imported and waiting: a standby's gateway, told to serve when it is promoted
        try:
            journaled_seq, owners = parked.recv()
        except EOFError:
            return  # the host went away without promoting us
        parked.close()
    run_gateway(
        config,
        ring_in,
        ring_events,
        events_consumer,
        base_seq,
        stop_signals=(STOP_SIGNAL,),
        max_connections=max_connections,
        owners=owners,
        journaled_seq=journaled_seq,
        in_wakes=in_wakes,
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
        journaled_seq: int | None = None,
        parked: bool = False,
        in_wakes: Sequence[int] | None = None,
    ) -> None:
        go: Connection | None = None
        if parked:
            go, self._go = multiprocessing.get_context("spawn").Pipe(duplex=False)
        args = (
            config, ring_in, ring_events, events_consumer, base_seq, max_connections,
            dict(owners or {}), journaled_seq, go, None if in_wakes is None else list(in_wakes),
        )  # fmt: skip
        super().__init__(_gateway_main, args, name=name, start_method="spawn")

    def unpark(self, journaled_seq: int, owners: Mapping[str, str]) -> None:
        """Let a gateway started ``parked`` (spawned and imported, not serving) serve now:
        ``journaled_seq`` and ``owners`` as for a gateway started then. What promotion costs
        is then the gateway's own start, not a new interpreter's."""
        self._go.send((journaled_seq, dict(owners)))
        self._go.close()
