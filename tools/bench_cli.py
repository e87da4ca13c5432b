"""`sequex bench NAME [--json]`: run one benchmark harness and print its figures.

Each harness is a module exposing ``add_arguments(parser)`` and ``run(args) -> dict``; the dict
holds the figures (numbers keyed by name) and is printed as one JSON object with ``--json``, or
as an aligned human summary otherwise. Harnesses measure; they never assert a goal.
"""

from __future__ import annotations

import argparse
import importlib
import json
from typing import Any

# benchmark name -> (harness module, one-line help)
HARNESSES: dict[str, tuple[str, str]] = {
    "ring": ("tools.bench_ring", "ring throughput across processes, with a queue baseline"),
    "journal": ("tools.bench_journal", "journal append with durable group commit"),
    "book": ("tools.bench_book", "matching engine with risk and wallet, in process"),
    "pipeline": ("tools.bench_pipeline", "the whole host as processes, durable journal"),
    "replay": ("tools.bench_replay", "rebuilding the exchange from its journal"),
    "gateway": ("tools.bench_gateway", "the gateway process's CPU per OUCH order, in process"),
    "simulate": ("tools.bench_simulate", "'sequex simulate' end to end, pure build as baseline"),
    "md": ("tools.bench_md", "the market-data publisher: ITCH encode + multicast send"),
    "reporter": ("tools.bench_reporter", "the reporter's rows into SQLite and PostgreSQL"),
}


def register(subparsers: Any) -> None:
    names = ", ".join(f"{name} ({help_text})" for name, (_, help_text) in HARNESSES.items())
    parser = subparsers.add_parser(
        "bench",
        help="run a benchmark and print its figures",
        description=f"Run one benchmark and print its figures. Benchmarks: {names}. "
        "'sequex bench NAME --help' lists a benchmark's options.",
    )
    parser.add_argument(
        "bench_name", metavar="NAME", choices=sorted(HARNESSES), help="the benchmark to run"
    )
    parser.add_argument("harness_args", nargs=argparse.REMAINDER, help="options of that harness")
    parser.set_defaults(func=_run)


def harness_parser(name: str) -> tuple[Any, argparse.ArgumentParser]:
    """Import only the chosen harness and build its option parser."""
    module_name, help_text = HARNESSES[name]
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(prog=f"sequex bench {name}", description=help_text)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    module.add_arguments(parser)
    return module, parser


def format_summary(name: str, figures: dict[str, Any]) -> str:
    """Render figures as aligned `key  value` lines, thousands separated."""
    width = max((len(k) for k in figures), default=0)
    lines = [f"sequex bench {name}"]
    for key, value in figures.items():
        if isinstance(value, float):
            shown = f"{value:,.2f}"
        elif isinstance(value, int):
            shown = f"{value:,}"
        else:
            shown = str(value)
        lines.append(f"  {key:<{width}}  {shown}")
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    module, parser = harness_parser(args.bench_name)
    options = parser.parse_args(args.harness_args)
    figures: dict[str, Any] = module.run(options)
    if options.json:
        print(json.dumps(figures, sort_keys=False))
    else:
        print(format_summary(args.bench_name, figures))
    return 0
