"""`sequex latency`: where a running host's orders spend their time, hop by hop.

Reads the host's hop histograms (``engine.hop_board``) from shared memory, without disturbing
the host, and prints each hop's count and percentiles: since the host started, or over the next
``--interval`` seconds (the difference of two readings). Run it from the directory the host was
started in (its data directory decides the shared-memory prefix), or name ``--data-dir`` or
``--prefix``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

DESCRIPTION = """\
Where a running host's orders spend their time, hop by hop (docs/performance.md, "Where an
order's time goes"):

  entered   the gateway: a read's bytes in hand -> its orders sequenced
  durable   the journaler: the order sequenced -> its batch on stable storage
  matched   the matching core: the order sequenced -> its events out to the readers
  answered  the gateway: the order sequenced -> its reports handed to the sessions' sockets

Each stage counts the age of every order it finishes, so the percentiles are per order, as a
client's are. Each is the upper bound of its bucket (at most 6.25% high).

examples:
  sequex latency --config config/demo.toml                # since the host started
  sequex latency --config config/demo.toml --interval 10  # over the next 10 seconds
  sequex latency --config config/demo.toml --json

exit status: 0 printed, 1 no host of that data directory is running, 2 bad usage"""

EXIT_OK = 0
EXIT_NO_HOST = 1
EXIT_USAGE = 2
#: the percentiles printed, and their JSON keys
QUANTILES = ((0.5, "p50"), (0.9, "p90"), (0.99, "p99"), (0.999, "p999"), (1.0, "max"))
MAX_INTERVAL = 3600.0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "latency",
        help="where a running host's orders spend their time, hop by hop",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--config", metavar="FILE", help="the host's configuration (TOML)")
    where.add_argument(
        "--prefix", help="the host's shared-memory prefix (what `sequex run --prefix` was given)"
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="the host's data directory (default: the config's [exchange] data_dir)",
    )
    parser.add_argument(
        "--interval",
        type=_seconds,
        metavar="SECONDS",
        help="count only what happens over the next SECONDS (default: since the host started)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    parser.set_defaults(func=run)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= MAX_INTERVAL:
        raise argparse.ArgumentTypeError(f"expected seconds in (0, {MAX_INTERVAL:g}]")
    return value


def host_prefix(config: str | None, prefix: str | None, data_dir: str | None = None) -> str:
    """The shared-memory prefix of the host named by ``prefix``, or by its configuration
    (its data directory, or ``data_dir``); ``engine.config.ConfigError`` if that is bad."""
    if prefix:
        return prefix
    from engine.config import load_config
    from tools.run_cli import default_prefix

    assert config is not None, "a prefix or a configuration"
    return default_prefix(data_dir or load_config(config).data_dir)


def no_host(prefix: str) -> str:
    from engine.hop_board import HOPS

    return (
        f"no host is running with shared-memory prefix {prefix!r} (no segment "
        f"{prefix + HOPS!r} in /dev/shm): is it running on this machine, and is that its "
        "configuration (read from the directory it was started in) or its prefix?"
    )


def summarize(counts: Any) -> dict[str, dict[str, float | int]]:
    """Per hop (lower-case name): its count and each percentile in µs (see QUANTILES)."""
    from engine.hop_board import Hop, quantile

    out: dict[str, dict[str, float | int]] = {}
    for hop in Hop:
        row = counts[hop]
        entry: dict[str, float | int] = {"count": int(row.sum())}
        for q, key in QUANTILES:
            entry[f"{key}_us"] = round(quantile(row, q) / 1000, 1)
        out[hop.name.lower()] = entry
    return out


def render(summary: dict[str, dict[str, float | int]], interval: float | str | None) -> str:
    """The table; ``interval``: seconds, words for the span, or None (since the start)."""
    if isinstance(interval, str):
        span = interval
    else:
        span = f"over {interval:g} s" if interval is not None else "since the host started"
    lines = [f"hop latencies {span} (µs, per order):"]
    head = f"  {'hop':<9} {'count':>9}" + "".join(f" {key:>9}" for _, key in QUANTILES)
    lines.append(head)
    for name, entry in summary.items():
        cells = "".join(f" {entry[f'{key}_us']:>9.1f}" for _, key in QUANTILES)
        lines.append(f"  {name:<9} {entry['count']:>9}{cells}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from engine.config import ConfigError
    from engine.hop_board import HOPS, HopBoard

    try:
        prefix = host_prefix(args.config, args.prefix, args.data_dir)
    except ConfigError as exc:
        print(f"sequex latency: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        board = HopBoard.attach(prefix + HOPS)
    except FileNotFoundError:
        print(f"sequex latency: {no_host(prefix)}", file=sys.stderr)
        return EXIT_NO_HOST
    try:
        counts = board.counts()
        if args.interval is not None:
            time.sleep(args.interval)
            counts = board.counts() - counts
    finally:
        board.close()
    summary = summarize(counts)
    if args.json:
        print(json.dumps({"interval_s": args.interval, "hops": summary}))
    else:
        print(render(summary, args.interval))
    return EXIT_OK
