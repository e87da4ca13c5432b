"""The load generator's own CPU per OUCH order, in process: no host, no sockets.

    .venv/bin/python perf/loadgen_client.py [--orders 100000] [--repeats 5] [--json] [--pure]
        [--protocol ouch|fix]

``sequex loadgen`` shares the machine with the host it drives, so every microsecond it spends
an order is taken from the host. This measures the three things it does per order on the
OUCH path, with ``time.process_time`` over ``--orders`` orders (median and range of
``--repeats``):

* ``send_us``: ``OuchClient.send_new_orders`` in bursts of the driver's size (the Enter
  Orders and their SoupBinTCP framing, into the client's queue);
* ``parse_us``: ``OuchClient._parse`` over what a host answers an order that trades (a
  Sequenced Data Accepted and an Executed), in 64 KiB reads;
* ``correlate_us``: ``Correlator.take`` over those reports (states, counts, latencies);
* ``total_us``: the three together.

``--protocol fix`` measures the FIX client the same way: NewOrderSingles in bursts, and the
ExecutionReports (a New and a fill each) as the gateway sends them.

``--pure`` also runs the same in a child process with ``SEQUEX_PURE=1`` (the uncompiled
build), for the speedup of the compiled modules.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from array import array
from typing import Any

from engine import native
from engine.domain.types import Side
from engine.gateway.fix_render import render
from engine.gateway.outbound import OrderReport, ReportKind
from engine.protocols import ouch
from engine.protocols.fix.codec import encode as fix_encode
from engine.protocols.fix.outbound import Outbound
from engine.protocols.fix.store import MemoryStore
from engine.protocols.fix.timestamps import format_utc_timestamp
from engine.protocols.soupbin import LoginAccepted, SequencedData, encode
from tools.loadgen.clients import Identity, OrderSpec, Report
from tools.loadgen.clients.fix import FixClient
from tools.loadgen.clients.ouch import OuchClient
from tools.loadgen.correlate import Correlator
from tools.loadgen.driver import BURST
from tools.pure_baseline import measure_pure

_READ = 64 * 1024
_PREFIX = "abcd00"
_ALPHA = Identity("ALPHA", "ALPHA-1", "alpha-pass")


def _logged_in() -> OuchClient:
    client = OuchClient(_ALPHA, _PREFIX)
    client._login_bytes()
    if not client._login_answer(encode(LoginAccepted("1", 1))):
        raise RuntimeError("the client did not take the Login Accepted")
    return client


def _answers(order: OrderSpec, orders: int) -> list[bytes]:
    """A host's answers to orders 1 .. ``orders``, each accepted and executed, as reads."""
    stream = bytearray()
    for n in range(1, orders + 1):
        token = f"{_PREFIX}{n:08d}"
        accepted = ouch.Accepted(
            n, token, "B", order.qty, order.symbol, order.price, 99998, "ALPH", "Y", n, "A",
            "N", 0, "N", "L",
        )  # fmt: skip
        executed = ouch.Executed(n, token, order.qty, order.price, "R", n)
        stream += encode(SequencedData(accepted.encode()))
        stream += encode(SequencedData(executed.encode()))
    return [bytes(stream[at : at + _READ]) for at in range(0, len(stream), _READ)]


def _fix_logged_in() -> FixClient:
    client = FixClient(Identity("ALPHA", "ALPHA-1", "alpha-pass", "ALPHAFIX"), _PREFIX)
    client._login_bytes()
    now = time.time_ns()
    logon = [(49, "SEQUEX"), (56, "ALPHAFIX"), (34, "1"), (52, format_utc_timestamp(now))]
    if not client._login_answer(fix_encode("A", [*logon, (98, "0"), (108, "30")])):
        raise RuntimeError("the client did not take the Logon")
    client._outbox.clear()
    return client


