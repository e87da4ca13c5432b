"""The streaming FIX 4.4 framer: bytes in, whole messages out, with a bounded buffer.

``receive_data(data)`` buffers what the socket read (``b""`` = end of input); ``next_event()``
returns the next :class:`~.codec.FixMessage`, a :class:`Garbled` notice, a sticky
:class:`FramingError`, :data:`NEED_DATA` or :data:`END_OF_INPUT`. Never raises for any input.

A message is ``8=FIX.4.4<SOH>9=<n><SOH>``, then exactly ``n`` bytes ending with SOH, then
``10=<3 digits><SOH>`` holding the byte sum of everything before it, modulo 256. The sum,
and the fields of a plain message, are read in C (:mod:`.scan`); anything else goes through
:func:`~.codec.decode_fields`.

Errors, as the FIX session layer classifies them:

* **Garbled** (the FIX spec says: ignore it, do not count its sequence number, log it): a bad
  CheckSum, or a BodyLength that is not a number or does not end where ``10=`` starts. After
  a bad CheckSum the framing is still known, so only that message is dropped. After a bad
  BodyLength it is not: the framer skips to the next ``<SOH>8=FIX.4.4<SOH>9=`` (a resync).
* **Fatal** (:class:`FramingError`: the session logs out with the text and closes): bytes
  that do not start with ``8=FIX.4.4`` where a message must start, another BeginString, a
  BodyLength above the size bound, more than ``max_message_size`` bytes of garbage without a
  message start while resyncing, or more than ``max_pending`` unread bytes.

Memory: at most ``max_pending`` bytes wait unread; a message holds at most
``max_message_size`` bytes (default 64 KiB), checked from BodyLength before its body arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from engine.protocols.fix.codec import FixMessage, decode_fields
from engine.protocols.fix.scan import byte_sum, frame_plain, plain_message

__all__ = [
    "END_OF_INPUT",
    "MAX_MESSAGE_SIZE",
    "MAX_PENDING",
    "NEED_DATA",
    "FixFramer",
    "FramerEvent",
    "FramingError",
    "Garbled",
]

MAX_MESSAGE_SIZE: Final = 64 * 1024
MAX_PENDING: Final = 1024 * 1024

_PREFIX: Final = b"8=FIX.4.4\x019="
_BEGIN: Final = b"8=FIX.4.4\x01"
_RESYNC: Final = b"\x01" + _PREFIX  # a message start right after the previous message's SOH
_TRAILER_LEN: Final = 7  # 10=nnn<SOH>
_MAX_LENGTH_DIGITS: Final = 9


class _Sentinel:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


#: No whole message is buffered: feed more bytes.
NEED_DATA: Final = _Sentinel("NEED_DATA")
#: The input ended (``receive_data(b"")``) and every whole message was returned; a partial
#: message left in the buffer is discarded.
END_OF_INPUT: Final = _Sentinel("END_OF_INPUT")


@dataclass(frozen=True, slots=True)
class Garbled:
    """A message the FIX rules say to ignore (and log), and why."""

    reason: str


@dataclass(frozen=True, slots=True)
class FramingError:
    """The byte stream cannot be framed any more: log out with ``text`` and close."""

    text: str


FramerEvent = FixMessage | Garbled | FramingError | _Sentinel


class FixFramer:
    """Cuts a FIX 4.4 byte stream into messages; one per connection."""

    def __init__(
        self, *, max_message_size: int = MAX_MESSAGE_SIZE, max_pending: int = MAX_PENDING
    ) -> None:
        if max_pending < max_message_size:
            raise ValueError("max_pending must hold at least one message of max_message_size")
        self.max_message_size = max_message_size
        self.max_pending = max_pending
        self._buf = bytearray()
        self._pos = 0  # the first unread byte
        self._eof = False
        self._overflow = False
        self._resyncing = False
        self._junk = 0  # bytes skipped in the current resync
        self.error: FramingError | None = None

    def receive_data(self, data: bytes) -> None:
        """Buffer bytes from the peer; ``b""`` means end of input."""
        if not data:
            self._eof = True
            return
        if self._eof or self._overflow or self.error is not None:
            return
        if len(self._buf) - self._pos + len(data) > self.max_pending:
            self._overflow = True  # reported once the whole messages before it are read
            return
        if self._pos > 65536 and self._pos * 2 > len(self._buf):
            del self._buf[: self._pos]  # compact rarely: amortised O(1) per byte
            self._pos = 0
        self._buf += data

    def next_event(self) -> FramerEvent:
        """The next message or notice; NEED_DATA or END_OF_INPUT when none is whole."""
        if self.error is not None:
            return self.error
        if self._resyncing and not self._resync():
            return self._idle()
        if len(self._buf) == self._pos:
            return self._idle()
        return self._frame()

    @property
    def between_messages(self) -> bool:
        """Whether nothing is buffered and the next bytes must start a message (no framing
        error, no resync under way, no end of input)."""
        return (
            self._pos == len(self._buf)
            and self.error is None
            and not (self._resyncing or self._eof or self._overflow)
        )

    def take_pending(self) -> bytes:
        """The unread bytes (the start of a message not whole yet), handed back and dropped
        from the buffer, for a caller that reads whole messages itself and feeds them again
        with the next bytes; ``b""`` (and nothing dropped) once the stream is not clean: a
        framing error, a resync under way, the end of input or an overflow."""
        if self.error is not None or self._resyncing or self._eof or self._overflow:
            return b""
        data = bytes(self._buf[self._pos :])
        self._buf = bytearray()
        self._pos = 0
        return data

    # -- one message ---------------------------------------------------------------------

    def _frame(self) -> FramerEvent:
        buf, pos = self._buf, self._pos
        # a whole, plain message with a right CheckSum, in one C pass (the usual one);
        # anything else is this method's own to tell, from the same position
        plain = frame_plain(buf, pos, self.max_message_size)
        if plain is not None:
            self._pos = plain[1]
            return plain[0]
        avail = len(buf) - pos
        head = bytes(buf[pos : pos + len(_PREFIX)])
        if not _PREFIX.startswith(head):
            if head.startswith(_BEGIN):  # our BeginString, then something else than 9=
                return self._garbled("BodyLength(9) must be the second field")
            return self._fatal(_describe_bad_start(bytes(buf[pos : pos + 32])))
        if len(head) < len(_PREFIX):
            return self._idle()
        digits_at = pos + len(_PREFIX)
        soh = buf.find(b"\x01", digits_at, digits_at + _MAX_LENGTH_DIGITS + 1)
        if soh < 0:
            so_far = bytes(buf[digits_at:])
            if len(so_far) <= _MAX_LENGTH_DIGITS and (not so_far or so_far.isdigit()):
                return self._idle()  # BodyLength still arriving
            return self._garbled("BodyLength(9) is not a number")
        digits = bytes(buf[digits_at:soh])
        if not digits.isdigit():
            return self._garbled("BodyLength(9) is not a number")
        body_len = int(digits)
        body_at = soh + 1
        total = body_at - pos + body_len + _TRAILER_LEN
        if total > self.max_message_size:
            return self._fatal(
                f"BodyLength {body_len} makes a {total}-byte message, "
                f"above the {self.max_message_size}-byte limit"
            )
        if avail < total:
            return self._idle()
        trailer_at = body_at + body_len
        trailer = bytes(buf[trailer_at : trailer_at + _TRAILER_LEN])
        if (
            body_len == 0
            or buf[trailer_at - 1] != 1
            or trailer[:3] != b"10="
            or not trailer[3:6].isdigit()
            or trailer[6] != 1
        ):
            return self._garbled(f"BodyLength(9)={body_len} does not end at the CheckSum(10) field")
        expected = byte_sum(buf, pos, trailer_at)
        if expected != int(trailer[3:6]):
            reason = f"CheckSum(10)={trailer[3:6].decode()} but the bytes sum to {expected:03d}"
            self._pos = pos + total  # the framing held: drop exactly this message
            return Garbled(reason)
        raw = bytes(buf[pos : pos + total])
        self._pos = pos + total
        # a plain message's fields in one C pass (engine.protocols.fix.scan); the generic
        # parser for anything else, and so for every tag-level fault
        message = plain_message(raw, body_at - pos, trailer_at - pos)
        if message is not None:
            return message
        return decode_fields(raw[body_at - pos : trailer_at - pos], raw)

    def _garbled(self, reason: str) -> Garbled:
        """A message whose end is unknown: scan for the next start from inside it."""
        self._pos += 1  # step into the bad message so the scan finds the next one
        self._resyncing = True
        self._junk = 1
        return Garbled(reason)

    def _resync(self) -> bool:
        """Skip to the next message start; False while none is in the buffer."""
        found = self._buf.find(_RESYNC, self._pos)
        if found >= 0:
            self._junk += found + 1 - self._pos
            self._pos = found + 1
            self._resyncing = False
            return True
        # Keep a tail that could be the beginning of a split message start.
        keep = min(len(_RESYNC) - 1, len(self._buf) - self._pos)
        self._junk += len(self._buf) - keep - self._pos
        self._pos = len(self._buf) - keep
        if self._junk > self.max_message_size:
            self._fatal(f"no message start in {self._junk} bytes after a garbled message")
        return False

    def _idle(self) -> FramerEvent:
        if self.error is not None:
            return self.error
        if self._overflow:
            return self._fatal(f"more than {self.max_pending} bytes sent without being read")
        return END_OF_INPUT if self._eof else NEED_DATA

    def _fatal(self, text: str) -> FramingError:
        self.error = FramingError(text)
        self._buf = bytearray()
        self._pos = 0
        return self.error


def _describe_bad_start(head: bytes) -> str:
    if head.startswith(b"8="):
        version = head[2:].split(b"\x01", 1)[0][:16].decode("latin-1")
        return f"BeginString {version!r} is not supported: this acceptor speaks FIX.4.4"
    return f"expected a message starting 8=FIX.4.4, got {head[:16]!r}"
