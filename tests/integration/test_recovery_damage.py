"""Damaged or short storage never loses acknowledged orders in silence (`sequex run`, `replay`).

A real host takes orders through its gateway and acknowledges them; its data directory is then
damaged the ways a bad disk, a short copy or a hand damage it, and started again:

* cut short (on a record boundary, inside a record, its last segment deleted): the start is
  refused, naming the missing seqs, and the data directory is left exactly as it was;
* a flipped bit in the last, acknowledged record while a snapshot covers the end: refused, and
  the damaged record is still there to look at (``journal verify`` counts the same records);
* a torn partial record past the durable end: cut at start, kept in a quarantine file, and said;
* damage in a segment older than the newest snapshot: the start says which seqs it checked,
  its background scrub raises an alert, and ``sequex replay`` exits 1 naming the damage.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.integration.test_gateway_host import Firm, host_config, order, running_host, sequex

ROOT = Path(__file__).resolve().parents[2]
ORDERS = 60


def _config(tmp_path: Path, *, snapshot_every: int) -> tuple[Path, str]:
    config, endpoint = host_config(tmp_path)
    text = config.read_text()
    text = text.replace("segment_bytes = 268435456", "segment_bytes = 4096")  # ~26 a segment
    text = text.replace("snapshot_every = 1000000", f"snapshot_every = {snapshot_every}")
    config.write_text(text)
    return config, endpoint


def _trade(tmp_path: Path, *, snapshot_every: int) -> tuple[Path, int]:
    """A host that acknowledged ORDERS resting orders, stopped cleanly; (config, last acked
    seq). With ``snapshot_every`` 0 it takes no snapshot at all."""
    config, endpoint = _config(tmp_path, snapshot_every=snapshot_every)
    with running_host(config):
        alpha = Firm(endpoint, "ALPHA", "alpha-pass")
        acked = 0
        for i in range(ORDERS):
            alpha.send(order("ALPHA", "ALPHA-1", "sell", 1, 1_000_000 + 100 * i, "day", f"s{i}"))
            acked = alpha.until("accepted")["order_id"]  # the ack: the order's seq_no
        alpha.close()
    return config, acked


def _journal(tmp_path: Path) -> Path:
    return tmp_path / "var" / "journal"


def _segments(tmp_path: Path) -> list[Path]:
    return sorted(_journal(tmp_path).glob("journal-*.log"))


def _files(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def unsnapshotted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A traded data directory with no snapshot (only the journal knows the orders)."""
    root = tmp_path_factory.mktemp("unsnapshotted")
    _config_path, acked = _trade(root, snapshot_every=0)
    assert not list((root / "var" / "snapshots").glob("*.snap"))
    assert len(_segments(root)) >= 3
    return root, acked


def _copy(source: Path, tmp_path: Path) -> Path:
    shutil.copytree(source / "var", tmp_path / "var")
    config, _ = _config(tmp_path, snapshot_every=0)
    return config


@pytest.mark.parametrize("how", ["record_boundary", "inside_a_record", "last_segment_deleted"])
def test_a_journal_cut_short_refuses_to_start_naming_the_missing_seqs_and_changes_nothing(
    unsnapshotted: tuple[Path, int], tmp_path: Path, how: str
) -> None:
    source, acked = unsnapshotted
    config = _copy(source, tmp_path)
    last = _segments(tmp_path)[-1]
    data = last.read_bytes()
    if how == "record_boundary":
        last.write_bytes(data[: len(data) - 2 * 152])  # the last two records gone
        missing = f"Seqs {acked - 1}..{acked} are missing"
    elif how == "inside_a_record":
        last.write_bytes(data[: len(data) - 152 - 40])
        missing = f"Seqs {acked - 1}..{acked} are missing"
    else:
        last.unlink()
        missing = f"{last.name} is missing"
    before = _files(tmp_path / "var")
    started = sequex("run", "--config", str(config))
    assert started.returncode == 1, started.stdout + started.stderr
    assert "durable data is missing" in started.stderr and missing in started.stderr
    assert "Nothing was changed" in started.stderr
    assert _files(tmp_path / "var") == before  # not a byte changed, nothing quarantined
    verified = sequex("journal", "verify", str(_journal(tmp_path)))
    assert verified.returncode == 1 and "DURABLE DATA MISSING" in verified.stdout
    replayed = sequex("replay", str(tmp_path / "var"))
    assert replayed.returncode == 1 and "durable data is missing" in replayed.stderr