def _fix_answers(order: OrderSpec, orders: int) -> list[bytes]:
    """The gateway's ExecutionReports of orders 1 .. ``orders``: a New and a fill each."""
    out = Outbound("SEQUEX", 2, MemoryStore(capacity=16))
    out.target_comp_id = "ALPHAFIX"
    now = time.time_ns()
    stream = bytearray()
    for n in range(1, orders + 1):
        common = (n, 0, now, n, "ALPHA-1", order.symbol, int(order.side), 1, 1, False)
        oid = f"{_PREFIX}{n:08d}"
        new = OrderReport(ReportKind.NEW, *common, oid, "", order.qty, order.price,
                          order.qty, 0, 0, entered_seq=n)  # fmt: skip
        fill = OrderReport(ReportKind.TRADE, *common, oid, "", order.qty, order.price, 0,
                           order.qty, order.qty * order.price, order.qty, order.price,
                           liquidity=2)  # fmt: skip
        out.send(render(new), now)
        out.send(render(fill), now)
        stream += out.take()
    return [bytes(stream[at : at + _READ]) for at in range(0, len(stream), _READ)]


def one_round(orders: int, protocol: str = "ouch") -> dict[str, float]:
    client: Any = _logged_in() if protocol == "ouch" else _fix_logged_in()
    spec = OrderSpec("ACME", Side.BUY, 1, 1_000_000)
    reads = (_answers if protocol == "ouch" else _fix_answers)(spec, orders)
    buffers = (array("q"), array("q"), array("q"), array("q"))
    correlator = Correlator(_PREFIX, 0, 1, 1_000_000, orders, buffers)
    correlator.start = time.monotonic_ns()

    began = time.process_time()
    sent = 0
    while sent < orders:
        count = min(BURST, orders - sent)
        first = client.send_new_orders(spec, count)
        correlator.sent(first, count, 0)
        client._outbox.clear()
        sent += count
    send_s = time.process_time() - began

    began = time.process_time()
    batches: list[list[Report]] = [client._parse(data, 1) for data in reads]
    parse_s = time.process_time() - began
    reports = sum(len(batch) for batch in batches)
    if reports != 2 * orders:
        raise RuntimeError(f"{reports} reports parsed of {2 * orders}")

    began = time.process_time()
    for batch in batches:
        correlator.take(batch)
    correlate_s = time.process_time() - began
    if correlator.acked != orders or correlator.filled != orders:
        raise RuntimeError(f"correlated {correlator.acked} acks, {correlator.filled} fills")
    per = 1e6 / orders
    return {
        "send_us": send_s * per,
        "parse_us": parse_s * per,
        "correlate_us": correlate_s * per,
        "total_us": (send_s + parse_s + correlate_s) * per,
    }


def measure(orders: int, repeats: int, protocol: str = "ouch") -> dict[str, Any]:
    rounds = [one_round(orders, protocol) for _ in range(repeats)]
    out: dict[str, Any] = {"orders": orders, "repeats": repeats, "build": native.describe()}
    out["protocol"] = protocol
    for key in rounds[0]:
        values = [r[key] for r in rounds]
        out[key] = round(statistics.median(values), 3)
        out[f"{key}_min"] = round(min(values), 3)
        out[f"{key}_max"] = round(max(values), 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--pure", action="store_true", help="also measure the uncompiled build")
    parser.add_argument("--protocol", choices=("ouch", "fix"), default="ouch")
    args = parser.parse_args()
    figures = measure(args.orders, args.repeats, args.protocol)
    if args.pure:
        pure = measure_pure(
            "perf.loadgen_client",
            ["--orders", str(args.orders), "--repeats", str(args.repeats), "--json",
             "--protocol", args.protocol],
        )  # fmt: skip
        figures["pure"] = pure
        figures["speedup"] = round(pure["total_us"] / figures["total_us"], 2)
    if args.json:
        print(json.dumps(figures))
        return
    for key, value in figures.items():
        print(f"{key:>18}: {value}")


if __name__ == "__main__":
    main()
