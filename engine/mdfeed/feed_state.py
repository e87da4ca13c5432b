"""Where the feed stands, kept in the data directory so that a restart continues its numbers.

The scheme (docs/market-data.md, "Sessions and sequence numbers"):

* **One MoldUDP64 session per journal.** A feed starts a session when it first publishes a
  journal (or finds its state missing, or belonging to another journal); the name is ``SQX``
  and 7 random base-32 characters, drawn once and kept here, so a new journal (a new exchange)
  never reuses the name of an old one whose listeners may still hold its numbers.
* **Message N of the session is the N-th ITCH message the projection makes from the journal's
  commands, from seq 1 on.** The feed is a pure function of the journal (and of the feedback
  window W and rules in its header), so the numbers are too: a replay, a restart, the
  retransmission server and the publisher catching up all give message N the same bytes. A
  session started on a journal that had commands already numbers them all the same (it
  regenerates them without sending them) and goes on from there.
* **What is kept** (``DATA_DIR/marketdata/feed.json``, replaced atomically): the session, the
  last command seq ``through_seq`` whose messages are numbered, ``next_sequence`` (the number
  after them), the projection's state after ``through_seq`` (locates, resting orders and their
  references), the UTC offset, and a check of the journal record at ``through_seq``
  (xxh3-64 of its 128 bytes). The stage writes it at a clean stop and every few seconds. A
  start finds the feed at ``through_seq`` and catches up from the journal to where the host
  recovered (a crash leaves it behind by at most a few seconds of feed, which it sends
  again: same numbers, same bytes, so listeners drop them as duplicates).
* **Refused, a new session instead**: a state whose ``through_seq`` is past the journal's end
  or whose check does not match the journal's record (the journal was replaced), or that does
  not parse. Old numbers are never reused under the old name.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import xxhash

from engine.journal_format import journal_dir
from engine.stages.snapshotter import JournalTail, TailError
from journal.durable_files import make_directory, replace_durably

__all__ = ["FEED_DIR", "STATE_NAME", "FeedState", "load_state", "record_check", "save_state"]

FEED_DIR: Final = "marketdata"
STATE_NAME: Final = "feed.json"
_VERSION: Final = 1


@dataclass(frozen=True)
class FeedState:
    """The feed after command ``through_seq`` (module docstring)."""

    session: str
    through_seq: int
    next_sequence: int
    #: xxh3-64 hex of the journal's command record ``through_seq`` ("" for seq 0)
    journal_check: str
    #: ``ItchProjection.snapshot()`` after ``through_seq``
    projection: bytes

    @classmethod
    def fresh(cls, projection: bytes, session: str | None = None) -> FeedState:
        return cls(session or new_session_name(), 0, 1, "", projection)

    def encode(self) -> bytes:
        return json.dumps(
            {
                "version": _VERSION,
                "session": self.session,
                "through_seq": self.through_seq,
                "next_sequence": self.next_sequence,
                "journal_check": self.journal_check,
                "projection": json.loads(self.projection),
            },
            separators=(",", ":"),
        ).encode()

    @classmethod
    def decode(cls, data: bytes) -> FeedState:
        raw = json.loads(data)
        if raw.get("version") != _VERSION:
            raise ValueError(f"feed state version {raw.get('version')!r} is not {_VERSION}")
        state = cls(
            str(raw["session"]),
            int(raw["through_seq"]),
            int(raw["next_sequence"]),
            str(raw["journal_check"]),
            json.dumps(raw["projection"], separators=(",", ":")).encode(),
        )
        if state.through_seq < 0 or state.next_sequence < 1:
            raise ValueError(f"feed state at seq {state.through_seq}, {state.next_sequence}")
        return state


def new_session_name() -> str:
    """``SQX`` + 7 random base-32 characters: a MoldUDP64 session name (10 characters)."""
    return "SQX" + base64.b32encode(os.urandom(5)).decode("ascii")[:7]


def state_path(data_dir: str | Path) -> Path:
    return Path(data_dir, FEED_DIR, STATE_NAME)


def load_state(data_dir: str | Path) -> FeedState | None:
    """The kept state; None when there is none. Raises ValueError for one that is damaged."""
    path = state_path(data_dir)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        return FeedState.decode(data)
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a feed state: {exc}") from None


def save_state(data_dir: str | Path, state: FeedState) -> None:
    """Replace the kept state atomically (temp file, fsync, rename)."""
    path = state_path(data_dir)
    make_directory(path.parent)
    replace_durably(path, state.encode())


def record_check(data_dir: str | Path, seq: int) -> str | None:
    """The check of the journal's command record ``seq`` ("" for 0); None when the journal
    does not hold it."""
    if seq == 0:
        return ""
    tail = JournalTail(journal_dir(data_dir), seq - 1)
    try:
        record = tail.read(seq)
    except (TailError, OSError):
        return None
    finally:
        tail.close()
    return xxhash.xxh3_64_hexdigest(record) if record else None
