"""Where a host starts: a fresh data directory, or the restart point of its journal.

`prepare_start(spec)` is called before any ring or stage exists. On a data directory without a
journal it returns a fresh start at seq 0 (refused if snapshots are left there: they belong to an
earlier journal, and a new one would be replayed on top of them; refused too if the journal's
durable checkpoint says records were made durable: its segments were lost). Otherwise it decides
everything before it changes anything, so a refused start leaves the data directory as it was:

1. it refuses a configured feedback window that differs from the journal's (W decides
   outcomes), and runs the rules version the journal was started under (``engine.domain.rules``:
   a journal written before rules versions existed keeps rules 1, so it replays and goes on as
   it always did; a fresh journal gets the current rules);
2. it plans the journal's recovery (``journal.integrity.plan_recovery``, read-only): a journal
   that ends before its durable checkpoint (acknowledged data missing), has no checkpoint, or is
   corrupt is refused, naming the segment, the offset and the missing seqs;
3. it rebuilds the exchange from the newest valid snapshot plus the journal's valid records
   (read-only), and checks the setup (below);
4. only then it opens the journal writer, which carries the recovery out (a torn tail past the
   checkpoint is copied to a quarantine file, then cut; what a dead writer left in the page
   cache is synced; a first segment torn in its header is started again).

It returns the spec with ``base_seq`` = the last journaled seq, the state bytes each stage
restores its part from (``engine.stage_factories.stage_factory``), what recovery did, and which seqs
were checked by checksum on the way (the start-up banner says so; older segments are left to a
scrub, ``sequex journal verify --before-seq``).

The configured setup (``setup``: ``engine.config.setup_commands``, injected through ring[in]
before the gateway starts) is resumed, never repeated: ``StartPoint.setup`` holds the setup
commands still to inject (see :func:`pending_setup`). A host that died part-way through its
setup left a journal holding a strict prefix of it; that prefix must be exactly what the
configuration says (record for record, byte for byte) or the start is refused
(:class:`SetupMismatchError`: the configuration was edited since), since injecting the rest of
another setup would build a state no configuration describes.

Once a start has applied its setup, the host marks it complete (:func:`mark_setup_complete`:
a ``setup.complete`` file in the data directory, written atomically). With the mark, the setup
is never resumed or checked again, so growing the configured setup later (a new symbol or
firm) neither injects into nor refuses a journal whose setup is done: the count of journaled
commands alone cannot tell a finished short setup from an interrupted long one. A fresh
journal removes a mark left by an earlier one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NoReturn

from engine.domain.rules import RULES_V2
from engine.domain.types import Command, OpenAccount
from engine.journal_format import (
    RECORD_COMMAND,
    JournalHeader,
    encode_user_header,
    journal_dir,
    snapshot_dir,
)
from engine.rebuild import NoJournalError, RecoveryError, read_header, read_window, rebuild
from engine.records import RECORD_SIZE, CommandDecoder
from engine.stages.injector import encode_records
from engine.topology import TopologySpec, sync_policy
from journal import JournalReader, JournalWriter, RecoveryReport, SnapshotStore, read_checkpoint
from journal.durable_files import replace_durably
from journal.integrity import plan_recovery
from journal.scan import list_segments

#: Bytes 16..24 of a command record: ts (``engine.records``). The gateway stamps every command
#: it sequences with its receive time (> 0); the setup is injected with ts 0.
_TS = slice(16, 24)
#: In the data directory: the configured setup was applied in full (see the module docstring).
SETUP_COMPLETE = "setup.complete"


class WindowMismatchError(RecoveryError):
    """The configured feedback window differs from the one the journal was written with."""


class SetupMismatchError(RecoveryError):
    """The journal holds part of a setup that is not the configured one."""


@dataclass(frozen=True)
class StartPoint:
    """Where a host starts: ``spec`` (with ``base_seq``) and the recovered ``state``
    (``Exchange.snapshot()`` bytes; None on a fresh data directory). ``state_hash`` is the
    rebuilt exchange's ``state_hash()`` (what ``sequex replay DATA_DIR`` prints), ``snapshot_seq``
    the snapshot the rebuild started from and ``replayed`` the journaled commands after it.
    ``setup`` is what is left of the setup given to :func:`prepare_start` (seq_nos from
    ``base_seq + 1``): inject it before anything else. ``recovery`` and
    ``verified_from_seq``: see the fields."""

    spec: TopologySpec
    state: bytes | None
    state_hash: int | None = None
    snapshot_seq: int | None = None
    replayed: int = 0
    setup: tuple[Command, ...] = ()
    #: what recovering the journal did (None on a fresh data directory)
    recovery: RecoveryReport | None = None
    #: the first seq checked by checksum at start (the oldest segment read); older segments
    #: are unchecked until a scrub (None: nothing was read)
    verified_from_seq: int | None = None
    #: snapshots that failed to load (name, reason): the rebuild used an older one
    skipped_snapshots: tuple[tuple[str, str], ...] = ()


def prepare_start(spec: TopologySpec, setup: Sequence[Command] = ()) -> StartPoint:
    """A fresh start, or the restart point of the journal in ``spec.data_dir`` (see the module
    docstring); ``setup`` is the configured setup (seq_nos 1..n, ts 0). WindowMismatchError when
    the configured feedback window differs from the journal's, SetupMismatchError when the
    journal holds a strict prefix of a setup other than ``setup``; the errors of
    ``engine.rebuild.rebuild`` (damage, gaps, mismatched snapshots) pass through."""
    directory = journal_dir(spec.data_dir)
    if not directory.is_dir() or not list_segments(directory):
        _refuse_orphan_snapshots(spec.data_dir)
        _refuse_lost_segments(directory)
        # a mark left by an earlier journal would stop this one's setup from being resumed
        Path(spec.data_dir, SETUP_COMPLETE).unlink(missing_ok=True)
        return StartPoint(replace(spec, base_seq=0), None, setup=tuple(setup))
    try:
        found: JournalHeader | None = read_header(spec.data_dir)
    except NoJournalError:
        # e.g. a crash while the very first segment was created left it without its header:
        # recovery below drops that segment and starts the journal again with our header.
        found = None
    if found is not None:
        if found.feedback_window != spec.feedback_window:
            _refuse_window(spec, found.feedback_window)  # before any change or long replay
        spec = replace(spec, rules=found.rules)
        setup = setup_under_rules(setup, found.rules)
    plan = plan_recovery(directory)  # read-only: refuses lost durable data or corruption
    header = encode_user_header(spec.feedback_window, spec.rules)
    if plan.tail is None:
        # nothing valid is kept (a first segment torn in its header): a fresh start, once the
        # writer has quarantined what is there; snapshots left would belong to the old journal
        _refuse_orphan_snapshots(spec.data_dir)
        _open_writer(spec, header)
        Path(spec.data_dir, SETUP_COMPLETE).unlink(missing_ok=True)
        return StartPoint(replace(spec, base_seq=0), None, setup=tuple(setup), recovery=plan)
    if plan.tail.user_header != header:
        window = read_window(spec.data_dir)  # a host header? then its W differs; else foreign
        if window != spec.feedback_window:
            _refuse_window(spec, window)
    # Rebuild from the journal as it is, through what recovery keeps (never reading on into
    # damage past the checkpoint that recovery will cut).
    rebuilt = rebuild(spec.data_dir, digest=False, through_seq=plan.last_seq)
    if rebuilt.last_seq != (plan.last_seq or 0) and rebuilt.commands:
        raise RecoveryError(
            f"{directory}: recovery keeps records through seq {plan.last_seq} but the replay "
            f"reached seq {rebuilt.last_seq}"
        )
    remaining = tuple(pending_setup(spec.data_dir, rebuilt.last_seq, setup))
    recovery = _open_writer(spec, header)  # the first change to the data directory
    return StartPoint(
        replace(spec, base_seq=rebuilt.last_seq),
        rebuilt.exchange.snapshot(),
        rebuilt.exchange.state_hash(),
        rebuilt.snapshot_seq,
        rebuilt.commands,
        remaining,
        recovery,
        rebuilt.verified_from_seq,
        rebuilt.skipped_snapshots,
    )


def setup_under_rules(setup: Sequence[Command], rules: int) -> list[Command]:
    """The configured setup (written for the current rules) as a journal of ``rules`` runs it:
    rules 1 knows no OpenAccount (its accounts are created by their first deposit), so those
    commands are left out and the rest renumbered from the setup's first seq_no."""
    if rules >= RULES_V2:
        return list(setup)
    kept = [cmd for cmd in setup if type(cmd) is not OpenAccount]
    first = setup[0].seq_no if setup else 1
    return [cmd._replace(seq_no=first + index) for index, cmd in enumerate(kept)]


