"""`sequex md watch SYMBOL`: follow a host's ITCH feed and draw one symbol's book and trades.

It takes the books from the host's snapshot service (GLIMPSE-style; ``--from-start`` asks the
retransmission server for the whole session instead), then joins the multicast group and
applies the live feed from the number the snapshot names; a datagram lost on the way is asked
for again (MoldUDP64 retransmission), so the books stay the exchange's. The endpoints are the
configuration's ``[endpoints]`` (``--config``, or the defaults), or given one by one.

Modes: live (a rich view, refreshed until Ctrl-C), ``--once`` (the snapshot's book as text,
then exit), ``--count N`` (follow the feed until N more messages are applied, print the book
and the recent trades as text, exit). Exit status: 0 done, 1 the feed did not deliver in
``--timeout`` seconds or the snapshot service failed, 2 a usage or configuration error.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

DESCRIPTION = """\
Follow the exchange's market-data feed (ITCH 5.0 in MoldUDP64 multicast) and show one
symbol's order book and its latest trades. The book starts from the host's snapshot service
and carries on with the live feed; lost datagrams are recovered from the retransmission
server.

exit status: 0 done, 1 no feed or snapshot within --timeout, 2 a usage error"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "md",
        help="market data: follow the ITCH feed",
        description="Follow the exchange's market-data feed. 'sequex md watch --help' tells more.",
    )
    commands = parser.add_subparsers(dest="md_command", metavar="COMMAND", help="one of:")
    watch = commands.add_parser(
        "watch",
        help="draw one symbol's live book and trades",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    watch.add_argument("symbol", metavar="SYMBOL", help="the symbol to show, e.g. ACME")
    watch.add_argument("--config", metavar="FILE", help="the host's configuration ([endpoints])")
    watch.add_argument("--group", metavar="ADDR:PORT", help="the feed's multicast group")
    watch.add_argument("--interface", metavar="ADDR", help="the interface to join it on")
    watch.add_argument("--retransmit", metavar="ADDR:PORT", help="the retransmission server")
    watch.add_argument("--snapshot", metavar="ADDR:PORT", help="the book snapshot service")
    watch.add_argument(
        "--from-start", action="store_true",
        help="rebuild the books from message 1 of the session (retransmission), no snapshot",
    )  # fmt: skip
    watch.add_argument("--levels", type=int, default=10, metavar="N", help="price levels a side")
    mode = watch.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="print the snapshot's book and exit")
    mode.add_argument(
        "--count", type=int, metavar="N", help="apply N live messages, print the book, exit"
    )
    watch.add_argument(
        "--timeout", type=float, default=30.0, metavar="SECONDS",
        help="how long --once/--count wait for the feed (default 30)",
    )  # fmt: skip
    watch.set_defaults(func=watch_command)
    parser.set_defaults(func=lambda args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return EXIT_USAGE


def _endpoints(args: argparse.Namespace) -> Any:
    """The feed's settings: the config's (or the defaults), overridden one by one."""
    import dataclasses

    from engine.config import DEFAULT_ENDPOINTS, HostConfig, load_config
    from engine.mdfeed.settings import FeedSettings, parse_address

    if args.config:
        config = load_config(args.config)
    else:
        config = HostConfig(endpoints=dict(DEFAULT_ENDPOINTS))
    settings = FeedSettings.from_config(config)
    changes: dict[str, Any] = {}
    if args.group:
        changes["group"] = parse_address(args.group, multicast=True, what="--group")
    if args.retransmit:
        changes["retransmit"] = parse_address(args.retransmit, multicast=False, what="--retransmit")
    if args.snapshot:
        changes["snapshot"] = parse_address(args.snapshot, multicast=False, what="--snapshot")
    if args.interface:
        changes["interface"] = args.interface
    return dataclasses.replace(settings, **changes)


def watch_command(args: argparse.Namespace) -> int:
    from engine.config import ConfigError
    from sequex.feed import FeedClient, FeedError, fetch_snapshot
    from tools.md_view import book_text

    if args.levels < 1 or (args.count is not None and args.count < 0):
        print("sequex md watch: --levels and --count must be positive", file=sys.stderr)
        return EXIT_USAGE
    try:
        settings = _endpoints(args)
    except ConfigError as exc:
        print(f"sequex md watch: {exc}", file=sys.stderr)
        return EXIT_USAGE
    snapshot = None
    if not args.from_start:
        try:
            snapshot = fetch_snapshot(settings.snapshot, timeout=args.timeout)
        except (OSError, FeedError) as exc:
            print(f"sequex md watch: no snapshot from {settings.snapshot}: {exc}", file=sys.stderr)
            return EXIT_FAILED
    with FeedClient(settings.group, settings.retransmit, interface=settings.interface) as feed:
        feed.start(snapshot)
        if args.once and snapshot is not None:
            print(book_text(feed, args.symbol, args.levels))
            return EXIT_OK
        if args.once or args.count is not None:
            want = feed.applied + (args.count or 0)
            if args.once:  # from the start: every message the session has so far
                done = feed.run_until(feed.caught_up, args.timeout)
            else:
                done = feed.run_until(lambda: feed.applied >= want, args.timeout)
            print(book_text(feed, args.symbol, args.levels))
            if not done:
                print(f"sequex md watch: {feed.applied} of {want} messages in {args.timeout:g} s",
                      file=sys.stderr)  # fmt: skip
            return EXIT_OK if done else EXIT_FAILED
        return _live(feed, args)


def _live(feed: Any, args: argparse.Namespace) -> int:
    from rich.live import Live

    from tools.md_view import book_panel

    with Live(book_panel(feed, args.symbol, args.levels), refresh_per_second=4) as live:
        shown = time.monotonic()
        while True:
            feed.pump(0.05)
            if time.monotonic() - shown >= 0.25:
                live.update(book_panel(feed, args.symbol, args.levels))
                shown = time.monotonic()
