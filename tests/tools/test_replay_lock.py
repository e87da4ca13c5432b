"""`sequex replay --snapshot` and a live host: refused (exit 4) while the journal writer's lock
is held by another process, the live writer undisturbed; it holds that lock itself while it
writes; plain `sequex replay` still reads a live journal."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import engine.rebuild
from engine.journal_format import encode_user_header, journal_dir, snapshot_dir
from journal import JournalError, JournalWriter, SnapshotStore
from tests.engine.test_replay_equivalence import generate_commands, write_journal
from tools.cli import main
from tools.replay_cli import EXIT_IN_USE

ROOT = Path(__file__).resolve().parents[2]
WINDOW = 16
COMMANDS = generate_commands(600, seed=13)

#: A stand-in for a live host: holds the journal open for writing until told to stop, then
#: shows it could still use it.
HOLDER = """
import sys
from engine.journal_format import encode_user_header
from journal import JournalWriter
with JournalWriter(sys.argv[1], user_header=encode_user_header(int(sys.argv[2]))) as writer:
    print("locked", flush=True)
    sys.stdin.readline()
    print("last_seq", writer.last_seq, flush=True)
"""


@pytest.fixture
def live_host(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    write_journal(tmp_path, COMMANDS, WINDOW)
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(journal_dir(tmp_path)), str(WINDOW)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "locked"
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)


def test_snapshot_of_a_journal_a_live_host_writes_is_refused_with_exit_4(
    tmp_path: Path, live_host: subprocess.Popen[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", str(tmp_path), "--snapshot"]) == EXIT_IN_USE == 4
    out = capsys.readouterr()
    assert "refusing to write a snapshot" in out.err and "in use" in out.err
    assert "Traceback" not in out.err and out.out == ""  # nothing replayed either
    assert not snapshot_dir(tmp_path).exists() or SnapshotStore(snapshot_dir(tmp_path)).seqs() == []
    # read-only replay is fine next to a live host
    assert main(["replay", str(tmp_path)]) == 0
    assert f"last_seq {len(COMMANDS)}" in capsys.readouterr().out
    # and the live writer was not disturbed
    out_text, err_text = live_host.communicate("stop\n", timeout=30)
    assert live_host.returncode == 0, err_text
    assert out_text.split() == ["last_seq", str(len(COMMANDS))]


def test_snapshot_holds_the_writer_lock_while_it_writes_and_releases_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_journal(tmp_path, COMMANDS, WINDOW)
    original = engine.rebuild.take_snapshot
    tried: list[str] = []

    def take_snapshot_while_a_host_starts(*args: object, **kwargs: object) -> Path:
        # a host starting now opens its journal writer: refused, not racing this snapshot
        with pytest.raises(JournalError, match="in use by another writer"):
            JournalWriter(journal_dir(tmp_path), user_header=encode_user_header(WINDOW))
        tried.append("refused")
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine.rebuild, "take_snapshot", take_snapshot_while_a_host_starts)
    assert main(["replay", str(tmp_path), "--snapshot"]) == 0
    assert tried == ["refused"]
    assert "snapshot_written" in capsys.readouterr().out
    assert SnapshotStore(snapshot_dir(tmp_path)).seqs() == [len(COMMANDS)]
    JournalWriter(journal_dir(tmp_path), user_header=encode_user_header(WINDOW)).close()


def test_snapshot_without_a_journal_is_still_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", str(tmp_path), "--snapshot"]) == 2
    assert "no journal" in capsys.readouterr().err
