"""`sequex run --config FILE`: start the host (supervisor + stage processes) until Ctrl-C.

On a fresh data directory the configured setup (symbols, STP modes, deposits; see
``engine.config.setup_commands``) is injected first through ring[in], so admin goes through the
same sequenced, journaled stream as trading. On a data directory that holds a journal the host
recovers instead (``engine.start_point.prepare_start``: newest snapshot + journal tail, W from the
journal header; a configured feedback_window that differs is refused with exit code 2), prints
``state_hash`` (equal to what ``sequex replay DATA_DIR`` prints) and continues the sequence. The
setup is never injected twice: a journal holding all of it (or trading after it) gets none of
it again; a first run that stopped part-way through its setup (the journal holds a strict
prefix of it, maybe none) gets the rest, after checking that the journaled part is exactly the
configured setup's beginning (``engine.start_point.pending_setup``; a configuration edited since is
refused with exit code 2). A snapshotter process writes a snapshot every ``[journal]
snapshot_every`` commands and one at shutdown, given ``--snapshot-grace`` seconds (default 10)
to catch up with the journal and write it; cut short (killed), it leaves no snapshot file, only
the earlier ones, and the next start replays a longer tail (a warning says so); a second
SIGINT/SIGTERM while stopping skips the wait for it at once.
SIGINT/SIGTERM drain (stop injecting, let the rings empty) and stop cleanly with exit code 0,
printing ``live_state_hash`` and ``last_seq``: the hash of the stages' own state at the stop
(see ``engine.stages.state_parts.live_state``; with W = 1 it equals ``sequex replay``'s
state_hash). A stage that dies stops everything with exit
code 1, naming it; damaged or inconsistent data refuses to start with exit code 1.

Input: once the setup is applied, the JSON-lines gateway (``[endpoints] json``, see
``engine.gateway``) becomes the single writer of ring[in]: firms log in and send orders, the
operator sends admin commands (``sequex admin``). The gateway also serves the configured FIX
4.4 sessions (``[endpoints] fix``) and OUCH 4.2 sessions (``[endpoints] ouch``); the banner's
``serving:`` lines come once every one of those ports accepts connections. The views stage
serves the HTTP JSON views and the live web page on ``[endpoints] http`` (docs/views.md). On
the way down the gateway stops first, so nothing enters a draining host.

Market data (``[market_data]``, on by default): a stage process publishes the ITCH 5.0 feed in
MoldUDP64 on the ``[endpoints] itch_multicast`` group (sent with IP_MULTICAST_IF
``itch_interface``), answers retransmission requests on ``mold_retransmit`` and serves book
snapshots on ``glimpse`` (``engine.mdfeed``, docs/market-data.md); the stop prints
``market data: session S, through seq N, next message M``.

The reporter (``[reporter]``, on by default): a stage process follows the journal into the
reports database (SQLite ``DATA_DIR/reports.db``, or PostgreSQL with ``dsn``); the banner says
where, and the stop prints ``reporter: through seq N of durable seq M, lag L``
(``engine.stages.reporter``, docs/reporter.md).

The banner: ``sequex host up (pid N)``, one ``settings:`` line (topology, W, data directory,
shm prefix, journal sync, snapshot interval), what recovery and the setup did, then
``serving:`` (what is served, where) and ``press Ctrl-C to stop``. The host process is titled
``sequex: host DATA_DIR`` and each stage ``sequex: STAGE`` in ``ps`` (``engine.proctitle``).

Shared memory: the rings live in /dev/shm under a prefix derived from the data directory
(:func:`default_prefix`, unless ``--prefix``), so the host that restarts a data directory after a
crash finds what the crashed one left and the supervisor sweeps it, with every other prefix
whose owner is gone (a line says what was swept). A second host given a live host's prefix is
refused with exit code 1, naming that host's pid (on a live host's data directory, the
journal's lock refuses it first). Every stage process and the gateway die with this process,
even when it is killed outright, so the next host is never refused by a lock an orphan holds.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import signal
import sys
import tempfile
from pathlib import Path
from types import FrameType
from typing import Any

from tools.host_banner import (
    LISTEN_SECONDS,
    print_feed,
    print_journal_check,
    print_live_state,
    print_reporter,
    print_swept,
    reporter_line,
    served_lines,
    settings_line,
    start_scrub,
    wait_listening,
)
from tools.stop_request import StopRequest

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

#: What a stopping host gave its snapshotter before --snapshot-grace existed (5 s, then 5 s
#: more after a SIGTERM that a snapshot in progress ignores).
DEFAULT_SNAPSHOT_GRACE = 10.0
MAX_SNAPSHOT_GRACE = 86_400.0


DESCRIPTION = """\
Start the exchange host: the journal, the matching engine and the gateway (JSON lines, FIX
4.4, OUCH 4.2), each stage a process. It runs until Ctrl-C (or SIGTERM), then drains, takes
a snapshot and stops.

On an empty data directory it applies the configured setup (symbols, firms, deposits) first;
on one that holds a journal it recovers the state instead and continues from there.

