"""The client (initiator) end of a SoupBinTCP 3.0 session: a sans-IO state machine.

For the project's own client library and load generator. Same shape as the server end:
``receive_data`` / ``next_event`` / methods that return bytes to write, ``tick(now_ns)`` for
heartbeats; no socket, no clock.

States, as one transition table (:data:`TRANSITIONS`)::

    IDLE --login()--> LOGIN_SENT --recv Login Accepted--> LOGGED_IN
    LOGIN_SENT --recv Login Rejected--> CLOSED
    LOGGED_IN --recv Sequenced Data / heartbeat / debug--> LOGGED_IN
    LOGGED_IN --send_unsequenced / heartbeat / debug--> LOGGED_IN
    LOGGED_IN --recv End of Session--> CLOSED
    LOGIN_SENT, LOGGED_IN --logout()--> CLOSED
    IDLE, LOGIN_SENT, LOGGED_IN --server's fatal fault or server silent--> ERROR   (sticky)
    any live state --end of input--> CLOSED

Resuming: the client counts Sequenced Data packets from the number in Login Accepted, so after
any disconnect :attr:`ClientSession.resume_point` is ``(session, next expected number)``; a new
ClientSession logs in with exactly those to get every message it missed and none twice.

Faults: the server is trusted less than nothing by a load generator, so every fault before
login is fatal; after login a fault confined to one packet is reported and the session goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Final, TypeAlias

from engine.protocols.soupbin.events import (
    ConnectionClosed,
    LocalProtocolError,
    PacketFault,
    Sentinel,
)
from engine.protocols.soupbin.framer import DEFAULT_MAX_PACKET, DEFAULT_MAX_PENDING, PacketFramer
from engine.protocols.soupbin.liveness import HEARTBEAT_INTERVAL_NS, PEER_TIMEOUT_NS, Liveness
from engine.protocols.soupbin.packets import (
    SERVER_PACKET_DECODERS,
    ClientHeartbeat,
    Debug,
    EndOfSession,
    LoginAccepted,
    LoginRejected,
    LoginRequest,
    LogoutRequest,
    SequencedData,
    ServerHeartbeat,
    ServerPacket,
    UnsequencedData,
    encode,
)

__all__ = ["TRANSITIONS", "ClientEvent", "ClientSession", "ClientState", "SequencedMessage"]


class ClientState(Enum):
    IDLE = "idle"
    LOGIN_SENT = "login_sent"
    LOGGED_IN = "logged_in"
    CLOSED = "closed"
    ERROR = "error"


class _Trigger(Enum):
    SEND_LOGIN = "send Login Request"
    SEND_DATA = "send Unsequenced Data"
    SEND_HEARTBEAT = "send Client Heartbeat"
    SEND_DEBUG = "send Debug"
    SEND_LOGOUT = "send Logout Request"
    RECV_ACCEPTED = "recv Login Accepted"
    RECV_REJECTED = "recv Login Rejected"
    RECV_SEQUENCED = "recv Sequenced Data"
    RECV_HEARTBEAT = "recv Server Heartbeat"
    RECV_DEBUG = "recv Debug"
    RECV_END = "recv End of Session"
    RECV_EOF = "recv end of input"
    PEER_FAULT = "server's fatal fault"


_S, _T = ClientState, _Trigger

#: (state, trigger) -> next state; a missing pair is a PacketFault (server's packets) or a
#: LocalProtocolError (our calls).
TRANSITIONS: Final[dict[tuple[ClientState, _Trigger], ClientState]] = {
    (_S.IDLE, _T.SEND_LOGIN): _S.LOGIN_SENT,
    (_S.LOGIN_SENT, _T.RECV_ACCEPTED): _S.LOGGED_IN,
    (_S.LOGIN_SENT, _T.RECV_REJECTED): _S.CLOSED,
    (_S.LOGIN_SENT, _T.RECV_DEBUG): _S.LOGIN_SENT,
    (_S.LOGIN_SENT, _T.SEND_LOGOUT): _S.CLOSED,
    (_S.LOGGED_IN, _T.RECV_SEQUENCED): _S.LOGGED_IN,
    (_S.LOGGED_IN, _T.RECV_HEARTBEAT): _S.LOGGED_IN,
    (_S.LOGGED_IN, _T.RECV_DEBUG): _S.LOGGED_IN,
    (_S.LOGGED_IN, _T.RECV_END): _S.CLOSED,
    (_S.LOGGED_IN, _T.SEND_DATA): _S.LOGGED_IN,
    (_S.LOGGED_IN, _T.SEND_HEARTBEAT): _S.LOGGED_IN,
    (_S.LOGGED_IN, _T.SEND_DEBUG): _S.LOGGED_IN,
    (_S.LOGGED_IN, _T.SEND_LOGOUT): _S.CLOSED,
    (_S.IDLE, _T.PEER_FAULT): _S.ERROR,
    (_S.LOGIN_SENT, _T.PEER_FAULT): _S.ERROR,
    (_S.LOGGED_IN, _T.PEER_FAULT): _S.ERROR,
    (_S.IDLE, _T.RECV_EOF): _S.CLOSED,
    (_S.LOGIN_SENT, _T.RECV_EOF): _S.CLOSED,
    (_S.LOGGED_IN, _T.RECV_EOF): _S.CLOSED,
}

_RECEIVED: Final[dict[type, _Trigger]] = {
    LoginAccepted: _T.RECV_ACCEPTED,
    LoginRejected: _T.RECV_REJECTED,
    SequencedData: _T.RECV_SEQUENCED,
    ServerHeartbeat: _T.RECV_HEARTBEAT,
    Debug: _T.RECV_DEBUG,
    EndOfSession: _T.RECV_END,
}

_LIVE: Final = frozenset({_S.IDLE, _S.LOGIN_SENT, _S.LOGGED_IN})


@dataclass(frozen=True, slots=True)
class SequencedMessage:
    """A Sequenced Data packet with the number both ends gave it."""

    sequence: int
    message: bytes


ClientEvent: TypeAlias = (
    LoginAccepted
    | LoginRejected
    | SequencedMessage
    | Debug
    | EndOfSession
    | PacketFault
    | ConnectionClosed
    | Sentinel
)


class ClientSession:
    """One connection to a SoupBinTCP server; bytes in, events out, bytes to send."""

    def __init__(
        self,
        *,
        max_packet: int = DEFAULT_MAX_PACKET,
        max_pending: int = DEFAULT_MAX_PENDING,
        heartbeat_ns: int = HEARTBEAT_INTERVAL_NS,
        server_timeout_ns: int = PEER_TIMEOUT_NS,
    ) -> None:
        self.state = ClientState.IDLE
        self.error: PacketFault | None = None
        #: the session named by Login Accepted ("" before)
        self.session_name = ""
        self._next_expected = 0
        self._framer: PacketFramer[ServerPacket] = PacketFramer(
            SERVER_PACKET_DECODERS, max_packet=max_packet, max_pending=max_pending
        )
        self._liveness = Liveness(heartbeat_ns=heartbeat_ns, timeout_ns=server_timeout_ns)
        self._unreported: PacketFault | None = None

    @property
    def next_expected_sequence(self) -> int:
        """The number the next Sequenced Data packet will have (0 before login)."""
        return self._next_expected

    @property
    def resume_point(self) -> tuple[str, int]:
        """``(session, sequence)`` to log in with after a disconnect to miss nothing."""
        return self.session_name, self._next_expected

    # -- output ---------------------------------------------------------------------------

    def _send(self, trigger: _Trigger, packet: bytes) -> bytes:
        new = TRANSITIONS.get((self.state, trigger))
        if new is None:
            raise LocalProtocolError(f"cannot {trigger.value} in state {self.state.value}")
        self.state = new
        self._liveness.sent()
        return packet

    def login(self, username: str, password: str, session: str = "", sequence: int = 0) -> bytes:
        """Login Request; ``session``/``sequence`` "" and 0 join the current session live, or
        pass :attr:`resume_point` of an earlier connection to resume it."""
        packet = encode(LoginRequest(username, password, session, sequence))
        packet = self._send(_T.SEND_LOGIN, packet)
        self._liveness.start()  # the server must answer within the timeout too
        return packet

    def send_unsequenced(self, message: bytes) -> bytes:
        return self._send(_T.SEND_DATA, encode(UnsequencedData(message)))

    def unsequenced_framed_elsewhere(self) -> None:
        """The caller is about to send Unsequenced Data packets that it framed itself (a fast
        writer of many orders): checked as :meth:`send_unsequenced` checks one (raises
        LocalProtocolError unless logged in) and the heartbeat clock noted, once for all."""
        self._send(_T.SEND_DATA, b"")

    def send_debug(self, text: str) -> bytes:
        return self._send(_T.SEND_DEBUG, encode(Debug(text)))

    def logout(self) -> bytes:
        packet = self._send(_T.SEND_LOGOUT, encode(LogoutRequest()))
        self._liveness.stop()
        return packet

    def tick(self, now_ns: int) -> bytes:
        """Advance the clock: a Client Heartbeat if one is due (logged in); a silent server is
        a ``peer_timeout`` fault reported by the next ``next_event``."""
        result = self._liveness.tick(now_ns)
        if self.state not in (ClientState.LOGIN_SENT, ClientState.LOGGED_IN):
            return b""
        if result.peer_timed_out:
            self._unreported = self._fault("peer_timeout", "the server fell silent", fatal=True)
            return b""
        if result.heartbeat_due and self.state is ClientState.LOGGED_IN:
            return self._send(_T.SEND_HEARTBEAT, _HEARTBEAT)
        return b""

    # -- input ----------------------------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        """Buffer bytes read from the server; ``b""`` means end of input."""
        if data and self.state in _LIVE:
            self._liveness.received()
        self._framer.receive_data(data)

    @property
    def buffered(self) -> int:
        """Bytes received and not yet framed into a packet (a packet's first part)."""
        return self._framer.pending

    def sequenced_elsewhere(self, count: int) -> None:
        """``count`` Sequenced Data packets that the caller framed and decoded itself (a fast
        reader of a busy stream, which hands only the other packets to :meth:`receive_data`
        and only whole ones, while :attr:`buffered` is 0): numbered, and the server noted
        alive, as :meth:`receive_data` and :meth:`next_event` would have done."""
        if self.state is not ClientState.LOGGED_IN:
            raise LocalProtocolError(f"sequenced data in state {self.state.value}")
        if count:
            self._liveness.received()
            self._next_expected += count

    def next_event(self) -> ClientEvent:
        """The next event, a PacketFault, ConnectionClosed or NEED_DATA."""
        if self._unreported is not None:
            fault, self._unreported = self._unreported, None
            return fault
        while self.state in _LIVE:
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

    def _receive(self, packet: ServerPacket) -> ClientEvent | None:
        trigger = _RECEIVED[type(packet)]
        new = TRANSITIONS.get((self.state, trigger))
        if new is None:
            logged_in = self.state is ClientState.LOGGED_IN
            code = "unexpected_packet" if logged_in else "not_logged_in"
            return self._fault(code, f"{trigger.value} in state {self.state.value}", fatal=False)
        self.state = new
        match packet:
            case LoginAccepted(session=session, sequence_number=sequence):
                self.session_name, self._next_expected = session, sequence
                return packet
            case SequencedData(message=message):
                self._next_expected += 1
                return SequencedMessage(self._next_expected - 1, message)
            case ServerHeartbeat():
                return None  # "still there": noted by receive_data
            case EndOfSession() | LoginRejected():
                self._liveness.stop()
                return packet
            case _:
                return packet

    def _fault(self, code: str, text: str, *, fatal: bool) -> PacketFault:
        fatal = fatal or self.state is not ClientState.LOGGED_IN
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


_HEARTBEAT: Final = encode(ClientHeartbeat())
