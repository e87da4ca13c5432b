"""`sequex loadgen`: drive a running host with orders at a fixed rate and report latencies.

Registers the subcommand (``register``) and runs it (``run``): parses the options into
:class:`~tools.loadgen.driver.LoadSettings`, runs the driver with the chosen protocol's
adapter under a live progress line (rich, only on a terminal and without ``--json``), then
prints the text report or one JSON object (``tools.loadgen.report.summary``) and optionally
writes the PNG (``tools.loadgen.plot``). Exit codes: 0 the run had no errors, 1 it ran but saw
errors (rejects, refusals, unanswered orders, disconnects), 2 usage or connection trouble.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from tools.amounts import argument, cash_units, whole_number
from tools.loadgen.clients import PROTOCOLS, ClientError, Identity, client_factory
from tools.loadgen.driver import Progress, run_load, throughput
from tools.loadgen.plan import MAX_CONNECTIONS, LoadSettings
from tools.loadgen.report import render, summary

EXIT_OK: Final = 0
EXIT_ERRORS: Final = 1
EXIT_TROUBLE: Final = 2
DEFAULT_ENDPOINTS: Final = {
    "json": "127.0.0.1:9877",
    "fix": "127.0.0.1:9878",
    "ouch": "127.0.0.1:9879",
}
#: The demo configuration's firms (config/demo.toml, README)
DEMO_FIRMS: Final = ("ALPHA:ALPHA-1:alpha-pass", "BETA:BETA-1:beta-pass")
MAX_DURATION: Final = 24 * 3600.0

DESCRIPTION = """\
Drive a running exchange host with new orders at a fixed rate and measure how fast it answers:
order-to-ack and order-to-fill latency percentiles and the throughput reached.

Orders are paced open-loop: each is due at a fixed time, spread evenly over the connections,
and its latency counts from that due time, so a stall of the host (or of this tool) shows in
the figures instead of hiding them. Connections log in as the given firms in turn; each
alternates buys and sells of the same symbol at one price, so orders of different firms
cross and both acks and fills are measured. Use an even number of connections with two firms.

examples:
  sequex loadgen --rate 2000 --duration 10 --connections 2
  sequex loadgen --protocol ouch --rate 20000 --duration 30 --connections 4 --json
  sequex loadgen --rate 500 --duration 5 --plot latency.png
  sequex loadgen --protocol ouch --sender '{firm}1' --rate 20000 --duration 10 \
      --connections 2 --host-config config/demo.toml   # and the host's side, hop by hop

