"""What SoupBinTCP sessions hand out besides packets: sentinels, faults, closure, misuse.

Errors have a direction (as in h11):

* the **peer's** fault never raises: it comes out of ``next_event()`` as a :class:`PacketFault`
  with a code and a text. ``fatal`` faults end the session (the error state is sticky); a
  non-fatal one is confined to one packet whose boundaries were intact, and the session goes on;
* **our own** misuse (answering a login twice, sending data before login) raises
  :class:`LocalProtocolError`: a bug in the caller, never something the peer can cause.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = [
    "NEED_DATA",
    "PAUSED",
    "ConnectionClosed",
    "LocalProtocolError",
    "PacketFault",
    "Sentinel",
]


class LocalProtocolError(RuntimeError):
    """We (the owner of the session) used it out of order: a bug on our side, not the peer's."""


class Sentinel:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


#: No whole packet is buffered: feed more bytes.
NEED_DATA: Final = Sentinel("NEED_DATA")
#: A Login Request awaits our answer (accept_login / reject_login) before the next packet.
PAUSED: Final = Sentinel("PAUSED")


@dataclass(frozen=True, slots=True)
class PacketFault:
    """The peer sent something we cannot take. ``code`` is stable, ``text`` is for people.

    Codes: ``packet_too_large``, ``buffer_overflow`` (framing: always fatal), ``empty_packet``,
    ``unknown_type``, ``bad_length``, ``bad_field`` (one packet), ``not_logged_in``,
    ``unexpected_packet`` (a packet the state does not allow), ``peer_timeout`` (silence).
    """

    code: str
    text: str
    fatal: bool


@dataclass(frozen=True, slots=True)
class ConnectionClosed:
    """The session is over: end of input, logout, rejected login, end of session or a fault."""
