"""The canonical text form of commands and events: JSON lines in, JSON lines out, digests.

This package sits beside the pure domain (which knows nothing of serialisation):

* :mod:`engine.canonical.commands`: commands as JSON objects (``{"type": "new_order", ...}``),
  strict parsing with :class:`CommandFormatError`, and :class:`CommandReader` for the
  commands.jsonl stream rules (implicit ``seq_no`` and ``ts``); schema in
  ``docs/commands-jsonl.md``;
* :mod:`engine.canonical.events`: events as canonical JSON lines (fixed key order ``seq``,
  ``sub``, ``type``, fields; enums as lower-case names; compact, ASCII, deterministic) and
  :class:`OutputDigest`, the streaming xxh3_64 of those lines: the digest of a run is xxh3_64
  of exactly the bytes of its events.jsonl.
"""

from engine.canonical.commands import (
    COMMAND_TYPES,
    CommandFormatError,
    CommandReader,
    command_from_json,
    command_to_json,
)
from engine.canonical.events import (
    EVENT_TYPES,
    OutputDigest,
    encode_event_line,
    encode_events,
    event_to_json,
    json_encode,
)

__all__ = [
    "COMMAND_TYPES",
    "EVENT_TYPES",
    "CommandFormatError",
    "CommandReader",
    "OutputDigest",
    "command_from_json",
    "command_to_json",
    "encode_event_line",
    "encode_events",
    "event_to_json",
    "json_encode",
]
