"""`sequex standby --primary HOST:PORT CONFIG`: a hot standby that follows a primary host.

The standby is a host (its own data directory, shared memory, journaler, core or risk and
matchers, snapshotter, reporter: everything of CONFIG) whose ring[in] is written by a receiver
of the primary's journal instead of a gateway (``engine.replication.standby``): its journal is
byte-identical to the primary's, its state replays hot, and it acknowledges every record once
journaled, which is what the primary's sync replication waits for. It injects no setup of its
own and takes no order. Its market-data feed runs muted (it numbers and keeps the messages,
sends nothing, serves no retransmission or snapshot) and its HTTP views serve read-only; its
replicator stage runs dormant (docs/replication.md), even without ``[replication] enabled``.

A start: recover the data directory as ``sequex run`` does (``engine.start_point``), connect to
the primary and say where the journal ends (HELLO); the primary answers START (continue from
the next seq, with its journal header, snapshot interval and segment size, which the standby
adopts) or REFUSE (another exchange, another history, a standby ahead of it: the reason is
printed). Then it follows until Ctrl-C or SIGTERM. When the primary goes away the standby keeps
its state and tries to reconnect every half second, saying so.

With ``--promote`` the standby takes over when it loses its primary, if it provably holds
every command the primary may have acknowledged (``engine.replication.handshake``:
``promotion_refusal``; it says why not otherwise and keeps reconnecting): it lets what it
received take effect, journals ``Fence(its epoch + 1)`` (the fencing token of its reign, the
first command of it), then tells its gateway (spawned parked at start, so that a promotion does
not wait for a new interpreter) to serve CONFIG's endpoints from the next seq. Then its
stages learn the promotion (the role word, ``engine.replication.role``): the feed unmutes and
continues the primary's MoldUDP64 session (told over the link: FEED) and opens its
retransmission and snapshot services at CONFIG's endpoints; the replicator listens on
CONFIG's ``[endpoints] replication`` and answers the hosts that ask for its epoch (its former
primary learns that it was superseded) and, with ``[replication] enabled``, takes a standby of
its own; without, it refuses standbys (mode ``probes``). The steps are ``tools.promotion``.

Epochs (docs/replication.md). HELLO says the epoch of this standby's journal; it never follows
a primary of a lower epoch. A primary whose history parts from this journal (a former primary
rejoining as the standby of the host that superseded it) answers DIVERGED: the tail from the
parting seq is quarantined (``engine.replication.rejoin``: ``journal.divergence``, kept in
quarantine files and logged in ``repair.log``), the data directory recovered again, and the
standby follows.

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
import time
from pathlib import Path
from types import FrameType
from typing import Any

from tools.stop_request import StopRequest

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
        _check_replication(config, standby=True)
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
    from engine.replication.handshake import check_start, epoch_of
    from engine.replication.link import LinkClosed
    from engine.replication.rejoin import hello_for, quarantine_tail
    from engine.replication.standby import DivergedTail, Refused, handshake
    from engine.stages.state_parts import fences_of
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
        http=config.endpoints["http"],
        replication=ReplicationSettings.from_config(config, standby=True),
    )  # fmt: skip
    try:
        start = prepare_start(spec)  # never a setup of its own: everything is the primary's
    except (RecoveryError, JournalError, OSError) as exc:
        _error(f"cannot recover {data_dir}: {exc}")
        return EXIT_FAILED
    spec = start.spec
    fences = fences_of(start.state)
    if spec.replication is not None:  # the replicator's epoch, from the recovered state on
        spec = dataclasses.replace(
            spec, replication=dataclasses.replace(spec.replication, fences=tuple(fences))
        )
    link = None
    try:
        link = _first_link(args.primary, args.connect_timeout)
        hello = hello_for(spec, None, None, epoch_of(fences))
        begin = handshake(link, hello)
    except DivergedTail as exc:
        if link is not None:
            link.close()
        _error(f"the primary's history parts from this journal: {exc}")
        if getattr(args, "quarantined", False) or not quarantine_tail(spec.data_dir, exc, _error):
            _error(f"the primary at {args.primary} still parts from this journal: {exc}")
            return EXIT_FAILED
        args.quarantined = True
        return _standby(args, config, reports)  # recover what is left, and connect again
    except OSError as exc:
        _error(str(exc))
        return EXIT_FAILED
    except Refused as exc:
        _error(f"the primary at {args.primary} refused this standby: {exc}")
        return EXIT_FAILED
    except (ProtocolError, TimeoutError, LinkClosed) as exc:
        _error(f"{args.primary} does not answer as a sequex primary: {exc}")
        return EXIT_FAILED
    problem = check_start(begin, spec.feedback_window, epoch_of(fences))
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
    stop = StopRequest()  # not threading.Event: its set() can deadlock in a handler
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
        return _follow(args, config, spec, start.state, supervisor, (link, begin), stop, fences)
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


def _follow(
    args: argparse.Namespace,
    config: Any,
    spec: Any,
    state: bytes | None,
    supervisor: Any,
    first: tuple[Any, Any],
    stop: Any,
    fences: list[tuple[int, int]],
) -> int:
    """Follow the primary until stopped (reconnecting when it goes away, or taking over from
    it with ``--promote``)."""
    from engine.fencing import clear_fence
    from engine.mdfeed.handover import PRIMARY_NAME, FeedSession, save_session
    from engine.replication.checks import CheckBook
    from engine.replication.handshake import epoch_of
    from engine.replication.standby import StandbyReceiver
    from journal.replication import Feed
    from tools.host_banner import print_live_state, settings_line
    from tools.promotion import promote
    from tools.run_cli import _failed

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
            start=begin, owners=owners, fences=fences, on_feed=keep_feed,
        ).start()  # fmt: skip

    receiver = receiver_for(first)
    if clear_fence(spec.data_dir):
        print("  this host was fenced; it follows its successor now (the marker is removed)")
    print(f"sequex standby up (pid {os.getpid()})")
    print(settings_line(spec, spec.data_dir))
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
                if not promote(config, spec, state, owners, supervisor, injector, lost, fences):
                    return int(_failed(supervisor))
                promoted = True
                continue
            _error(f"not promoting: {why_not}")
        _error(f"reconnecting every {RECONNECT_SECONDS} s")
        receiver = _reconnect(
            args, spec, rings, injector, stop, supervisor, receiver_for, epoch_of(fences)
        )
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
        print_live_state(supervisor)
        print(f"checks: {checks.passed} state hashes equal the primary's", flush=True)
        print("stopped", flush=True)
    return code


def _reconnect(
    args: argparse.Namespace,
    spec: Any,
    rings: Any,
    injector: Any,
    stop: Any,
    supervisor: Any,
    receiver_for: Any,
    epoch: int = 0,
) -> Any:
    """A receiver on a new link to the primary (None: stopped, or the primary refused us)."""
    from engine.replication.link import LinkClosed, connect
    from engine.replication.rejoin import hello_for
    from engine.replication.standby import DivergedTail, Refused, handshake
    from journal.replication import ProtocolError

    while not stop.is_set() and not supervisor.stopped.is_set():
        try:
            link = connect(args.primary, timeout=2.0)
            begin = handshake(link, hello_for(spec, rings["in"], injector, epoch))
        except Refused as exc:
            _error(f"the primary at {args.primary} refused this standby: {exc}")
            return None
        except DivergedTail as exc:
            _error(f"{exc}; restart this standby to quarantine that tail and follow")
            return None
        except (OSError, LinkClosed, ProtocolError, TimeoutError):
            time.sleep(RECONNECT_SECONDS)
            continue
        if begin.epoch < epoch:
            link.close()
            _error(f"refusing to follow {args.primary}: its epoch {begin.epoch} is below {epoch}")
            return None
        print(f"  reconnected to the primary at {args.primary}", flush=True)
        return receiver_for((link, begin))
    return None
