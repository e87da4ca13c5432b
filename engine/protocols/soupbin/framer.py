"""The SoupBinTCP stream framer: bytes in, whole decoded packets (or faults) out.

``receive_data(chunk)`` buffers what the socket read; ``next_packet()`` returns the next
decoded packet, a :class:`PacketFault`, :data:`NEED_DATA` or :class:`ConnectionClosed` (end of
input). One framer reads one direction: it is built with the decoder table of the packets that
direction may carry (``CLIENT_PACKET_DECODERS`` on a server, ``SERVER_PACKET_DECODERS`` on a
client), so a packet the peer may not send is an ``unknown_type`` fault.

Faults, and why some are fatal:

* ``packet_too_large`` - the length field exceeds ``max_packet``. Reported as soon as the two
  length bytes arrive, before the body is buffered, so a hostile length never costs memory.
  Fatal: skipping the body would mean buffering it anyway.
* ``buffer_overflow`` - more than ``max_pending`` unread bytes. The caller must drain events
  before feeding more; a peer that outruns it is cut off rather than buffered without bound.
  Reported after the whole packets already buffered. Fatal.
* ``empty_packet`` (length 0: no type byte), ``unknown_type``, ``bad_length``, ``bad_field`` -
  the packet's boundaries were intact, so the stream is still in step: not fatal here; the
  session decides what they mean in its state.

After a fatal fault the framer is broken for good: every later call returns the same fault.
Bytes of an incomplete packet at end of input are discarded: half a packet is never acted on.

Cost: each byte is copied into the buffer once and out once; the buffer is compacted only when
its consumed prefix dominates it, so byte-by-byte feeding stays linear.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final, Generic, TypeVar

from engine.protocols.soupbin.events import NEED_DATA, ConnectionClosed, PacketFault, Sentinel
from engine.protocols.soupbin.packets import HEADER, PacketDecodeError

__all__ = ["DEFAULT_MAX_PACKET", "DEFAULT_MAX_PENDING", "PacketFramer"]

#: The length field's own limit: any packet SoupBinTCP can express.
DEFAULT_MAX_PACKET: Final = 0xFFFF
DEFAULT_MAX_PENDING: Final = 1024 * 1024
_COMPACT_AFTER: Final = 64 * 1024

P = TypeVar("P")


class PacketFramer(Generic[P]):
    """Splits one direction of a SoupBinTCP stream into decoded packets."""

    def __init__(
        self,
        decoders: Mapping[int, Callable[[bytes], P]],
        *,
        max_packet: int = DEFAULT_MAX_PACKET,
        max_pending: int = DEFAULT_MAX_PENDING,
    ) -> None:
        if not 1 <= max_packet <= DEFAULT_MAX_PACKET:
            raise ValueError(f"max_packet {max_packet} is not in 1..{DEFAULT_MAX_PACKET}")
        if max_pending < max_packet + HEADER.size:
            raise ValueError(f"max_pending {max_pending} cannot hold one packet of {max_packet}")
        self._decoders = decoders
        self._max_packet = max_packet
        self._max_pending = max_pending
        self._buf = bytearray()
        self._pos = 0  # first unread byte of _buf
        self._eof = False
        self._overflow = False
        self._broken: PacketFault | None = None
        self.packets_received = 0

    @property
    def pending(self) -> int:
        """Bytes received and not yet handed out as packets."""
        return len(self._buf) - self._pos

    def receive_data(self, data: bytes) -> None:
        """Buffer bytes read from the peer; ``b""`` means end of input."""
        if not data:
            self._eof = True
            return
        if self._eof or self._overflow or self._broken is not None:
            return  # nothing more will be read from this peer
        if self.pending + len(data) > self._max_pending:
            self._overflow = True
            return
        if self._pos > _COMPACT_AFTER and self._pos * 2 > len(self._buf):
            del self._buf[: self._pos]
            self._pos = 0
        self._buf += data

    def window(self, length: int) -> tuple[bytearray, int, int] | None:
        """``(buffer, start, end)``: the bytes received and not handed out yet, for a caller
        that reads whole packets of its own kinds, of length field ``length``, in place (the
        OUCH gateway's fast lane), then says how far with :meth:`skip`; None once broken, or
        when such a packet would be too large here. The buffer is the framer's own: read it
        before the next ``receive_data``, never write it."""
        if self._broken is not None or length > self._max_packet:
            return None
        return self._buf, self._pos, len(self._buf)

    def skip(self, position: int, packets: int) -> None:
        """The caller of :meth:`window` took ``packets`` whole packets, up to ``position``."""
        if not self._pos <= position <= len(self._buf):
            raise ValueError(f"position {position} is outside {self._pos}..{len(self._buf)}")
        self._pos = position
        self.packets_received += packets

    def next_packet(self) -> P | PacketFault | ConnectionClosed | Sentinel:
        """The next packet, a fault, ConnectionClosed (end of input) or NEED_DATA."""
        if self._broken is not None:
            return self._broken
        available = self.pending
        if available >= HEADER.size:
            (length,) = HEADER.unpack_from(self._buf, self._pos)
            if length > self._max_packet:
                return self._break(
                    "packet_too_large",
                    f"packet length {length} exceeds the maximum of {self._max_packet}",
                )
            if available >= HEADER.size + length:
                return self._take(length)
        if self._overflow:
            return self._break("buffer_overflow", f"more than {self._max_pending} bytes pending")
        if self._eof:
            return ConnectionClosed()
        return NEED_DATA

    def _take(self, length: int) -> P | PacketFault:
        start = self._pos + HEADER.size
        self._pos = start + length
        self.packets_received += 1
        if length == 0:
            return PacketFault("empty_packet", "a packet of length 0 has no type", fatal=False)
        kind = self._buf[start]
        decoder = self._decoders.get(kind)
        if decoder is None:
            return PacketFault("unknown_type", f"unknown packet type {chr(kind)!r}", fatal=False)
        try:
            return decoder(bytes(self._buf[start + 1 : self._pos]))
        except PacketDecodeError as exc:
            return PacketFault(exc.code, f"{chr(kind)!r} packet: {exc.text}", fatal=False)

    def _break(self, code: str, text: str) -> PacketFault:
        self._broken = PacketFault(code, text, fatal=True)
        return self._broken
