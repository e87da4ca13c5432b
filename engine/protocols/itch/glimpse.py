"""GLIMPSE 5.0's End of Snapshot message: where the live feed continues after a book snapshot.

A GLIMPSE-style snapshot is a stream of ordinary ITCH 5.0 messages (the books as Stock
Directory, Stock Trading Action and Add Order messages) followed by this one::

    'G' End of Snapshot                                                    21 bytes
        0   1   message type      'G'
        1   20  sequence number   numeric ASCII, right-justified, padded with spaces on the
                                  left: the MoldUDP64 sequence number of the first live
                                  message the snapshot does not include

A late joiner applies the snapshot, then the live feed from that number on: nothing is missed
and nothing applied twice. Decoding never raises for the peer's bytes (a ``MessageFault``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final

from engine.protocols.itch.fields import MessageFault

__all__ = ["END_OF_SNAPSHOT_SIZE", "EndOfSnapshot", "decode_end_of_snapshot"]

END_OF_SNAPSHOT_SIZE: Final = 21
_WIDTH: Final = 20


@dataclass(frozen=True, slots=True)
class EndOfSnapshot:
    """The snapshot is complete; the live feed continues at ``sequence_number``."""

    TYPE: ClassVar[bytes] = b"G"
    sequence_number: int

    def encode(self) -> bytes:
        text = str(self.sequence_number)
        if self.sequence_number < 0 or len(text) > _WIDTH:
            raise ValueError(f"sequence number {self.sequence_number} does not fit 20 digits")
        return self.TYPE + text.rjust(_WIDTH).encode("ascii")


def decode_end_of_snapshot(payload: bytes) -> EndOfSnapshot | MessageFault:
    if len(payload) != END_OF_SNAPSHOT_SIZE:
        return MessageFault(
            "bad_length", min(len(payload), END_OF_SNAPSHOT_SIZE),
            f"End of Snapshot is {len(payload)} bytes, the spec says {END_OF_SNAPSHOT_SIZE}",
        )  # fmt: skip
    if payload[:1] != EndOfSnapshot.TYPE:
        return MessageFault("unknown_type", 0, f"message type {payload[:1]!r} is not 'G'")
    digits = payload[1:].decode("ascii", "replace").strip(" ")
    if not digits.isdigit() or not digits.isascii():
        return MessageFault("bad_field", 1, f"sequence number {payload[1:]!r} is not numeric")
    return EndOfSnapshot(int(digits))
