"""Review regressions of the host: restart from a journal left by an early crash, the setup of a
host whose journal is still empty, and `sequex admin` usage errors."""

from __future__ import annotations

import dataclasses
import os
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from disruptor import RingBuffer, list_names
from engine.config import load_config, setup_commands
from engine.domain.exchange import Exchange
from engine.event_records import EVENT_RECORD_SIZE
from engine.gateway.server import GatewayServer, journaled_ts
from engine.journal_format import encode_user_header, journal_dir
from engine.rebuild import RecoveryError, read_window, take_snapshot
from engine.records import RECORD_SIZE, CommandDecoder
from engine.start_point import prepare_start
from engine.topology import TopologySpec
from journal import JournalError, JournalWriter
from journal.layout import segment_name
from tests.engine.gateway_harness import DEMO, Client, ServerThread
from tests.engine.test_replay_equivalence import generate_commands, write_journal
from tools import admin_cli
from tools.cli import main

WINDOW = 4

SETUP = setup_commands(load_config(DEMO))


def _spec(data_dir: Path) -> TopologySpec:
    return TopologySpec(prefix="review-", data_dir=str(data_dir), feedback_window=WINDOW)


def _first_segment(data_dir: Path) -> Path:
    return journal_dir(data_dir) / segment_name(1)


def _empty_host_journal(data_dir: Path) -> None:
    JournalWriter(journal_dir(data_dir), user_header=encode_user_header(WINDOW)).close()


@pytest.mark.parametrize("kept", [0, 40])
def test_a_first_segment_torn_in_its_header_restarts_at_seq_0(tmp_path: Path, kept: int) -> None:
    # A crash while the journaler created the very first segment leaves it without (all of)
    # its header: nothing was ever journaled, so the host must start again, not stay stuck.
    _empty_host_journal(tmp_path)
    segment = _first_segment(tmp_path)
    segment.write_bytes(segment.read_bytes()[:kept])
    start = prepare_start(_spec(tmp_path))
    assert start.spec.base_seq == 0 and start.replayed == 0
    assert read_window(tmp_path) == WINDOW
    # ... and the journaler (same arguments as engine.topology) continues that journal
    with JournalWriter(
        journal_dir(tmp_path), user_header=encode_user_header(WINDOW), first_seq=1
    ) as writer:
        assert writer.last_seq == 0


def test_a_foreign_journal_is_still_refused_and_left_untouched(tmp_path: Path) -> None:
    with JournalWriter(journal_dir(tmp_path)) as writer:  # no sequex user header
        writer.append(1, 1, b"not a command")
        writer.commit()
    before = _first_segment(tmp_path).read_bytes()
    with pytest.raises((JournalError, RecoveryError)):
        prepare_start(_spec(tmp_path))
    assert _first_segment(tmp_path).read_bytes() == before


def test_setup_is_injected_while_the_journal_holds_no_command(tmp_path: Path) -> None:
    # A first run stopped before its setup was journaled: its journal exists but is empty.
    _empty_host_journal(tmp_path)
    start = prepare_start(_spec(tmp_path), SETUP)
    assert start.state is not None and list(start.setup) == SETUP


def test_setup_is_not_injected_again_once_commands_are_journaled(tmp_path: Path) -> None:
    write_journal(tmp_path, generate_commands(50, seed=3), WINDOW)
    start = prepare_start(_spec(tmp_path), SETUP)
    assert start.spec.base_seq == 50 and start.setup == ()
    assert list(prepare_start(_spec(tmp_path / "fresh"), SETUP).setup) == SETUP


