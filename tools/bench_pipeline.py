"""`sequex bench pipeline`: the whole host (stages as processes, durable journal), no sockets.

Commands of the standard book workload are injected straight into ring[in]; the journal
fdatasyncs every group commit on the real disk (``--dir``, default the working directory; not
tmpfs); the publisher consumes every output (canonical digest, exec routing). Figures:

* ``orders_per_s``: sustained, commands injected and published / elapsed (median of
  ``--repeats`` fresh hosts; ``_min``/``_max`` give the range);
* ``p50_us`` / ``p99_us`` / ``p999_us``: from publication into ring[in] (the injector stamps a
  monotonic ns clock into ``ts``) to a reader of ring[events] (the auditor) holding the
  command's first execution report, from an HdrHistogram; paced at ``--rate`` orders/s
  (a burst every ``--tick-us``, 1 ms by default), or at half the median sustained rate without
  it (``latency_rate_per_s``);
* ``build`` (which build this process and the timed stages run); ``pure_orders_per_s`` (with
  ``_min`` / ``_max``): the same throughput run with every stage spawned on the uncompiled build
  (``SEQUEX_PURE=1``), ``--pure-repeats`` fresh hosts, and ``speedup`` = orders_per_s / that;
* ``exchange_commands_per_s``: the in-process ``Exchange(W).submit`` on the same commands in
  this run, the single-process baseline (``exchange_w1_commands_per_s``: with W = 1, which
  takes the Exchange's fused serial path).
* ``--fused``: the host runs the fused topology (one core stage runs ``Exchange(W)``,
  ``engine.stages.core``); the sharded host is then timed too, its repeats interleaved with
  the fused ones so both see the same machine load: ``sharded_orders_per_s`` (and range).
* ``--market-data``: the same host with the market-data stage attached to ring[events]
  (``engine.mdfeed``: the ITCH feed sent to a loopback multicast group of its own), its
  repeats interleaved with the plain ones: ``market_data_orders_per_s`` (and range) and
  ``market_data_drop`` = 1 - its median / the plain median (what attaching the feed costs).
* ``--consumers``: the same host with all three consumers of the execution stream attached
  (the feed, the reporter writing SQLite in the run's directory, the views serving HTTP on a
  free loopback port), repeats interleaved: ``consumers_orders_per_s`` (and range) and
  ``consumers_drop``, the figure the issue bounds at 15%. The reporter is not waited for, but
  watched: ``reporter_behind`` (commands its database lacked when the order path had every
  event) and ``reporter_catchup_commands_per_s`` (how fast it wrote them afterwards, the host
  otherwise idle: its follow rate with a core), medians over the consumers' repeats.

A run's time ends when the order path (the core, and the auditor standing for the gateway)
has every event: the consumers of the execution stream (the feed, the views, the reporter)
never gate it, and one still catching up from the journal at that moment is not waited for.

Measures only; never asserts a goal.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hdrh.histogram import HdrHistogram  # type: ignore[import-untyped]

from engine import native
from engine.config import ReporterConfig
from engine.mdfeed.settings import FeedSettings
from engine.reporter.writer import open_writer
from engine.stages.injector import encode_records
from engine.supervisor import Supervisor
from engine.topology import TopologySpec
from tools.bench_book import time_exchange
from tools.demo_ports import free_port
from tools.pure_baseline import pure_children
from tools.workload import Workload, standard_book_workload


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--commands", type=int, default=200_000, help="timed commands per run")
    parser.add_argument("--repeats", type=int, default=3, help="throughput runs (fresh hosts)")
    parser.add_argument("--shards", type=int, default=1, help="matcher shards")
    parser.add_argument(
        "--feedback-window",
        type=int,
        default=1024,
        metavar="W",
        help="feedback window W of the exchange (default 1024)",
    )
    parser.add_argument("--capacity", type=int, default=65536, help="slots per ring")
    parser.add_argument("--latency-seconds", type=float, default=8.0, help="paced run length")
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        metavar="R",
        help="pace the latency run at R orders/s (default: half the sustained median)",
    )
    parser.add_argument(
        "--tick-us",
        type=int,
        default=1000,
        metavar="US",
        help="the paced run injects a burst every US microseconds (rate * US / 1e6 orders)",
    )
    parser.add_argument(
        "--pure-repeats",
        type=int,
        default=1,
        help="throughput runs with the stages on the pure build (0: none)",
    )
    parser.add_argument("--dir", default=".", help="where the journals go (a real disk)")
    parser.add_argument("--seed", type=int, default=1, help="workload seed")
    parser.add_argument(
        "--fused", action="store_true", help="fused topology (and the sharded one for comparison)"
    )
    parser.add_argument(
        "--market-data",
        action="store_true",
        help="also time the host with the market-data feed attached (interleaved repeats)",
    )
    parser.add_argument(
        "--consumers",
        action="store_true",
        help="also time the host with all three consumers attached: the market-data feed, the"
        " reporter (SQLite) and the views (interleaved repeats)",
    )
    parser.add_argument(
        "--no-digest",
        action="store_true",
        help="the publisher routes but does not digest the canonical stream (production mode)",
    )


def bench_spec(
    root: Path,
    run: str,
    *,
    shards: int = 1,
    window: int = 1024,
    capacity: int = 65536,
    latency: bool = False,
    fused: bool = False,
    output_digest: bool = True,
    market_data: FeedSettings | None = None,
    consumers: bool = False,
) -> TopologySpec:
    """A host of the benchmark: durable journal (fdatasync per group commit) under ``root``;
    ``consumers``: with the reporter (SQLite in the run's directory) and the views (HTTP on a
    free port) attached too (pass ``market_data`` for the third)."""
    return TopologySpec(
        prefix=f"sequex-bench{os.getpid()}-{run}-",
        data_dir=str(root / run),
        shards=shards,
        capacity=capacity,
        feedback_window=window,
        journal_sync="batch",
        summary_path=str(root / f"{run}.json"),
        measure_latency=latency,
        fused=fused,
        output_digest=output_digest,
        market_data=market_data,
        reporter=ReporterConfig() if consumers else None,
        http=f"127.0.0.1:{free_port()}" if consumers else None,
    )


def _feed() -> FeedSettings:
    """The feed on loopback: a multicast port nobody else uses, servers on free ports."""
    port = free_port(socket.SOCK_DGRAM)
    return FeedSettings(
        group=("239.192.0.1", port), retransmit=("127.0.0.1", 0), snapshot=("127.0.0.1", 0)
    )


def _spec(
    args: argparse.Namespace,
    root: Path,
    run: str,
    latency: bool,
    fused: bool,
    market_data: FeedSettings | None = None,
    consumers: bool = False,
) -> TopologySpec:
    return bench_spec(
        root,
        run,
        shards=1 if fused else args.shards,
        fused=fused,
        window=args.feedback_window,
        capacity=args.capacity,
        latency=latency,
        output_digest=not args.no_digest,
        market_data=market_data,
        consumers=consumers,
    )


@dataclass(slots=True)
class ReporterFollow:
    """The reporter after a run's order path finished: commands behind, seconds to catch up."""

    behind: int = 0
    catchup_s: float = 0.0

    def rate(self) -> float | None:
        return self.behind / self.catchup_s if self.behind and self.catchup_s > 0 else None