def test_a_flipped_bit_in_the_last_acknowledged_record_is_refused_and_kept(
    tmp_path: Path,
) -> None:
    config, acked = _trade(tmp_path, snapshot_every=25)  # its shutdown snapshot covers the end
    last = _segments(tmp_path)[-1]
    data = bytearray(last.read_bytes())
    data[-100] ^= 0x04  # inside the last record's payload
    last.write_bytes(bytes(data))
    counted = sequex("journal", "stats", str(_journal(tmp_path)))
    before = _files(tmp_path / "var")
    started = sequex("run", "--config", str(config))
    assert started.returncode == 1
    assert f"Seqs {acked}..{acked} are missing" in started.stderr
    assert _files(tmp_path / "var") == before
    assert sequex("journal", "stats", str(_journal(tmp_path))).stdout == counted.stdout


def test_a_torn_partial_record_past_the_durable_end_is_cut_kept_and_reported(
    unsnapshotted: tuple[Path, int], tmp_path: Path
) -> None:
    source, acked = unsnapshotted
    config = _copy(source, tmp_path)
    last = _segments(tmp_path)[-1]
    torn = bytes(range(70))  # a record whose write never completed
    size = last.stat().st_size
    last.write_bytes(last.read_bytes() + torn)
    with running_host(config) as run:
        banner = "".join(run.banner)
    assert "recovery: cut 70 byte(s), 1 record(s) never reported durable" in banner
    assert f"durable checkpoint: seq {acked}" in banner
    kept = _journal(tmp_path) / f"{last.name}.cut-at-{size}.quarantine"
    assert kept.read_bytes() == torn
    assert f"recovered through seq {acked} " in banner


@contextmanager
def _host_with_stderr(config: Path) -> Iterator[tuple[list[str], list[str]]]:
    """``sequex run`` up; (banner lines, stderr lines so far: read by a thread as they come)."""
    host = subprocess.Popen(
        [sys.executable, "-m", "tools.cli", "run", "--config", str(config)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    errors: list[str] = []
    assert host.stdout is not None and host.stderr is not None
    reader = threading.Thread(target=lambda: errors.extend(iter(host.stderr.readline, "")))
    reader.start()
    banner: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = host.stdout.readline()
            assert line, f"host exited early: {errors}"
            banner.append(line)
            if line.startswith("press Ctrl-C"):
                break
        yield banner, errors
    finally:
        host.send_signal(signal.SIGTERM)
        try:
            host.wait(60)
        finally:
            if host.poll() is None:
                host.kill()
            reader.join(10)
            host.stdout.close()
    assert host.returncode == 0, errors


def test_damage_older_than_the_snapshot_is_found_by_the_scrub_and_by_replay(
    tmp_path: Path,
) -> None:
    config, _acked = _trade(tmp_path, snapshot_every=25)
    first = _segments(tmp_path)[0]
    data = bytearray(first.read_bytes())
    data[500] ^= 0x01  # a record the newest snapshot covers: the start does not read it
    first.write_bytes(bytes(data))
    with _host_with_stderr(config) as (banner, errors):
        text = "".join(banner)
        assert "verified by checksum at start: seqs " in text
        assert "journal scrub: checking the " in text
        deadline = time.monotonic() + 60  # generous: the scrub reads a few kilobytes
        while not any("ALERT" in line for line in errors) and time.monotonic() < deadline:
            time.sleep(0.05)
        alerts = [line for line in errors if "ALERT: journal scrub:" in line]
        assert alerts and f"mid-log corruption in {first.name}" in alerts[0], errors
    replayed = sequex("replay", str(tmp_path / "var"))
    assert replayed.returncode == 1
    assert f"journal damage before the snapshot's tail: mid-log corruption in {first.name}" in (
        replayed.stderr
    )
    assert "state_hash" in replayed.stdout  # the state itself is still printed
