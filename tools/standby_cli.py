"""`sequex standby --primary HOST:PORT CONFIG`: a hot standby that follows a primary host.

The standby is a host (its own data directory, shared memory, journaler, core or risk and
matchers, snapshotter, reporter: everything of CONFIG) whose ring[in] is written by a receiver
of the primary's journal instead of a gateway (``engine.replication.standby``): its journal is
byte-identical to the primary's, its state replays hot, and it acknowledges every record once
journaled, which is what the primary's sync replication waits for. It injects no setup of its
own and takes no order. Its market-data feed runs muted (it numbers and keeps the messages,
sends nothing, serves no retransmission or snapshot) and its HTTP views serve read-only; with
``[replication] enabled`` its replicator stage runs dormant (docs/replication.md).

A start: recover the data directory as ``sequex run`` does (``engine.start_point``), connect to
the primary and say where the journal ends (HELLO); the primary answers START (continue from
the next seq, with its journal header, snapshot interval and segment size, which the standby
adopts) or REFUSE (another exchange, another history, a standby ahead of it: the reason is
printed). Then it follows until Ctrl-C or SIGTERM. When the primary goes away the standby keeps
its state and tries to reconnect every half second, saying so.

With ``--promote`` the standby takes over when it loses its primary, if it provably holds
every command the primary may have acknowledged (``engine.replication.handshake``:
``promotion_refusal``; it says why not otherwise and keeps reconnecting): it lets what it
received take effect, then tells its gateway (spawned parked at start, so that a promotion does
not wait for a new interpreter) to serve CONFIG's endpoints from the next seq. Then its
stages learn the promotion (the role word, ``engine.replication.role``): the feed unmutes and
continues the primary's MoldUDP64 session (told over the link: FEED) and opens its
retransmission and snapshot services at CONFIG's endpoints; the replicator listens for a
standby of its own. No fencing epoch is written yet (docs/replication.md, "Not yet").

At each snapshot point the primary sends its state hash; the standby compares it with its own
snapshot's at that seq, and a mismatch stops it at once: exit code 3, the message naming the
seq and both hashes.

Exit status: 0 stopped cleanly, 1 a stage died, the data is damaged, the primary cannot be
reached or refused this standby, 2 a usage or configuration error, 3 a state hash mismatch.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_MISMATCH = 3
#: Seconds between two attempts to reach a primary that went away.
RECONNECT_SECONDS = 0.5

DESCRIPTION = """\
Run a hot standby of the primary host at HOST:PORT (its [endpoints] replication): a host with
its own data directory and shared memory (from CONFIG) that journals the primary's records
under the same seqs and replays them as they come. It serves no client.

exit status: 0 stopped cleanly, 1 a stage died, the data is damaged, or the primary cannot be
reached or refused this standby (the message says why), 2 a usage or configuration error,
3 the standby's state hash differs from the primary's at a snapshot point"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "standby",
        help="run a hot standby that follows a primary host",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--primary", required=True, metavar="HOST:PORT", help="the primary's replication endpoint"
    )
    parser.add_argument("config", metavar="CONFIG", help="the standby's configuration (TOML)")
    parser.add_argument("--data-dir", metavar="DIR", help="default: the config's data_dir")
    parser.add_argument("--prefix", help="shared-memory name prefix (default: from the data dir)")
    parser.add_argument(
        "--connect-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long to keep trying to reach the primary at start (default 10)",
    )
    parser.add_argument(
        "--promote",
        action="store_true",
        help="take over when the primary is lost, if this standby provably holds every "
        "command it acknowledged: open the gateway's endpoints of CONFIG and serve",
    )
    parser.set_defaults(func=run)


