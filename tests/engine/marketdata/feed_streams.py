"""Command streams as the feed publisher sees them, and the reference feed they make.

:func:`event_rows` runs a stream through ``Exchange`` and writes its events as ring[events]
records (the command's ts in each header, as the core does). :func:`reference_datagrams` is
the feed by the pure reference path - ``ItchProjection.apply``, each message's ``encode()``,
``MoldSender.send_many`` + ``flush`` per batch - and :func:`encoder_datagrams` the same
batches through the compiled ``FeedEncoder``: they must be byte-identical.

Run as a program (``python -m tests.engine.marketdata.feed_streams STREAM SEED COUNT BATCH``)
it prints the build and a digest of the encoder's datagrams as JSON: the compiled-versus-
pure test runs it under both builds.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from typing import Any

import numpy as np
import xxhash

from engine import native
from engine.domain.exchange import Exchange
from engine.domain.types import Command
from engine.event_codec import write_events
from engine.event_records import EVENT_RECORD_SIZE
from engine.marketdata.feed_encoder import FeedEncoder
from engine.marketdata.itch_projection import ItchProjection
from engine.protocols.moldudp64 import MoldSender
from tests.engine.mixed_commands import every_kind, full_mix, replace_heavy

SESSION = "SQXTEST001"
Rows = np.ndarray[Any, np.dtype[np.uint8]]


def stream(name: str, seed: int, count: int) -> tuple[list[Command], int]:
    """(commands, feedback window W) of a named stream."""
    if name == "kinds":
        return every_kind(seed, count), 3
    if name == "replaces":
        return replace_heavy(seed, count, 64), 64
    if name == "mix":
        return list(full_mix(seed, count)), 16
    raise ValueError(f"unknown stream {name!r}")


def event_rows(commands: Iterable[Command], window: int) -> Rows:
    exchange = Exchange(window)
    buf = bytearray(1 << 16)
    end = 0
    for cmd in commands:
        events = exchange.submit(cmd)
        if events:
            end = write_events(buf, end, cmd.seq_no, events, 0, cmd.ts)
    return np.frombuffer(bytes(buf[:end]), dtype=np.uint8).reshape(-1, EVENT_RECORD_SIZE)


def batches(rows: Rows, size: int) -> list[Rows]:
    return [rows[lo : lo + size] for lo in range(0, len(rows), size)]


def reference_datagrams(
    rows: Rows, size: int, projection: ItchProjection | None = None, next_sequence: int = 1
) -> list[bytes]:
    """The reference path over ``rows`` in batches of ``size`` records."""
    from engine.event_codec import TS_OFFSET, EventReader

    projection = projection or ItchProjection()
    sender = MoldSender(SESSION, next_sequence=next_sequence)
    reader = EventReader()
    out: list[bytes] = []
    for batch in batches(rows, size):
        stamps = batch[:, TS_OFFSET : TS_OFFSET + 8].copy().view("<i8")[:, 0].tolist()
        messages: list[bytes] = []
        for (seq, _sub, event), ts in zip(reader.decode_rows(batch), stamps, strict=True):
            messages += [m.encode() for m in projection.apply(seq, ts, (event,))]
        out += sender.send_many(messages, 0) + sender.flush(0)
    return out


def encoder_datagrams(rows: Rows, size: int, encoder: FeedEncoder | None = None) -> list[bytes]:
    encoder = encoder or FeedEncoder(ItchProjection(), SESSION)
    out: list[bytes] = []
    for batch in batches(rows, size):
        encoder.add_rows(batch)
        out += encoder.flush()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("stream")
    parser.add_argument("seed", type=int)
    parser.add_argument("count", type=int)
    parser.add_argument("batch", type=int)
    args = parser.parse_args()
    commands, window = stream(args.stream, args.seed, args.count)
    encoder = FeedEncoder(ItchProjection(), SESSION)
    datagrams = encoder_datagrams(event_rows(commands, window), args.batch, encoder)
    digest = xxhash.xxh3_64()
    for datagram in datagrams:
        digest.update(len(datagram).to_bytes(2, "big") + datagram)
    print(
        json.dumps(
            {
                "build": native.describe(),
                "compiled": native.is_compiled(),
                "datagrams": len(datagrams),
                "messages": encoder.messages,
                "digest": digest.hexdigest(),
                "projection": xxhash.xxh3_64_hexdigest(encoder.projection.snapshot()),
            }
        )
    )


if __name__ == "__main__":
    main()
