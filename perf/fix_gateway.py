"""What one FIX order costs the gateway's FIX code, in process: no host, no sockets.

    .venv/bin/python perf/fix_gateway.py [--orders 20000] [--repeats 5] [--json] [--pure]

The FIX acceptor spends most of its CPU per order in the FIX codec, not in the exchange. This
times the two stretches of ``engine.gateway.fix_server`` that are FIX's own, with
``time.process_time`` over ``--orders`` orders (median and range of ``--repeats``):

* ``in_us``: NewOrderSingle bytes, in 64 KiB reads, through a logged-on
  ``FixSession`` (framing, CheckSum, header and sequence checks) and ``parse_application``
  into ``NewOrderSingle`` requests: what the listener does before ``command_for``;
* ``out_us``: the two ExecutionReports of an order that trades (its New and its fill),
  from ``OrderReport`` to the bytes ``data_to_send`` hands the socket, through
  ``engine.gateway.fix_outbox.render_into`` with the session's real files (the message
  store, the report index) in a temporary directory;
* ``total_us``: the two together.

``--pure`` also runs the same in a child process with ``SEQUEX_PURE=1`` (the uncompiled
build), for the speedup of the compiled modules.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from engine import native
from engine.domain.types import OrderType, Side, TimeInForce
from engine.gateway.fix_files import SessionFiles
from engine.gateway.fix_history import ReportHistory
from engine.gateway.fix_render import render

try:
    from engine.gateway.fix_outbox import render_into
except ImportError:  # a tree before the compiled renderer: its own loop, for a baseline
    render_into = None
from engine.gateway.outbound import OrderReport, ReportKind
from engine.gateway.report_store import ReportStore
from engine.protocols.fix.codec import encode
from engine.protocols.fix.messages import NewOrderSingle, parse_application
from engine.protocols.fix.session import (
    NEED_DATA,
    ApplicationMessage,
    FixSession,
    LogonRequest,
    SessionConfig,
)
from engine.protocols.fix.store import MemoryStore
from engine.protocols.fix.timestamps import format_utc_timestamp
from tools.pure_baseline import measure_pure

_READ = 64 * 1024
_CLIENT = "ALPHAFIX"


def _logged_on(now: int, store: Any = None) -> FixSession:
    session = FixSession(SessionConfig(), MemoryStore(capacity=16))
    logon = [(49, _CLIENT), (56, "SEQUEX"), (34, "1"), (52, format_utc_timestamp(now))]
    logon += [(98, "0"), (108, "30"), (141, "Y"), (553, "ALPHA"), (554, "alpha-pass")]
    session.receive_data(encode("A", logon), now)
    if not isinstance(session.next_event(), LogonRequest):
        raise RuntimeError("the session did not take the Logon")
    session.accept_logon(now, store=store)
    session.data_to_send()
    return session


def _orders(count: int, now: int) -> list[bytes]:
    """``count`` NewOrderSingles as the load generator sends them, cut into 64 KiB reads."""
    stamp = format_utc_timestamp(now)
    stream = bytearray()
    for n in range(count):
        header = [(49, _CLIENT), (56, "SEQUEX"), (34, str(n + 2)), (52, stamp)]
        body = [(11, f"abcd00{n:08d}"), (1, "ALPHA-1"), (55, "ACME"), (54, "1" if n % 2 else "2")]
        body += [(60, stamp), (38, "100"), (40, "2"), (44, "100.25"), (59, "0")]
        stream += encode("D", header + body)
    return [bytes(stream[i : i + _READ]) for i in range(0, len(stream), _READ)]


def _time_in(reads: list[bytes], now: int) -> tuple[float, int]:
    session = _logged_on(now)
    taken = 0
    start = time.process_time()
    for data in reads:
        session.receive_data(data, now)
        while True:
            event = session.next_event()
            if event is NEED_DATA:
                break
            if isinstance(event, ApplicationMessage) and isinstance(
                parse_application(event.message), NewOrderSingle
            ):
                taken += 1
    return time.process_time() - start, taken


def _reports(count: int, now: int) -> list[OrderReport]:
    out = []
    for n in range(count):
        seq = 1000 + n
        common = (seq, 0, now, seq, "ALPHA-1", "ACME", int(Side.BUY), int(OrderType.LIMIT))
        ids = (int(TimeInForce.DAY), False, f"abcd00{n:08d}", "")
        out.append(
            OrderReport(ReportKind.NEW, *common, *ids, 100, 1_002_500, 100, 0, 0, entered_seq=seq)
        )
        fill = OrderReport(ReportKind.TRADE, *common, *ids, 100, 1_002_500, 0, 100, 100_250_000)
        fill.sub, fill.last_qty, fill.last_price = 1, 100, 1_002_500
        out.append(fill)
    return out


def _time_out(reports: list[OrderReport], now: int, directory: Path) -> tuple[float, int]:
    files = SessionFiles(directory)
    history = ReportHistory(files.store, files.index, ReportStore(directory / "reports"))
    session = _logged_on(now, history)
    written = 0
    start = time.process_time()
    for i in range(0, len(reports), 64):
        if render_into is not None:
            render_into(session, files, list(enumerate(reports[i : i + 64], start=i + 1)), now)
        else:
            for number, report in enumerate(reports[i : i + 64], start=i + 1):
                seq = session.send(render(report), now)
                files.index.note(seq, number, now)
        files.flush()
        written += len(session.data_to_send())
    elapsed = time.process_time() - start
    files.close()
    return elapsed, written


def measure(orders: int, repeats: int) -> dict[str, Any]:
    now = time.time_ns()
    reads, reports = _orders(orders, now), _reports(orders, now)
    ins, outs = [], []
    for _ in range(repeats):
        seconds, taken = _time_in(reads, now)
        if taken != orders:
            raise RuntimeError(f"{taken} of {orders} orders came through")
        ins.append(seconds * 1e6 / orders)
        with tempfile.TemporaryDirectory() as tmp:
            seconds, _ = _time_out(reports, now, Path(tmp))
        outs.append(seconds * 1e6 / orders)
    totals = [a + b for a, b in zip(ins, outs, strict=True)]
    result: dict[str, Any] = {"build": native.describe(), "orders": orders}
    for name, values in (("in_us", ins), ("out_us", outs), ("total_us", totals)):
        result[name] = round(statistics.median(values), 2)
        result[f"{name}_min"], result[f"{name}_max"] = round(min(values), 2), round(max(values), 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--pure", action="store_true", help="also run uncompiled")
    args = parser.parse_args()
    figures = measure(args.orders, args.repeats)
    if args.pure:
        count = ["--orders", str(args.orders), "--repeats", str(args.repeats), "--json"]
        pure = measure_pure("perf.fix_gateway", count)
        figures["pure"] = pure
        figures["speedup"] = round(pure["total_us"] / figures["total_us"], 2)
    if args.json:
        print(json.dumps(figures))
        return
    for key, value in figures.items():
        print(f"{key:>12}: {value}")


if __name__ == "__main__":
    main()
