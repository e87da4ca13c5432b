"""The FIX 4.4 acceptor session: a sans-IO state machine (no sockets, no asyncio, no clock).

The caller (the gateway server) moves bytes and time; the session decides::

    session = FixSession(SessionConfig(), MemoryStore(), next_sender_seq=1, next_target_seq=1)
    session.receive_data(chunk, now_ns)      # b"" = the peer closed
    while (event := session.next_event()) is not NEED_DATA and event is not PAUSED:
        handle(event)                        # SessionClosed: write, close, stop reading
    socket.write(session.data_to_send())     # after every call that may send
    session.tick(now_ns)                     # by next_deadline_ns(): heartbeats, timeouts

Events: :class:`~.logon.LogonRequest` (answer ``accept_logon`` / ``reject_logon``; input
pauses until then), :class:`ApplicationMessage` (in sequence, gaps already handled),
:class:`SessionNotice` (for the log only: garbled input ignored, Rejects sent or received, gaps)
and :class:`SessionClosed` (write the last bytes, then close the socket).

States: :mod:`.states` (one transition table); events and config: :mod:`.events`; the
administrative messages in sequence: :mod:`.session_admin`; the logon: :mod:`.session_logon`;
the checks of each inbound message: :mod:`.session_checks`.

Errors have a direction. The peer's faults never raise: a garbled message is ignored (a
notice); a tag-level fault (a PossDupFlag=Y message without OrigSendingTime(122) among them)
gets a Reject (35=3) with its SessionRejectReason and costs the message its sequence number;
a fault that breaks the session (bad framing, a wrong CompID, a SendingTime off by more than
the tolerance, an OrigSendingTime after the SendingTime, MsgSeqNum too low without
PossDupFlag) sends a Logout with the reason and closes. Our own misuse (sending before
logon, answering a logon twice) raises :class:`LocalProtocolError`. CLOSED is sticky.

Sequence numbers: a MsgSeqNum above the expected one queues the message (bounded) and sends
one ResendRequest for the gap; the queue drains once the gap is filled. The peer's
ResendRequest is answered from the store (:mod:`.outbound`), with ``resend_batch`` a batch at
a time: the caller sends the rest with ``resend_more`` while ``resending``. Below it, a PossDup
is ignored and anything else ends the session. ``next_sender_seq`` and ``next_target_seq``
are read-only properties the caller persists; the constructor (or ``accept_logon``, once the
peer is known) restores them, and the caller's :class:`~.store.OutboundStore` keeps the
application messages sent, so a session survives a host restart.
"""

from __future__ import annotations

from typing import Final

from engine.protocols.fix import admin, session_logon
from engine.protocols.fix.codec import FixMessage, OutboundMessage
from engine.protocols.fix.events import (
    NEED_DATA,
    PAUSED,
    ApplicationMessage,
    SessionClosed,
    SessionConfig,
    SessionEvent,
    SessionNotice,
)
from engine.protocols.fix.framer import END_OF_INPUT, FixFramer, FramingError, Garbled
from engine.protocols.fix.framer import NEED_DATA as _FRAMER_NEED_DATA
from engine.protocols.fix.frozen import built, field_names
from engine.protocols.fix.heartbeat import HeartbeatAction, HeartbeatTimer
from engine.protocols.fix.logon import LogonRequest
from engine.protocols.fix.outbound import Outbound
from engine.protocols.fix.sequencing import InboundSequencer, SeqVerdict
from engine.protocols.fix.session_admin import (
    ADMIN_HANDLERS,
    on_logout,
    on_resend_request,
    sequence_reset,
)
from engine.protocols.fix.session_checks import header_fault, message_fault
from engine.protocols.fix.states import LocalProtocolError, State, advance
from engine.protocols.fix.states import Trigger as _T
from engine.protocols.fix.store import OutboundStore
from engine.protocols.fix.tags import FIX44_MSG_TYPES, MsgType, SessionRejectReason, Tag

__all__ = [
    "NEED_DATA",
    "PAUSED",
    "ApplicationMessage",
    "FixSession",
    "LocalProtocolError",
    "LogonRequest",
    "SessionClosed",
    "SessionConfig",
    "SessionEvent",
    "SessionNotice",
    "State",
]