def _throughput(
    spec: TopologySpec,
    workload: Workload,
    *,
    pure: bool = False,
    follow: list[ReporterFollow] | None = None,
) -> float:
    """Commands/s of one fresh host; ``pure``: its stages must have run uncompiled;
    ``follow``: the host runs a reporter, whose catch-up is appended to it."""
    watched = None if follow is None else ReporterFollow()
    rate = len(workload.commands) / time_pipeline(spec, workload, watched)
    if follow is not None and watched is not None:
        follow.append(watched)
    build = str(json.loads(Path(spec.summary_path or "").read_text()).get("build"))
    if build.startswith("pure") != pure:
        raise RuntimeError(f"the stages ran on the wrong build for this figure: {build!r}")
    return rate


def time_pipeline(
    spec: TopologySpec, workload: Workload, follow: ReporterFollow | None = None
) -> float:
    """Seconds to inject and publish the timed commands through a fresh, set-up host;
    ``follow`` (a host with a reporter): then wait for the reporter, untimed, and fill it in."""
    setup, timed = encode_records(workload.setup), encode_records(workload.commands)
    with Supervisor(spec) as host:
        host.injector().publish(setup)
        if not host.drain(60):
            host.raise_if_failed()
            raise RuntimeError("the setup was not published in time")
        start = time.perf_counter()
        host.injector().publish(timed)
        # the order path: the feed and the views may still be catching up, by design
        drained = host.drain(600, background=False)
        elapsed = time.perf_counter() - start
        host.raise_if_failed()
        if not drained:
            raise RuntimeError("the pipeline did not drain in time")
        if follow is not None:
            _follow_reporter(host, spec, follow)
    return elapsed


def _follow_reporter(host: Supervisor, spec: TopologySpec, follow: ReporterFollow) -> None:
    """Wait (at most 600 s) until the reporter's database holds every injected command."""
    target = host.injected_seq_no()
    reports = open_writer(ReporterConfig(), spec.data_dir)  # reads its position (WAL)
    try:
        start = time.perf_counter()
        follow.behind = max(0, target - reports.position())
        deadline = start + 600
        while reports.position() < target:
            host.raise_if_failed()
            if time.perf_counter() > deadline:
                raise RuntimeError("the reporter did not catch up in 600 s")
            time.sleep(0.01)
        follow.catchup_s = time.perf_counter() - start
    finally:
        reports.close()


