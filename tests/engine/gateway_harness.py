"""A gateway over a FAKE pipeline, for end-to-end tests over real loopback sockets.

* :class:`FakePipeline`: a thread that consumes ring[in] (consumer 0), runs each command
  through an in-process ``Exchange`` and writes its events into ring[events] as the fused core
  does (``engine.event_codec.write_events``, with the command's origin): the host's seam
  without the processes. The gateway reads ring[events] as consumer 1 (0 is the watermark).
* :class:`ServerThread`: a ``GatewayServer`` on its own asyncio loop, ephemeral port.
* :func:`gateway_host`: both, on fresh rings; everything stopped and unlinked on exit. Given
  the ``data_dir``, the ``exchange`` and the ``base_seq`` a stopped host left, it is that
  host restarted (its outbound stores and FIX session files are read back).
* :class:`Client`: a blocking JSON lines client with a deadline on every read.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from disruptor import AlertException, RingBuffer, list_names
from engine.config import HostConfig, load_config, setup_commands
from engine.domain.exchange import Exchange
from engine.event_codec import write_events
from engine.event_records import EVENT_RECORD_SIZE
from engine.gateway.server import GatewayServer
from engine.records import RECORD_SIZE, CommandDecoder

#: ring[events]: slot 0 the watermark (unused here), 1 the gateway
GATEWAY = 1

DEMO = Path(__file__).resolve().parents[2] / "config" / "demo.toml"


class FakePipeline(threading.Thread):
    """ring[in] -> Exchange -> ring[events]; ``gate`` cleared = paused."""

    def __init__(
        self, ring_in: RingBuffer, events: RingBuffer, exchange: Exchange | None = None
    ) -> None:
        super().__init__(name="fake-pipeline", daemon=True)
        self.ring_in = ring_in
        self.events = events
        self.exchange = exchange if exchange is not None else Exchange()
        #: the seq_no of the last command processed
        self.last_seq = 0
        self._seqr = events.sequencer(gating=[GATEWAY])
        self.gate = threading.Event()
        self.gate.set()
        self.stopping = threading.Event()
        self.processed = 0
        #: (seq_no, events) of every command run: the truth, as the journal's readers see it
        self.published: list[tuple[int, list[Any]]] = []
        #: (command, origin) of every command run: what a journal of this host would hold
        self.journaled: list[tuple[Any, int]] = []
        self.error: BaseException | None = None
        self._barrier = ring_in.barrier(0)
        self._sequence = ring_in.consumer_sequence(0)

    def run(self) -> None:
        decoder = CommandDecoder()
        try:
            while not self.stopping.is_set():
                hi = self._barrier.wait_for(self._sequence.get() + 1)
                while not self.gate.wait(0.02):
                    if self.stopping.is_set():
                        return
                for seq in range(self._sequence.get() + 1, hi + 1):
                    row = self.ring_in.slots[seq & self.ring_in.mask].tobytes()
                    cmd, origin = decoder.decode(row)
                    events = self.exchange.submit(cmd)
                    self.journaled.append((cmd, origin))
                    self.published.append((cmd.seq_no, events))
                    # before the events go out: a test that holds the answer reads both
                    self.last_seq = cmd.seq_no
                    self.processed += 1
                    self._publish(cmd.seq_no, events, origin)
                    self._sequence.set(seq)
                    self.ring_in.board.signal()
        except AlertException:
            pass
        except BaseException as exc:  # surfaced by the test through .error
            self.error = exc

    def _publish(self, seq_no: int, events: list[Any], origin: int) -> None:
        buf = bytearray()
        end = write_events(buf, 0, seq_no, events, origin)
        for i in range(0, end, EVENT_RECORD_SIZE):  # waits while the gateway has not read
            hi = self._seqr.next(1)
            self.events.slots[hi & self.events.mask] = buf[i : i + EVENT_RECORD_SIZE]
            self._seqr.publish(hi)

    def stop(self) -> None:
        self.stopping.set()
        self.gate.set()
        self._barrier.alert()
        self.join(5)
        assert not self.is_alive()


class ServerThread:
    """A GatewayServer on its own event loop in a thread."""

    def __init__(self, server: GatewayServer) -> None:
        self.server = server
        self._loop = asyncio.new_event_loop()
        self._task: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._run, name="gateway-loop", daemon=True)
        self.error: BaseException | None = None

    def _run(self) -> None:
        async def main() -> None:
            self._task = asyncio.current_task()
            await self.server.serve()

        try:
            self._loop.run_until_complete(main())
        except asyncio.CancelledError:
            pass
        except BaseException as exc:
            self.error = exc
        finally:
            self._loop.close()

    def start(self) -> int:
        self._thread.start()
        deadline = time.monotonic() + 10
        while self.server.address is None:
            if self.error is not None or not self._thread.is_alive():
                raise RuntimeError(f"gateway did not start: {self.error!r}")
            assert time.monotonic() < deadline, "gateway did not start in time"
            time.sleep(0.005)
        return self.server.address[1]

    def stop(self) -> None:
        if self._task is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(10)
        assert not self._thread.is_alive()


@dataclass
class Host:
    port: int
    config: HostConfig
    pipeline: FakePipeline
    server: GatewayServer
    ring_in: RingBuffer

    @property
    def fix_address(self) -> tuple[str, int]:
        assert self.server.fix_address is not None
        return self.server.fix_address

    def client(self, source: str | None = None) -> Client:
        """A client connected from ``source`` (a loopback address such as 127.0.0.2; default
        the system's choice, 127.0.0.1)."""
        return Client(self.port, source=source)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, "condition not reached in time"
            time.sleep(0.002)


@contextmanager
def gateway_host(
    *,
    capacity: int = 64,
    setup: bool = True,
    write_limit: int | None = None,
    login_timeout: float | None = None,
    data_dir: str | None = None,
    exchange: Exchange | None = None,
    base_seq: int = 0,
    configure: Callable[[HostConfig], HostConfig] | None = None,
    cancel_on_disconnect: tuple[str, ...] = (),
    **server_options: Any,
) -> Iterator[Host]:
    """A GatewayServer over a fake pipeline; ``server_options`` go to GatewayServer as given
    (e.g. ``max_connections``); the firms in ``cancel_on_disconnect`` have it set.
    ``data_dir`` (kept on exit; by default a temporary one that is removed), ``exchange`` and
    ``base_seq`` restart a host that stopped (pass ``setup=False``); ``configure`` edits the
    demo config last."""
    keep = data_dir is not None
    if data_dir is None:
        data_dir = tempfile.mkdtemp(prefix="sqxgw-")  # the outbound stores live there
    config = dataclasses.replace(load_config(DEMO), data_dir=data_dir)
    firms = tuple(
        dataclasses.replace(f, cancel_on_disconnect=f.firm in cancel_on_disconnect)
        for f in config.firms
    )
    config = dataclasses.replace(config, firms=firms)
    if configure is not None:
        config = configure(config)
    prefix = f"sqxgw{os.getpid()}-{uuid.uuid4().hex[:6]}-"
    ring_in = RingBuffer.create(prefix + "in", capacity, RECORD_SIZE, 1)
    events = RingBuffer.create(prefix + "events", capacity, EVENT_RECORD_SIZE, 2)
    pipeline = FakePipeline(ring_in, events, exchange)
    pipeline.start()
    extra: dict[str, Any] = dict(server_options)
    if write_limit is not None:
        extra["write_limit"] = write_limit
    if login_timeout is not None:
        extra["login_timeout"] = login_timeout
    server = GatewayServer(
        config,
        prefix + "in",
        prefix + "events",
        GATEWAY,
        base_seq,
        endpoint="127.0.0.1:0",
        ouch_endpoint="127.0.0.1:0",
        fix_endpoint="127.0.0.1:0",
        setup=setup_commands(config) if setup else (),
        **extra,
    )
    runner = ServerThread(server)
    try:
        port = runner.start()
        host = Host(port, config, pipeline, server, ring_in)
        if setup:
            host.wait_for(lambda: pipeline.processed == len(setup_commands(config)))
        yield host
    finally:
        runner.stop()
        pipeline.stop()
        ring_in.close()
        events.close()
        if not keep:
            shutil.rmtree(data_dir, ignore_errors=True)
        assert list_names(prefix) == []
    assert runner.error is None, runner.error
    assert pipeline.error is None, pipeline.error


class Client:
    """A blocking JSON lines client; every read waits at most ``timeout`` seconds."""

    def __init__(
        self, port: int, timeout: float = 5.0, source: str | None = None, host: str = "127.0.0.1"
    ) -> None:
        bind = None if source is None else (source, 0)
        self.sock = socket.create_connection((host, port), timeout=timeout, source_address=bind)
        self._buf = b""

    @staticmethod
    def encode(obj: dict[str, Any]) -> bytes:
        return json.dumps(obj).encode() + b"\n"

    def send(self, obj: dict[str, Any]) -> None:
        self.send_raw(self.encode(obj))

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read(self) -> dict[str, Any]:
        while b"\n" not in self._buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("closed by the gateway")
            self._buf += chunk
        raw, _, self._buf = self._buf.partition(b"\n")
        obj: dict[str, Any] = json.loads(raw)
        return obj

    def read_until(self, predicate: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        """Lines up to and including the first that matches."""
        lines = [self.read()]
        while not predicate(lines[-1]):
            lines.append(self.read())
        return lines

    def login(self, firm: str | None = "ALPHA", password: str = "alpha-pass") -> dict[str, Any]:
        who: dict[str, Any] = {"admin": True} if firm is None else {"firm": firm}
        self.send({"type": "login", **who, "password": password})
        return self.read()

    def is_closed(self) -> bool:
        """True once the gateway has closed the connection (after reading what is left)."""
        try:
            while True:
                if not self.sock.recv(65536):
                    return True
        except ConnectionError:
            return True
        except TimeoutError:
            return False

    def close(self) -> None:
        self.sock.close()


def order(
    side: str,
    qty: int,
    price: int,
    *,
    firm: str | None = "ALPHA",
    account: str = "ALPHA-1",
    symbol: str = "ACME",
    client_order_id: str = "c1",
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "type": "new_order",
        "firm": firm,
        "account": account,
        "symbol": symbol,
        "side": side,
        "order_type": "limit",
        "tif": "day",
        "qty": qty,
        "price": price,
        "client_order_id": client_order_id,
    }
    if firm is None:  # the session's firm is implied
        del obj["firm"]
    return obj
