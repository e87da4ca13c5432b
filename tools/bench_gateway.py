"""`sequex bench gateway`: what one order costs the gateway process over OUCH, in process.

The gateway is one asyncio process between the firms' sockets and the pipeline; its CPU time
per order bounds the orders per second the host can take over OUCH. This harness runs the
gateway's own code (the OUCH listener, the port into ring[in], the ring[events] reader, the
outbound ledger and its stores, the OUCH renderer) on real shared-memory rings, with the
matching done by an in-process ``Exchange`` between the two halves (not timed), and times:

* ``in_us_per_order``: SoupBinTCP bytes of Enter Orders, in 64 KiB reads as a socket hands
  them over, to command records in ring[in] (decode, validate, authorize, one ring claim per
  read, the ledger told what was sent);
* ``out_us_per_order``: ring[events] records to the OUCH bytes written to the sessions
  (decode, address, project, store, render, frame), for every report the orders made: both
  sides' Accepted and the Executed of each fill;
* ``gateway_orders_per_s``: 1e6 / (in + out), the ceiling this process's CPU puts on OUCH;
* ``in_cpu_us_per_order``, ``out_cpu_us_per_order``: the same two stretches in the CPU time
  of the thread that runs them (``time.thread_time``), which other processes on a busy
  machine inflate less than the elapsed time above (they still share its caches).

Two OUCH sessions of the demo config (ALPHA1, BETA1) send buys and sells at one price, so
every pair trades. Plain Enter Orders, so the inbound figure is the fast lane's
(``engine.gateway.ouch_scan``); the collector is tuned as in the gateway process
(``engine.gateway.process.tune_collector``) for the run, and restored after it. Each
figure is the median of ``--repeats`` rounds, with ``_min``/``_max``. No sockets and no
other processes: the figures are the gateway's own CPU cost, not the host's throughput
(``sequex loadgen`` measures that).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from disruptor import RingBuffer
from engine.config import load_config, setup_commands
from engine.domain.exchange import Exchange
from engine.event_codec import write_events
from engine.event_records import EVENT_RECORD_SIZE
from engine.gateway.events_reader import EventsReader
from engine.gateway.ouch_server import _Live
from engine.gateway.process import tune_collector
from engine.gateway.publisher_port import RingInPort
from engine.gateway.rate_window import RateWindow
from engine.gateway.server import GatewayServer
from engine.protocols.ouch import EnterOrder, OuchServerSession
from engine.protocols.ouch.fields import TIF_MARKET_HOURS
from engine.protocols.soupbin import LoginRequest, encode
from engine.protocols.soupbin.packets import UnsequencedData
from engine.records import RECORD_SIZE, CommandDecoder

DEMO = Path(__file__).resolve().parents[1] / "config" / "demo.toml"
READ = 65536
SESSIONS = ("ALPHA1", "BETA1")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--orders", type=int, default=20_000, help="orders per round")
    parser.add_argument("--repeats", type=int, default=5, help="timed rounds")


class _Transport:
    def is_closing(self) -> bool:
        return False


class _Writer:
    """Stands in for a connection's StreamWriter: counts what would be sent."""

    def __init__(self) -> None:
        self.transport = _Transport()
        self.sent = 0

    def write(self, data: bytes) -> None:
        self.sent += len(data)


def _reads(session: str, first: int, count: int, side: str) -> list[bytes]:
    """``count`` Enter Orders of one session as SoupBinTCP bytes, cut in socket-sized reads."""
    packets = b"".join(
        encode(
            UnsequencedData(
                EnterOrder(
                    token=f"{session[0]}{first + i:013d}", side=side, shares=1, stock="ACME",
                    price=1_000_000, time_in_force=TIF_MARKET_HOURS,
                ).encode()
            )
        )
        for i in range(count)
    )  # fmt: skip
    return [packets[i : i + READ] for i in range(0, len(packets), READ)]


