"""`sequex journal repair` and `verify` against the durable checkpoint: the explicit, logged
operator action for what recovery refuses, which keeps everything it cuts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from journal import (
    DurableDataMissing,
    JournalReader,
    JournalWriter,
    SyncPolicy,
    read_checkpoint,
)
from tools.cli import main

RECORDS = [(seq % 3, seq, bytes(range(seq))) for seq in range(1, 21)]


@pytest.fixture
def journal_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "journal"
    with JournalWriter(directory, policy=SyncPolicy.never(), segment_bytes=400) as writer:
        writer.append_many(RECORDS)
    return directory


def _segments(directory: Path) -> list[Path]:
    return sorted(directory.glob("journal-*.log"))


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def _seqs(directory: Path) -> list[int]:
    return [seq for _t, seq, _p in JournalReader(directory).records()]


def test_a_clean_journal_needs_no_repair(
    journal_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["journal", "repair", str(journal_dir), "--apply"]) == 0
    assert capsys.readouterr().out.startswith("nothing to repair")
    assert not (journal_dir / "repair.log").exists()


def test_a_journal_cut_short_is_reported_by_verify_and_repaired_only_accepting_the_loss(
    journal_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    last = _segments(journal_dir)[-1]
    last.unlink()  # the newest segment lost: durable seqs with it
    with pytest.raises(DurableDataMissing):
        JournalWriter(journal_dir, policy=SyncPolicy.never())
    assert main(["journal", "verify", str(journal_dir)]) == 1
    out = capsys.readouterr().out
    assert "DURABLE DATA MISSING" in out and "seqs " in out
    before = _files(journal_dir)
    assert main(["journal", "repair", str(journal_dir)]) == 1  # the plan only
    out = capsys.readouterr().out
    assert "plan: LOSES durable" in out and "nothing changed" in out
    assert main(["journal", "repair", str(journal_dir), "--apply"]) == 1
    assert "--accept-loss" in capsys.readouterr().err
    assert _files(journal_dir) == before  # refused: nothing changed
    args = ["journal", "repair", str(journal_dir), "--apply", "--accept-loss"]
    assert main([*args, "--reason", "segment lost with the disk"]) == 0
    kept = _seqs(journal_dir)
    checkpoint = read_checkpoint(journal_dir)
    assert checkpoint is not None and checkpoint.seq == kept[-1] < 20
    log = (journal_dir / "repair.log").read_text()
    assert "segment lost with the disk" in log and f"durable seqs {kept[-1] + 1}..20" in log
    with JournalWriter(journal_dir, policy=SyncPolicy.never()) as writer:  # starts again
        assert writer.last_seq == kept[-1]
    assert main(["journal", "verify", str(journal_dir)]) == 0


def test_mid_log_corruption_is_cut_there_and_everything_after_it_kept_in_quarantine(
    journal_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _segments(journal_dir)[0]
    data = bytearray(first.read_bytes())
    data[200] ^= 0x10
    first.write_bytes(bytes(data))
    later = {p.name: p.read_bytes() for p in _segments(journal_dir)[1:]}
    assert main(["journal", "verify", str(journal_dir)]) == 1
    assert "DAMAGED: mid-log corruption" in capsys.readouterr().out
    assert main(["journal", "repair", str(journal_dir), "--apply"]) == 1  # loses durable seqs
    assert main(["journal", "repair", str(journal_dir), "--apply", "--accept-loss"]) == 0
    out = capsys.readouterr().out
    assert "done: cut journal-" in out
    quarantine = {p.name: p.read_bytes() for p in journal_dir.glob("*.quarantine")}
    for name, content in later.items():  # every later segment kept, byte for byte
        assert quarantine[f"{name}.quarantine"] == content
    cut = [content for name, content in quarantine.items() if ".cut-at-" in name]
    assert len(cut) == 1 and bytes(data).endswith(cut[0])
    kept = _seqs(journal_dir)
    assert kept == list(range(1, kept[-1] + 1)) and kept[-1] < 20
    assert main(["journal", "verify", str(journal_dir)]) == 0


def test_a_missing_checkpoint_on_a_clean_journal_is_recorded_without_loss(
    journal_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (journal_dir / "durable.ckpt").unlink()
    assert main(["journal", "verify", str(journal_dir)]) == 1
    assert "UNCHECKED END" in capsys.readouterr().out
    assert main(["journal", "repair", str(journal_dir), "--apply"]) == 0
    checkpoint = read_checkpoint(journal_dir)
    assert checkpoint is not None and checkpoint.seq == 20
    assert _seqs(journal_dir) == list(range(1, 21))


def test_repair_is_refused_beside_a_live_writer(
    journal_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with JournalWriter(journal_dir, policy=SyncPolicy.never()):
        assert main(["journal", "repair", str(journal_dir), "--apply"]) == 4
    assert "in use" in capsys.readouterr().err


def test_a_gap_in_a_host_journal_is_damage_to_verify_and_repair_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.engine.test_replay_equivalence import generate_commands, write_journal

    write_journal(tmp_path, generate_commands(1_500, seed=3), 16)
    directory = tmp_path / "journal"
    segments = _segments(directory)
    assert len(segments) >= 3
    segments[1].unlink()  # a middle segment: no record is out of order, seqs just jump
    missing = f"seqs {segments[1].name[8:28].lstrip('0')}..{int(segments[2].name[8:28]) - 1}"
    assert main(["journal", "verify", str(directory)]) == 1
    out = capsys.readouterr().out
    assert "DAMAGED" in out and missing in out and segments[2].name in out
    assert main(["journal", "verify", str(directory), "--contiguous-from", "0"]) == 1
    capsys.readouterr()
    assert main(["journal", "repair", str(directory), "--apply"]) == 1  # loses durable seqs
    assert "--accept-loss" in capsys.readouterr().err
    assert main(["journal", "repair", str(directory), "--apply", "--accept-loss"]) == 0
    assert f"moved {segments[2].name} to" in capsys.readouterr().out
    assert _seqs(directory) == list(range(1, int(segments[1].name[8:28])))  # up to the gap
    assert len(_segments(directory)) == 1
    assert main(["journal", "verify", str(directory)]) == 0


@pytest.fixture
def host_dir(tmp_path: Path) -> Path:
    from tools.damage_drill import build_sample

    return build_sample(tmp_path / "host", 3000)  # snapshots a quarter, half, 3/4 of the way


def _start(data_dir: Path) -> Any:
    from engine.start_point import prepare_start
    from engine.topology import TopologySpec

    spec = TopologySpec(prefix="sequex-t-", data_dir=str(data_dir), feedback_window=16)
    return prepare_start(spec)


def test_a_repair_that_keeps_no_record_never_leaves_snapshots_for_a_new_journal(
    host_dir: Path,
) -> None:
    from engine.command_batches import RecoveryError
    from journal.repair import apply_repair, plan_repair

    directory = host_dir / "journal"
    first = _segments(directory)[0]
    with open(first, "r+b") as f:  # the first segment's header: nothing before it to keep
        f.seek(3)
        f.write(b"\xff")
    apply_repair(plan_repair(directory, contiguous_from=1), accept_loss=True)
    assert _segments(directory) == []
    assert "accepted the loss of durable seqs 1.." in (directory / "repair.log").read_text()
    with pytest.raises(RecoveryError, match="holds snapshots"):
        _start(host_dir)  # not a fresh journal under the old journal's snapshots


def test_the_command_moves_snapshots_past_the_new_end_to_quarantine(
    host_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = host_dir / "journal"
    segment = _segments(directory)[5]  # seqs about 1070..1284: between the first two snapshots
    with open(segment, "r+b") as f:
        f.seek(segment.stat().st_size // 2)
        byte = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([byte[0] ^ 1]))
    snapshots = sorted((host_dir / "snapshots").iterdir())
    seqs = [int(p.name[9:29]) for p in snapshots]
    args = ["journal", "repair", str(directory), "--apply", "--accept-loss"]
    assert main(args) == 0
    out = capsys.readouterr().out
    kept = _seqs(directory)[-1]
    assert seqs[0] < kept < seqs[1]
    assert f"{snapshots[1].name} to" in out and f"{snapshots[2].name} to" in out
    assert sorted(p.name for p in (host_dir / "snapshots").iterdir()) == [
        snapshots[0].name,
        snapshots[1].name + ".quarantine",
        snapshots[2].name + ".quarantine",
    ]
    start = _start(host_dir)  # from the snapshot that is left, to the end that is left
    assert (start.snapshot_seq, start.spec.base_seq) == (seqs[0], kept)
