"""``sequex drill failover`` and ``sequex drill standby-restart``: the command lines of the two
drills on a primary and hot standby pair (``tools.drills.failover``,
``tools.drills.standby_restart``), shaped like ``sequex drill crash``'s.

Rounds run one after another, each in a fresh temporary directory (removed afterwards unless
``--keep DIR`` names where to keep them). The reports are ``tools.drills.pair_report``'s. A
round that cannot run ends the drill with exit status 2, after the report of the rounds run
before it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from engine.command_batches import RecoveryError
from journal import JournalError
from tools.drills.crash import PROTOCOL_CHOICES, Scenario
from tools.drills.failover import FailoverResult, failover_round
from tools.drills.host import HostError
from tools.drills.load import DrillError
from tools.drills.pair_report import as_json, exit_status, print_report
from tools.drills.standby_restart import RestartResult, standby_restart_round

__all__ = ["RoundsAborted", "register_pair_drills", "run_failover", "run_standby_restart"]

R = TypeVar("R", FailoverResult, RestartResult)


class RoundsAborted(Exception):
    """A round could not run (``cause``: a HostError, DrillError, ...); ``results`` holds the
    rounds run before it, so that a long run still reports them."""

    def __init__(self, results: list[FailoverResult] | list[RestartResult], cause: Exception):
        super().__init__(f"after {len(results)} round(s): {cause}")
        self.results = results
        self.cause = cause


FAILOVER_DESCRIPTION = """\
Start a primary (sync replication) and a hot standby with --promote on free loopback ports,
drive a scripted load through the primary's gateway (several firms and sessions over JSON,
OUCH and FIX), SIGKILL the primary's whole process tree at a seeded moment, and let the standby
take over: the sessions log in to its endpoints and recover their numbering, the load finishes
there. Then hold every ack and fill the clients were told against an offline replay of the
standby's journal, and the standby's live_state_hash at its stop against the replay's.

failover_ms: from the SIGKILL to the ack of a probe order sent to the standby's JSON endpoint.

exit status: 0 nothing lost, duplicated or mismatched, 1 something was, 2 the drill could not
run (a host would not start or stop, the standby did not take over)"""

RESTART_DESCRIPTION = """\
Start a primary (sync replication) and a hot standby, drive a scripted load through the
primary, SIGKILL the standby's whole process tree at a seeded moment, leave it dead for a
seeded 0.2-1.5 s and start it again on its data directory: it catches up from the primary and
replication is synchronous again. Meanwhile the primary acknowledges nothing new (sync): the
report says how long acknowledgements were held up. Then verify the primary's journal against
the ledger, the standby's journal byte for byte against the primary's, and both hosts'
live_state_hash against an offline replay.

exit status: 0 nothing lost, duplicated or mismatched, 1 something was, 2 the drill could not
run"""


def register_pair_drills(drills: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for name, text, summary, handler in (
        ("failover", FAILOVER_DESCRIPTION,
         "SIGKILL a primary under load, let its standby take over, verify nothing was lost",
         _failover),
        ("standby-restart", RESTART_DESCRIPTION,
         "SIGKILL a standby under load, restart it, verify it caught up and nothing was lost",
         _standby_restart),
    ):  # fmt: skip
        parser = drills.add_parser(
            name,
            help=summary,
            description=text,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        parser.add_argument("--rounds", type=int, default=1, metavar="N", help="rounds (1)")
        parser.add_argument("--seed", type=int, default=1, metavar="S", help="scenario seed (1)")
        parser.add_argument(
            "--protocol",
            type=_protocols,
            default="mixed",
            metavar="{json,ouch,fix,mixed}",
            help="the sessions' protocol, or several separated by commas (json,ouch); mixed: "
            "every protocol at once (the default)",
        )
        parser.add_argument(
            "--orders", type=int, default=400, metavar="N", help="new orders per round (400)"
        )
        parser.add_argument("--keep", metavar="DIR", help="keep each round's directory under DIR")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.set_defaults(func=handler)


def _protocols(text: str) -> str:
    names = text.split(",")
    known = [p for p in PROTOCOL_CHOICES if p != "mixed"]
    if text == "mixed" or (
        names and all(n in known for n in names) and len(set(names)) == len(names)
    ):
        return text
    raise argparse.ArgumentTypeError(
        f"{text!r}: one of {', '.join(PROTOCOL_CHOICES)}, or several of {', '.join(known)} "
        "separated by commas"
    )


def _failover(args: argparse.Namespace) -> int:
    return _main("failover", args, run_failover)


def _standby_restart(args: argparse.Namespace) -> int:
    return _main("standby-restart", args, run_standby_restart)


def _main(
    drill: str,
    args: argparse.Namespace,
    run: Callable[[int, int, str, int, Path | None], list[FailoverResult] | list[RestartResult]],
) -> int:
    if args.rounds < 1 or args.orders < 1:
        print(f"sequex drill {drill}: --rounds and --orders must be at least 1", file=sys.stderr)
        return 2
    keep = Path(args.keep) if args.keep else None
    results: list[FailoverResult] | list[RestartResult] = []
    try:
        results = run(args.rounds, args.seed, args.protocol, args.orders, keep)
    except RoundsAborted as aborted:
        results = aborted.results
        print(
            f"sequex drill {drill}: round {len(results) + 1} could not run: {aborted.cause}",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(as_json(drill, args.seed, results), indent=2))
    elif results:
        print_report(drill, args.seed, results)
    return 2 if len(results) < args.rounds else exit_status(results)


def run_failover(
    rounds: int, seed: int, protocol: str, orders: int, keep: Path | None = None
) -> list[FailoverResult]:
    """Run ``rounds`` failover rounds; RoundsAborted (with the rounds run) when one could not."""
    return _rounds("failover", failover_round, rounds, seed, protocol, orders, keep)


def run_standby_restart(
    rounds: int, seed: int, protocol: str, orders: int, keep: Path | None = None
) -> list[RestartResult]:
    """Run ``rounds`` standby-restart rounds; RoundsAborted when one could not."""
    return _rounds("standby-restart", standby_restart_round, rounds, seed, protocol, orders, keep)


def _rounds(
    drill: str,
    one: Callable[[Scenario, Path], Awaitable[R]],
    rounds: int,
    seed: int,
    protocol: str,
    orders: int,
    keep: Path | None,
) -> list[R]:
    results: list[R] = []
    with tempfile.TemporaryDirectory(prefix=f"sequex-drill-{drill}-") as tmp:
        base = keep if keep is not None else Path(tmp)
        for number in range(1, rounds + 1):
            scenario = Scenario.pick(number, seed, protocol, orders, drill=drill)
            workdir = base / f"round-{number}"
            try:
                if workdir.exists():
                    raise DrillError(f"{workdir} exists already: give --keep an empty directory")
                results.append(asyncio.run(_awaited(one(scenario, workdir))))
            except (HostError, DrillError, RecoveryError, JournalError, OSError) as exc:
                raise RoundsAborted(results, exc) from exc
            finally:
                if keep is None:
                    shutil.rmtree(workdir, ignore_errors=True)
    return results


async def _awaited(work: Awaitable[R]) -> R:
    return await work
