"""A primary and its hot standby as real processes on loopback (docs/replication.md).

* The standby journals the primary's records byte for byte and replays them to the same state.
* Sync replication: with the standby away, the primary journals an order but neither acts on it
  nor acknowledges it; the standby back, it catches up from the primary's journal and the
  acknowledgement follows.
* A standby of another feedback window refuses to follow; a standby whose state departs from
  its journal stops loudly at the next snapshot point (exit 3, the seq and both hashes).
* With ``--promote``, a standby whose primary is killed takes over: every acknowledged command
  is in its journal, and it accepts orders from the next seq. Its configuration does not enable
  replication, and still its replicator answers epoch probes (epoch 1, its Fence's) and refuses
  a standby that would follow it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.journal_format import journal_dir, snapshot_dir
from engine.records import RECORD_SIZE, CommandDecoder, encode_command_into
from engine.replication.checks import snapshot_hash
from engine.replication.link import connect
from engine.replication.peer import probe
from journal.layout import CHECKSUM_FIELD, CHECKSUM_OFFSET, FILE_HEADER_SIZE, record_checksum
from journal.replication import Hello, Refuse
from tests.demo_config import ROOT
from tests.integration.replication_pair import (
    TIMEOUT,
    Trader,
    journal_bytes,
    journaled_seqs,
    live_hash,
    make_pair,
    spawn,
    start_primary,
    start_standby,
    stop,
    wait_line,
)


def _wait_for(condition: object, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"not in time: {what}"
        time.sleep(0.05)


@pytest.mark.timeout(300)
def test_the_standby_journals_byte_for_byte_and_sync_waits_for_it(tmp_path: Path) -> None:
    pair = make_pair(tmp_path)
    tag = f"sequex-rp{os.getpid()}"
    primary = start_primary(pair, f"{tag}p-")
    running = [primary]
    try:
        # a standby configured with another W refuses to follow (and changes nothing)
        wrong = tmp_path / "wrong.toml"
        wrong.write_text(
            pair.standby_config.read_text().replace("feedback_window = 1", "feedback_window = 2")
        )
        refused = spawn(
            ["standby", "--primary", pair.replication, str(wrong), "--prefix", f"{tag}w-"],
            tmp_path / "wrong.err",
        )
        assert refused.wait(timeout=TIMEOUT) == 2
        assert "W decides outcomes" in (tmp_path / "wrong.err").read_text()

        standby = start_standby(pair, f"{tag}s-")
        running.append(standby)
        wait_line(primary, "press Ctrl-C", tmp_path / "primary.err")  # the setup drained
        alpha = Trader(pair.json_port)
        alpha.send()
        alpha.acked()
        stop(standby)

        # the standby away: the order is journaled here but takes no effect, and no ack comes
        seq = alpha.send(price=1_050_100)
        _wait_for(lambda: journaled_seqs(pair.primary_dir) >= seq, f"seq {seq} journaled")
        assert journaled_seqs(pair.standby_dir) < seq
        assert alpha.nothing_pending()
        standby = start_standby(pair, f"{tag}s-", "standby2")  # catches up from the journal
        running.append(standby)
        assert alpha.acked()["seq_no"] == seq
        for price in (1_050_200, 1_050_300):
            alpha.send(price=price)
            alpha.acked()
        primary_out = stop(primary)
        standby_out = stop(standby)
    finally:
        for proc in running:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert journal_bytes(pair.standby_dir) == journal_bytes(pair.primary_dir)
    assert live_hash(standby_out) == live_hash(primary_out)
    log = (tmp_path / "primary.err").read_text()
    assert "sync replication: commands after seq" in log and "in sync at seq" in log


def _rewrite_qty(data_dir: Path, seq: int) -> None:
    """Give the journaled order at ``seq`` another quantity, with a valid checksum: a journal
    that no longer says what the primary's says, though every record verifies."""
    (segment,) = sorted(journal_dir(data_dir).glob("*.log"))
    data = bytearray(segment.read_bytes())
    frame = 24 + RECORD_SIZE
    at = FILE_HEADER_SIZE + (seq - 1) * frame
    assert int.from_bytes(data[at + 8 : at + 16], "little") == seq
    (command,) = CommandDecoder().decode_many(bytes(data[at + 24 : at + frame]))
    payload = bytearray(RECORD_SIZE)
    encode_command_into(payload, 0, command._replace(qty=command.qty + 1))
    data[at + 24 : at + frame] = payload
    data[at + CHECKSUM_OFFSET : at + CHECKSUM_OFFSET + 8] = bytes(8)
    CHECKSUM_FIELD.pack_into(data, at + CHECKSUM_OFFSET, record_checksum(data[at : at + frame]))
    segment.write_bytes(bytes(data))


