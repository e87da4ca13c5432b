"""``sequex drill crash``: the command line of the single-host crash drill (``tools.drills.crash``).

Rounds run one after another, each in a fresh temporary directory (removed afterwards unless
``--keep DIR`` names where to keep them). The report is ``tools.drills.report``'s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
from pathlib import Path

from engine.command_batches import RecoveryError
from journal import JournalError
from tools.drills.crash import PROTOCOL_CHOICES, RoundResult, Scenario, crash_round
from tools.drills.host import HostError
from tools.drills.load import DrillError
from tools.drills.report import as_json, exit_status, print_report

__all__ = ["register_crash", "run_crash"]

CRASH_DESCRIPTION = """\
Start a real host on a temporary data directory, drive a scripted load through its gateway
(several firms and sessions; orders that rest, trade, cancel and replace), SIGKILL the whole
host at a seeded moment, restart it on the same data directory, let the sessions recover,
finish the load and stop. Then hold every ack and fill the clients were told against an
offline replay of the journal, and the host's live_state_hash at the stop against the replay's.

exit status: 0 nothing lost, duplicated or mismatched, 1 something was, 2 the drill could not
run (the host would not start or stop, a session could not log in again)"""


def register_crash(drills: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    crash = drills.add_parser(
        "crash",
        help="SIGKILL a real host under load, restart it, verify nothing was lost or doubled",
        description=CRASH_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    crash.add_argument("--rounds", type=int, default=1, metavar="N", help="rounds to run (1)")
    crash.add_argument("--seed", type=int, default=1, metavar="S", help="scenario seed (1)")
    crash.add_argument(
        "--protocol",
        choices=PROTOCOL_CHOICES,
        default="mixed",
        help="the sessions' protocol; mixed: every protocol at once (the default)",
    )
    crash.add_argument(
        "--orders", type=int, default=400, metavar="N", help="new orders per round (400)"
    )
    crash.add_argument("--keep", metavar="DIR", help="keep each round's directory under DIR")
    crash.add_argument("--json", action="store_true", help="print the report as JSON")
    crash.set_defaults(func=_crash)


def _crash(args: argparse.Namespace) -> int:
    if args.rounds < 1 or args.orders < 1:
        print("sequex drill crash: --rounds and --orders must be at least 1", file=sys.stderr)
        return 2
    keep = Path(args.keep) if args.keep else None
    try:
        results = run_crash(args.rounds, args.seed, args.protocol, args.orders, keep)
    except (HostError, DrillError, RecoveryError, JournalError, OSError) as exc:
        print(f"sequex drill crash: the drill could not run: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(as_json("crash", args.seed, results), indent=2))
    else:
        print_report("crash", args.seed, results)
    return exit_status(results)


def run_crash(
    rounds: int, seed: int, protocol: str, orders: int, keep: Path | None = None
) -> list[RoundResult]:
    """Run ``rounds`` rounds; HostError or DrillError when one could not run."""
    results: list[RoundResult] = []
    with tempfile.TemporaryDirectory(prefix="sequex-drill-crash-") as tmp:
        base = keep if keep is not None else Path(tmp)
        for number in range(1, rounds + 1):
            scenario = Scenario.pick(number, seed, protocol, orders)
            workdir = base / f"round-{number}"
            if workdir.exists():
                raise DrillError(f"{workdir} exists already: give --keep an empty directory")
            results.append(asyncio.run(crash_round(scenario, workdir)))
            if keep is None:
                shutil.rmtree(workdir, ignore_errors=True)
    return results