def _latency(
    spec: TopologySpec, workload: Workload, rate: float, seconds: float, tick_us: int = 1000
) -> HdrHistogram:
    """Inject at ``rate`` commands/s, a burst every ``tick_us``, the injector stamping ts."""
    count = min(len(workload.commands), max(1, int(rate * seconds)))
    timed = encode_records(workload.commands[:count])
    per_tick = max(1, round(rate * tick_us / 1e6))
    with Supervisor(spec) as host:
        host.injector().publish(encode_records(workload.setup))
        if not host.drain(60):
            host.raise_if_failed()
            raise RuntimeError("the setup was not published in time")
        injector = host.injector(stamp_ts=True)
        next_at = time.perf_counter()
        for lo in range(0, count, per_tick):
            injector.publish(timed[lo : lo + per_tick])
            next_at += per_tick / rate
            pause = next_at - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
        drained = host.drain(120)
        host.raise_if_failed()
        if not drained:
            raise RuntimeError("the paced run did not drain in time (a partial histogram)")
    summary = json.loads(Path(spec.summary_path or "").read_text())
    return HdrHistogram.decode(summary["latency_hdr"])


def run(args: argparse.Namespace) -> dict[str, Any]:
    workload = standard_book_workload(args.commands, seed=args.seed)
    baseline = time_exchange(workload, args.feedback_window)[0]
    serial = time_exchange(workload, 1)[0]  # W = 1 takes the Exchange's fused fast path
    root = Path(tempfile.mkdtemp(prefix="bench-pipeline-", dir=args.dir))
    try:
        rates: list[float] = []
        sharded: list[float] = []
        with_feed: list[float] = []
        with_consumers: list[float] = []
        follows: list[ReporterFollow] = []
        for i in range(args.repeats):
            rates.append(_throughput(_spec(args, root, f"t{i}", False, args.fused), workload))
            if args.fused:
                sharded.append(_throughput(_spec(args, root, f"s{i}", False, False), workload))
            if args.market_data:
                spec = _spec(args, root, f"m{i}", False, args.fused, _feed())
                with_feed.append(_throughput(spec, workload))
            if args.consumers:
                spec = _spec(args, root, f"c{i}", False, args.fused, _feed(), consumers=True)
                with_consumers.append(_throughput(spec, workload, follow=follows))
        pure: list[float] = []
        for i in range(args.pure_repeats):
            with pure_children():  # the stages are spawned: they read SEQUEX_PURE on import
                spec = _spec(args, root, f"p{i}", False, args.fused)
                pure.append(_throughput(spec, workload, pure=True))
        median = statistics.median(rates)
        rate = args.rate if args.rate > 0 else median / 2
        spec = _spec(args, root, "lat", True, args.fused)
        hist = _latency(spec, workload, rate, args.latency_seconds, args.tick_us)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    comparison: dict[str, Any] = {}
    if sharded:
        comparison = {
            "sharded_orders_per_s": round(statistics.median(sharded)),
            "sharded_orders_per_s_min": round(min(sharded)),
            "sharded_orders_per_s_max": round(max(sharded)),
        }
    if with_feed:
        comparison["market_data_orders_per_s"] = round(statistics.median(with_feed))
        comparison["market_data_orders_per_s_min"] = round(min(with_feed))
        comparison["market_data_orders_per_s_max"] = round(max(with_feed))
        comparison["market_data_drop"] = round(1 - statistics.median(with_feed) / median, 3)
    if with_consumers:
        comparison["consumers_orders_per_s"] = round(statistics.median(with_consumers))
        comparison["consumers_orders_per_s_min"] = round(min(with_consumers))
        comparison["consumers_orders_per_s_max"] = round(max(with_consumers))
        comparison["consumers_drop"] = round(1 - statistics.median(with_consumers) / median, 3)
        comparison["reporter_behind"] = round(statistics.median(f.behind for f in follows))
        caught = [r for r in (f.rate() for f in follows) if r is not None]
        if caught:
            comparison["reporter_catchup_commands_per_s"] = round(statistics.median(caught))
    if pure:
        comparison["pure_orders_per_s"] = round(statistics.median(pure))
        comparison["pure_orders_per_s_min"] = round(min(pure))
        comparison["pure_orders_per_s_max"] = round(max(pure))
        comparison["speedup"] = round(median / statistics.median(pure), 2)
    return {
        "build": native.describe(),
        "topology": "fused" if args.fused else "sharded",
        "output_digest": not args.no_digest,
        "orders_per_s": round(median),
        "orders_per_s_min": round(min(rates)),
        "orders_per_s_max": round(max(rates)),
        **comparison,
        "p50_us": hist.get_value_at_percentile(50),
        "p99_us": hist.get_value_at_percentile(99),
        "p999_us": hist.get_value_at_percentile(99.9),
        "latency_samples": hist.get_total_count(),
        "latency_rate_per_s": round(rate),
        "latency_tick_us": args.tick_us,
        "exchange_commands_per_s": round(len(workload.commands) / baseline),
        "exchange_w1_commands_per_s": round(len(workload.commands) / serial),
        "commands": len(workload.commands),
        "shards": 1 if args.fused else args.shards,
        "feedback_window": args.feedback_window,
        "pure_repeats": len(pure),
    }