@pytest.mark.timeout(300)
def test_a_standby_whose_state_departs_stops_at_the_next_snapshot_point(tmp_path: Path) -> None:
    every = 30
    pair = make_pair(tmp_path, snapshot_every=every)
    tag = f"sequex-rm{os.getpid()}"
    primary = start_primary(pair, f"{tag}p-")
    try:
        standby = start_standby(pair, f"{tag}s-")
        wait_line(primary, "press Ctrl-C", tmp_path / "primary.err")
        alpha = Trader(pair.json_port)
        seqs = []
        for i in range(every - 17 + 6):  # past the first snapshot point (the setup is 17)
            seqs.append(alpha.send(price=1_050_000 + 100 * i))
            alpha.acked()
        stop(standby)
        # its journal now says something else at seq 33, from its snapshot at 30 on
        for path in snapshot_dir(pair.standby_dir).glob("snapshot-*.snap"):
            if int(path.name[9:29]) > every:
                path.unlink()
        _rewrite_qty(pair.standby_dir, every + 3)
        err = tmp_path / "standby2.err"
        standby = spawn(
            ["standby", "--primary", pair.replication, str(pair.standby_config), "--prefix",
             f"{tag}s-"],
            err,
        )  # fmt: skip
        wait_line(standby, "press Ctrl-C", err)
        while seqs[-1] < 2 * every + 2:
            seqs.append(alpha.send(price=1_060_000 + 100 * len(seqs)))
            alpha.acked()
        assert standby.wait(timeout=TIMEOUT) == 3
        primary_hash = snapshot_hash(pair.primary_dir, 2 * every)
        assert primary_hash is not None
        message = err.read_text()
        assert f"state hash mismatch at seq {2 * every}: primary {primary_hash:016x}" in message
        stop(primary)
    finally:
        for proc in (primary, standby):
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.mark.timeout(300)
def test_a_promoted_standby_serves_from_the_next_seq_with_every_ack(tmp_path: Path) -> None:
    pair = make_pair(tmp_path)
    tag = f"sequex-rf{os.getpid()}"
    primary = start_primary(pair, f"{tag}p-")
    running = [primary]
    try:
        err = tmp_path / "standby.err"
        standby = spawn(
            ["standby", "--promote", "--primary", pair.replication, str(pair.standby_config),
             "--prefix", f"{tag}s-"],
            err,
        )  # fmt: skip
        running.append(standby)
        wait_line(standby, "press Ctrl-C", err)
        wait_line(primary, "press Ctrl-C", tmp_path / "primary.err")
        alpha = Trader(pair.json_port)
        acked = []
        for i in range(5):
            alpha.send(price=1_050_000 + 100 * i)
            acked.append(alpha.acked()["seq_no"])
        os.killpg(primary.pid, signal.SIGKILL)  # the whole primary, at once
        primary.wait(timeout=TIMEOUT)
        (promoted,) = wait_line(standby, "promoted:", err)[-1:]
        taken = Trader(int(pair.standby_endpoints["json"].rpartition(":")[2]))
        seq = taken.send(price=1_060_000)
        assert taken.acked()["seq_no"] == seq
        assert f"from seq {seq}" in promoted
        # [replication] is not enabled on the standby: its replicator answers probes only
        where = pair.standby_endpoints["replication"]
        assert probe(where, Hello(0, 0, 0, b"")).epoch == 1
        follower = connect(where, timeout=TIMEOUT)
        try:
            follower.send(Hello(0, 0, 0, b""))
            answer = None
            deadline = time.monotonic() + TIMEOUT
            while answer is None and time.monotonic() < deadline:
                answer = follower.receive_one(0.05)
        finally:
            follower.close()
        assert isinstance(answer, Refuse) and "answers epoch probes only" in answer.reason
        out = stop(standby)
    finally:
        for proc in running:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    # every acknowledged command is there, under its seq, and the state is its journal's
    kept = journal_bytes(pair.standby_dir)
    (name,) = kept
    lost_primary = journal_bytes(pair.primary_dir)[name]
    assert kept[name].startswith(lost_primary)
    assert journaled_seqs(pair.standby_dir) == seq > acked[-1]
    replay = subprocess.run(
        [sys.executable, "-m", "tools.cli", "replay", str(pair.standby_dir)],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    assert f"live_state_hash {live_hash(out)}" in replay.stdout


@pytest.mark.timeout(300)
def test_async_acknowledges_without_a_standby_which_then_cannot_promote(tmp_path: Path) -> None:
    pair = make_pair(tmp_path)
    text = pair.primary_config.read_text()
    pair.primary_config.write_text(text.replace('mode = "sync"', 'mode = "async"'))
    tag = f"sequex-ra{os.getpid()}"
    err = tmp_path / "primary.err"
    primary = spawn(["run", "--config", str(pair.primary_config), "--prefix", f"{tag}p-"], err)
    running = [primary]
    try:
        wait_line(primary, "press Ctrl-C", err)  # no standby needed for the setup
        alpha = Trader(pair.json_port)
        alpha.send()
        seq = alpha.acked()["seq_no"]  # acknowledged with no standby anywhere
        standby_err = tmp_path / "standby.err"
        standby = spawn(
            ["standby", "--promote", "--primary", pair.replication, str(pair.standby_config),
             "--prefix", f"{tag}s-"],
            standby_err,
        )  # fmt: skip
        running.append(standby)
        wait_line(standby, "press Ctrl-C", standby_err)
        _wait_for(lambda: journaled_seqs(pair.standby_dir) == seq, "the standby caught up")
        assert journal_bytes(pair.standby_dir) == journal_bytes(pair.primary_dir)
        os.killpg(primary.pid, signal.SIGKILL)
        primary.wait(timeout=TIMEOUT)
        _wait_for(lambda: "not promoting" in standby_err.read_text(), "the standby's refusal")
        assert "not promoting: replication was async" in standby_err.read_text()
        stop(standby)
    finally:
        for proc in running:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_a_wrong_primary_gets_a_clear_error(tmp_path: Path) -> None:
    import socket
    import threading

    pair = make_pair(tmp_path)
    garbage = socket.socket()
    garbage.bind(("127.0.0.1", 0))
    garbage.listen(1)
    port = garbage.getsockname()[1]

    def answer() -> None:
        conn, _ = garbage.accept()
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        conn.recv(1024)
        conn.close()

    threading.Thread(target=answer, daemon=True).start()
    cases = [
        (f"127.0.0.1:{port}", 1, "does not answer as a sequex primary: replication protocol error"),
        ("127.0.0.1:1", 1, "cannot reach the primary at 127.0.0.1:1"),  # tried for 1 s
        ("nowhere", 2, "--primary: endpoint 'nowhere' is not HOST:PORT"),
    ]
    try:
        for i, (where, code, message) in enumerate(cases):
            err = tmp_path / f"case{i}.err"
            proc = spawn(
                ["standby", "--primary", where, str(pair.standby_config), "--prefix",
                 f"sequex-rw{os.getpid()}-{i}-", "--connect-timeout", "1"],
                err,
            )  # fmt: skip
            assert proc.wait(timeout=TIMEOUT) == code, err.read_text()
            assert message in err.read_text()
    finally:
        garbage.close()
