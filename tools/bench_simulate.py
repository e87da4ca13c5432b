"""`sequex bench simulate`: `sequex simulate` end to end, in process, with the pure build beside it.

Method: the commands files are generated first (untimed) into a temporary directory, one JSON
object a line as ``docs/commands-jsonl.md`` shows them (``json.dumps(command_to_json(cmd))``):

* ``standard``: the setup and ``--lines`` commands of `tools.workload.standard_book_workload`;
* ``rejects``: the same workload with every 10th new order priced off its tick, every 20th
  sent for an account that holds nothing and every 10th cancel aimed at no order, so about a
  fifth of the commands are refused by the engine (and later cancels of refused orders too).

Each repeat runs `tools.simulate_cli.simulate` over a file (open, read and parse every line,
submit, encode every event, digest and write them to a file in the same directory), timed with
``time.perf_counter`` around the whole call; the garbage collector stays on, as in the command.

Figures:
  * ``lines_per_s``: median over ``--repeats`` of the standard file (lines / seconds);
    ``lines_per_s_min`` / ``_max`` the slowest and fastest repeat;
  * ``rejects_lines_per_s`` (and ``_min`` / ``_max``): the same for the rejects file;
  * ``pure_lines_per_s`` (and ``_min`` / ``_max``): the standard file on the uncompiled build,
    ``SEQUEX_PURE=1`` in a subprocess, median of ``--pure-repeats`` (0 skips it), measured in
    the same run as the baseline; ``speedup`` = lines_per_s / pure_lines_per_s;
  * ``events_per_line``, ``rejects_per_line``: what the files produce (from the summaries).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tools.pure_baseline import measure_pure
from tools.simulate_cli import SimulationSummary, simulate
from tools.workload import standard_book_workload


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lines", type=int, default=200_000, help="timed commands per file")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each file")
    parser.add_argument("--pure-repeats", type=int, default=3, help="runs on the pure build")
    parser.add_argument("--seed", type=int, default=1, help="workload seed")
    parser.add_argument(
        "--feedback-window",
        type=int,
        default=1,
        metavar="W",
        help="feedback window W of the exchange (default 1)",
    )


def command_lines(count: int, *, seed: int = 1, rejects: bool = False) -> Iterable[str]:
    """The JSON lines of the standard workload (setup included), optionally with rejects."""
    from engine.canonical import command_to_json
    from engine.domain.types import CancelOrder, NewOrder

    workload = standard_book_workload(count, seed=seed)
    orders = cancels = 0
    for cmd in workload.setup + workload.commands:
        if rejects and type(cmd) is NewOrder:
            orders += 1
            if orders % 10 == 3:
                cmd = cmd._replace(price=cmd.price + 1)  # off the tick
            elif orders % 20 == 7:
                cmd = cmd._replace(firm="NOBODY", account="NOBODY-1")  # holds nothing
        elif rejects and type(cmd) is CancelOrder:
            cancels += 1
            if cancels % 10 == 5:
                cmd = cmd._replace(order_id=10**12)  # no such order
        yield json.dumps(command_to_json(cmd)) + "\n"


def write_commands(path: Path, count: int, *, seed: int = 1, rejects: bool = False) -> int:
    """Write the commands file; returns its number of lines."""
    lines = 0
    with open(path, "w", encoding="ascii") as out:
        for line in command_lines(count, seed=seed, rejects=rejects):
            out.write(line)
            lines += 1
    return lines


def time_simulate(path: Path, feedback_window: int = 1) -> tuple[float, SimulationSummary]:
    """Seconds for one in-process `simulate` of ``path`` (events to a file beside it)."""
    gc.collect()
    with open(path, "rb") as source, open(path.with_suffix(".events"), "wb") as sink:
        start = time.perf_counter()
        summary = simulate(source, sink, name=str(path), feedback_window=feedback_window)
        sink.flush()
        elapsed = time.perf_counter() - start
    return elapsed, summary


def _pure_seconds(path: Path, repeats: int, feedback_window: int) -> list[float]:
    """The same measurement on the uncompiled build, in a subprocess with SEQUEX_PURE=1."""
    args = ["--measure", str(path), "--repeats", str(repeats), "--feedback-window"]
    result = measure_pure("tools.bench_simulate", [*args, str(feedback_window)])
    seconds: list[float] = result["seconds"]
    return seconds


def _rates(lines: int, seconds: list[float], prefix: str) -> dict[str, int]:
    rates = [lines / s for s in seconds]
    return {
        f"{prefix}lines_per_s": round(statistics.median(rates)),
        f"{prefix}lines_per_s_min": round(min(rates)),
        f"{prefix}lines_per_s_max": round(max(rates)),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Generate both files, time them and the pure baseline, return the figures."""
    window = args.feedback_window
    with tempfile.TemporaryDirectory(prefix="sequex-bench-simulate-") as tmp:
        standard, rejects = Path(tmp, "standard.jsonl"), Path(tmp, "rejects.jsonl")
        lines = write_commands(standard, args.lines, seed=args.seed)
        reject_lines = write_commands(rejects, args.lines, seed=args.seed, rejects=True)
        runs = [time_simulate(standard, window) for _ in range(args.repeats)]
        reject_runs = [time_simulate(rejects, window) for _ in range(args.repeats)]
        pure = _pure_seconds(standard, args.pure_repeats, window) if args.pure_repeats else []
    from engine import native

    figures: dict[str, Any] = {"build": native.describe()}
    figures.update(_rates(lines, [s for s, _ in runs], ""))
    figures.update(_rates(reject_lines, [s for s, _ in reject_runs], "rejects_"))
    if pure:
        figures.update(_rates(lines, pure, "pure_"))
        figures["speedup"] = round(figures["lines_per_s"] / figures["pure_lines_per_s"], 2)
    summary, reject_summary = runs[0][1], reject_runs[0][1]
    figures.update(
        {
            "events_per_line": round(summary.events / lines, 3),
            "rejects_per_line": round(reject_summary.rejects / reject_lines, 3),
            "lines": lines,
            "rejects_lines": reject_lines,
            "repeats": args.repeats,
            "pure_repeats": args.pure_repeats if pure else 0,
            "feedback_window": window,
        }
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    """``python -m tools.bench_simulate --measure FILE``: print the seconds of each repeat (the
    pure baseline runs this in its own process)."""
    parser = argparse.ArgumentParser(prog="python -m tools.bench_simulate")
    parser.add_argument("--measure", type=Path, required=True, metavar="COMMANDS_JSONL")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--feedback-window", type=int, default=1)
    args = parser.parse_args(argv)
    seconds = [time_simulate(args.measure, args.feedback_window)[0] for _ in range(args.repeats)]
    from engine import native

    print(json.dumps({"seconds": seconds, "build": native.describe()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
