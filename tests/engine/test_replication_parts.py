"""The pure parts of replication: the configuration, where the replicator sits in the wiring,
the primary's answer to a HELLO, the standby's check of a START, and the state-hash checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.config import ConfigError, load_config, parse_config
from engine.domain.exchange import Exchange
from engine.domain.types import AddSymbol
from engine.journal_format import encode_snapshot_payload, encode_user_header, snapshot_dir
from engine.replication.checks import CheckBook, StateHashMismatch
from engine.replication.handshake import answer_hello, check_start, promotion_refusal
from engine.replication.settings import ReplicationSettings
from engine.topology import TopologySpec
from journal import SnapshotStore
from journal.replication import MODE_ASYNC, MODE_SYNC, Hello, Refuse, Start

ROOT = Path(__file__).resolve().parents[2]
HEADER = encode_user_header(1024)


def test_replication_is_off_by_default_and_the_demo_pair_is_configured() -> None:
    assert ReplicationSettings.from_config(parse_config("")) is None
    assert parse_config("").endpoints["replication"] == "127.0.0.1:9880"
    primary = ReplicationSettings.from_config(load_config(ROOT / "config" / "primary.toml"))
    assert primary == ReplicationSettings("127.0.0.1:9880", "sync", 100, 500)
    standby = load_config(ROOT / "config" / "standby.toml")
    assert standby.data_dir != load_config(ROOT / "config" / "primary.toml").data_dir
    assert standby.endpoints["json"] != "127.0.0.1:9877"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[replication]\nmode = "eventually"', "replication.mode: must be sync or async"),
        ("[replication]\nheartbeat_ms = 500\ntimeout_ms = 500", "replication.timeout_ms"),
        ("[replication]\ntimeout = 5", "replication.timeout: is not a known key"),
    ],
)
def test_a_bad_replication_table_is_refused_naming_the_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(text)


def test_sync_replication_puts_the_replicator_in_the_core_barrier() -> None:
    plain = TopologySpec("t-", "/tmp/x", fused=True).wiring()
    sync = TopologySpec(
        "t-", "/tmp/x", fused=True, replication=ReplicationSettings("127.0.0.1:1")
    ).wiring()
    journaler = sync.consumer("in", "journaler")
    replicator = sync.consumer("in", "replicator")
    assert plain.stages["core"].input("in").after == (plain.consumer("in", "journaler"),)
    assert sync.stages["core"].input("in").after == (journaler, replicator)
    assert replicator in sync.gating("in")  # the producer never laps what the standby lacks


def test_async_replication_follows_the_journal_and_gates_nothing() -> None:
    spec = TopologySpec("t-", "/tmp/x", replication=ReplicationSettings("127.0.0.1:1", "async"))
    wiring = spec.wiring()
    assert "replicator" in spec.stage_names()
    assert wiring.stages["replicator"].inputs == ()
    assert wiring.stages["risk"].input("in").after == (wiring.consumer("in", "journaler"),)


def answer(hello: Hello, last_seq: int = 100, digest: int | None = 7) -> Start | Refuse:
    return answer_hello(
        hello, header=HEADER, last_seq=last_seq, acked_seq=40, digest_at=digest, fences=(),
        snapshot_every=50, segment_bytes=4096, mode=MODE_SYNC,
    )  # fmt: skip


def test_a_standby_whose_journal_is_a_prefix_continues_after_it() -> None:
    assert answer(Hello(0, 0, 0, b"")) == Start(0, 1, 40, 50, 4096, MODE_SYNC, HEADER)
    assert answer(Hello(60, 7, 0, HEADER)) == Start(0, 61, 40, 50, 4096, MODE_SYNC, HEADER)


@pytest.mark.parametrize(
    ("hello", "reason"),
    [
        (
            Hello(60, 7, 0, encode_user_header(1)),
            "W=1, rules 3) differs from the primary's (W=1024",
        ),
        (Hello(101, 7, 0, HEADER), "ends at seq 101, past the primary's last seq 100"),
        (Hello(60, 8, 0, HEADER), "record at seq 60 differs from the primary's"),
    ],
)
def test_a_standby_of_another_history_is_refused_saying_why(hello: Hello, reason: str) -> None:
    refused = answer(hello)
    assert isinstance(refused, Refuse) and reason in refused.reason


def test_a_standby_refuses_a_primary_of_another_window() -> None:
    start = Start(0, 1, 0, 0, 0, MODE_SYNC, HEADER)
    assert check_start(start, 1024) is None
    assert "W=1024 but this standby's configuration says 1" in str(check_start(start, 1))
    assert "unreadable" in str(check_start(Start(0, 1, 0, 0, 0, MODE_SYNC, b"junk"), 1))


def snapshot(data_dir: Path, seq: int, symbol: str) -> int:
    """A snapshot at ``seq`` of an exchange holding ``symbol``; returns its state hash."""
    exchange = Exchange(1024)
    exchange.submit(AddSymbol(1, 0, symbol, 1, 1, 100, 100))
    payload = encode_snapshot_payload(1024, seq, exchange.snapshot())
    SnapshotStore(snapshot_dir(data_dir)).write(seq, payload)
    return exchange.state_hash()


def test_checks_pass_on_equal_hashes_and_stop_on_a_difference(tmp_path: Path) -> None:
    book = CheckBook(tmp_path)
    equal = snapshot(tmp_path, 10, "ACME")
    book.expect(10, equal)
    book.expect(20, equal)  # the standby has not reached 20 yet: it waits
    book.settle()
    assert (book.passed, book.pending, book.unchecked) == (1, 1, 0)
    differs = snapshot(tmp_path, 20, "GLOBEX")
    with pytest.raises(StateHashMismatch, match=f"at seq 20: primary {equal:016x}, standby "):
        book.settle()
    assert differs != equal


def test_a_check_the_standby_passed_without_a_snapshot_is_left_unchecked(tmp_path: Path) -> None:
    book = CheckBook(tmp_path)
    book.expect(5, 123)
    snapshot(tmp_path, 10, "ACME")
    book.settle()
    assert (book.passed, book.pending, book.unchecked) == (0, 0, 1)


def test_a_standby_promotes_only_holding_every_command_the_primary_may_have_acked() -> None:
    sync = Start(0, 11, 40, 0, 0, MODE_SYNC, HEADER)  # the primary had acked through 40
    assert promotion_refusal(sync, 40) is None
    assert promotion_refusal(sync, 55) is None
    assert "through seq 40 before this standby caught up" in str(promotion_refusal(sync, 39))
    not_sync = Start(0, 11, 0, 0, 0, MODE_ASYNC, HEADER)
    assert "replication was async" in str(promotion_refusal(not_sync, 1000))


def test_a_publish_wakes_the_readers_right_behind_it_and_a_reader_its_followers() -> None:
    plain = TopologySpec("t-", "/tmp/x", fused=True).wiring()
    journaler, core = plain.consumer("in", "journaler"), plain.consumer("in", "core")
    assert plain.wakes("in", None) == [1 + journaler]  # not the core: it waits for durability
    assert plain.wakes("in", "journaler") == [0, 1 + core]  # the producer's space, the core
    assert plain.wakes("in", "core") == [0]  # only the producer waits for the core
    sync = TopologySpec(
        "t-", "/tmp/x", fused=True, replication=ReplicationSettings("127.0.0.1:1")
    ).wiring()
    replicator = sync.consumer("in", "replicator")
    assert sync.wakes("in", None) == sorted([1 + journaler, 1 + replicator])
    assert sync.wakes("in", "replicator") == [0, 1 + sync.consumer("in", "core")]
    sharded = TopologySpec("t-", "/tmp/x", shards=2).wiring()
    assert sharded.wakes("in", "risk") == [0]
    assert sharded.wakes("risk", "matcher0") == [0, 1 + sharded.consumer("risk", "publisher")]
