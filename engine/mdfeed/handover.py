"""Which MoldUDP64 session a feed publishes, told from a primary to its standby.

A feed's message numbers are a function of the journal, which the standby holds byte for byte;
its session name (drawn at random when a feed starts one: ``engine.mdfeed.feed_state``) and the
UTC offset of its timestamps are not. For a promoted standby to continue its primary's feed,
those two travel with the journal::

    primary: marketdata stage ──writes──► DATA_DIR/marketdata/session.json
             replicator (SessionWatch) ──FEED frame──► standby process
    standby: ──writes──► DATA_DIR/marketdata/primary-session.json
             muted marketdata stage, at promotion: adopts it (engine.mdfeed.publisher)

* ``session.json``: the session this host's feed publishes now. Written by a feed that sends
  (a primary's, or a standby's once promoted) when it starts or takes a session; a muted
  feed removes it (it publishes nothing, and a file left by an earlier life of the data
  directory must not be told to a standby).
* ``primary-session.json``: the last session the primary told this standby. The promoted feed
  adopts it only if the offset equals its own (the timestamps of equal numbers must be equal
  bytes); otherwise, or when none was told, it keeps a session of its own (a listener then
  sees a new session, never a number reused for other content).

Both are small JSON files replaced atomically (temp file, fsync, rename).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from engine.mdfeed.feed_state import FEED_DIR
from journal.durable_files import make_directory, replace_durably

__all__ = [
    "PRIMARY_NAME",
    "SESSION_NAME",
    "FeedSession",
    "SessionWatch",
    "forget_session",
    "load_session",
    "promoted_session",
    "save_session",
]

SESSION_NAME: Final = "session.json"
PRIMARY_NAME: Final = "primary-session.json"
#: Seconds between two looks at ``session.json`` by a :class:`SessionWatch`.
LOOK_EVERY_S: Final = 0.5


@dataclass(frozen=True)
class FeedSession:
    """A feed's MoldUDP64 session name and the UTC offset of its timestamps."""

    session: str
    utc_offset_s: int


def _path(data_dir: str | Path, name: str) -> Path:
    return Path(data_dir, FEED_DIR, name)


def save_session(data_dir: str | Path, name: str, feed: FeedSession) -> None:
    """Write ``feed`` as ``name`` (SESSION_NAME or PRIMARY_NAME) in the feed's directory."""
    path = _path(data_dir, name)
    make_directory(path.parent)
    body = {"session": feed.session, "utc_offset_s": feed.utc_offset_s}
    replace_durably(path, json.dumps(body).encode())


def load_session(data_dir: str | Path, name: str) -> FeedSession | None:
    """The session kept as ``name``; None when there is none or it does not parse."""
    try:
        raw = json.loads(_path(data_dir, name).read_bytes())
        return FeedSession(str(raw["session"]), int(raw["utc_offset_s"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def forget_session(data_dir: str | Path, name: str) -> None:
    _path(data_dir, name).unlink(missing_ok=True)


class SessionWatch:
    """This host's ``session.json`` as it changes (the replicator's view of its feed)."""

    def __init__(self, data_dir: str | Path) -> None:
        self._path = _path(data_dir, SESSION_NAME)
        self._data_dir = data_dir
        self._stamp: tuple[int, int] | None = None
        self._feed: FeedSession | None = None
        self._looked = 0.0

    def current(self, *, look: bool = False) -> FeedSession | None:
        """The session, re-read when the file changed (looked at every LOOK_EVERY_S, or now
        with ``look``)."""
        now = time.monotonic()
        if not look and now - self._looked < LOOK_EVERY_S:
            return self._feed
        self._looked = now
        try:
            status = os.stat(self._path)
        except OSError:
            self._stamp = self._feed = None
            return None
        stamp = (status.st_mtime_ns, status.st_ino)
        if stamp != self._stamp:
            self._stamp = stamp
            self._feed = load_session(self._data_dir, SESSION_NAME)
        return self._feed


def promoted_session(data_dir: str | Path, own: FeedSession) -> tuple[str, str | None]:
    """The session a standby's feed publishes once promoted, given its own: the primary's
    (``primary-session.json``) when it was told one with the same UTC offset, else its own;
    and, in that case, why (None: the primary's is taken)."""
    told = load_session(data_dir, PRIMARY_NAME)
    if told is None:
        return own.session, "the primary never told its feed's session"
    if told.utc_offset_s != own.utc_offset_s:
        return own.session, (
            f"the primary's feed session {told.session} stamps UTC offset "
            f"{told.utc_offset_s} s, this feed {own.utc_offset_s} s"
        )
    return told.session, None
