"""`sequex bench book`: in-process throughput of the Exchange (matching + risk + wallet).

Method: the workloads of :mod:`tools.workload` are generated first (untimed); each repeat then
builds a fresh ``Exchange``, applies the setup commands untimed, and times one loop of
``ex.submit(cmd)`` over the timed commands with ``time.perf_counter``. The garbage collector
is frozen and disabled during each timed loop (``gc.collect(); gc.freeze(); gc.disable()``),
as the hot pipeline processes do after start-up, so a collection pause is not charged to the
command that happens to trigger it.

Figures:
  * ``commands_per_s``: median over ``--repeats`` of the standard workload (``--commands``);
    ``commands_per_s_min`` / ``_max`` the slowest and fastest repeat;
  * ``deep_commands_per_s`` (``_min`` / ``_max``): median over ``--deep-repeats`` of the deep-book
    variant (``--deep-commands``, ~1,000 orders a level); ``deep_ratio`` = deep / standard;
  * ``build``: which build ran (``engine.native.describe()``); ``pure_commands_per_s`` (with
    ``_min`` / ``_max``) and ``pure_deep_commands_per_s``: the same Exchange loops on the
    uncompiled build (``SEQUEX_PURE=1``, a child process, ``--pure-repeats`` runs of each load)
    in the same run, and ``speedup`` = commands_per_s / pure_commands_per_s;
  * ``events_per_command``: events the standard workload produces per command;
  * ``baseline_dict_deque_ops_per_s``: the naive ``DictDequeBook`` (dict of price -> deque, no
    risk, no events) over the same standard commands in the same run, median of the same
    repeats, so a reader can see what risk, wallet and events cost (``deep_baseline_...``
    likewise for the deep workload);
  * ``lean_ceiling_ops_per_s``: `tools.lean_book.run_lean` over the same standard commands, median
    of the same repeats: the engine's hot path as one flat loop with list records, which returns
    exactly the engine's events (tested). It bounds what pure CPython reaches on this workload
    with risk, wallet and every event; ``lean_ceiling_plain_tuples_ops_per_s`` is the same with
    events as plain tuples (what the typed events cost).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from tools.pure_baseline import measure_pure
from tools.workload import DictDequeBook, Workload, deep_book_workload, standard_book_workload


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--commands", type=int, default=500_000, help="standard workload size")
    parser.add_argument("--deep-commands", type=int, default=1_000_000, help="deep workload size")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of the standard load")
    parser.add_argument("--deep-repeats", type=int, default=3, help="timed runs of the deep load")
    parser.add_argument("--seed", type=int, default=1, help="workload seed")
    parser.add_argument(
        "--feedback-window",
        type=int,
        default=1,
        metavar="W",
        help="feedback window W of the exchange (default 1)",
    )
    parser.add_argument(
        "--pure-repeats", type=int, default=3, help="runs of each load on the pure build (0: none)"
    )
    parser.add_argument(
        "--measure",
        action="store_true",
        help="only the Exchange's rates of both loads, in this build (the pure baseline's child)",
    )


def _timed(loop: Callable[[], int]) -> tuple[float, int]:
    """Run ``loop`` with the collector frozen and off; return (seconds, what it returned)."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        start = time.perf_counter()
        result = loop()
        elapsed = time.perf_counter() - start
    finally:
        gc.enable()
        gc.unfreeze()
    return elapsed, result


def time_exchange(workload: Workload, feedback_window: int = 1) -> tuple[float, int]:
    """Seconds to submit the timed commands to a fresh, set-up Exchange, and the event count."""
    from engine.domain.exchange import Exchange

    exchange = Exchange(feedback_window=feedback_window)
    for cmd in workload.setup:
        exchange.submit(cmd)
    submit = exchange.submit
    commands = workload.commands

    def loop() -> int:
        events = 0
        for cmd in commands:
            events += len(submit(cmd))
        return events

    return _timed(loop)


def time_baseline(workload: Workload) -> float:
    """Seconds for the naive DictDequeBook to apply the same timed commands."""
    book = DictDequeBook()
    for cmd in workload.setup:
        book.submit(cmd)
    submit = book.submit
    commands = workload.commands

    def loop() -> int:
        for cmd in commands:
            submit(cmd)
        return 0

    return _timed(loop)[0]


