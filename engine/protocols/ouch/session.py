"""OUCH 4.2 over SoupBinTCP 3.0: the two session ends with OUCH messages in and out.

Thin layers over :class:`~engine.protocols.soupbin.ServerSession` and
:class:`~engine.protocols.soupbin.ClientSession`: SoupBinTCP does the login, the numbering,
the heartbeats and the faults; these decode and encode the messages the data packets carry.

A gateway server drives :class:`OuchServerSession` like this (``store`` is its outbound store
for this OUCH account, numbered from 1)::

    session.receive_data(chunk)                   # b"" at end of input
    while (event := session.next_event()) not in (NEED_DATA, PAUSED):
        match event:
            case LoginRequest():                  # authenticate, then either
                start = start_sequence(event.requested_sequence_number, store.next_sequence)
                write(session.accept_login(name, start)
                      + session.replay(store.messages(start, store.next_sequence)))
                # or write(session.reject_login(NOT_AUTHORIZED)) and close
            case EnterOrder() | ReplaceOrder() | CancelOrder():
                ...                               # terms.enter_terms(...) -> a command
            case MessageFault(token=str() as token):   # one bad message: answer, go on
                write(session.send(Rejected(ts, token, event.reject_reason), sequence=...))
            case PacketFault(fatal=True) | ConnectionClosed():
                ...                               # close the socket
    write(session.tick(now_ns))                   # heartbeats; a silent client -> a fault
    write(session.send(message, sequence=store.append(message.encode())))

PAUSED means a LoginRequest awaits its answer: nothing more is read until it is given.
The store holds encoded messages; ``send`` and ``send_sequenced`` accept an optional
``sequence`` that must match the number the client will see (LocalProtocolError otherwise).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, TypeAlias

from engine.protocols.ouch.fields import MessageFault
from engine.protocols.ouch.inbound import InboundMessage, decode_inbound
from engine.protocols.ouch.outbound import OutboundMessage, decode_outbound
from engine.protocols.soupbin.client import ClientSession, ClientState, SequencedMessage
from engine.protocols.soupbin.events import ConnectionClosed, PacketFault, Sentinel
from engine.protocols.soupbin.liveness import HEARTBEAT_INTERVAL_NS, PEER_TIMEOUT_NS
from engine.protocols.soupbin.packets import (
    Debug,
    EndOfSession,
    LoginAccepted,
    LoginRejected,
    LoginRequest,
    LogoutRequest,
    UnsequencedData,
)
from engine.protocols.soupbin.server import ServerSession, ServerState

__all__ = [
    "MAX_OUCH_PACKET",
    "MAX_OUCH_PENDING",
    "OuchClientEvent",
    "OuchClientSession",
    "OuchSequenced",
    "OuchServerEvent",
    "OuchServerSession",
]

#: The largest SoupBinTCP packet an OUCH peer needs: 81 bytes (type + Replaced) with room for
#: Debug text; anything larger is a framing fault before it costs memory.
MAX_OUCH_PACKET: Final = 1024
#: An OUCH peer sends small packets; a backlog of this much unread input is misbehaviour.
MAX_OUCH_PENDING: Final = 256 * 1024

OuchServerEvent: TypeAlias = (
    LoginRequest
    | InboundMessage
    | MessageFault
    | Debug
    | LogoutRequest
    | PacketFault
    | ConnectionClosed
    | Sentinel
)


class OuchServerSession:
    """The exchange's end of one OUCH connection."""

    def __init__(
        self,
        *,
        max_packet: int = MAX_OUCH_PACKET,
        max_pending: int = MAX_OUCH_PENDING,
        heartbeat_ns: int = HEARTBEAT_INTERVAL_NS,
        peer_timeout_ns: int = PEER_TIMEOUT_NS,
    ) -> None:
        #: the SoupBinTCP session underneath, for anything not OUCH-specific
        self.soupbin = ServerSession(
            max_packet=max_packet,
            max_pending=max_pending,
            heartbeat_ns=heartbeat_ns,
            peer_timeout_ns=peer_timeout_ns,
        )

    @property
    def state(self) -> ServerState:
        return self.soupbin.state

    @property
    def next_sequence(self) -> int:
        return self.soupbin.next_sequence

    @property
    def error(self) -> PacketFault | None:
        return self.soupbin.error

    def receive_data(self, data: bytes) -> None:
        self.soupbin.receive_data(data)

    def next_event(self) -> OuchServerEvent:
        """As ServerSession.next_event, with Unsequenced Data decoded into OUCH messages (or a
        MessageFault, which never ends the session)."""
        event = self.soupbin.next_event()
        if isinstance(event, UnsequencedData):
            return decode_inbound(event.message)
        return event

    def accept_login(self, session: str, next_sequence: int) -> bytes:
        return self.soupbin.accept_login(session, next_sequence)

    def reject_login(self, code: str) -> bytes:
        return self.soupbin.reject_login(code)

    def send(self, message: OutboundMessage, *, sequence: int | None = None) -> bytes:
        return self.soupbin.send_sequenced(message.encode(), sequence=sequence)

    def send_sequenced(self, payload: bytes, *, sequence: int | None = None) -> bytes:
        """An already encoded message (e.g. from the outbound store)."""
        return self.soupbin.send_sequenced(payload, sequence=sequence)

    def send_many(self, payloads: list[bytes], *, first_sequence: int | None = None) -> bytes:
        """Already encoded messages, numbered from ``first_sequence`` (checked)."""
        return self.soupbin.send_many(payloads, first_sequence=first_sequence)

    def send_packets(
        self, packets: bytes, count: int, *, first_sequence: int | None = None
    ) -> bytes:
        """``count`` encoded messages already framed as Sequenced Data packets."""
        return self.soupbin.send_packets(packets, count, first_sequence=first_sequence)

    def replay(self, payloads: Iterable[bytes], *, first_sequence: int | None = None) -> bytes:
        return self.soupbin.replay(payloads, first_sequence=first_sequence)

    def send_debug(self, text: str) -> bytes:
        return self.soupbin.send_debug(text)

    def end_of_session(self) -> bytes:
        return self.soupbin.end_of_session()

    def tick(self, now_ns: int) -> bytes:
        return self.soupbin.tick(now_ns)

    def close(self) -> None:
        self.soupbin.close()


