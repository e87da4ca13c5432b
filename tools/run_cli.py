"""`sequex run --config FILE`: start the host (supervisor + stage processes) until Ctrl-C.

On a fresh data directory the configured setup (symbols, STP modes, deposits; see
``engine.config.setup_commands``) is injected first through ring[in], so admin goes through the
same sequenced, journaled stream as trading. On a data directory that holds a journal the host
recovers instead (``engine.restart.prepare_start``: newest snapshot + journal tail, W from the
journal header; a configured feedback_window that differs is refused with exit code 2), prints
``state_hash`` (equal to what ``sequex replay DATA_DIR`` prints) and continues the sequence; the
setup is not injected again (unless the journal holds no command yet: a first run that stopped
before its setup was journaled). A snapshotter process writes a snapshot every ``[journal]
snapshot_every`` commands and one at shutdown. SIGINT/SIGTERM drain (stop injecting, let the
rings empty) and stop cleanly with exit code 0, printing ``live_state_hash`` and ``last_seq``:
the hash of the stages' own state at the stop (see ``engine.stages.restore.live_state``; with
W = 1 it equals ``sequex replay``'s state_hash). A stage that dies stops everything with exit
code 1, naming it; damaged or inconsistent data refuses to start with exit code 1.

Input: once the setup is applied, the JSON-lines gateway (``[endpoints] json``, see
``engine.gateway``) becomes the single writer of ring[in]: firms log in and send orders, the
operator sends admin commands (``sequex admin``). The FIX 4.4, OUCH 4.2 and market-data
endpoints are listed but not served until their gateways land. On the way down the gateway
stops first, so nothing enters a draining host.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
import tempfile
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
    from engine.recovery import RecoveryError
    from engine.restart import WindowMismatchError, prepare_start
    from engine.supervisor import Supervisor
    from engine.topology import TopologySpec
    from journal import JournalError

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"sequex run: {exc}", file=sys.stderr)
        return EXIT_USAGE
    data_dir = args.data_dir or config.data_dir
    try:
        Path(data_dir).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"sequex run: cannot use data directory {data_dir}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    prefix = args.prefix or f"sequex-{os.getpid()}-"
    reports = tempfile.TemporaryDirectory(prefix="sequex-state-")
    spec = TopologySpec.from_config(
        config, prefix, data_dir=data_dir, report_dir=reports.name, gateway=True
    )
    try:
        start = prepare_start(spec)
    except WindowMismatchError as exc:
        print(f"sequex run: refusing to start: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RecoveryError as exc:
        print(f"sequex run: cannot recover: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except (JournalError, OSError) as exc:
        print(f"sequex run: cannot recover {data_dir}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    spec = start.spec
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    supervisor = Supervisor(spec, state=start.state)
    try:
        supervisor.start()
        setup = setup_commands(config) if needs_setup(start.spec) else []
        if setup:
            supervisor.injector().submit(setup)
        if not supervisor.drain(timeout=30.0):
            raise SystemExit(_failed(supervisor))
        print(
            f"sequex host up: {'fused core' if spec.fused else f'{spec.shards} matcher shard(s)'}, "
            f"W={spec.feedback_window}, "
            f"data in {data_dir}, shm prefix {prefix}"
        )
        if setup or start.state_hash is None:
            print(f"  setup: {len(setup)} admin commands journaled and applied")
        else:
            snapshot = "none" if start.snapshot_seq is None else start.snapshot_seq
            print(
                f"  recovered through seq {spec.base_seq} (snapshot {snapshot} + "
                f"{start.replayed} journaled commands replayed)"
            )
            print(f"state_hash {start.state_hash:016x}")
        # the gateway reads the last journaled ts there (its ts floor after a restart)
        supervisor.start_gateway(dataclasses.replace(config, data_dir=data_dir))
        json_endpoint = config.endpoints["json"]
        if not _wait_listening(json_endpoint, supervisor, timeout=20.0):
            raise SystemExit(_failed(supervisor))
        for name, endpoint in sorted(config.endpoints.items()):
            served = "serving JSON lines" if name == "json" else "not served yet"
            print(f"  {name:<20} {endpoint}  ({served})")
        print("press Ctrl-C to stop", flush=True)
        while not stop.is_set() and not supervisor.stopped.is_set():
            stop.wait(0.1)
        supervisor.stop_gateway()
        if supervisor.failure is None:
            drained = supervisor.drain(timeout=30.0)
            print("draining: " + ("done" if drained else "timed out"), flush=True)
    finally:
        supervisor.close()
    if supervisor.failure is not None:
        reports.cleanup()
        return _failed(supervisor)
    _print_live_state(supervisor)
    reports.cleanup()
    print("stopped", flush=True)
    return EXIT_OK


def needs_setup(spec: Any) -> bool:
    """Whether the configured setup (symbols, STP modes, deposits) must be injected: only when
    nothing is journaled yet (``base_seq`` 0). That includes a journal left empty by a first
    run that stopped before its setup was durable: the recovered state is then empty too."""
    return bool(spec.base_seq == 0)


def _wait_listening(endpoint: str, supervisor: Any, timeout: float) -> bool:
    """Wait until the gateway accepts connections; False if it died or never listened."""
    import socket
    import time

    host, _, port = endpoint.rpartition(":")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and supervisor.failure is None:
        try:
            with socket.create_connection((host, int(port)), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    if supervisor.failure is None:
        print(f"sequex run: the gateway did not listen on {endpoint}", file=sys.stderr)
    return False


def _print_live_state(supervisor: Any) -> None:
    from engine.stages.restore import StateMismatch, state_hash

    try:
        last_seq, state = supervisor.live_state()
    except (OSError, StateMismatch) as exc:
        print(f"sequex run: no live state at the stop: {exc}", file=sys.stderr)
        return
    print(f"live_state_hash {state_hash(state):016x}")
    print(f"last_seq {last_seq}", flush=True)


def _failed(supervisor: Any) -> int:
    failure = supervisor.failure
    if failure is None:
        print("sequex run: the setup commands were not applied in time; stopped", file=sys.stderr)
    else:
        name, code = failure
        print(f"sequex run: stage {name!r} exited with code {code}; stopped", file=sys.stderr)
    return EXIT_FAILED