class _Bench:
    def __init__(self, orders: int) -> None:
        self.data_dir = tempfile.mkdtemp(prefix="sqxbenchgw-")
        config = dataclasses.replace(load_config(DEMO), data_dir=self.data_dir)
        prefix = f"sqxbgw{os.getpid()}-{uuid.uuid4().hex[:6]}-"
        capacity = 1 << max(12, (8 * orders).bit_length())
        self.ring_in = RingBuffer.create(prefix + "in", capacity, RECORD_SIZE, 1)
        self.events = RingBuffer.create(prefix + "events", capacity, EVENT_RECORD_SIZE, 2)
        self.exchange = Exchange()
        setup = setup_commands(config)
        for seq_no, cmd in enumerate(setup, start=1):
            self.exchange.submit(cmd._replace(seq_no=seq_no))
        self.server = GatewayServer(config, prefix + "in", prefix + "events", 1, len(setup))
        self.server._port_in = RingInPort(self.ring_in, len(setup))
        self.reader = EventsReader(self.events, 1)
        self.events_seqr = self.events.sequencer(gating=[1])
        self.in_barrier = self.ring_in.barrier(0)
        self.in_sequence = self.ring_in.consumer_sequence(0)
        self.decoder = CommandDecoder()
        listener = self.server._ouch
        self.live: list[tuple[_Live, _Writer]] = []
        for name in SESSIONS:
            firm, session = listener._sessions[name]
            ouch = OuchServerSession()
            ouch.receive_data(encode(LoginRequest(name, "x", "", 0)))
            assert isinstance(ouch.next_event(), LoginRequest)
            writer = _Writer()
            ouch.accept_login("SEQUEX", listener._ledger.stores[session.origin].next_number)
            live = _Live(session, firm.firm, False, ouch, writer, RateWindow(0))  # type: ignore[arg-type]
            listener._live[session.origin] = live
            self.live.append((live, writer))
        self.next_token = 0

    def round(self, orders: int) -> tuple[float, float, int, float, float]:
        half = orders // 2
        reads = [
            (live, data)
            for (live, _), side in zip(self.live, "BS", strict=True)
            for data in _reads(live.session.name, self.next_token, half, side)
        ]
        self.next_token += half
        listener = self.server._ouch
        start, cpu = time.perf_counter(), time.thread_time()
        for live, data in reads:
            live.ouch.receive_data(data)
            _run(listener.submit_buffered(live))
        inbound, in_cpu = time.perf_counter() - start, time.thread_time() - cpu
        self._match()
        sent_before = sum(writer.sent for _, writer in self.live)
        start, cpu = time.perf_counter(), time.thread_time()
        while True:
            batch = self.reader.poll()
            if not batch:
                break
            self.server._deliver(batch)
        outbound, out_cpu = time.perf_counter() - start, time.thread_time() - cpu
        sent = sum(writer.sent for _, writer in self.live) - sent_before
        return inbound, outbound, sent, in_cpu, out_cpu

    def _match(self) -> None:
        """The pipeline's part, untimed: ring[in] -> Exchange -> ring[events]."""
        lo = self.in_sequence.get() + 1
        hi = self.in_barrier.available()
        buf = bytearray()
        at = 0
        for seq in range(lo, hi + 1):
            cmd, origin = self.decoder.decode(self.ring_in.slots[seq & self.ring_in.mask].tobytes())
            at = write_events(buf, at, cmd.seq_no, self.exchange.submit(cmd), origin, cmd.ts)
        self.in_sequence.set(hi)
        records = at // EVENT_RECORD_SIZE
        if records:
            top = self.events_seqr.next(records)
            for i in range(records):
                slot = (top - records + 1 + i) & self.events.mask
                row = buf[i * EVENT_RECORD_SIZE : (i + 1) * EVENT_RECORD_SIZE]
                self.events.slots[slot] = memoryview(row)
            self.events_seqr.publish(top)

    def close(self) -> None:
        self.server._ledger.close()
        self.ring_in.close()
        self.events.close()
        shutil.rmtree(self.data_dir, ignore_errors=True)


def _run(awaitable: Any) -> Any:
    """Drive a coroutine that never waits (ring[in] has room) to its result."""
    try:
        awaitable.send(None)
    except StopIteration as done:
        return done.value
    raise AssertionError("the bench's ring[in] was full")


def _summary(values: list[float], name: str) -> dict[str, float]:
    return {
        name: statistics.median(values),
        f"{name}_min": min(values),
        f"{name}_max": max(values),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    bench = _Bench(args.orders)
    thresholds = gc.get_threshold()
    tune_collector()  # as the gateway process does once it has started
    ins: list[float] = []
    outs: list[float] = []
    totals: list[float] = []
    in_cpus: list[float] = []
    out_cpus: list[float] = []
    sent_bytes = 0
    try:
        bench.round(min(args.orders, 2000))  # warm-up: caches, first allocations
        for _ in range(args.repeats):
            inbound, outbound, sent, in_cpu, out_cpu = bench.round(args.orders)
            sent_bytes += sent
            ins.append(inbound * 1e6 / args.orders)
            outs.append(outbound * 1e6 / args.orders)
            in_cpus.append(in_cpu * 1e6 / args.orders)
            out_cpus.append(out_cpu * 1e6 / args.orders)
            totals.append(args.orders / (inbound + outbound))
    finally:
        bench.close()
        gc.unfreeze()  # this process may go on (the tests run the bench in theirs)
        gc.set_threshold(*thresholds)
    return {
        "orders": args.orders,
        # what the sessions were sent per order: an Accepted and an Executed (69 + 43 bytes
        # framed) when every order was taken in and traded, as the harness means
        "bytes_per_order": sent_bytes / (args.orders * args.repeats),
        **_summary(ins, "in_us_per_order"),
        **_summary(outs, "out_us_per_order"),
        **_summary(totals, "gateway_orders_per_s"),
        **_summary(in_cpus, "in_cpu_us_per_order"),
        **_summary(out_cpus, "out_cpu_us_per_order"),
    }