exit status: 0 stopped cleanly, 1 a stage died or the data is damaged (see the message),
2 a usage or configuration error"""

#: What the config's [endpoints] promise that no gateway serves yet (the banner names them).
NOT_SERVED_YET: tuple[str, ...] = ()


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="start the exchange host",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", required=True, metavar="FILE", help="host configuration (TOML)")
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="where the journal and snapshots live (default: the config's [exchange] data_dir)",
    )
    parser.add_argument(
        "--prefix",
        help="name prefix of the host's shared memory in /dev/shm, ending with '-' (default: "
        "one derived from the data directory, so a restart cleans up what a crash left)",
    )
    parser.add_argument(
        "--snapshot-grace",
        type=_seconds,
        default=DEFAULT_SNAPSHOT_GRACE,
        metavar="SECONDS",
        help="how long the snapshot at shutdown may take (default "
        f"{DEFAULT_SNAPSHOT_GRACE:g}); past that it is skipped and the next start replays "
        "more of the journal",
    )
    parser.set_defaults(func=run)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= MAX_SNAPSHOT_GRACE:  # also refuses nan
        raise argparse.ArgumentTypeError(f"expected seconds in 0..{MAX_SNAPSHOT_GRACE:g}")
    return value


def default_prefix(data_dir: str | os.PathLike[str]) -> str:
    """The shared-memory prefix of the host of ``data_dir``: one per data directory, so that
    its next start sweeps what a crashed run left (a data directory has one host at a time)."""
    import xxhash

    path = str(Path(data_dir).resolve())
    return f"sequex-{xxhash.xxh3_64_hexdigest(path.encode())[:12]}-"


def run(args: argparse.Namespace) -> int:
    from engine.config import ConfigError, load_config
    from engine.mdfeed.settings import FeedSettings

    try:
        config = load_config(args.config)
        feed = FeedSettings.from_config(config) if config.market_data.enabled else None
        _check_replication(config)
    except ConfigError as exc:
        print(f"sequex run: {exc}", file=sys.stderr)
        return EXIT_USAGE
    data_dir = args.data_dir or config.data_dir
    try:
        Path(data_dir).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"sequex run: cannot use data directory {data_dir}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from engine.proctitle import titled

    # removed on every way out (a refusal too), not left to the garbage collector
    with tempfile.TemporaryDirectory(prefix="sequex-state-") as reports, titled(f"host {data_dir}"):
        return _run(args, config, data_dir, reports, feed)


def _run(args: argparse.Namespace, config: Any, data_dir: str, reports: str, feed: Any) -> int:
    from disruptor import PrefixInUse, prefix_holder
    from engine.config import setup_commands
    from engine.rebuild import RecoveryError
    from engine.stages.state_parts import account_owners, snapshot_live_state, state_hash
    from engine.start_point import (
        SetupMismatchError,
        WindowMismatchError,
        mark_setup_complete,
        prepare_start,
    )
    from engine.supervisor import SWEEP_ROOT, Supervisor
    from engine.topology import TopologySpec
    from journal import JournalError

    prefix = args.prefix or default_prefix(data_dir)
    if not prefix.endswith("-") or "/" in prefix or prefix == SWEEP_ROOT:
        print(
            f"sequex run: --prefix must end with '-', have no '/' and be more than "
            f"{SWEEP_ROOT!r}: {prefix!r}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    holder = prefix_holder(prefix)
    if holder is not None:  # before recovery touches the data directory
        print(
            f"sequex run: refusing to start: shared-memory prefix {prefix!r} is in use by "
            f"{f'process {holder}' if holder else 'another process'}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    from engine.replication.handshake import epoch_of
    from engine.replication.settings import ReplicationSettings
    from engine.stages.state_parts import fences_of
    from tools.run_fencing import check_peer, watch_peer

    replication = ReplicationSettings.from_config(config)
    spec = TopologySpec.from_config(
        config, prefix, data_dir=data_dir, report_dir=reports, gateway=True,
        http=config.endpoints["http"], market_data=feed, replication=replication,
    )  # fmt: skip
    configured_setup = setup_commands(config)
    try:
        start = prepare_start(spec, configured_setup)
    except (WindowMismatchError, SetupMismatchError) as exc:
        print(f"sequex run: refusing to start: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RecoveryError as exc:
        print(f"sequex run: cannot recover: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except (JournalError, OSError) as exc:
        print(f"sequex run: cannot recover {data_dir}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    spec = start.spec
    fences = fences_of(start.state)
    if spec.replication is not None:
        spec = dataclasses.replace(
            spec, replication=dataclasses.replace(spec.replication, fences=tuple(fences))
        )
    if not check_peer(config, spec, epoch_of(fences)):
        return EXIT_FAILED
    scrub: Any = None
    watch: Any = None
    stop = StopRequest()  # not threading.Event: its set() can deadlock in a handler
    supervisor = Supervisor(spec, state=start.state)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        # A second signal while stopping: the operator will not wait for the snapshot.
        if stop.is_set():
            supervisor.cut_snapshot_grace()
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        try:
            supervisor.start()
        except PrefixInUse as exc:
            print(f"sequex run: refusing to start: {exc}", file=sys.stderr)
            return EXIT_FAILED
        setup = list(start.setup)
        if replication is not None and not wait_listening(
            replication.endpoint, supervisor, timeout=LISTEN_SECONDS
        ):
            return _failed(supervisor)
        if replication is not None and replication.sync:
            print(
                f"sequex run: waiting for a standby on {replication.endpoint} (sync "
                "replication: nothing takes effect before a standby has it)",
                flush=True,
            )
        if setup:
            supervisor.injector().submit(setup)
        if not _drain_setup(supervisor, stop, waiting=replication is not None):
            return _failed(supervisor)
        mark_setup_complete(data_dir)  # drained: the setup is durable and applied
        print(f"sequex host up (pid {os.getpid()})")
        print(settings_line(spec, data_dir))
        if spec.reporter is not None:
            print(reporter_line(spec, data_dir))
        print_swept(supervisor.swept)
        if start.state_hash is not None and (spec.base_seq > 0 or not setup):
            snapshot = "none" if start.snapshot_seq is None else start.snapshot_seq
            print(
                f"  recovered through seq {spec.base_seq} (snapshot {snapshot} + "
                f"{start.replayed} journaled commands replayed)"
            )
            print(f"state_hash {start.state_hash:016x}")
            if start.state is not None:
                # what the previous run printed when it stopped (and `sequex replay` prints)
                live = state_hash(snapshot_live_state(start.state))
                print(f"live_state_hash {live:016x}")
        print_journal_check(start)
        if setup and spec.base_seq > 0:
            print(
                f"  setup resumed: {spec.base_seq} of {len(configured_setup)} admin commands "
                f"were journaled by a run that stopped; the other {len(setup)} journaled and "
                "applied"
            )
        elif setup or start.state_hash is None:
            print(f"  setup: {len(setup)} admin commands journaled and applied")
        scrub = start_scrub(spec, start)
        # the gateway reads the last journaled ts there (its ts floor after a restart)
        owners = account_owners(start.state) if start.state is not None else {}
        supervisor.start_gateway(dataclasses.replace(config, data_dir=data_dir), owners)
        served = served_lines(config, feed)
        for endpoint in dict.fromkeys(endpoint for endpoint, _ in served):
            if not wait_listening(endpoint, supervisor, timeout=LISTEN_SECONDS):
                return _failed(supervisor)
        print("serving:")
        for _, line in served:
            print(f"  {line}")
        if NOT_SERVED_YET:
            print(f"  not served yet: {', '.join(NOT_SERVED_YET)}")
        print("press Ctrl-C to stop", flush=True)
        watch = watch_peer(config, spec, epoch_of(fences))
        while not stop.is_set() and not supervisor.stopped.is_set():
            stop.wait(0.1)
        supervisor.stop_gateway()
        if supervisor.failure is None:
            drained = supervisor.drain(timeout=30.0)
            print("draining: " + ("done" if drained else "timed out"), flush=True)
    finally:
        if watch is not None:
            watch.stop()
        if scrub is not None:
            scrub.stop()
        supervisor.close(snapshot_grace=args.snapshot_grace)
    if supervisor.failure is not None:
        return _failed(supervisor)
    if supervisor.shutdown_snapshot_cut_short():
        code = supervisor.exit_codes().get("snapshotter")
        print(
            f"sequex run: warning: no shutdown snapshot (the snapshotter did not finish within "
            f"--snapshot-grace {args.snapshot_grace:g} s; exit code {code}): the next start "
            "replays the journal from the previous snapshot",
            file=sys.stderr,
        )
    print_live_state(supervisor)
    if feed is not None:
        print_feed(data_dir)
    if spec.reporter is not None:
        print_reporter(data_dir)
    print("stopped", flush=True)
    return EXIT_OK


def _check_replication(config: Any, *, standby: bool = False) -> None:
    """The replication endpoint must be HOST:PORT (ConfigError otherwise) where a replicator
    listens on it: with ``[replication] enabled``, and on every standby (promoted, it answers
    epoch probes there whatever its configuration)."""
    from engine.config import ConfigError
    from engine.replication.link import parse_endpoint

    if config.replication.enabled or standby:
        try:
            parse_endpoint(config.endpoints["replication"])
        except ValueError as exc:
            raise ConfigError(f"{config.source}: endpoints.replication: {exc}") from None


def _drain_setup(supervisor: Any, stop: StopRequest, *, waiting: bool) -> bool:
    """Wait for the setup to drain: 30 s, or, replicating, for as long as the standby takes
    to come (until a stop or a failure)."""
    if not waiting:
        return bool(supervisor.drain(timeout=30.0))
    while not supervisor.drain(timeout=0.5):
        if stop.is_set() or supervisor.failure is not None:
            return False
    return True


def _failed(supervisor: Any) -> int:
    failure = supervisor.failure
    if failure is None:
        print("sequex run: the setup commands were not applied in time; stopped", file=sys.stderr)
    else:
        name, code = failure
        print(f"sequex run: stage {name!r} exited with code {code}; stopped", file=sys.stderr)
    return EXIT_FAILED