def _open_writer(spec: TopologySpec, header: bytes) -> RecoveryReport:
    """Recover the journal for real (quarantine, cut, sync what a dead writer left in the page
    cache), so that the journaler sees exactly the records the rebuild replayed."""
    writer = JournalWriter(journal_dir(spec.data_dir), policy=sync_policy(spec), user_header=header)
    writer.close()
    return writer.recovery


def _refuse_lost_segments(directory: Path) -> None:
    """A journal directory without segments whose checkpoint says records were made durable
    lost them all: starting afresh would reuse their seqs for other commands."""
    checkpoint = read_checkpoint(directory) if directory.is_dir() else None
    if checkpoint is not None and checkpoint.has_records:
        raise RecoveryError(
            f"{directory} holds no journal segment, but its durable checkpoint says seqs "
            f"through {checkpoint.seq} were made durable (ending at byte "
            f"{checkpoint.end_offset} of {checkpoint.segment}): the journal was lost; restore "
            "it (or move the data directory away to start a new exchange)"
        )


def pending_setup(data_dir: str, base_seq: int, setup: Sequence[Command]) -> list[Command]:
    """The commands of ``setup`` still to inject into the journal of ``data_dir``, which holds
    seqs 1..``base_seq``.

    * ``base_seq`` 0: all of it (nothing was journaled yet);
    * the data directory is marked :data:`SETUP_COMPLETE`, or ``base_seq`` >= len(setup):
      none (the setup was completed; a setup edited since is not re-checked: it is never
      applied to a running journal);
    * else the journal may hold only setup commands (the gateway starts once the setup has
      drained), so it must equal ``setup[:base_seq]`` byte for byte (seq_no i at seq i, ts 0)
      and ``setup[base_seq:]`` is returned. One exception: a command stamped by the gateway
      (ts != 0) proves an earlier, shorter setup was completed and trading began; then none,
      as when ``base_seq`` >= len(setup). Any other difference is a SetupMismatchError.
    """
    if base_seq == 0:
        return list(setup)
    if base_seq >= len(setup) or Path(data_dir, SETUP_COMPLETE).exists():
        return []
    journaled = _journaled_records(data_dir, base_seq)
    if any(bytes(record[_TS]) != bytes(8) for record in journaled):
        return []  # trading began after an earlier setup: not a setup cut short
    expected = encode_records(setup[:base_seq])
    for index, record in enumerate(journaled):
        if bytes(record) != expected[index].tobytes():
            decode = CommandDecoder().decode_many
            got = decode(memoryview(bytes(record)))[0]
            want = decode(memoryview(expected[index].tobytes()))[0]
            raise SetupMismatchError(
                f"{data_dir}: a first run stopped after journaling {base_seq} of the "
                f"{len(setup)} setup commands, but they differ from the configured setup: "
                f"seq {index + 1} is {got} in the journal, {want} in the configuration; "
                "restore the configuration the journal was started with (or start a new "
                "data directory)"
            )
    return list(setup[base_seq:])


