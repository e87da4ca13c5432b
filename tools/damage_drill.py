"""The damage drill: damage copies of a data directory every way storage fails, start each.

Contract. :func:`run_drill` takes a data directory (or builds a sample one: a host journal of a
standard workload in small segments, with snapshots), and for each case copies it, damages the
copy one way (``tools.damage_kinds``) and runs the host's start-up decision on it in process
(``engine.start_point.prepare_start``: the same code ``sequex run`` runs before any ring
exists). Each case ends in one outcome:

* ``refused``: the start was refused with an error, and the files are byte for byte unchanged;
* ``cut``: a tail past the durable checkpoint was cut, kept in a quarantine file, and reported;
* ``scrub-alert``: the start succeeded and the background scrub of the segments it did not read
  (``journal.verify(before_seq=..., contiguous_from=1)``, what ``sequex run`` starts) finds it;
* ``snapshot-skipped``: a damaged snapshot was skipped and the state rebuilt from the journal;
* ``harmless``: nothing the exchange relies on changed (an index hint, the older checkpoint
  slot): the start succeeded with the full state and the journal verifies.

A case FAILS when a started host would have lost an acknowledged seq (its journal ends before the
seq the damaged directory's checkpoint had made durable), rebuilt a state other than an offline
run of the same commands, changed files while refusing, cut without quarantining, crashed
instead of refusing with an error, left damage that neither the start nor its scrub reports, or
does not start cleanly a second time. The reference states come from one in-process pass over
the undamaged journal's commands. Every decision is by seed: the same seed runs the same cases.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from engine.command_batches import CommandBatchReader, RecoveryError, contiguous
from engine.command_reader import CommandReader
from engine.domain.exchange import Exchange
from engine.journal_format import (
    RECORD_COMMAND,
    encode_commands,
    encode_user_header,
    journal_dir,
    snapshot_dir,
)
from engine.rebuild import read_window, take_snapshot
from engine.records import RECORD_SIZE
from engine.start_point import StartPoint, prepare_start
from engine.topology import TopologySpec
from journal import (
    JournalError,
    JournalReader,
    JournalWriter,
    SyncPolicy,
    VerifyReport,
    lock_directory,
    verify,
)
from tools.damage_kinds import KINDS, Damage
from tools.workload import standard_book_workload

#: The sample journal's segment size: small, so that a few thousand commands fill many segments.
SAMPLE_SEGMENT_BYTES = 32 * 1024
SAMPLE_WINDOW = 16


@dataclass(slots=True)
class Case:
    """One damaged copy and what the start made of it."""

    number: int
    damage: Damage
    outcome: str = ""
    detail: str = ""
    failures: list[str] = field(default_factory=list)
    base_seq: int | None = None
    state_hash: int | None = None


@dataclass(slots=True)
class DrillReport:
    cases: list[Case]
    journal_last_seq: int

    @property
    def failures(self) -> list[Case]:
        return [c for c in self.cases if c.failures]

    def outcomes(self) -> Counter[str]:
        return Counter(c.outcome for c in self.cases)

    def by_kind(self) -> dict[str, Counter[str]]:
        table: dict[str, Counter[str]] = {}
        for case in self.cases:
            table.setdefault(case.damage.kind, Counter())[case.outcome] += 1
        return dict(sorted(table.items()))


def build_sample(directory: Path, commands: int = 4000) -> Path:
    """A host data directory: ``commands`` commands of the standard workload journaled as the
    host journals them (in small segments), with snapshots at a quarter, half and three
    quarters of the way. Returns ``directory``."""
    workload = standard_book_workload(commands)
    stream = workload.setup + workload.commands
    with JournalWriter(
        journal_dir(directory),
        user_header=encode_user_header(SAMPLE_WINDOW),
        policy=SyncPolicy.never(),  # a drill's scratch copy: durability is not what it tests
        segment_bytes=SAMPLE_SEGMENT_BYTES,
    ) as writer:
        for lo in range(0, len(stream), 500):
            batch = stream[lo : lo + 500]
            writer.append_fixed(
                RECORD_COMMAND, batch[0].seq_no, encode_commands(batch), RECORD_SIZE
            )
            writer.commit()
    exchange = Exchange(SAMPLE_WINDOW)
    marks = {len(stream) * k // 4 for k in (1, 2, 3)}
    for command in stream:
        exchange.submit(command)
        if command.seq_no in marks:
            take_snapshot(exchange, command.seq_no, directory)
    return directory


def run_drill(
    data_dir: Path,
    *,
    cases: int,
    seed: int,
    kinds: list[str] | None = None,
    keep: Path | None = None,
) -> DrillReport:
    """Run ``cases`` damage cases over copies of ``data_dir`` (which must verify clean and not
    be in use by a host); failing cases are copied to ``keep`` (when given) for a post-mortem."""
    window = read_window(data_dir)
    # Held throughout: a host writing the source would make every copy a different journal.
    lock = lock_directory(journal_dir(data_dir))
    try:
        _check_source(data_dir)
        return _run_cases(data_dir, window, cases, seed, kinds, keep)
    finally:
        os.close(lock)


def _run_cases(
    data_dir: Path, window: int, cases: int, seed: int, kinds: list[str] | None, keep: Path | None
) -> DrillReport:
    names = kinds or list(KINDS)
    rng = random.Random(seed)
    done: list[Case] = []
    with tempfile.TemporaryDirectory(prefix="sequex-drill-") as scratch:
        attempts = 0
        while len(done) < cases and attempts < cases * 4:
            kind = names[attempts % len(names)]
            attempts += 1
            copy = Path(scratch, f"case-{len(done) + 1:05d}")
            shutil.copytree(data_dir, copy)
            damage = KINDS[kind](journal_dir(copy), snapshot_dir(copy), rng)
            if damage is not None:
                case = Case(len(done) + 1, damage)
                _start(case, copy, window)
                done.append(case)
                if case.failures and keep is not None:
                    shutil.copytree(copy, keep / copy.name, dirs_exist_ok=True)
            shutil.rmtree(copy)
    _check_states(done, data_dir, window)
    last = max((seq for _t, seq, _p in JournalReader(journal_dir(data_dir))), default=0)
    return DrillReport(done, last)


def _check_source(data_dir: Path) -> None:
    """The source must be a whole host journal from seq 1: the drill judges against it."""
    directory = journal_dir(data_dir)
    report = verify(directory)
    if not report.ok:
        raise RecoveryError(f"{directory} must verify clean before a drill damages copies of it")
    if report.first_seq not in (None, 1):
        raise RecoveryError(f"{directory} starts at seq {report.first_seq}: the drill needs seq 1")


def _fingerprint(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def _spec(directory: Path, window: int) -> TopologySpec:
    return TopologySpec(
        prefix="sequex-drill-",
        data_dir=str(directory),
        feedback_window=window,
        journal_sync="none",
        journal_segment_bytes=SAMPLE_SEGMENT_BYTES,
    )


def _start(case: Case, copy: Path, window: int) -> None:
    """Start on the damaged copy and judge what happened (states are checked later)."""
    before = _fingerprint(copy)
    try:
        start = prepare_start(_spec(copy, window))
    except (RecoveryError, JournalError) as exc:
        case.outcome, case.detail = "refused", str(exc).splitlines()[0]
        if _fingerprint(copy) != before:
            case.failures.append("the start was refused but files changed on disk")
        return
    except Exception as exc:  # a crash is what the drill reports, not what ends it
        case.outcome = "crashed"
        case.failures.append(f"crashed instead of refusing: {type(exc).__name__}: {exc}")
        return
    case.base_seq, case.state_hash = start.spec.base_seq, start.state_hash
    _judge_start(case, copy, start)
    _restart_is_clean(case, copy, window)


def _judge_start(case: Case, copy: Path, start: StartPoint) -> None:
    directory = journal_dir(copy)
    base = start.spec.base_seq
    if base < case.damage.acked:
        case.failures.append(f"lost acknowledged seqs {base + 1}..{case.damage.acked}")
    recovery = start.recovery
    notes: list[str] = []
    if recovery is not None and not recovery.clean:
        case.outcome = "cut"
        notes.append(recovery.describe())
        for name in recovery.quarantined:
            if not (directory / name).is_file():
                case.failures.append(f"quarantine file {name} is missing")
        if recovery.dropped_bytes and not recovery.quarantined:
            case.failures.append("a tail was cut without a quarantine copy")
    scrub_found = False
    if start.verified_from_seq is not None and start.verified_from_seq > 1:
        scrub = verify(directory, before_seq=start.verified_from_seq, contiguous_from=1)
        if not scrub.ok:
            scrub_found = True
            notes.append(_problem(scrub))
            case.outcome = case.outcome or "scrub-alert"
    full = verify(directory, contiguous_from=1)
    if not full.ok and not scrub_found:
        case.failures.append(f"started on a journal that verify rejects: {_problem(full)}")
    if start.skipped_snapshots:
        notes.append("skipped " + ", ".join(f"{n} ({why})" for n, why in start.skipped_snapshots))
        case.outcome = case.outcome or "snapshot-skipped"
    case.outcome = case.outcome or "harmless"
    case.detail = "; ".join(notes) or f"started at seq {base}, journal verifies"


def _problem(report: VerifyReport) -> str:
    if report.damage is not None:
        return report.damage.describe()
    if report.durable_missing is not None:
        first, last = report.durable_missing
        return f"durable seqs {first}..{last} missing"
    return report.checkpoint_problem or "not ok"


def _restart_is_clean(case: Case, copy: Path, window: int) -> None:
    """A second start on what the first one left: nothing more to cut, the same state."""
    try:
        again = prepare_start(_spec(copy, window))
    except (RecoveryError, JournalError) as exc:
        case.failures.append(f"a second start was refused: {str(exc).splitlines()[0]}")
        return
    if again.recovery is not None and not again.recovery.clean:
        case.failures.append(f"a second start cut again: {again.recovery.describe()}")
    if (again.spec.base_seq, again.state_hash) != (case.base_seq, case.state_hash):
        case.failures.append(
            f"a second start reached seq {again.spec.base_seq}, not {case.base_seq}"
        )


def _check_states(cases: list[Case], data_dir: Path, window: int) -> None:
    """Each started case's state must equal an offline run of the same commands."""
    wanted = {c.base_seq for c in cases if c.base_seq and c.state_hash is not None}
    reference: dict[int, int] = {}
    exchange = Exchange(window)
    decode_many = CommandReader().decode_many
    directory = journal_dir(data_dir)
    for payload, seqs in contiguous(CommandBatchReader(directory).batches(1), 1, directory):
        if not wanted - reference.keys():
            break
        for command, seq in zip(decode_many(payload), seqs, strict=True):
            exchange.submit(command)
            if int(seq) in wanted:
                reference[int(seq)] = exchange.state_hash()
    for case in cases:
        if case.base_seq and case.state_hash is not None:
            expected = reference.get(case.base_seq)
            if expected != case.state_hash:
                case.failures.append(
                    f"state at seq {case.base_seq} is {case.state_hash:016x}, an offline run "
                    f"gives {expected:016x}"
                    if expected is not None
                    else f"seq {case.base_seq} is past the undamaged journal's end"
                )