class FixSession:
    """One FIX 4.4 connection, acceptor side. See the module docstring for the contract."""

    def __init__(
        self,
        config: SessionConfig,
        store: OutboundStore,
        *,
        next_sender_seq: int = 1,
        next_target_seq: int = 1,
    ) -> None:
        self.config = config
        self.state = State.AWAITING_LOGON
        self.close_reason: str | None = None
        self.logon: LogonRequest | None = None
        self._framer = FixFramer(
            max_message_size=config.max_message_size, max_pending=config.max_pending
        )
        self._out = Outbound(config.comp_id, next_sender_seq, store)
        self._in = InboundSequencer(next_target_seq, config.max_queued)
        self._now = 0
        self._hb: HeartbeatTimer | None = None
        self._logout_sent_ns = 0
        self._test_requests = 0

    # -- the sequence numbers the caller persists ----------------------------------------

    @property
    def next_sender_seq(self) -> int:
        return self._out.next_seq

    @property
    def next_target_seq(self) -> int:
        return self._in.next_seq

    # -- input -------------------------------------------------------------------------

    def receive_data(self, data: bytes, now_ns: int) -> None:
        """Bytes from the peer that arrived at ``now_ns`` (``b""``: the peer closed)."""
        self._now = now_ns
        self._framer.receive_data(data)

    def next_event(self) -> SessionEvent:
        """The next event; NEED_DATA when more bytes are needed, PAUSED during a logon."""
        while True:
            if self.state is State.CLOSED:
                return SessionClosed(self.close_reason or "closed")
            if self.state is State.LOGON_PENDING:
                return PAUSED
            queued = self._in.pop_ready()
            if queued is not None:
                event = self._in_sequence(*queued)
            else:
                item = self._framer.next_event()
                if item is _FRAMER_NEED_DATA:
                    return NEED_DATA
                event = self._on_framer(item)
            if event is not None:
                return event

    def _on_framer(self, item: object) -> SessionEvent | None:
        if isinstance(item, FixMessage):
            if self._hb is not None:
                self._hb.received(self._now)
            return self._on_message(item)
        if isinstance(item, Garbled):
            return SessionNotice(f"garbled message ignored: {item.reason}")
        if isinstance(item, FramingError):
            return self._fatal(item.text)
        assert item is END_OF_INPUT
        return self._close(_T.EOF, "the peer closed the connection")

    def _on_message(self, msg: FixMessage) -> SessionEvent | None:
        if self.state is State.AWAITING_LOGON:
            return self._on_first(msg)
        seq = msg.seq_num
        if seq is None:
            return self._fatal("MsgSeqNum(34) missing or not a positive integer")
        fault = header_fault(self, msg, seq)
        if fault is not None:
            return fault
        if msg.msg_type == MsgType.SEQUENCE_RESET and msg.get(Tag.GAP_FILL_FLAG) != "Y":
            return sequence_reset(self, msg, seq)  # Reset mode ignores MsgSeqNum
        if msg.msg_type == MsgType.LOGON:
            return session_logon.second_logon(self, msg)  # a reset's MsgSeqNum is 1
        verdict = self._in.classify(seq, msg.poss_dup)
        if verdict is SeqVerdict.IN_ORDER:
            return self._in_sequence(msg, False, seq)
        if verdict is SeqVerdict.DUPLICATE:
            return None  # a PossDup we processed already: FIX says ignore it
        if verdict is SeqVerdict.TOO_LOW:
            expected = self._in.next_seq
            return self._fatal(f"MsgSeqNum too low, expecting {expected} but received {seq}")
        return self._too_high(msg, seq)

    def _too_high(self, msg: FixMessage, seq: int) -> SessionEvent | None:
        if msg.msg_type == MsgType.LOGOUT:
            return on_logout(self, msg, seq)  # the peer is leaving: filling its gap is moot
        served = False
        if msg.msg_type == MsgType.RESEND_REQUEST and msg.problem is None:
            # Serve it now: the peer may be waiting for it before it answers ours.
            on_resend_request(self, msg, seq)
            served = True
        if not self._in.hold(seq, msg, served):
            return self._fatal(f"more than {self.config.max_queued} messages behind a gap")
        gap = self._in.gap_to_request(seq)
        if gap is None:
            return None
        self._send_admin(admin.resend_request(gap, 0))
        return SessionNotice(f"MsgSeqNum gap: expected {gap}, received {seq}; resend requested")

    def _in_sequence(
        self, msg: FixMessage, served: bool, seq: int | None = None
    ) -> SessionEvent | None:
        """A message in sequence (``seq``: its MsgSeqNum, when the caller read it already)."""
        if seq is None:
            seq = msg.seq_num
            assert seq is not None
        self._in.consume(seq)
        if served:
            return None
        fault = message_fault(self, msg, seq)
        if fault is not None:
            return fault
        handler = ADMIN_HANDLERS.get(msg.msg_type)
        if handler is not None:
            return handler(self, msg, seq)
        if self.state is not State.ACTIVE:  # ACTIVE stays ACTIVE: no look-up in the table
            self._advance(_T.RECV_MESSAGE)
        return built(ApplicationMessage, _APPLICATION_MESSAGE, (msg,))

    # -- the logon (engine.protocols.fix.session_logon) -----------------------------------

    def _on_first(self, msg: FixMessage) -> SessionEvent:
        return session_logon.first_message(self, msg)

    def accept_logon(
        self,
        now_ns: int,
        *,
        next_sender_seq: int | None = None,
        next_target_seq: int | None = None,
        store: OutboundStore | None = None,
    ) -> None:
        """Log the peer on; optionally restore its sequence numbers and store first."""
        session_logon.accept(
            self, now_ns, next_sender_seq=next_sender_seq, next_target_seq=next_target_seq,
            store=store,
        )  # fmt: skip

    def reject_logon(self, text: str, now_ns: int) -> None:
        """Refuse the logon (bad credentials, unknown firm): Logout with ``text``, then close."""
        self._advance(_T.REJECT_LOGON)
        self._now = now_ns
        self._out.send(admin.logout(text), now_ns)
        self.close_reason = f"logon rejected: {text}"

    # -- output ------------------------------------------------------------------------

    def send(self, message: OutboundMessage, now_ns: int) -> int:
        """Send an application message (or a session Reject); returns its MsgSeqNum."""
        if message.msg_type in _SESSION_OWNED:
            raise LocalProtocolError(f"35={message.msg_type} is sent by the session itself")
        self._advance(_T.SEND)
        self._now = now_ns
        seq = self._out.send(message, now_ns)
        self._hb_sent()
        return seq

    def send_encoded(self, msg_type: str, body: bytes, now_ns: int) -> int:
        """:meth:`send` of an application message whose body is encoded already
        (``Outbound.send_encoded``); returns its MsgSeqNum."""
        if msg_type in _SESSION_OWNED:
            raise LocalProtocolError(f"35={msg_type} is sent by the session itself")
        self._advance(_T.SEND)
        self._now = now_ns
        seq = self._out.send_encoded(msg_type, body, now_ns)
        self._hb_sent()
        return seq

    def send_encoded_run(self, msg_type: str, bodies: list[bytes], now_ns: int) -> int:
        """:meth:`send_encoded` of each of ``bodies`` in turn, at once
        (``Outbound.send_encoded_run``); the MsgSeqNum of the first."""
        if msg_type in _SESSION_OWNED:
            raise LocalProtocolError(f"35={msg_type} is sent by the session itself")
        self._advance(_T.SEND)
        if not bodies:
            return self._out.next_seq
        self._now = now_ns
        seq = self._out.send_encoded_run(msg_type, bodies, now_ns)
        self._hb_sent()
        return seq

    def logout(self, text: str | None, now_ns: int) -> None:
        """Start logging out; the session closes on the peer's Logout or after a timeout."""
        self._advance(_T.START_LOGOUT)
        self._now = now_ns
        self._logout_sent_ns = now_ns
        self._send_admin(admin.logout(text))

    @property
    def resending(self) -> bool:
        """Whether a ResendRequest is answered in batches and some are left to send."""
        return self._out.resending

    def resend_more(self, now_ns: int) -> int:
        """Send the next batch of a resend (``SessionConfig.resend_batch``): call it while
        ``resending``, as the socket drains. Returns how many messages went out."""
        if self.state not in (State.ACTIVE, State.LOGOUT_SENT):
            return 0
        self._now = now_ns
        count = self._out.resend_more(now_ns)
        self._hb_sent()
        return count

    def data_to_send(self) -> bytes:
        """The bytes to write to the socket, in order; call after every other call."""
        return self._out.take()

    def tick(self, now_ns: int) -> SessionClosed | None:
        """Let time pass: heartbeats, test requests, timeouts. Returns SessionClosed if the
        session ended now. Before logon the server keeps its own logon deadline."""
        self._now = now_ns
        if self.state not in (State.ACTIVE, State.LOGOUT_SENT) or self._hb is None:
            return None
        waited = now_ns - self._logout_sent_ns
        if self.state is State.LOGOUT_SENT and waited >= self.config.logout_timeout_ns:
            return self._close(_T.TIMEOUT, "the peer did not answer our Logout")
        action = self._hb.due(now_ns)
        if action is HeartbeatAction.TIMEOUT:
            self._send_admin(admin.logout("heartbeat timeout: no answer to TestRequest"))
            return self._close(_T.TIMEOUT, "heartbeat timeout: the peer went silent")
        if action is HeartbeatAction.TEST_REQUEST:
            self._test_requests += 1
            self._out.send(admin.test_request(f"TEST-{self._test_requests}"), now_ns)
            self._hb.test_request_sent(now_ns)
        elif action is HeartbeatAction.HEARTBEAT:
            self._send_admin(admin.heartbeat())
        return None

    def next_deadline_ns(self) -> int | None:
        """When ``tick`` next has something to do (None: nothing timed is pending)."""
        if self._hb is None or self.state not in (State.ACTIVE, State.LOGOUT_SENT):
            return None
        deadline = self._hb.next_deadline_ns()
        if self.state is State.LOGOUT_SENT:
            deadline = min(deadline, self._logout_sent_ns + self.config.logout_timeout_ns)
        return deadline

    @property
    def closed(self) -> bool:
        return self.state is State.CLOSED

    # -- helpers -----------------------------------------------------------------------

    def _send_admin(self, message: OutboundMessage) -> None:
        self._out.send(message, self._now)
        self._hb_sent()

    def _resend(self, begin: int, end: int) -> SessionNotice:
        """Send ``begin..end`` again (the caller checked the range), a batch at a time."""
        count = self._out.resend(begin, end, self._now, batch=self.config.resend_batch)
        self._hb_sent()
        more = ", more to come" if self._out.resending else ""
        last = self._out.next_seq - 1
        return SessionNotice(f"resent {begin} to {end or last} ({count} messages{more})")

    def _hb_sent(self) -> None:
        if self._hb is not None:
            self._hb.sent(self._now)

    def _reject(
        self,
        msg: FixMessage,
        seq: int,
        reason: SessionRejectReason,
        tag: int | None,
        text: str,
    ) -> SessionNotice:
        ref_type = msg.msg_type if msg.msg_type in FIX44_MSG_TYPES else None
        rejection = admin.reject(seq, reason, ref_tag=tag, ref_msg_type=ref_type, text=text)
        self._send_admin(rejection)
        return SessionNotice(f"rejected message {seq} (reason {int(reason)}): {text}")

    def _fatal(self, text: str, *, say_why: bool = True) -> SessionClosed:
        """The peer broke the session: Logout with the reason (when we know whom to tell)."""
        if say_why and self._out.target_comp_id:
            self._send_admin(admin.logout(text))
        return self._close(_T.FAULT, text)

    def _close(self, trigger: _T, reason: str) -> SessionClosed:
        self._advance(trigger)
        self.close_reason = reason
        return SessionClosed(reason)

    def _advance(self, trigger: _T) -> None:
        self.state = advance(self.state, trigger)


#: MsgTypes whose sending changes the session's state: only the session sends them.
_SESSION_OWNED: Final = frozenset({"0", "1", "2", "4", "5", "A"})

_APPLICATION_MESSAGE: Final = field_names(ApplicationMessage)
