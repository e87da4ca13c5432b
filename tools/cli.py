"""Entry point of the `sequex` command.

Each subcommand is a module of its own that exposes ``register(subparsers)``; the module adds
its parser and sets ``func`` (a callable taking the parsed namespace and returning the exit
code). Modules are imported lazily, only when their subcommand runs, so a heavy dependency of
one command never slows the others down.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

# subcommand -> (module that implements it, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "journal": ("tools.journal_cli", "inspect a journal: dump, verify, stats"),
    "bench": ("tools.bench_cli", "run a benchmark and print its figures"),
    "simulate": ("tools.simulate_cli", "run the exchange offline over a file of commands"),
    "replay": ("tools.replay_cli", "rebuild the state from snapshot + journal"),
    "run": ("tools.run_cli", "start the exchange host until Ctrl-C"),
    "standby": ("tools.standby_cli", "run a hot standby that follows a primary host"),
    "admin": ("tools.admin_cli", "send one operator command to a running host"),
    "passwd": ("tools.passwd_cli", "print a password hash for the configuration file"),
    "drill": ("tools.drill_cli", "failure drills: damage copies of the storage, start on each"),
    "loadgen": ("tools.loadgen.cli", "drive a running host with orders and measure latencies"),
    "latency": ("tools.latency_cli", "where a running host's orders spend their time, hop by hop"),
    "md": ("tools.md_cli", "market data: follow the ITCH feed, draw a symbol's book"),
    "report": ("tools.report_cli", "books and records: orders, executions, trade blotter"),
    "settle": ("tools.settle_cli", "settle the trades due on a settlement date (T+2)"),
}


DESCRIPTION = (
    "sequex, a stock exchange: run a host, send it operator commands, drive it with load, "
    "inspect and replay its journal, simulate offline, run benchmarks and failure drills, "
    "hash passwords for its configuration, follow its market-data feed. "
    "'sequex COMMAND --help' tells more."
)


def version_line() -> str:
    """``sequex 0.1.0, compiled (Cython 3.x, N modules)``: which build this process runs."""
    from importlib.metadata import PackageNotFoundError, version

    from engine import native

    try:
        release = version("sequex")
    except PackageNotFoundError:
        release = "(not installed)"
    return f"sequex {release}, {native.describe()}"


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    """Build the top-level parser; only the chosen subcommand's module is imported."""
    parser = argparse.ArgumentParser(prog="sequex", description=DESCRIPTION)
    parser.add_argument(
        "--version", action="version", version=version_line(), help="version and build"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", help="one of:")
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        if name == chosen:
            module = importlib.import_module(module_name)
            module.register(subparsers)
        else:
            subparsers.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `sequex` command; returns the process exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(args_list)
    args = parser.parse_args(args_list)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        code: int = func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (`| head`): stop quietly, and keep the interpreter's final
        # flush of stdout from failing again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    return code


if __name__ == "__main__":
    sys.exit(main())
