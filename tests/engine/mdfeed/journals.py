"""Journals for the feed's tests: a stream journaled as a host journals it, and the feed it
makes (every message, numbered from 1), computed the direct way."""

from __future__ import annotations

from pathlib import Path

from engine.domain.exchange import Exchange
from engine.domain.rules import CURRENT_RULES
from engine.domain.types import Command
from engine.marketdata.itch_projection import ItchProjection
from engine.rebuild import take_snapshot
from tests.engine.marketdata.feed_streams import encoder_datagrams, event_rows
from tests.engine.marketdata.test_feed_encoder import messages_of
from tests.engine.test_replay_equivalence import generate_commands, write_journal

__all__ = ["feed_messages", "generate_commands", "journaled", "snapshot_at"]


def journaled(data_dir: Path, count: int, window: int, seed: int = 1) -> list[Command]:
    commands = generate_commands(count, seed)
    write_journal(data_dir, commands, window)
    return commands


def feed_messages(commands: list[Command], window: int) -> list[bytes]:
    """The feed's messages of ``commands``: message N is ``[N - 1]``."""
    return messages_of(encoder_datagrams(event_rows(commands, window), 4096))


def snapshot_at(data_dir: Path, commands: list[Command], window: int, seq: int) -> None:
    """A host snapshot of the state after command ``seq``."""
    exchange = Exchange(window, CURRENT_RULES)
    for cmd in commands[:seq]:
        exchange.submit(cmd)
    take_snapshot(exchange, seq, data_dir)


def projection_after(commands: list[Command], window: int, seq: int) -> tuple[ItchProjection, int]:
    """The projection after command ``seq`` and the number of the next message."""
    from engine.marketdata.feed_encoder import FeedEncoder

    encoder = FeedEncoder(ItchProjection(), "SQXTEST001")
    encoder_datagrams(event_rows(commands[:seq], window), 4096, encoder)
    return encoder.projection, encoder.next_sequence
