"""What ``sequex run`` and ``sequex standby`` print about the host: the banner's lines (the
settings, where the reporter writes, what is served where, what recovery cut and checked, the
shared memory swept) and the stop's (the live state's hash, the feed's and the reporter's
positions); and the wait for a listener to open before the banner says it is served.

Printing only: each function reads what the host or its files already hold. ``sequex run``'s
docstring (``tools.run_cli``) says what each line means to an operator.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = [
    "LISTEN_SECONDS",
    "print_feed",
    "print_journal_check",
    "print_live_state",
    "print_reporter",
    "print_swept",
    "reporter_line",
    "served_lines",
    "settings_line",
    "start_scrub",
    "wait_listening",
]


def served_lines(config: Any, feed: Any) -> list[tuple[str, str]]:
    """(endpoint, banner line) of each listener: the gateway's JSON lines always (with its
    named sessions), FIX and OUCH when sessions of theirs are configured (else nothing listens
    there); the market-data feed when it runs (its snapshot port is the one waited for); the
    views' HTTP."""
    json_endpoint = config.endpoints["json"]
    named = [s.name for f in config.firms for s in f.sessions if s.protocol == "json"]
    line = f"JSON lines on {json_endpoint}: firms' orders and `sequex admin`"
    served = [(json_endpoint, line + (f", sessions {', '.join(named)}" if named else ""))]
    for protocol, key, name, extra in (
        ("fix", "fix", "FIX 4.4", f"TargetCompID {config.endpoints['fix_target_comp_id']}, "),
        ("ouch", "ouch", "OUCH 4.2 over SoupBinTCP 3.0", ""),
    ):
        names = [s.name for f in config.firms for s in f.sessions if s.protocol == protocol]
        if names:
            endpoint = config.endpoints[key]
            line = f"{name} on {endpoint}: {extra}sessions {', '.join(names)}"
            served.append((endpoint, line))
    if feed is not None:
        lines = feed.describe()
        snapshot = config.endpoints["glimpse"]
        served += [(snapshot, lines[0]), (snapshot, lines[1]), (snapshot, lines[2])]
    http = config.endpoints["http"]
    served.append((http, f"HTTP views and the web page on http://{http}/ (docs/views.md)"))
    if config.replication.enabled:
        where, mode = config.endpoints["replication"], config.replication.mode
        served.append((where, f"its standby on {where}: {mode} replication (docs/replication.md)"))
    return served


def settings_line(spec: Any, data_dir: str) -> str:
    """The host's settings in one line (the banner's other lines say what happened)."""
    layout = "fused core" if spec.fused else f"sharded, {spec.shards} matcher shard(s)"
    snapshots = f"every {spec.snapshot_every} commands" if spec.snapshot_every else "never"
    return (
        f"settings: {layout}, W={spec.feedback_window}, rules {spec.rules}, data in {data_dir}, "
        f"shm prefix {spec.prefix}, journal sync {spec.journal_sync}, snapshots {snapshots}"
    )


def reporter_line(spec: Any, data_dir: str) -> str:
    """Where the reporter writes (never the DSN itself: it may hold a password)."""
    from engine.reporter.writer import sqlite_path

    if spec.reporter.dsn:
        where = f"PostgreSQL, schema {spec.reporter.schema}"
    else:
        where = f"SQLite {sqlite_path(data_dir)}"
    return f"  reporter: {where} (its lag: `sequex report status`)"


def print_reporter(data_dir: str) -> None:
    """The reporter's position and lag as its stage left them at the stop."""
    from engine.reporter.status import read_status

    status = read_status(data_dir)
    if status is None:
        print("sequex run: warning: the reporter left no status", file=sys.stderr)
        return
    print(
        f"reporter: through seq {status.position} of durable seq {status.durable_seq}, "
        f"lag {status.lag}",
        flush=True,
    )


def print_swept(swept: list[str]) -> None:
    if swept:
        shown = ", ".join(swept[:4]) + (f" and {len(swept) - 4} more" if len(swept) > 4 else "")
        print(f"  swept {len(swept)} shared-memory names left by crashed hosts: {shown}")


def print_journal_check(start: Any) -> None:
    """What recovery cut (kept in quarantine) and which seqs the start checked by checksum."""
    from engine.journal_format import journal_dir
    from journal import read_checkpoint

    for name, reason in start.skipped_snapshots:
        print(f"sequex run: warning: skipped snapshot {name}: {reason}", file=sys.stderr)
    recovery = start.recovery
    if recovery is not None and not recovery.clean:
        print(f"  recovery: {recovery.describe()}")
    # as the writer left it on opening (the recovered end), not as recovery first found it
    checkpoint = read_checkpoint(journal_dir(start.spec.data_dir))
    if checkpoint is not None:
        print(f"  durable checkpoint: {checkpoint.describe()}")
    if start.verified_from_seq is not None:
        print(
            f"  verified by checksum at start: seqs {start.verified_from_seq}.."
            f"{start.spec.base_seq}"
        )


def start_scrub(spec: Any, start: Any) -> Any:
    """A background scrub of the journal segments the start did not read (None: none)."""
    from engine.journal_format import journal_dir
    from journal.scan import list_segments
    from tools.journal_scrub import BackgroundScrub

    before = start.verified_from_seq
    directory = journal_dir(spec.data_dir)
    if before is None or not directory.is_dir():
        return None
    older = [seq for seq, _ in list_segments(directory) if seq < before]
    if not older:
        return None
    print(
        f"  journal scrub: checking the {len(older)} older segment(s) (seqs below {before}) "
        "in the background"
    )

    def report(line: str, alert: bool) -> None:
        if alert:
            print(f"sequex run: ALERT: {line}", file=sys.stderr, flush=True)
        else:
            print(f"  {line}", flush=True)

    return BackgroundScrub(directory, before, report).start()


#: How long a starting host's listeners may take to open. Long: a process that dies is
#: noticed at once (the supervisor's failure), and on a loaded 2-core machine the stages'
#: start (an interpreter and its imports each) took more than 20 s.
LISTEN_SECONDS = 120.0


def wait_listening(endpoint: str, supervisor: Any, timeout: float) -> bool:
    """Wait until ``endpoint`` accepts connections; False if its process died or it never
    listened."""
    import socket
    import time

    from engine.gateway.server import parse_endpoint

    host, port = parse_endpoint(endpoint)  # validated with the config: the gateway serves it
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and supervisor.failure is None:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    if supervisor.failure is None:
        print(f"sequex run: nothing listens on {endpoint}", file=sys.stderr)
    return False


def print_live_state(supervisor: Any) -> None:
    from engine.stages.state_parts import StateMismatch, state_hash

    try:
        last_seq, state = supervisor.live_state()
    except (OSError, StateMismatch) as exc:
        print(f"sequex run: no live state at the stop: {exc}", file=sys.stderr)
        return
    print(f"live_state_hash {state_hash(state):016x}")
    print(f"last_seq {last_seq}", flush=True)


def print_feed(data_dir: str) -> None:
    """Where the feed stands at the stop (what the next start continues from)."""
    from engine.mdfeed.feed_state import load_state

    try:
        state = load_state(data_dir)
    except ValueError as exc:
        state = None
        print(f"sequex run: warning: {exc}", file=sys.stderr)
    if state is not None:
        print(
            f"market data: session {state.session}, through seq {state.through_seq}, "
            f"next message {state.next_sequence}",
            flush=True,
        )
