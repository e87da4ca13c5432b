"""`sequex drill`: failure drills that prove what the exchange does when things break.

``sequex drill damage [DATA_DIR] [--cases N] [--seed S] [--kinds K,...] [--json]`` damages copies
of a data directory (or of a sample one it builds) every way storage fails and starts a host on
each (``tools.damage_drill``). It prints how many cases ran, how each ended (refused, cut,
scrub-alert, snapshot-skipped, harmless), where every cut was made, and every failure. Exit
status: 0 when no case failed, 1 when one did, 2 when the drill could not run (the data
directory is in use, damaged already, or not a host journal).

``sequex drill crash [--rounds N] [--seed S] [--protocol json|ouch|fix|mixed] [--orders N]
[--json]`` starts a real host on a temporary data directory, drives a scripted load through its
gateway with recovering client sessions, SIGKILLs the whole host at a seeded moment, restarts
it, lets the sessions recover, and holds what the clients were told against an offline replay
of the journal (``tools.drills``). Exit status: 0 nothing lost, duplicated or mismatched, 1
something was, 2 the drill could not run.

``sequex drill failover`` and ``sequex drill standby-restart`` (same options) do the same to a
primary and its hot standby: SIGKILL the primary and let the standby take over, or SIGKILL the
standby and restart it (``tools.drills.pair_cli``).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from engine.command_batches import RecoveryError
from journal import JournalError
from tools.damage_drill import DrillReport, build_sample, run_drill
from tools.damage_kinds import KINDS

OUTCOMES = ("refused", "cut", "scrub-alert", "snapshot-skipped", "harmless", "crashed")


DAMAGE_DESCRIPTION = """\
Damage copies of a data directory (or of a sample one built for the drill) every way storage
fails, start a host on each, and report how each case ended: refused, cut, scrub-alert,
snapshot-skipped or harmless. The data directory itself is never changed.

exit status: 0 no case failed, 1 a case failed, 2 the drill could not run (the data
directory is in use, damaged already, or not a host's)"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "drill",
        help="failure drills (damaged storage, a host, primary or standby killed under load)",
        description="Failure drills: show what the exchange does when things break.",
    )
    drills = parser.add_subparsers(dest="drill", metavar="DRILL", required=True, help="one of:")
    damage = drills.add_parser(
        "damage",
        help="damage copies of a data directory and start a host on each",
        description=DAMAGE_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    damage.add_argument(
        "data_dir",
        nargs="?",
        metavar="DATA_DIR",
        help="a host data directory to copy (default: a sample built for the drill)",
    )
    damage.add_argument("--cases", type=int, default=200, metavar="N", help="cases to run")
    damage.add_argument(
        "--seed", type=int, default=1, metavar="S", help="seed of what is damaged where (1)"
    )
    damage.add_argument(
        "--kinds",
        default=",".join(KINDS),
        metavar="K,...",
        help=f"damage kinds, cycled in order (default all: {', '.join(KINDS)})",
    )
    damage.add_argument(
        "--sample-commands", type=int, default=4000, metavar="N", help="size of the sample"
    )
    damage.add_argument(
        "--keep-failures", metavar="DIR", help="copy each failing case's directory here"
    )
    damage.add_argument("--json", action="store_true", help="print the report as JSON")
    damage.set_defaults(func=_damage)
    from tools.drills.cli import register_crash
    from tools.drills.pair_cli import register_pair_drills

    register_crash(drills)
    register_pair_drills(drills)


def _damage(args: argparse.Namespace) -> int:
    kinds = [k for k in args.kinds.split(",") if k]
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown or not kinds or args.cases < 1:
        what = f"unknown damage kind(s) {', '.join(unknown)}" if unknown else "nothing to run"
        print(f"sequex drill: {what}; kinds are {', '.join(KINDS)}", file=sys.stderr)
        return 2
    keep = Path(args.keep_failures) if args.keep_failures else None
    with tempfile.TemporaryDirectory(prefix="sequex-drill-sample-") as sample:
        if args.data_dir is None:
            source = build_sample(Path(sample), args.sample_commands)
        else:
            source = Path(args.data_dir)
            if not source.is_dir():
                print(f"sequex drill: no such directory: {source}", file=sys.stderr)
                return 2
        try:
            report = run_drill(source, cases=args.cases, seed=args.seed, kinds=kinds, keep=keep)
        except (RecoveryError, JournalError, OSError) as exc:
            print(f"sequex drill: {exc}", file=sys.stderr)
            return 2
    if args.json:
        print(json.dumps(as_json(report, args.seed), indent=2))
    else:
        print_report(report, args.seed)
    return 1 if report.failures else 0


def as_json(report: DrillReport, seed: int) -> dict[str, Any]:
    outcomes = report.outcomes()
    return {
        "seed": seed,
        "cases": len(report.cases),
        "journal_last_seq": report.journal_last_seq,
        "outcomes": {name: outcomes.get(name, 0) for name in OUTCOMES},
        "detected": len(report.cases) - outcomes.get("harmless", 0),
        "failed": len(report.failures),
        "by_kind": {kind: dict(counts) for kind, counts in report.by_kind().items()},
        "cases_detail": [
            {
                "case": c.number,
                "kind": c.damage.kind,
                "damage": c.damage.where,
                "acked": c.damage.acked,
                "outcome": c.outcome,
                "started_at_seq": c.base_seq,
                "detail": c.detail,
                "failures": c.failures,
            }
            for c in report.cases
        ],
    }


def print_report(report: DrillReport, seed: int) -> None:
    outcomes = report.outcomes()
    harmless = outcomes.get("harmless", 0)
    print(
        f"damage drill, seed {seed}: {len(report.cases)} cases on a journal through seq "
        f"{report.journal_last_seq}; {len(report.cases) - harmless} detected "
        f"({', '.join(f'{outcomes[o]} {o}' for o in OUTCOMES[:4] if outcomes.get(o))}), "
        f"{harmless} harmless, {len(report.failures)} failed"
    )
    width = max(len(k) for k in report.by_kind())
    print(f"  {'kind':<{width}}  " + "  ".join(f"{o:>16}" for o in OUTCOMES[:5]))
    for kind, counts in report.by_kind().items():
        row = "  ".join(f"{counts.get(o, 0):>16}" for o in OUTCOMES[:5])
        print(f"  {kind:<{width}}  {row}")
    cuts = [c for c in report.cases if c.outcome == "cut"]
    if cuts:
        print("where each cut was made:")
        for case in cuts:
            print(f"  case {case.number} ({case.damage.where}): {case.detail}")
    for case in report.failures:
        print(f"FAILED case {case.number}, {case.damage.kind}: {case.damage.where}")
        for failure in case.failures:
            print(f"  {failure}")
