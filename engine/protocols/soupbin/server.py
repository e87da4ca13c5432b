"""The server (acceptor) end of a SoupBinTCP 3.0 session: a sans-IO state machine.

Feed it the bytes read from the socket (``receive_data``), take events out (``next_event``),
and write whatever its methods return. It reads no clock (``tick(now_ns)`` brings the time) and
owns no store: the caller keeps the outbound messages, and this object numbers the Sequenced
Data packets so that the numbers always match the caller's store.

States, as one transition table (:data:`TRANSITIONS`)::

    AWAITING_LOGIN --recv Login Request--> LOGIN_PENDING   (next_event answers PAUSED until
    LOGIN_PENDING --accept_login--> LOGGED_IN               the caller decides)
    LOGIN_PENDING --reject_login--> CLOSED
    LOGGED_IN --recv Unsequenced Data / heartbeat / debug--> LOGGED_IN
    LOGGED_IN --send_sequenced / replay / heartbeat / debug--> LOGGED_IN
    LOGGED_IN --recv Logout Request--> CLOSED
    LOGGED_IN --end_of_session--> CLOSED
    AWAITING_LOGIN, LOGIN_PENDING, LOGGED_IN --close()--> CLOSED  (login timeout, shutdown)
    AWAITING_LOGIN, LOGGED_IN --peer's fatal fault or peer timeout--> ERROR   (sticky)
    any live state --end of input--> CLOSED

Login, replay and live, with the caller's outbound store numbered from 1::

    event = session.next_event()                  # LoginRequest(user, pw, session, seq=N)
    start = start_sequence(event.requested_sequence_number, store.next_sequence)
    out = session.accept_login("SESSION1", start)     # Login Accepted: next seq = start
    out += session.replay(store.messages(start, store.next_sequence))  # numbered start..
    ...
    out = session.send_sequenced(message)         # live: numbering goes on from the replay

``send_sequenced(message, sequence=n)`` checks that ``n`` is the number the client will give
the message, so a gateway that appends to its store and sends in the same step cannot drift.

The login timeout is the server's clock and the server's decision: while ``state`` is
``AWAITING_LOGIN`` no login has arrived; when its deadline passes it calls :meth:`close` (there
is no SoupBinTCP packet for it) and drops the connection.

Faults: before login every peer fault is fatal (a stranger gets no second chance); after login
a fault confined to one packet (``unknown_type``, ``bad_length``, ``bad_field``,
``empty_packet``, ``unexpected_packet``) is reported and the session goes on, framing faults and
``peer_timeout`` end it.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import Final, TypeAlias

from engine.protocols.soupbin.events import (
    PAUSED,
    ConnectionClosed,
    LocalProtocolError,
    PacketFault,
    Sentinel,
)
from engine.protocols.soupbin.framer import DEFAULT_MAX_PACKET, DEFAULT_MAX_PENDING, PacketFramer
from engine.protocols.soupbin.liveness import HEARTBEAT_INTERVAL_NS, PEER_TIMEOUT_NS, Liveness
from engine.protocols.soupbin.packets import (
    CLIENT_PACKET_DECODERS,
    HEADER,
    MAX_SEQUENCE_NUMBER,
    ClientHeartbeat,
    ClientPacket,
    Debug,
    EndOfSession,
    LoginAccepted,
    LoginRejected,
    LoginRequest,
    LogoutRequest,
    ServerHeartbeat,
    UnsequencedData,
    encode,
)

__all__ = ["TRANSITIONS", "ServerEvent", "ServerSession", "ServerState", "start_sequence"]


class ServerState(Enum):
    AWAITING_LOGIN = "awaiting_login"
    LOGIN_PENDING = "login_pending"
    LOGGED_IN = "logged_in"
    CLOSED = "closed"
    ERROR = "error"


class _Trigger(Enum):
    RECV_LOGIN = "recv Login Request"
    RECV_DATA = "recv Unsequenced Data"
    RECV_HEARTBEAT = "recv Client Heartbeat"
    RECV_DEBUG = "recv Debug"
    RECV_LOGOUT = "recv Logout Request"
    RECV_EOF = "recv end of input"
    PEER_FAULT = "peer's fatal fault"
    SEND_ACCEPT = "send Login Accepted"
    SEND_REJECT = "send Login Rejected"
    SEND_SEQUENCED = "send Sequenced Data"
    SEND_HEARTBEAT = "send Server Heartbeat"
    SEND_DEBUG = "send Debug"
    SEND_END = "send End of Session"
    CLOSE = "close"


_S, _T = ServerState, _Trigger

#: (state, trigger) -> next state. A missing pair is not allowed: for the peer's packets the
#: session reports a PacketFault, for our own calls it raises LocalProtocolError.
TRANSITIONS: Final[dict[tuple[ServerState, _Trigger], ServerState]] = {
    (_S.AWAITING_LOGIN, _T.RECV_LOGIN): _S.LOGIN_PENDING,
    (_S.AWAITING_LOGIN, _T.RECV_DEBUG): _S.AWAITING_LOGIN,
    (_S.AWAITING_LOGIN, _T.SEND_DEBUG): _S.AWAITING_LOGIN,
    (_S.LOGIN_PENDING, _T.SEND_ACCEPT): _S.LOGGED_IN,
    (_S.LOGIN_PENDING, _T.SEND_REJECT): _S.CLOSED,
    (_S.LOGGED_IN, _T.RECV_DATA): _S.LOGGED_IN,
    (_S.LOGGED_IN, _T.RECV_HEARTBEAT): _S.LOGGED_IN,
    (_S.LOGGED_IN, _T.RECV_DEBUG): _S.LOGGED_IN,
    (_S.LOGGED_IN, _T.SEND_SEQUENCED): _S.LOGGED_IN,
    (_S.LOGGED_IN, _T.SEND_HEARTBEAT): _S.LOGGED_IN,
    (_S.LOGGED_IN, _T.SEND_DEBUG): _S.LOGGED_IN,
    (_S.LOGGED_IN, _T.RECV_LOGOUT): _S.CLOSED,
    (_S.LOGGED_IN, _T.SEND_END): _S.CLOSED,
    (_S.AWAITING_LOGIN, _T.PEER_FAULT): _S.ERROR,
    (_S.LOGGED_IN, _T.PEER_FAULT): _S.ERROR,
    (_S.AWAITING_LOGIN, _T.CLOSE): _S.CLOSED,
    (_S.LOGIN_PENDING, _T.CLOSE): _S.CLOSED,
    (_S.LOGGED_IN, _T.CLOSE): _S.CLOSED,
    (_S.AWAITING_LOGIN, _T.RECV_EOF): _S.CLOSED,
    (_S.LOGIN_PENDING, _T.RECV_EOF): _S.CLOSED,
    (_S.LOGGED_IN, _T.RECV_EOF): _S.CLOSED,
}

#: the trigger each packet a client may send fires
_RECEIVED: Final[dict[type, _Trigger]] = {
    LoginRequest: _T.RECV_LOGIN,
    UnsequencedData: _T.RECV_DATA,
    ClientHeartbeat: _T.RECV_HEARTBEAT,
    Debug: _T.RECV_DEBUG,
    LogoutRequest: _T.RECV_LOGOUT,
}

#: The events next_event hands out. Heartbeats are handled inside and never surface.
ServerEvent: TypeAlias = (
    LoginRequest
    | UnsequencedData
    | Debug
    | LogoutRequest
    | PacketFault
    | ConnectionClosed
    | Sentinel
)

_LIVE: Final = frozenset({_S.AWAITING_LOGIN, _S.LOGIN_PENDING, _S.LOGGED_IN})


def start_sequence(requested: int, next_available: int) -> int:
    """The first sequence number to send a client that asked for ``requested``.

    ``next_available`` is the number the next message stored will get (1 + the last stored).
    0 asks for the stream from the next message generated (no replay); a number beyond what
    exists cannot be honoured either, so the client starts with the next message too; any
    other number is replayed from.
    """
    if requested == 0 or requested > next_available:
        return next_available
    return requested


class ServerSession:
    """One client connection's SoupBinTCP state; bytes in, events out, bytes to send."""

    def __init__(
        self,
        *,
        max_packet: int = DEFAULT_MAX_PACKET,
        max_pending: int = DEFAULT_MAX_PENDING,
        heartbeat_ns: int = HEARTBEAT_INTERVAL_NS,
        peer_timeout_ns: int = PEER_TIMEOUT_NS,
    ) -> None:
        self.state = ServerState.AWAITING_LOGIN
        #: the fatal fault that ended the session, if one did (sticky)
        self.error: PacketFault | None = None
        #: the session name given in Login Accepted
        self.session_name = ""
        self._next_sequence = 0
        self._framer: PacketFramer[ClientPacket] = PacketFramer(
            CLIENT_PACKET_DECODERS, max_packet=max_packet, max_pending=max_pending
        )
        self._liveness = Liveness(heartbeat_ns=heartbeat_ns, timeout_ns=peer_timeout_ns)
        self._unreported: PacketFault | None = None  # a fault found by tick, not yet handed out

    # -- queries --------------------------------------------------------------------------

    @property
    def next_sequence(self) -> int:
        """The number the client will give the next Sequenced Data packet (0 before login)."""
        return self._next_sequence

    @property
    def is_awaiting_login(self) -> bool:
        """No Login Request yet: the server's login timeout is running."""
        return self.state is ServerState.AWAITING_LOGIN

    @property
    def is_logged_in(self) -> bool:
        return self.state is ServerState.LOGGED_IN

    # -- input ----------------------------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        """Buffer bytes read from the client; ``b""`` means end of input."""
        if data and self.state in _LIVE:
            self._liveness.received()
        self._framer.receive_data(data)

    def unread(self, length: int) -> tuple[bytearray, int, int] | None:
        """For a fast lane that reads Unsequenced Data packets of length field ``length`` in
        place: the framer's window (``PacketFramer.window``) while the session is logged in
        and has no fault to hand out first, else None. An Unsequenced Data packet taken
        there, and told with :meth:`took`, is what ``next_event`` would have handed out:
        receiving one changes no state of a logged-in session."""
        if self.state is not ServerState.LOGGED_IN or self._unreported is not None:
            return None
        return self._framer.window(length)

    def took(self, position: int, packets: int) -> None:
        """A fast lane took ``packets`` Unsequenced Data packets, up to ``position``."""
        self._framer.skip(position, packets)

    def next_event(self) -> ServerEvent:
        """The next event, PacketFault, ConnectionClosed, NEED_DATA or PAUSED (login pending)."""
        if self._unreported is not None:
            fault, self._unreported = self._unreported, None
            return fault
        while self.state in _LIVE:
            if self.state is ServerState.LOGIN_PENDING:
                return PAUSED
            item = self._framer.next_packet()
            if isinstance(item, Sentinel):
                return item  # NEED_DATA
            if isinstance(item, ConnectionClosed):
                self._advance(_T.RECV_EOF)
                break
            if isinstance(item, PacketFault):
                return self._fault(item.code, item.text, fatal=item.fatal)
            event = self._receive(item)
            if event is not None:
                return event
        return ConnectionClosed()

    def _receive(self, packet: ClientPacket) -> ServerEvent | None:
        trigger = _RECEIVED[type(packet)]
        new = TRANSITIONS.get((self.state, trigger))
        if new is None:
            if self.state is ServerState.AWAITING_LOGIN:
                return self._fault("not_logged_in", f"{trigger.value} before login", fatal=True)
            return self._fault("unexpected_packet", f"{trigger.value} after login", fatal=False)
        self.state = new
        if new is ServerState.CLOSED:
            self._liveness.stop()
        if isinstance(packet, ClientHeartbeat):
            return None  # its only meaning is "still here", already noted by receive_data
        return packet

    def _fault(self, code: str, text: str, *, fatal: bool) -> PacketFault:
        fatal = fatal or self.state is not ServerState.LOGGED_IN
        fault = PacketFault(code, text, fatal)
        if fatal:
            self._advance(_T.PEER_FAULT)
            self.error = fault
            self._liveness.stop()
        return fault

    def _advance(self, trigger: _Trigger) -> None:
        new = TRANSITIONS.get((self.state, trigger))
        if new is None:
            raise LocalProtocolError(f"cannot {trigger.value} in state {self.state.value}")
        self.state = new

    # -- output ---------------------------------------------------------------------------

    def _send(self, trigger: _Trigger, packet: bytes) -> bytes:
        self._advance(trigger)
        self._liveness.sent()
        return packet

    def accept_login(self, session: str, next_sequence: int) -> bytes:
        """Login Accepted for ``session``; the first Sequenced Data sent gets ``next_sequence``."""
        if not 1 <= next_sequence <= MAX_SEQUENCE_NUMBER:
            raise LocalProtocolError(f"sequence numbers start at 1, not {next_sequence}")
        packet = encode(LoginAccepted(session, next_sequence))  # ValueError on a bad name
        self._advance(_T.SEND_ACCEPT)
        self.session_name, self._next_sequence = session, next_sequence
        self._liveness.start()
        self._liveness.sent()
        return packet

    def reject_login(self, code: str) -> bytes:
        """Login Rejected ('A' not authorized, 'S' session not available); then close."""
        packet = encode(LoginRejected(code))
        return self._send(_T.SEND_REJECT, packet)

    def send_sequenced(self, message: bytes, *, sequence: int | None = None) -> bytes:
        """A Sequenced Data packet; the client numbers it :attr:`next_sequence`.

        ``sequence``, if given, must equal that number: the caller's store and the session
        agree, or this raises LocalProtocolError before anything is sent.
        """
        if sequence is not None and sequence != self._next_sequence:
            raise LocalProtocolError(
                f"message {sequence} would arrive as {self._next_sequence}: store and session"
                " numbering differ"
            )
        packet = _sequenced(message)
        self._send(_T.SEND_SEQUENCED, packet)
        self._next_sequence += 1
        return packet

    def replay(self, messages: Iterable[bytes], *, first_sequence: int | None = None) -> bytes:
        """Sequenced Data packets for stored messages, numbered from :attr:`next_sequence`."""
        return self.send_many(list(messages), first_sequence=first_sequence)

    def send_many(self, messages: list[bytes], *, first_sequence: int | None = None) -> bytes:
        """Sequenced Data packets for ``messages``, numbered from :attr:`next_sequence`
        (``first_sequence``, if given, must equal it, as in :meth:`send_sequenced`): one
        state step for the batch."""
        if first_sequence is not None and first_sequence != self._next_sequence:
            raise LocalProtocolError(
                f"messages from {first_sequence} but the client expects {self._next_sequence}"
            )
        if not messages:
            return b""
        packets = b"".join([_sequenced(message) for message in messages])
        self._send(_T.SEND_SEQUENCED, packets)
        self._next_sequence += len(messages)
        return packets

    def send_packets(
        self, packets: bytes, count: int, *, first_sequence: int | None = None
    ) -> bytes:
        """:meth:`send_many` for ``count`` messages its caller framed already: ``packets`` is
        their Sequenced Data packets, one after the other (the OUCH gateway renders and frames
        its reports in one compiled pass, ``engine.gateway.ouch_frames``)."""
        if first_sequence is not None and first_sequence != self._next_sequence:
            raise LocalProtocolError(
                f"messages from {first_sequence} but the client expects {self._next_sequence}"
            )
        if not count:
            return b""
        self._send(_T.SEND_SEQUENCED, packets)
        self._next_sequence += count
        return packets

    def send_debug(self, text: str) -> bytes:
        return self._send(_T.SEND_DEBUG, encode(Debug(text)))

    def end_of_session(self) -> bytes:
        """End of Session: nothing more will be sequenced in this session; then close."""
        packet = self._send(_T.SEND_END, encode(EndOfSession()))
        self._liveness.stop()
        return packet

    def close(self) -> None:
        """End the session from our side without a packet (login timeout, shutdown)."""
        if self.state in _LIVE:
            self._advance(_T.CLOSE)
        self._liveness.stop()

    def tick(self, now_ns: int) -> bytes:
        """Advance the clock: a Server Heartbeat if one is due; a silent client is a fault
        (``peer_timeout``) that the next ``next_event`` reports."""
        result = self._liveness.tick(now_ns)
        if self.state is not ServerState.LOGGED_IN:
            return b""
        if result.peer_timed_out:
            self._unreported = self._fault("peer_timeout", "the client fell silent", fatal=True)
            return b""
        if result.heartbeat_due:
            return self._send(_T.SEND_HEARTBEAT, _HEARTBEAT)
        return b""


_HEARTBEAT: Final = encode(ServerHeartbeat())
_SEQUENCED_TYPE: Final = b"S"


def _sequenced(message: bytes) -> bytes:
    # the hot path of every outbound message: build the packet without a dataclass
    if len(message) >= 0xFFFF:
        raise ValueError(f"a message of {len(message)} bytes does not fit a SoupBinTCP packet")
    return HEADER.pack(len(message) + 1) + _SEQUENCED_TYPE + message
