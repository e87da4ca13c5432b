"""`sequex bench md`: the market-data publisher's encode + send rate, compiled and uncompiled.

Method: the standard book workload (``--commands`` commands after its setup) runs through an
``Exchange`` once, untimed, and its events are written as ring[events] records (what the
publisher reads: ``engine.event_codec.write_events``, with each command's ts). Each repeat then
times what the publisher does per poll, batch after batch of ``--batch`` records (a poll takes
every available record; 4096 is a busy ring's batch): ``FeedEncoder.add_rows`` (ITCH
projection + encoding into full MoldUDP64 datagrams, ``engine.marketdata.feed_encoder``), then
``flush`` and the datagrams sent to a multicast group on loopback by the publisher's own
``MulticastSender`` (IP_MULTICAST_IF 127.0.0.1, loop on, TTL 0), to a port of its own. A
socket of this process joins the group unless ``--no-listener``, so the kernel delivers each
datagram as it would to a watcher (nobody reads it: the sender's cost is what is measured).
The collector is frozen and off during each timed run. The same measurement runs in a child
with ``SEQUEX_PURE=1`` (the uncompiled sources): the baseline, in the same run.

Figures:

* ``events_per_s`` (median; ``_min`` / ``_max``): market-data events published per second:
  the records that are book changes or symbol/trading-state events (each becomes one ITCH
  message; the feed's first one adds three System Events);
* ``records_per_s``: all ring[events] records read per second (execution reports and fills
  are read and skipped: they are not market data);
* ``messages_per_s``, ``datagrams_per_s``; ``messages_per_datagram`` and
  ``bytes_per_datagram`` (means: batches fill 1,400-byte datagrams);
* ``send_drops``: datagrams the kernel did not take (non-blocking send; 0 expected);
* ``pure_events_per_s`` (``_min`` / ``_max``): the uncompiled build's; ``speedup``.

Measures only; never asserts a goal.
"""

from __future__ import annotations

import argparse
import gc
import socket
import statistics
import struct
import time
from typing import Any

import numpy as np

from engine import native
from engine.domain.exchange import Exchange
from engine.event_codec import write_events
from engine.event_records import EVENT_RECORD_SIZE
from engine.marketdata.feed_encoder import FeedEncoder
from engine.marketdata.itch_projection import ItchProjection
from engine.mdfeed.udp import MulticastSender
from tools.pure_baseline import measure_pure
from tools.workload import standard_book_workload

GROUP = "239.192.0.1"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--commands", type=int, default=300_000, help="workload commands")
    parser.add_argument("--batch", type=int, default=4096, help="records per poll")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs")
    parser.add_argument("--pure-repeats", type=int, default=2, help="timed runs of the baseline")
    parser.add_argument("--seed", type=int, default=1, help="workload seed")
    parser.add_argument("--no-listener", action="store_true", help="no socket joins the group")
    parser.add_argument("--no-pure", action="store_true", help="skip the uncompiled baseline")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)


def event_records(commands: int, seed: int) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """The workload's events as ring[events] records, ``(n, 128)``."""
    workload = standard_book_workload(commands, seed=seed)
    exchange = Exchange(1024)
    buf = bytearray(1 << 20)
    end = 0
    for cmd in workload.setup + workload.commands:
        events = exchange.submit(cmd)
        if events:
            end = write_events(buf, end, cmd.seq_no, events, 0, cmd.ts)
    return np.frombuffer(bytes(buf[:end]), dtype=np.uint8).reshape(-1, EVENT_RECORD_SIZE)


def _listener(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((GROUP, port))
    membership = struct.pack("4s4s", socket.inet_aton(GROUP), socket.inet_aton("127.0.0.1"))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
    return sock


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _one_run(rows: Any, batch: int, port: int) -> dict[str, float]:
    encoder = FeedEncoder(ItchProjection(), "SQXBENCH01")
    sender = MulticastSender((GROUP, port), "127.0.0.1", 0)
    datagrams = size = 0
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        start = time.perf_counter()
        for lo in range(0, len(rows), batch):
            encoder.add_rows(rows[lo : lo + batch])
            out = encoder.flush()
            sender.send(out)
            datagrams += len(out)
            size += sum(map(len, out))
        elapsed = time.perf_counter() - start
    finally:
        gc.enable()
        gc.unfreeze()
        sender.close()
    return {
        "seconds": elapsed,
        "events": encoder.events,
        "messages": encoder.messages,
        "datagrams": datagrams,
        "bytes": size,
        "drops": sender.dropped,
    }


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Every repeat's figures, in this process's build."""
    rows = event_records(args.commands, args.seed)
    port = _free_udp_port()
    listener = None if args.no_listener else _listener(port)
    try:
        runs = [_one_run(rows, args.batch, port) for _ in range(args.repeats)]
    finally:
        if listener is not None:
            listener.close()
    return {"build": native.describe(), "records": len(rows), "runs": runs}


def _rates(runs: list[dict[str, float]], key: str) -> list[float]:
    return [run[key] / run["seconds"] for run in runs]


def run(args: argparse.Namespace) -> dict[str, Any]:
    if args.measure:  # the baseline's child
        return measure(args)
    measured = measure(args)
    runs, records = measured["runs"], measured["records"]
    events = _rates(runs, "events")
    first = runs[0]
    out: dict[str, Any] = {
        "build": native.describe(),
        "events_per_s": round(statistics.median(events)),
        "events_per_s_min": round(min(events)),
        "events_per_s_max": round(max(events)),
        "records_per_s": round(statistics.median([records / r["seconds"] for r in runs])),
        "messages_per_s": round(statistics.median(_rates(runs, "messages"))),
        "datagrams_per_s": round(statistics.median(_rates(runs, "datagrams"))),
        "messages_per_datagram": round(first["messages"] / max(first["datagrams"], 1), 1),
        "bytes_per_datagram": round(first["bytes"] / max(first["datagrams"], 1)),
        "send_drops": int(sum(r["drops"] for r in runs)),
    }
    if not args.no_pure:
        child = ["bench", "md", "--json", "--measure", "--commands", str(args.commands)]
        child += ["--batch", str(args.batch), "--repeats", str(args.pure_repeats)]
        child += ["--seed", str(args.seed)] + (["--no-listener"] if args.no_listener else [])
        pure = _rates(measure_pure("tools.cli", child)["runs"], "events")
        out["pure_events_per_s"] = round(statistics.median(pure))
        out["pure_events_per_s_min"] = round(min(pure))
        out["pure_events_per_s_max"] = round(max(pure))
        out["speedup"] = round(out["events_per_s"] / out["pure_events_per_s"], 2)
    out.update(
        commands=args.commands,
        records=records,
        market_events=first["events"],
        batch=args.batch,
        repeats=args.repeats,
        listener=not args.no_listener,
    )
    return out
