"""An in-process host with the market-data stage, and a listener of its feed on loopback.

The host is the topology's stages polled in turn in this thread (``InProcessRunner``): the
same stage objects as the process host, deterministic scheduling. Its feed goes to a
multicast group on a port of its own (no other test hears it), sent with IP_MULTICAST_IF
127.0.0.1 and loop on, so nothing outside the test is needed: no route, no privilege. The
retransmission and snapshot servers bind port 0; the test reads the ports from the stage.
The listener is ``sequex.feed.FeedClient``; :meth:`FeedHost.follow` alternates polling the
host and pumping the listener (one thread serves both ends).
"""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.domain.exchange import Exchange
from engine.domain.types import Command
from engine.marketdata.itch_book import ItchBook
from engine.marketdata.itch_projection import ItchProjection
from engine.mdfeed.publisher import MarketDataAgent
from engine.mdfeed.settings import FeedSettings
from engine.stage_factories import InProcessRunner
from engine.stages.injector import encode_records
from engine.start_point import prepare_start
from engine.topology import TopologySpec
from sequex.feed import FeedClient, Snapshot, fetch_snapshot
from tests.engine.marketdata.test_itch_rebuild import assert_same_books

WINDOW = 8


def udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def feed_settings(**changes: Any) -> FeedSettings:
    settings = FeedSettings(
        group=("239.192.0.1", udp_port()),
        retransmit=("127.0.0.1", 0),
        snapshot=("127.0.0.1", 0),
        heartbeat_ns=50_000_000,
    )
    return dataclasses.replace(settings, **changes)


class FeedHost:
    """One run of an in-process host on ``data_dir`` (a restart is a new FeedHost)."""

    def __init__(
        self,
        data_dir: Path,
        settings: FeedSettings,
        *,
        capacity: int = 1024,
        fused: bool = True,
        http: str | None = None,
        standby: bool = False,
    ) -> None:
        spec = TopologySpec(
            prefix=f"sequex-mdt{uuid.uuid4().hex[:10]}-",
            data_dir=str(data_dir),
            feedback_window=WINDOW,
            capacity=capacity,
            journal_sync="none",
            fused=fused,
            market_data=settings,
            http=http,
            standby=standby,
        )
        start = prepare_start(spec)
        self.base_seq = start.spec.base_seq
        self.runner = InProcessRunner(start.spec, start.state)
        md = self.runner.stages["marketdata"]
        assert isinstance(md, MarketDataAgent)
        self.md = md
        self.settings = settings
        self._closed = False

    def listener(self) -> FeedClient:
        return FeedClient(self.settings.group, self.md.requests.address)

    def publish(self, commands: list[Command]) -> None:
        self.runner.publish(encode_records(commands))
        self.runner.pump()

    def poll(self) -> None:
        self.runner.pump()
        self.md.poll()

    def follow(self, feed: FeedClient, done: Callable[[], bool], timeout: float = 30.0) -> None:
        """Serve the feed and pump the listener until ``done()``; fails after ``timeout``."""
        deadline = time.monotonic() + timeout
        while not done():
            assert time.monotonic() < deadline, (
                f"feed at {feed.next_sequence}, publisher at {self.md.encoder.next_sequence}, "
                f"faults {feed.faults[:3]}, requests {feed.requests}"
            )
            self.poll()
            feed.pump(0.002)

    def serve(self, done: Callable[[], bool], timeout: float = 30.0) -> None:
        """Poll the host until ``done()``; fails after ``timeout``."""
        deadline = time.monotonic() + timeout
        while not done():
            assert time.monotonic() < deadline, "the host did not get there"
            self.poll()
            time.sleep(0.001)

    def caught_up(self, feed: FeedClient) -> Callable[[], bool]:
        return lambda: feed.next_sequence == self.md.encoder.next_sequence and feed.caught_up()

    def snapshot(self, timeout: float = 10.0) -> Snapshot:
        """The snapshot service's answer, while this thread keeps the publisher polling."""
        result: list[Snapshot | BaseException] = []

        def fetch() -> None:
            try:
                result.append(fetch_snapshot(self.md.snapshots.address, timeout))
            except BaseException as exc:  # handed to the test thread
                result.append(exc)

        thread = threading.Thread(target=fetch)
        thread.start()
        deadline = time.monotonic() + timeout
        while thread.is_alive() and time.monotonic() < deadline:
            self.md.poll()
            time.sleep(0.001)
        thread.join()
        (answer,) = result
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def close(self) -> None:
        """Stop the host cleanly (once; later calls do nothing)."""
        if not self._closed:
            self._closed = True
            self.runner.close()


def exchange_after(commands: list[Command]) -> Exchange:
    exchange = Exchange(WINDOW)
    for cmd in commands:
        exchange.submit(cmd)
    return exchange


def assert_books_match(commands: list[Command], projection: ItchProjection, book: ItchBook) -> None:
    """``book`` (rebuilt from the feed) is the engine's after ``commands``, order for order,
    with the references ``projection`` gave."""
    assert_same_books(exchange_after(commands), projection, book)
