"""The compiled feed encoder publishes exactly what the reference path publishes.

The reference: ``ItchProjection.apply`` per event, ``encode()`` per message, ``MoldSender``
packing per batch (tests.engine.marketdata.feed_streams). The encoder must give the same
datagrams byte for byte, leave the projection in the same state, raise the same errors, and
run the same in the compiled build and uncompiled (a child process with SEQUEX_PURE=1).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from itch.parser import MessageParser

from engine import native
from engine.domain.types import BookExecute, Side, SymbolAdded
from engine.event_codec import write_events
from engine.marketdata.feed_encoder import FeedEncoder
from engine.marketdata.itch_projection import ItchProjection, ProjectionError
from engine.protocols.itch import decode_message
from engine.protocols.moldudp64 import MAX_PACKET, MessagePacket, decode_downstream
from tests.engine.marketdata.feed_streams import (
    SESSION,
    encoder_datagrams,
    event_rows,
    reference_datagrams,
    stream,
)

ROOT = Path(__file__).resolve().parents[3]


def messages_of(datagrams: list[bytes]) -> list[bytes]:
    out: list[bytes] = []
    for datagram in datagrams:
        packet = decode_downstream(datagram)
        assert isinstance(packet, MessagePacket)
        out += packet.messages
    return out


@pytest.mark.parametrize(
    ("name", "seed", "batch"),
    [("kinds", 1, 4096), ("kinds", 2, 1), ("kinds", 3, 37), ("replaces", 4, 500),
     ("mix", 5, 4096), ("mix", 6, 7)],
)  # fmt: skip
def test_the_encoder_sends_the_reference_datagrams(name: str, seed: int, batch: int) -> None:
    commands, window = stream(name, seed, 3_000 if batch > 1 else 800)
    rows = event_rows(commands, window)
    reference = ItchProjection()
    want = reference_datagrams(rows, batch, reference)
    encoder = FeedEncoder(ItchProjection(), SESSION)
    got = encoder_datagrams(rows, batch, encoder)
    assert got == want
    assert encoder.projection.snapshot() == reference.snapshot()
    assert encoder.next_sequence == 1 + len(messages_of(got)) == 1 + encoder.messages
    assert all(len(d) <= MAX_PACKET for d in got)
    if batch == 4096:  # a busy poll fills its datagrams
        assert sum(map(len, got[:-1])) / max(len(got) - 1, 1) > MAX_PACKET - 50


def test_an_independent_parser_reads_every_message_of_the_datagrams() -> None:
    kinds_commands, window = stream("kinds", 8, 2_000)
    replaces, _ = stream("replaces", 8, 2_000)
    ours = messages_of(encoder_datagrams(event_rows(kinds_commands, window), 512))
    ours += messages_of(encoder_datagrams(event_rows(replaces, 64), 512))
    framed = b"".join(len(m).to_bytes(2, "big") + m for m in ours)
    parsed = list(MessageParser().parse_stream(framed))
    assert len(parsed) == len(ours) > 500
    for raw, theirs in zip(ours, parsed, strict=True):
        assert theirs.to_bytes() == raw
        assert theirs.message_type == raw[:1]
    assert {raw[:1] for raw in ours} >= {b"S", b"R", b"H", b"A", b"E", b"X", b"D", b"U"}


def test_a_restored_projection_continues_the_same_feed_and_numbers() -> None:
    commands, window = stream("replaces", 9, 3_000)
    rows = event_rows(commands, window)
    whole = messages_of(encoder_datagrams(rows, 256))
    first = FeedEncoder(ItchProjection(), SESSION)
    part = messages_of(encoder_datagrams(rows[:1_000], 256, first))
    second = FeedEncoder(
        ItchProjection.restore(first.projection.snapshot()), SESSION,
        next_sequence=first.next_sequence,
    )  # fmt: skip
    rest = encoder_datagrams(rows[1_000:], 256, second)
    packet = decode_downstream(rest[0])
    assert isinstance(packet, MessagePacket) and packet.sequence == len(part) + 1
    assert part + messages_of(rest) == whole


def test_small_datagrams_and_a_later_first_number() -> None:
    commands, window = stream("kinds", 10, 1_500)
    rows = event_rows(commands, window)
    encoder = FeedEncoder(ItchProjection(), SESSION, next_sequence=1_000, max_packet=100)
    datagrams = encoder_datagrams(rows, 64, encoder)
    assert all(len(d) <= 100 for d in datagrams)
    first = decode_downstream(datagrams[0])
    assert isinstance(first, MessagePacket) and first.sequence == 1_000
    assert messages_of(datagrams) == messages_of(encoder_datagrams(rows, 64))
    with pytest.raises(ValueError):
        FeedEncoder(ItchProjection(), SESSION, max_packet=40)
    with pytest.raises(ValueError):
        FeedEncoder(ItchProjection(), SESSION, next_sequence=0)


def _rows_of(events: list[tuple[int, list[Any]]]) -> Any:
    import numpy as np

    buf = bytearray(1024)
    end = 0
    for seq, batch in events:
        end = write_events(buf, end, seq, batch, 0, 1_000 + seq)
    return np.frombuffer(bytes(buf[:end]), dtype=np.uint8).reshape(-1, 128)


def test_what_the_reference_refuses_the_encoder_refuses() -> None:
    added = (1, [SymbolAdded("ACME", 100, 1, 1_000_000, 500)])
    unknown = (2, [BookExecute("ACME", 99, 10, 1_000_000, 7)])
    encoder = FeedEncoder(ItchProjection(), SESSION)
    encoder.add_rows(_rows_of([added]))
    with pytest.raises(ProjectionError, match="not on the book"):
        encoder.add_rows(_rows_of([unknown]))
    reference = ItchProjection()
    with pytest.raises(ProjectionError, match="not on the book"):
        reference_datagrams(_rows_of([added, unknown]), 10, reference)


def test_a_trade_away_from_the_orders_price_goes_out_as_executed_with_price() -> None:
    from engine.domain.types import BookAdd

    events = [
        (1, [SymbolAdded("ACME", 100, 1, 1_000_000, 500)]),
        (2, [BookAdd("ACME", 2, Side.BUY, 50, 1_000_000)]),
        (3, [BookExecute("ACME", 2, 20, 999_900, 11)]),  # the engine never does; C if it did
    ]
    datagrams = encoder_datagrams(_rows_of(events), 10)
    assert datagrams == reference_datagrams(_rows_of(events), 10)
    last = decode_message(messages_of(datagrams)[-1])
    assert type(last).__name__ == "OrderExecutedWithPrice"


def _digest(pure: bool, *args: object) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != native.PURE_ENV}
    if pure:
        env[native.PURE_ENV] = "1"
    command = [sys.executable, "-m", "tests.engine.marketdata.feed_streams", *map(str, args)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=600)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize(("name", "batch"), [("mix", 4096), ("kinds", 3)])
def test_the_compiled_encoder_and_the_uncompiled_sources_send_the_same_bytes(
    name: str, batch: int
) -> None:
    compiled = _digest(False, name, 12, 20_000 if batch > 3 else 3_000, batch)
    pure = _digest(True, name, 12, 20_000 if batch > 3 else 3_000, batch)
    assert compiled["compiled"], f"the build under test is not compiled: {compiled['build']}"
    assert not pure["compiled"], pure["build"]
    for key in ("datagrams", "messages", "digest", "projection"):
        assert compiled[key] == pure[key], key
    assert compiled["messages"] > 1_000
