"""Fencing's pure parts: the Fence command in the records and the state, the epochs at the
replication handshake, the answer of a promoted host, and the gateway's gate."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine.canonical import command_from_json, command_to_json
from engine.command_reader import CommandReader
from engine.config import ConfigError, parse_config
from engine.domain.codec import decode_state
from engine.domain.exchange import Exchange
from engine.domain.types import AddSymbol, Fence
from engine.fencing import clear_fence, fence_reason, mark_fenced
from engine.gateway.fence_gate import FenceGate
from engine.journal_format import RECORD_COMMAND, encode_user_header
from engine.records import KIND_FENCE, CommandDecoder, RecordError, encode_command
from engine.replication.fences import FenceLog
from engine.replication.handshake import (
    answer_hello,
    check_start,
    divergence_seq,
    epoch_of,
    fenced_by,
)
from engine.stages.state_parts import fences_of
from journal import JournalWriter, SyncPolicy
from journal.replication import MODE_SYNC, Diverged, Hello, Refuse, Start

HEADER = encode_user_header(1024)


def test_a_fence_round_trips_through_the_record_codecs_compiled_and_reference() -> None:
    fence = Fence(17, 1_700_000_000_000_000_000, 3)
    record = encode_command(fence)
    assert record[0] == KIND_FENCE
    assert CommandDecoder().decode(record) == (fence, 0)
    rows = np.frombuffer(record * 2, dtype=np.uint8).reshape(2, -1)
    assert CommandReader().decode_rows(rows) == [fence, fence]
    assert command_from_json(command_to_json(fence), seq_no=17, ts=fence.ts) == fence


def test_a_record_of_an_unknown_kind_is_still_refused() -> None:
    record = bytearray(encode_command(Fence(1, 0, 1)))
    record[0] = 200
    with pytest.raises(RecordError, match="unknown command kind 200"):
        CommandDecoder().decode(bytes(record))


def test_a_fence_has_no_event_and_sets_the_epoch_which_never_goes_down() -> None:
    exchange = Exchange(1024)
    assert exchange.submit(AddSymbol(1, 0, "ACME", 1, 1, 100, 100)) != []
    assert exchange.submit(Fence(2, 0, 2)) == []
    assert exchange.submit(Fence(3, 0, 1)) == []  # lower: changes nothing
    assert exchange.submit(Fence(4, 0, 2)) == []  # equal: changes nothing
    assert exchange.risk.epoch == 2
    assert exchange.risk.fences == [(2, 2)]
    assert exchange.submit(Fence(5, 0, 7)) == []
    assert exchange.risk.fences == [(2, 2), (7, 5)]


def test_the_epoch_is_state_and_survives_a_snapshot() -> None:
    exchange = Exchange(1)
    exchange.submit(AddSymbol(1, 0, "ACME", 1, 1, 100, 100))
    before = exchange.state_hash()
    exchange.submit(Fence(2, 0, 1))
    assert exchange.state_hash() != before
    restored = Exchange.restore(exchange.snapshot())
    assert restored.risk.fences == [(1, 2)]
    assert restored.state_hash() == exchange.state_hash()
    assert fences_of(exchange.snapshot()) == [(1, 2)]
    assert fences_of(None) == []


def test_a_state_without_fences_is_encoded_as_before_fencing_existed() -> None:
    exchange = Exchange(1024)
    exchange.submit(AddSymbol(1, 0, "ACME", 1, 1, 100, 100))
    state = json.loads(exchange.snapshot())
    assert "fences" not in state  # so old snapshots and journals keep their hashes
    _, _, risk, _, _ = decode_state(exchange.snapshot())
    assert risk.fences == [] and risk.epoch == 0


def answer(hello: Hello, fences: list[tuple[int, int]], digest: int | None = 7) -> object:
    return answer_hello(
        hello, header=HEADER, last_seq=100, acked_seq=40, digest_at=digest, fences=fences,
        snapshot_every=0, segment_bytes=0, mode=MODE_SYNC,
    )  # fmt: skip


def test_the_primary_says_its_epoch_in_start() -> None:
    assert answer(Hello(60, 7, 0, HEADER), []) == Start(0, 61, 40, 0, 0, MODE_SYNC, HEADER)
    assert answer(Hello(60, 7, 2, HEADER), [(1, 10), (2, 30)]) == Start(
        2, 61, 40, 0, 0, MODE_SYNC, HEADER
    )


def test_a_standby_of_a_higher_epoch_is_refused_and_fences_the_primary() -> None:
    refused = answer(Hello(60, 7, 3, HEADER), [(2, 30)])
    assert isinstance(refused, Refuse)
    assert "epoch 3, this primary's of epoch 2" in refused.reason
    assert fenced_by(2, 3, "10.0.0.2:9880") == (
        "this host was superseded by epoch 3 at 10.0.0.2:9880 (its own epoch is 2)"
    )
    assert fenced_by(3, 3, "peer") is None and fenced_by(3, 1, "peer") is None


def test_a_former_primarys_tail_past_the_fence_is_diverged_from_the_fence_seq() -> None:
    fences = [(1, 51), (2, 80)]
    assert answer(Hello(51, 9, 0, HEADER), fences) == Diverged(2, 51)
    assert answer(Hello(70, 9, 0, HEADER), fences) == Diverged(2, 51)
    assert answer(Hello(90, 9, 1, HEADER), fences) == Diverged(2, 80)
    assert divergence_seq(fences, 0) == 51 and divergence_seq(fences, 2) is None


def test_a_lower_epoch_journal_ending_before_the_fence_is_checked_as_a_prefix() -> None:
    fences = [(1, 51)]
    assert answer(Hello(50, 7, 0, HEADER), fences) == Start(1, 51, 40, 0, 0, MODE_SYNC, HEADER)
    refused = answer(Hello(50, 8, 0, HEADER), fences)  # its record at 50 is another
    assert isinstance(refused, Refuse) and "differs from the primary's" in refused.reason


def test_a_probe_learns_the_epoch_whatever_its_journal() -> None:
    fences = [(1, 51)]
    for last, digest in ((50, 8), (120, 7), (0, 0)):  # another record; past the fence; empty
        answered = answer(Hello(last, digest, 0, HEADER, probe=True), fences)
        assert isinstance(answered, Start | Diverged) and answered.epoch == 1, answered


def test_a_standby_never_follows_a_primary_of_a_lower_epoch() -> None:
    start = Start(1, 1, 0, 0, 0, MODE_SYNC, HEADER)
    assert check_start(start, 1024, epoch=1) is None
    assert "epoch 1, this standby's of epoch 2" in str(check_start(start, 1024, epoch=2))
    assert epoch_of([]) == 0 and epoch_of([(1, 5), (4, 9)]) == 4


def _rows(commands: list[Any]) -> np.ndarray:
    payload = b"".join(encode_command(cmd) for cmd in commands)
    return np.frombuffer(payload, dtype=np.uint8).reshape(len(commands), -1)


def _stream(first: int, count: int, fences: dict[int, int]) -> list[Any]:
    """Commands of seqs ``first``..: Fence(epoch) at the seqs of ``fences``, else AddSymbol."""
    return [
        Fence(seq, 0, fences[seq]) if seq in fences else AddSymbol(seq, 0, f"S{seq}", 1, 1, 1, 1)
        for seq in range(first, first + count)
    ]


def test_a_fence_log_learns_each_higher_fence_from_the_records_it_is_shown() -> None:
    log = FenceLog([(1, 5)], scanned=10)
    log.note(_rows(_stream(11, 20, {14: 2, 20: 2, 25: 1, 29: 3})), 11)
    assert log.fences == [(1, 5), (2, 14), (3, 29)] and log.epoch == 3
    assert log.scanned == 30
    log.note(_rows(_stream(11, 20, {14: 2, 29: 3})), 11)  # seen again: nothing changes
    assert log.fences == [(1, 5), (2, 14), (3, 29)]
    log.note(_rows(_stream(40, 3, {41: 4})), 40)  # past a gap: learned, but not "scanned"
    assert log.epoch == 4 and log.scanned == 30


def test_a_fence_log_catches_up_from_the_journal_past_what_it_looked_at(tmp_path: Path) -> None:
    commands = _stream(1, 40, {3: 1, 33: 2})
    with JournalWriter(tmp_path, policy=SyncPolicy.never(), user_header=HEADER) as writer:
        for cmd in commands:
            writer.append(RECORD_COMMAND, cmd.seq_no, encode_command(cmd))
    log = FenceLog([(1, 3)], scanned=20)  # recovered through seq 20
    log.catch_up(tmp_path, 30)
    assert (log.fences, log.scanned) == ([(1, 3)], 30)
    log.catch_up(tmp_path, 40)  # the Fence journaled after the process started
    assert (log.fences, log.scanned) == ([(1, 3), (2, 33)], 40)
    log.catch_up(tmp_path, 40)  # nothing new: nothing read
    assert log.scanned == 40


def test_a_promoted_host_answers_probes_with_its_epoch_and_tails_with_divergence() -> None:
    """What a promoted standby's replicator answers (its fences learned from ring[in])."""
    fences = [(1, 51)]
    answer = partial(
        answer_hello, header=HEADER, last_seq=60, acked_seq=60, digest_at=None, fences=fences,
        snapshot_every=0, segment_bytes=0, mode=MODE_SYNC,
    )  # fmt: skip
    probed = answer(Hello(40, 1, 0, HEADER, probe=True))
    assert isinstance(probed, Start) and probed.epoch == 1
    # a prober whose journal runs past the fence learns the epoch with where it parts
    assert answer(Hello(70, 1, 0, HEADER, probe=True)) == Diverged(1, 51)
    assert answer(Hello(70, 1, 0, HEADER)) == Diverged(1, 51)  # the former primary rejoining
    assert answer(Hello(40, 1, 0, HEADER)) != Diverged(1, 51)  # a prefix: checked as such
    refused = answer(Hello(0, 0, 2, HEADER, probe=True))
    assert isinstance(refused, Refuse) and "superseded (fenced)" in refused.reason


def test_the_marker_fences_a_host_until_it_is_cleared(tmp_path: Path) -> None:
    gate = FenceGate(tmp_path)
    assert gate.reason is None and gate.refusal() is None
    assert mark_fenced(tmp_path, "superseded by epoch 1 at 10.0.0.2:9880")
    assert not mark_fenced(tmp_path, "again")  # the first reason stays
    gate.refresh()
    assert gate.refusal() == "fenced: superseded by epoch 1 at 10.0.0.2:9880"
    assert fence_reason(tmp_path) == "superseded by epoch 1 at 10.0.0.2:9880"
    assert clear_fence(tmp_path) and fence_reason(tmp_path) is None
    gate.refresh()
    assert gate.reason is not None  # a gate that closed stays closed for its process


def test_the_peer_is_a_replication_endpoint() -> None:
    config = parse_config('[replication]\npeer = "10.0.0.2:9880"')
    assert config.replication.peer == "10.0.0.2:9880"
    assert parse_config("").replication.peer == ""
    with pytest.raises(ConfigError, match=r"replication\.peer: must be HOST:PORT"):
        parse_config('[replication]\npeer = "10.0.0.2"')
