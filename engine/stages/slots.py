"""The ring[risk] slot descriptor, routing targets and the symbol -> shard function.

ring[risk] carries every command, 1:1 with ring[in] (same sequence), so a consumer's sequence
on ring[risk] means "processed every command through this seq_no". A slot is 256 bytes::

     offset  size  field
     0       128   the command record of ring[in] (engine.records), copied untouched except:
       5     1       target   u8: matcher shard 0..253, TARGET_ALL (every shard, no events) or
                              TARGET_NONE (no matcher: the risk stage answered)
       6     1       has_event u8: 1 when bytes 128..255 hold the risk stage's one event
       120   8       cap      i64: the hold price of an accepted NewOrder (0 otherwise)
     128     128   the risk-emitted event record (engine.event_records), sub_seq 0

Bytes 5..7 and 120..127 are padding in the command layout, so a command decoder reads the
first 128 bytes as the original command.

The shard of a symbol is ``xxh3_64(symbol) % shards``: stable across processes, runs and
machines (never ``hash()``, which is salted per process).
"""

from __future__ import annotations

from typing import Final

import xxhash

from engine.event_records import EVENT_RECORD_SIZE
from engine.records import RECORD_SIZE

RISK_SLOT_SIZE: Final = RECORD_SIZE + EVENT_RECORD_SIZE
TARGET_OFFSET: Final = 5
HAS_EVENT_OFFSET: Final = 6
CAP_OFFSET: Final = 120
EVENT_OFFSET: Final = RECORD_SIZE

TARGET_ALL: Final = 254
TARGET_NONE: Final = 255
MAX_SHARDS: Final = 254


def shard_of(symbol: str, shards: int) -> int:
    """The matcher shard that owns ``symbol`` among ``shards``."""
    return int(xxhash.xxh3_64_intdigest(symbol.encode("ascii")) % shards)


class ShardMap:
    """``shard_of`` with a cache (a symbol's shard never changes within a run)."""

    __slots__ = ("_cache", "shards")

    def __init__(self, shards: int) -> None:
        if not 1 <= shards <= MAX_SHARDS:
            raise ValueError(f"matcher shards must be in 1..{MAX_SHARDS}, got {shards}")
        self.shards = shards
        self._cache: dict[str, int] = {}

    def __call__(self, symbol: str) -> int:
        shard = self._cache.get(symbol)
        if shard is None:
            shard = self._cache[symbol] = shard_of(symbol, self.shards)
        return shard