@pytest.mark.parametrize("timeout", ["-1", "0", "nan", "inf", "1e300"])
def test_admin_refuses_a_bad_timeout_with_exit_2_and_no_traceback(
    timeout: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["admin", "--endpoint", "127.0.0.1:1", "--password", "x", "--timeout", timeout]
    assert main([*argv, "halt", "ACME"]) == 2
    err = capsys.readouterr().err
    assert "--timeout" in err and "Traceback" not in err


def test_snapshots_without_their_journal_refuse_a_fresh_start(tmp_path: Path) -> None:
    # The journal of an earlier life was removed but its snapshots were not: a new journal
    # would reach their seqs and rebuild() would replay its tail on top of the old state.
    exchange = Exchange(WINDOW)
    for cmd in generate_commands(40, seed=1):
        exchange.submit(cmd)
    take_snapshot(exchange, 40, tmp_path)
    with pytest.raises(RecoveryError, match="no journal"):
        prepare_start(_spec(tmp_path))
    assert not journal_dir(tmp_path).exists()


@pytest.mark.parametrize("under", [False, True])
def test_run_with_a_data_dir_that_is_a_file_exits_2_without_a_traceback(
    tmp_path: Path, under: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    occupied = tmp_path / "occupied"
    occupied.write_text("not a directory")
    data_dir = occupied / "var" if under else occupied
    config = Path(__file__).resolve().parents[2] / "config" / "demo.toml"
    assert main(["run", "--config", str(config), "--data-dir", str(data_dir)]) == 2
    err = capsys.readouterr().err
    assert "cannot use data directory" in err and "Traceback" not in err


def test_admin_exit_code_is_the_outcome_even_if_the_logout_cannot_be_sent(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        replies = [
            b'{"type":"login_ok","session":1,"role":"admin"}\n',
            b'{"type":"sequenced","line":2,"seq":7}\n'
            b'{"seq":7,"sub":0,"type":"trading_status","symbol":"ACME","halted":true}\n',
        ]

        def serve() -> None:
            conn, _ = listener.accept()
            with conn, conn.makefile("rb") as lines:
                for reply in replies:
                    lines.readline()
                    conn.sendall(reply)
                lines.readline()  # whatever comes next (nothing: the logout is "lost")

        server = threading.Thread(target=serve, daemon=True)
        server.start()
        send = admin_cli.LineClient.send

        def lossy_send(self: Any, obj: dict[str, Any]) -> None:
            if obj.get("type") == "logout":
                raise admin_cli.Trouble("connection lost: [Errno 104] Connection reset by peer")
            send(self, obj)

        monkeypatch.setattr(admin_cli.LineClient, "send", lossy_send)
        argv = ["admin", "--endpoint", f"127.0.0.1:{port}", "--password", "x", "--timeout", "5"]
        assert main([*argv, "halt", "ACME"]) == 0
        server.join(5)
    assert '"trading_status"' in capsys.readouterr().out


def test_a_restarted_gateway_never_stamps_a_ts_below_the_last_journaled_one(
    tmp_path: Path,
) -> None:
    # The wall clock went back (NTP step, another machine) between the stop and the restart:
    # the journal's last command carries a ts an hour ahead of the clock now.
    commands = generate_commands(30, seed=5)
    ahead = time.time_ns() + 3600 * 10**9
    commands[-1] = commands[-1]._replace(ts=ahead)
    write_journal(tmp_path, commands, WINDOW)
    assert journaled_ts(str(tmp_path), 30) == ahead
    assert journaled_ts(str(tmp_path), 0) == 0
    assert journaled_ts(str(tmp_path / "nothing"), 30) == 0

    config = dataclasses.replace(load_config(DEMO), data_dir=str(tmp_path))
    prefix = f"sqxrv{os.getpid()}-{uuid.uuid4().hex[:6]}-"
    ring_in = RingBuffer.create(prefix + "in", 8, RECORD_SIZE, 1)
    events = RingBuffer.create(prefix + "events", 8, EVENT_RECORD_SIZE, 2)
    free = "127.0.0.1:0"  # every listener on a free port: never the demo's
    runner = ServerThread(
        GatewayServer(
            config, prefix + "in", prefix + "events", 1, 30, endpoint=free, ouch_endpoint=free,
            fix_endpoint=free,
        )
    )  # fmt: skip
    try:
        client = Client(runner.start())
        assert client.login()["type"] == "login_ok"
        client.send({"type": "cancel_order", "account": "ALPHA-1", "order_id": 3})
        assert client.read() == {"type": "sequenced", "line": 2, "seq": 31}
        client.close()
        stamped = CommandDecoder().decode_many(bytes(ring_in.slots[0]))[0]
        assert stamped.seq_no == 31 and stamped.ts >= ahead
    finally:
        runner.stop()
        ring_in.close()
        events.close()
    assert list_names(prefix) == []