exit status: 0 no errors, 1 the run saw rejects, refusals, unanswered orders or
disconnects, 2 a usage error or trouble connecting or logging in"""


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= MAX_DURATION:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text!r}: give seconds in (0, {MAX_DURATION:g}]")
    return value


def _firm(text: str) -> tuple[str, str, str]:
    firm, account, password = ([*text.split(":", 2), "", ""])[:3]
    if not (firm and account and password):
        raise argparse.ArgumentTypeError(f"{text!r} is not FIRM:ACCOUNT:PASSWORD")
    return firm, account, password


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "loadgen",
        help="drive a running host with orders and measure latencies",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--protocol",
        choices=sorted(PROTOCOLS),
        default="json",
        help="how to reach the host (default json)",
    )
    parser.add_argument(
        "--endpoint",
        metavar="HOST:PORT",
        help="where the host serves that protocol (default: json 127.0.0.1:9877, fix "
        "127.0.0.1:9878, ouch 127.0.0.1:9879)",
    )
    whole = argument(whole_number, allow_zero=False)
    parser.add_argument(
        "--rate", type=whole, default=1000, metavar="R", help="orders per second in all (1000)"
    )
    parser.add_argument(
        "--duration",
        type=_positive_seconds,
        default=10.0,
        metavar="S",
        help="seconds of sending (default 10); answers are then awaited a little longer",
    )
    parser.add_argument(
        "--connections",
        type=whole,
        default=2,
        metavar="C",
        help=f"connections, each its own login (default 2, at most {MAX_CONNECTIONS})",
    )
    parser.add_argument(
        "--firm",
        action="append",
        type=_firm,
        metavar="FIRM:ACCOUNT:PASSWORD",
        help="a firm to log in as and the account it orders for; repeat it for several "
        "(default: the demo firms ALPHA:ALPHA-1 and BETA:BETA-1)",
    )
    parser.add_argument(
        "--sender",
        metavar="NAME",
        help="session name: the FIX SenderCompID or the OUCH username (default the firm); "
        "{firm} and {n} (the firm's connection number) are filled in",
    )
    parser.add_argument("--symbol", default="ACME", help="the symbol to trade (default ACME)")
    parser.add_argument(
        "--price",
        type=argument(cash_units, allow_zero=False),
        default=1_000_000,
        metavar="PRICE",
        help="limit price of every order in currency units (default 100.00)",
    )
    parser.add_argument(
        "--qty", type=whole, default=1, metavar="SHARES", help="shares per order (default 1)"
    )
    parser.add_argument(
        "--connect-timeout",
        type=_positive_seconds,
        default=5.0,
        metavar="SECONDS",
        help="time allowed to connect and log in (default 5)",
    )
    parser.add_argument(
        "--drain",
        type=_positive_seconds,
        default=2.0,
        metavar="SECONDS",
        help="how long to wait for the last answers after sending (default 2)",
    )
    host = parser.add_mutually_exclusive_group()
    host.add_argument(
        "--host-config",
        metavar="FILE",
        help="the driven host's configuration, when it runs on this machine: also report "
        "where its side of the time went over the run, hop by hop (as `sequex latency`; run "
        "from the directory the host was started in)",
    )
    host.add_argument(
        "--host-prefix",
        metavar="PREFIX",
        help="as --host-config, naming the host by its shared-memory prefix",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    parser.add_argument(
        "--plot", type=Path, metavar="FILE.png", help="also save latency plots as a PNG"
    )
    parser.set_defaults(func=run)


def settings_of(args: argparse.Namespace) -> LoadSettings:
    """The driver's settings; ValueError for values that do not fit together."""
    from engine.gateway.server import parse_endpoint

    host, port = parse_endpoint(args.endpoint or DEFAULT_ENDPOINTS[args.protocol])
    if args.connections > MAX_CONNECTIONS:
        raise ValueError(f"--connections: at most {MAX_CONNECTIONS}")
    firms = args.firm or [_firm(text) for text in DEMO_FIRMS]
    identities = []
    for k in range(args.connections):
        firm, account, password = firms[k % len(firms)]
        sender = ""
        if args.sender:
            sender = args.sender.replace("{firm}", firm).replace("{n}", str(k // len(firms) + 1))
        identities.append(Identity(firm, account, password, sender))
    return LoadSettings(
        host=host,
        port=port,
        rate=args.rate,
        duration=args.duration,
        connections=args.connections,
        identities=identities,
        symbol=args.symbol,
        price=args.price,
        qty=args.qty,
        connect_timeout=args.connect_timeout,
        drain=args.drain,
    )


def run(args: argparse.Namespace) -> int:
    try:
        settings = settings_of(args)
    except ValueError as exc:
        print(f"sequex loadgen: {exc}", file=sys.stderr)
        return EXIT_TROUBLE
    if len({i.firm for i in settings.identities}) < 2:
        print(
            "sequex loadgen: note: all connections are one firm, whose buys and sells cannot "
            "trade with each other (self-trade prevention): expect acks without fills",
            file=sys.stderr,
        )
    try:
        hops = _host_hops(args)
    except ValueError as exc:
        print(f"sequex loadgen: {exc}", file=sys.stderr)
        return EXIT_TROUBLE
    live = sys.stdout.isatty() and not args.json
    try:
        with _progress_line(live) as show:
            before = None if hops is None else hops.counts()
            result = run_load(settings, client_factory(args.protocol), show)
            host_hops = None if hops is None else _hop_summary(hops, before)
    except ClientError as exc:
        print(f"sequex loadgen: {exc}", file=sys.stderr)
        return EXIT_TROUBLE
    finally:
        if hops is not None:
            hops.close()
    orders_per_s, offered_per_s = throughput(result, settings.duration)
    report = summary(
        {
            "protocol": args.protocol,
            "endpoint": f"{settings.host}:{settings.port}",
            "rate": settings.rate,
            "duration_s": settings.duration,
            "connections": settings.connections,
            "symbol": settings.symbol,
            "price": settings.price,
            "qty": settings.qty,
        },
        result.counts,
        result.latencies,
        elapsed_s=(result.end_ns - result.start_ns) / 1e9,
        orders_per_s=orders_per_s,
        offered_per_s=offered_per_s,
        cpu_s=result.cpu_s,
    )
    if host_hops is not None:
        report["host_hops"] = host_hops
    if args.plot is not None:
        from tools.loadgen.plot import save_plot

        title = (
            f"sequex loadgen: {args.protocol}, {settings.connections} connections, "
            f"{settings.rate:,} orders/s for {settings.duration:g} s"
        )
        save_plot(args.plot, result.timeline, result.latencies, title)
    if args.json:
        print(json.dumps(report))
    else:
        print(render(report))
        if host_hops is not None:
            from tools.latency_cli import render as render_hops

            print(render_hops(host_hops, "over the run, on the host"))
        if args.plot is not None:
            print(f"plot: {args.plot}")
    return EXIT_ERRORS if report["errors"] else EXIT_OK


def _host_hops(args: argparse.Namespace) -> Any:
    """The driven host's hop board (``engine.hop_board``), or None when not asked for;
    ValueError when it cannot be read."""
    if args.host_config is None and args.host_prefix is None:
        return None
    from engine.config import ConfigError
    from engine.hop_board import HOPS, HopBoard
    from tools.latency_cli import host_prefix, no_host

    try:
        prefix = host_prefix(args.host_config, args.host_prefix)
    except ConfigError as exc:
        raise ValueError(f"--host-config: {exc}") from None
    try:
        return HopBoard.attach(prefix + HOPS)
    except FileNotFoundError:
        raise ValueError(no_host(prefix)) from None


def _hop_summary(board: Any, before: Any) -> dict[str, dict[str, float | int]]:
    """What the host's hops counted since ``before`` (``sequex latency``'s summary)."""
    from tools.latency_cli import summarize

    return summarize(board.counts() - before)


@contextmanager
def _progress_line(enabled: bool) -> Iterator[Any]:
    """A callback that shows a live rich line on stdout, or None when not enabled."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.live import Live
    from rich.text import Text

    with Live(Text("connecting ..."), console=Console(), transient=True) as live:

        def show(p: Progress) -> None:
            recent = f"{p.recent_ack_p99_us / 1000:,.2f} ms" if p.recent_ack_p99_us else "-"
            live.update(
                Text(
                    f"{min(p.elapsed_s, p.duration_s):5.1f}/{p.duration_s:g} s  sent "
                    f"{p.sent:,}  acked {p.acked:,}  filled {p.filled:,}  errors {p.errors:,}  "
                    f"ack p99 (recent) {recent}"
                )
            )

        yield show