@dataclass(frozen=True, slots=True)
class OuchSequenced:
    """An outbound OUCH message with its sequence number (a MessageFault if unreadable)."""

    sequence: int
    message: OutboundMessage | MessageFault


OuchClientEvent: TypeAlias = (
    LoginAccepted
    | LoginRejected
    | OuchSequenced
    | Debug
    | EndOfSession
    | PacketFault
    | ConnectionClosed
    | Sentinel
)


class OuchClientSession:
    """A firm's end of one OUCH connection (the client library and the load generator)."""

    def __init__(
        self,
        *,
        max_packet: int = MAX_OUCH_PACKET,
        max_pending: int = MAX_OUCH_PENDING,
        heartbeat_ns: int = HEARTBEAT_INTERVAL_NS,
        server_timeout_ns: int = PEER_TIMEOUT_NS,
    ) -> None:
        self.soupbin = ClientSession(
            max_packet=max_packet,
            max_pending=max_pending,
            heartbeat_ns=heartbeat_ns,
            server_timeout_ns=server_timeout_ns,
        )

    @property
    def state(self) -> ClientState:
        return self.soupbin.state

    @property
    def resume_point(self) -> tuple[str, int]:
        return self.soupbin.resume_point

    def login(self, username: str, password: str, session: str = "", sequence: int = 0) -> bytes:
        return self.soupbin.login(username, password, session, sequence)

    def send(self, message: InboundMessage) -> bytes:
        return self.soupbin.send_unsequenced(message.encode())

    def logout(self) -> bytes:
        return self.soupbin.logout()

    def tick(self, now_ns: int) -> bytes:
        return self.soupbin.tick(now_ns)

    def receive_data(self, data: bytes) -> None:
        self.soupbin.receive_data(data)

    def next_event(self) -> OuchClientEvent:
        event = self.soupbin.next_event()
        if isinstance(event, SequencedMessage):
            return OuchSequenced(event.sequence, decode_outbound(event.message))
        return event