def mark_setup_complete(data_dir: str) -> None:
    """Record that the configured setup is journaled and applied in full (call once it has
    drained: it is then durable). Atomic (temporary file, fsync, rename, directory fsync), so
    a crash leaves either no mark, and the next start checks the journaled setup again, or a
    whole one. Idempotent."""
    final = Path(data_dir, SETUP_COMPLETE)
    if final.exists():
        return
    replace_durably(final, b"the configured setup was journaled and applied in full\n")


def _journaled_records(data_dir: str, last_seq: int) -> list[memoryview]:
    """The command records of seqs 1..``last_seq`` (a few: a part of the setup)."""
    records: list[memoryview] = []
    for rtype, seq, payload in JournalReader(journal_dir(data_dir)).records(1):
        if seq > last_seq:
            break
        if seq != len(records) + 1 or rtype != RECORD_COMMAND or len(payload) != RECORD_SIZE:
            raise SetupMismatchError(
                f"{data_dir}: cannot check the journaled part of the setup: journal record "
                f"seq {seq} (type {rtype}) is not command {len(records) + 1} of the setup"
            )
        records.append(payload)
    if len(records) != last_seq:
        raise SetupMismatchError(
            f"{data_dir}: cannot check the journaled part of the setup: the journal holds "
            f"{len(records)} of its first {last_seq} commands"
        )
    return records


def _refuse_orphan_snapshots(data_dir: str) -> None:
    """Snapshots without a journal belong to an earlier journal's life: a new journal reusing
    their seqs would be replayed on top of them (a silently wrong state), so refuse to start."""
    directory = snapshot_dir(data_dir)
    if directory.is_dir() and SnapshotStore(directory).seqs():
        raise RecoveryError(
            f"{directory} holds snapshots but {journal_dir(data_dir)} holds no journal: they "
            "belong to an earlier journal and would be replayed against a new one; restore "
            "the journal or move the snapshots away"
        )


def _refuse_window(spec: TopologySpec, window: int) -> NoReturn:
    raise WindowMismatchError(
        f"{spec.data_dir}: the journal was written with feedback_window {window} but the "
        f"configuration says {spec.feedback_window}; W decides outcomes, so it cannot "
        "change over a journal's life"
    )
