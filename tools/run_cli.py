"""`sequex run --config FILE`: start the host (supervisor + stage processes) until Ctrl-C.

On a fresh data directory the configured setup (symbols, STP modes, deposits; see
``engine.config.setup_commands``) is injected first through ring[in], so admin goes through the
same sequenced, journaled stream as trading. SIGINT/SIGTERM drain (stop injecting, let the rings
empty) and stop cleanly with exit code 0; a stage that dies stops everything with exit code 1,
naming it. Until the gateway lands there is no network input.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("run", help="start the exchange host", description=__doc__)
    parser.add_argument("--config", required=True, help="host configuration (TOML)")
    parser.add_argument("--data-dir", help="override [exchange] data_dir")
    parser.add_argument("--prefix", help="shared-memory name prefix (default sequex-<pid>-)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from engine.config import ConfigError, load_config, setup_commands
    from engine.journal_format import journal_dir
    from engine.supervisor import Supervisor
    from engine.topology import TopologySpec

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"sequex run: {exc}", file=sys.stderr)
        return EXIT_USAGE
    data_dir = args.data_dir or config.data_dir
    if any(journal_dir(data_dir).glob("*.log")):
        # Restart from snapshot + journal belongs to the recovery issue; refuse rather than
        # start a second history on top of the first.
        print(
            f"sequex run: {journal_dir(data_dir)} already holds a journal; restarting from it is "
            "not wired yet (use a fresh data_dir)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    prefix = args.prefix or f"sequex-{os.getpid()}-"
    spec = TopologySpec.from_config(config, prefix, data_dir=data_dir)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    supervisor = Supervisor(spec)
    try:
        supervisor.start()
        setup = setup_commands(config)
        supervisor.injector().submit(setup)
        if not supervisor.drain(timeout=30.0):
            raise SystemExit(_failed(supervisor))
        print(
            f"sequex host up: {spec.shards} matcher shard(s), W={spec.feedback_window}, "
            f"data in {data_dir}, shm prefix {prefix}"
        )
        print(f"  setup: {len(setup)} admin commands journaled and applied")
        for name, endpoint in sorted(config.endpoints.items()):
            print(f"  {name:<20} {endpoint}  (not served until the gateway lands)")
        print("press Ctrl-C to stop", flush=True)
        while not stop.is_set() and not supervisor.stopped.is_set():
            stop.wait(0.1)
        if supervisor.failure is None:
            drained = supervisor.drain(timeout=30.0)
            print("draining: " + ("done" if drained else "timed out"), flush=True)
    finally:
        supervisor.close()
    if supervisor.failure is not None:
        return _failed(supervisor)
    print("stopped", flush=True)
    return EXIT_OK


def _failed(supervisor: Any) -> int:
    failure = supervisor.failure
    if failure is None:
        print("sequex run: the setup commands were not applied in time; stopped", file=sys.stderr)
    else:
        name, code = failure
        print(f"sequex run: stage {name!r} exited with code {code}; stopped", file=sys.stderr)
    return EXIT_FAILED