def time_lean(workload: Workload, *, plain_tuples: bool = False) -> float:
    """Seconds for the lean ceiling to apply the same timed commands (see tools.lean_book)."""
    from tools.lean_book import LeanState, run_lean

    state = LeanState(workload.setup)
    commands = workload.commands

    def loop() -> int:
        return run_lean(state, commands, plain_tuples=plain_tuples)

    return _timed(loop)[0]


def _rates(count: int, seconds: Sequence[float]) -> list[float]:
    return [count / s for s in seconds]


def measure(args: argparse.Namespace, repeats: int) -> dict[str, Any]:
    """The Exchange's rates over both loads in this process's build, and which build it is."""
    from engine import native

    window = args.feedback_window
    standard = standard_book_workload(args.commands, seed=args.seed)
    n = len(standard.commands)
    rates = _rates(n, [time_exchange(standard, window)[0] for _ in range(repeats)])
    del standard
    deep = deep_book_workload(args.deep_commands, seed=args.seed + 1)
    dn = len(deep.commands)
    deep_rates = _rates(dn, [time_exchange(deep, window)[0] for _ in range(repeats)])
    return {"build": native.describe(), "rates": rates, "deep_rates": deep_rates}


def _pure_figures(args: argparse.Namespace) -> dict[str, Any]:
    """The Exchange on the uncompiled build (SEQUEX_PURE=1, its own process), same loads."""
    if args.pure_repeats <= 0:
        return {}
    child = ["bench", "book", "--json", "--measure", "--repeats", str(args.pure_repeats)]
    child += ["--commands", str(args.commands), "--deep-commands", str(args.deep_commands)]
    child += ["--seed", str(args.seed), "--feedback-window", str(args.feedback_window)]
    pure = measure_pure("tools.cli", child)
    rates, deep_rates = pure["rates"], pure["deep_rates"]
    return {
        "pure_commands_per_s": round(statistics.median(rates)),
        "pure_commands_per_s_min": round(min(rates)),
        "pure_commands_per_s_max": round(max(rates)),
        "pure_deep_commands_per_s": round(statistics.median(deep_rates)),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Generate both workloads, time them and the baselines, return the figures."""
    if args.measure:
        return measure(args, args.repeats)
    from engine import native

    window = args.feedback_window
    standard = standard_book_workload(args.commands, seed=args.seed)
    n = len(standard.commands)
    runs = [time_exchange(standard, window) for _ in range(args.repeats)]
    rates = _rates(n, [s for s, _ in runs])
    baseline = _rates(n, [time_baseline(standard) for _ in range(args.repeats)])
    lean = _rates(n, [time_lean(standard) for _ in range(args.repeats)])
    lean_plain = _rates(n, [time_lean(standard, plain_tuples=True) for _ in range(args.repeats)])
    events = runs[0][1]
    del standard
    deep = deep_book_workload(args.deep_commands, seed=args.seed + 1)
    dn = len(deep.commands)
    deep_rates = _rates(dn, [time_exchange(deep, window)[0] for _ in range(args.deep_repeats)])
    deep_baseline = _rates(dn, [time_baseline(deep) for _ in range(args.deep_repeats)])
    median = statistics.median(rates)
    deep_median = statistics.median(deep_rates)
    pure = _pure_figures(args)
    speedup = {"speedup": round(median / pure["pure_commands_per_s"], 2)} if pure else {}
    return {
        "build": native.describe(),
        "commands_per_s": round(median),
        "commands_per_s_min": round(min(rates)),
        "commands_per_s_max": round(max(rates)),
        "deep_commands_per_s": round(deep_median),
        "deep_commands_per_s_min": round(min(deep_rates)),
        "deep_commands_per_s_max": round(max(deep_rates)),
        "deep_ratio": round(deep_median / median, 3),
        **pure,
        **speedup,
        "events_per_command": round(events / n, 3),
        "baseline_dict_deque_ops_per_s": round(statistics.median(baseline)),
        "deep_baseline_dict_deque_ops_per_s": round(statistics.median(deep_baseline)),
        "lean_ceiling_ops_per_s": round(statistics.median(lean)),
        "lean_ceiling_plain_tuples_ops_per_s": round(statistics.median(lean_plain)),
        "commands": n,
        "deep_commands": dn,
        "repeats": args.repeats,
        "deep_repeats": args.deep_repeats,
        "pure_repeats": args.pure_repeats if pure else 0,
        "feedback_window": window,
    }