def _error(message: str) -> None:
    print(f"sequex standby: {message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from engine.config import ConfigError, load_config
    from engine.mdfeed.settings import FeedSettings
    from engine.replication.link import parse_endpoint
    from tools.run_cli import _check_replication

    try:
        config = load_config(args.config)
        if config.market_data.enabled:
            FeedSettings.from_config(config)
        _check_replication(config)
    except ConfigError as exc:
        _error(str(exc))
        return EXIT_USAGE
    try:
        parse_endpoint(args.primary)
    except ValueError as exc:
        _error(f"--primary: {exc}")
        return EXIT_USAGE
    data_dir = args.data_dir or config.data_dir
    try:
        Path(data_dir).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _error(f"cannot use data directory {data_dir}: {exc}")
        return EXIT_USAGE
    from engine.proctitle import titled

    config = dataclasses.replace(config, data_dir=data_dir)
    with (
        tempfile.TemporaryDirectory(prefix="sequex-state-") as reports,
        titled(f"standby {data_dir}"),
    ):
        return _standby(args, config, reports)


def _standby(args: argparse.Namespace, config: Any, reports: str) -> int:
    from disruptor import PrefixInUse, prefix_holder
    from engine.journal_format import decode_header
    from engine.rebuild import RecoveryError
    from engine.replication.handshake import check_start
    from engine.replication.link import LinkClosed
    from engine.replication.standby import Refused, handshake
    from engine.start_point import prepare_start
    from engine.supervisor import Supervisor
    from engine.topology import TopologySpec
    from journal import JournalError
    from journal.replication import ProtocolError
    from tools.run_cli import default_prefix

    data_dir = config.data_dir
    prefix = args.prefix or default_prefix(data_dir)
    holder = prefix_holder(prefix)
    if holder is not None:
        _error(f"refusing to start: shared-memory prefix {prefix!r} is in use by {holder}")
        return EXIT_FAILED
    from engine.mdfeed.settings import FeedSettings
    from engine.replication.settings import ReplicationSettings

    spec = TopologySpec.from_config(
        config, prefix, data_dir=data_dir, report_dir=reports, gateway=True, standby=True,
        market_data=FeedSettings.from_config(config) if config.market_data.enabled else None,
        http=config.endpoints["http"], replication=ReplicationSettings.from_config(config),
    )  # fmt: skip
    try:
        start = prepare_start(spec)  # never a setup of its own: everything is the primary's
    except (RecoveryError, JournalError, OSError) as exc:
        _error(f"cannot recover {data_dir}: {exc}")
        return EXIT_FAILED
    spec = start.spec
    try:
        link = _first_link(args.primary, args.connect_timeout)
        hello = _hello(spec, None, None)
        begin = handshake(link, hello)
    except OSError as exc:
        _error(str(exc))
        return EXIT_FAILED
    except Refused as exc:
        _error(f"the primary at {args.primary} refused this standby: {exc}")
        return EXIT_FAILED
    except (ProtocolError, TimeoutError, LinkClosed) as exc:
        _error(f"{args.primary} does not answer as a sequex primary: {exc}")
        return EXIT_FAILED
    problem = check_start(begin, spec.feedback_window)
    if problem is not None:
        link.close()
        _error(f"refusing to follow {args.primary}: {problem}")
        return EXIT_USAGE
    spec = dataclasses.replace(
        spec,
        rules=decode_header(begin.header).rules,
        snapshot_every=begin.snapshot_every or spec.snapshot_every,
        journal_segment_bytes=begin.segment_bytes or spec.journal_segment_bytes,
    )
    stop = threading.Event()
    supervisor = Supervisor(spec, state=start.state)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        try:
            supervisor.start()
        except PrefixInUse as exc:
            link.close()
            _error(f"refusing to start: {exc}")
            return EXIT_FAILED
        return _follow(args, config, spec, start.state, supervisor, (link, begin), stop)
    finally:
        supervisor.close()


def _first_link(primary: str, patience: float) -> Any:
    """A link to the primary, trying for ``patience`` seconds (it may be starting too)."""
    from engine.replication.link import connect

    deadline = time.monotonic() + patience
    while True:
        try:
            return connect(primary, timeout=5.0)
        except OSError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(RECONNECT_SECONDS)


def _hello(spec: Any, ring_in: Any, injector: Any) -> Any:
    """HELLO at the end of what this standby holds: its journal (at start) or its ring[in]."""
    from engine.journal_format import journal_dir
    from engine.replication.standby import last_record_digest
    from engine.stages.snapshotter import JournalTail
    from journal import JournalReader
    from journal.replication import Hello, record_digest

    directory = journal_dir(spec.data_dir)
    header = JournalReader(directory).user_header() if directory.is_dir() else b""
    last = spec.base_seq if injector is None else injector.last_seq_no
    digest = None if injector is None else last_record_digest(ring_in, injector, spec.base_seq)
    if digest is None and last > 0:
        tail = JournalTail(directory, last - 1)
        try:
            digest = record_digest(tail.read(last))
        finally:
            tail.close()
    return Hello(last, digest or 0, 0, header)


def _follow(
    args: argparse.Namespace,
    config: Any,
    spec: Any,
    state: bytes | None,
    supervisor: Any,
    first: tuple[Any, Any],
    stop: Any,
) -> int:
    """Follow the primary until stopped (reconnecting when it goes away, or taking over from
    it with ``--promote``)."""
    from engine.mdfeed.handover import PRIMARY_NAME, FeedSession, save_session
    from engine.replication.checks import CheckBook
    from engine.replication.standby import StandbyReceiver
    from journal.replication import Feed
    from tools.run_cli import _failed, _print_live_state, _settings_line

    rings = supervisor.rings
    if args.promote:
        supervisor.park_gateway(config)  # spawned now: a promotion only tells it to serve
    injector = supervisor.injector()
    journaler = rings["in"].consumer_sequence(spec.wiring().consumer("in", "journaler"))
    checks = CheckBook(spec.data_dir)
    owners: dict[str, str] = {}
    knobs = config.replication
    timing = {"heartbeat": knobs.heartbeat_ms / 1000.0, "timeout": knobs.timeout_ms / 1000.0}

    def keep_feed(feed: Feed) -> None:
        save_session(spec.data_dir, PRIMARY_NAME, FeedSession(feed.session, feed.utc_offset_s))

    def receiver_for(connected: tuple[Any, Any]) -> StandbyReceiver:
        link, begin = connected
        return StandbyReceiver(
            link, rings["in"], injector, journaler, spec.base_seq, checks, **timing,
            start=begin, owners=owners, on_feed=keep_feed,
        ).start()  # fmt: skip

    receiver = receiver_for(first)
    print(f"sequex standby up (pid {os.getpid()})")
    print(_settings_line(spec, spec.data_dir))
    print(f"  following the primary at {args.primary} from seq {spec.base_seq + 1}")
    print("press Ctrl-C to stop", flush=True)
    code = EXIT_OK
    promoted = False
    while not stop.is_set() and not supervisor.stopped.is_set():
        if promoted:
            stop.wait(0.1)  # serving as the primary until stopped
            continue
        if not receiver.ended.wait(0.1):
            continue
        if receiver.mismatch is not None:
            _error(f"STOPPED: {receiver.mismatch}")
            code = EXIT_MISMATCH
            break
        if stop.is_set():
            break
        lost = time.monotonic()
        _error(f"lost the primary: {receiver.reason}")
        if args.promote:
            why_not = receiver.promotable()
            if why_not is None:
                receiver.stop()
                if not _promote(config, spec, state, owners, supervisor, injector, lost):
                    return int(_failed(supervisor))
                promoted = True
                continue
            _error(f"not promoting: {why_not}")
        _error(f"reconnecting every {RECONNECT_SECONDS} s")
        receiver = _reconnect(args, spec, rings, injector, stop, supervisor, receiver_for)
        if receiver is None:
            code = EXIT_FAILED if not stop.is_set() else EXIT_OK
            break
    if promoted:
        supervisor.stop_gateway()
    elif receiver is not None:
        receiver.stop()
    if supervisor.failure is not None:
        return int(_failed(supervisor))
    if code == EXIT_OK:
        drained = supervisor.drain(timeout=30.0)
        print("draining: " + ("done" if drained else "timed out"), flush=True)
    supervisor.close()
    if code == EXIT_OK:
        _print_live_state(supervisor)
        print(f"checks: {checks.passed} state hashes equal the primary's", flush=True)
        print("stopped", flush=True)
    return code


def _promote(
    config: Any,
    spec: Any,
    state: bytes | None,
    owners: dict[str, str],
    supervisor: Any,
    injector: Any,
    lost: float,
) -> bool:
    """Take over: let everything received take effect, then start the gateway as the writer
    of ring[in] (its stores catch up through the journal's last seq). False if it failed."""
    from engine.stages.state_parts import account_owners
    from tools.run_cli import _wait_listening

    if not supervisor.drain(timeout=30.0):
        return False
    last = injector.last_seq_no
    known = account_owners(state) if state is not None else {}
    supervisor.start_gateway(config, {**known, **owners}, journaled_seq=last)
    endpoints = [config.endpoints["json"]]
    for protocol in ("fix", "ouch"):
        if any(s.protocol == protocol for f in config.firms for s in f.sessions):
            endpoints.append(config.endpoints[protocol])
    for endpoint in endpoints:
        if not _wait_listening(endpoint, supervisor, timeout=20.0):
            return False
    took = (time.monotonic() - lost) * 1000.0
    print(
        f"promoted: this host is the primary from seq {last + 1}; orders accepted on "
        f"{', '.join(endpoints)} {took:.0f} ms after the primary was found lost",
        flush=True,
    )
    supervisor.promote()  # the feed unmutes, the replicator listens
    return _serving_after_promotion(spec, supervisor)


def _serving_after_promotion(spec: Any, supervisor: Any) -> bool:
    """Wait until the promoted stages listen, and say what they serve (False: one failed)."""
    from tools.run_cli import _wait_listening

    lines = []
    feed = spec.market_data
    if feed is not None:
        snapshot = f"{feed.snapshot[0]}:{feed.snapshot[1]}"
        if not _wait_listening(snapshot, supervisor, timeout=20.0):
            return False
        lines += feed.describe()
    replication = spec.replication
    if replication is not None:
        if not _wait_listening(replication.endpoint, supervisor, timeout=20.0):
            return False
        mode = replication.mode
        if replication.sync:
            mode = "sync from the first standby on; none yet: commands take effect alone"
        lines.append(f"a standby of its own on {replication.endpoint} ({mode})")
    if lines:
        print("  now serving: " + "; ".join(lines), flush=True)
    return True


def _reconnect(
    args: argparse.Namespace,
    spec: Any,
    rings: Any,
    injector: Any,
    stop: Any,
    supervisor: Any,
    receiver_for: Any,
) -> Any:
    """A receiver on a new link to the primary (None: stopped, or the primary refused us)."""
    from engine.replication.link import LinkClosed, connect
    from engine.replication.standby import Refused, handshake
    from journal.replication import ProtocolError

    while not stop.is_set() and not supervisor.stopped.is_set():
        try:
            link = connect(args.primary, timeout=2.0)
            begin = handshake(link, _hello(spec, rings["in"], injector))
        except Refused as exc:
            _error(f"the primary at {args.primary} refused this standby: {exc}")
            return None
        except (OSError, LinkClosed, ProtocolError, TimeoutError):
            time.sleep(RECONNECT_SECONDS)
            continue
        print(f"  reconnected to the primary at {args.primary}", flush=True)
        return receiver_for((link, begin))
    return None
