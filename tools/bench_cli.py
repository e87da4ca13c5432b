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
}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("bench", help="run a benchmark and print its figures")
    names = parser.add_subparsers(dest="bench_name", metavar="NAME", required=True)
    for name, (module_name, help_text) in HARNESSES.items():
        sub = names.add_parser(name, help=help_text)
        sub.add_argument("--json", action="store_true", help="print one JSON object")
        sub.set_defaults(func=_run, harness_module=module_name)
        module = importlib.import_module(module_name)
        module.add_arguments(sub)


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
    module = importlib.import_module(args.harness_module)
    figures: dict[str, Any] = module.run(args)
    if args.json:
        print(json.dumps(figures, sort_keys=False))
    else:
        print(format_summary(args.bench_name, figures))
    return 0
