"""The sending half of a session: numbering, stamping, storing and buffering outbound messages.

:class:`Outbound` gives each message the next MsgSeqNum(34), the header the FIX 4.4 standard
header requires (SenderCompID, TargetCompID, MsgSeqNum, SendingTime, in that order after
MsgType), saves application messages in the caller's :class:`~.store.OutboundStore`, and
appends the encoded bytes to one buffer that the caller drains (``take``). One buffer keeps
the bytes in sequence order whoever caused them: a Heartbeat answering a TestRequest and the
ExecutionReport sent next go out as 5 then 6, never 6 then 5.

:meth:`Outbound.resend` answers a ResendRequest: stored application messages go out again
with their original MsgSeqNum, PossDupFlag(43)=Y and OrigSendingTime(122) (the SendingTime
they were first sent with, which the store keeps), SendingTime(52) now; every run of numbers
without a stored message (administrative messages, evicted ones) becomes one
SequenceReset-GapFill (35=4, 123=Y, 36=the next number sent). Resends take no new numbers.
A large range may go out in batches (:meth:`Outbound.resend_more`, as the caller's socket
drains): what is sent in between takes numbers after the range, which the peer holds until
the range is filled.

:meth:`Outbound.send_encoded` sends an application message whose body the caller encoded
already (the gateway's ExecutionReports, ``engine.gateway.fix_frames``): the header goes
around the same bytes (:func:`~.wire.wrap`), and the store keeps those bytes as the body
(``StoredMessage.body``), which a resend puts its own header around.
:meth:`Outbound.send_encoded_run` sends several such bodies at once, as one
:meth:`~Outbound.send_encoded` each would (the same bytes, the same store contents): the
messages in one C loop (:func:`~.wire.wrap_run`), and into a store that has a ``save_run``
(the gateway's message store) as one run; any other store is given one message at a time.
"""

from __future__ import annotations

from engine.protocols.fix import admin
from engine.protocols.fix.codec import Fields, OutboundMessage, encode
from engine.protocols.fix.store import OutboundStore, StoredMessage
from engine.protocols.fix.tags import ADMIN_MSG_TYPES, MsgType, Tag
from engine.protocols.fix.timestamps import format_utc_timestamp
from engine.protocols.fix.wire import utc_stamp, wrap, wrap_run

__all__ = ["Outbound"]


class Outbound:
    """Outbound sequence numbers and bytes of one session."""

    def __init__(self, sender_comp_id: str, next_seq: int, store: OutboundStore) -> None:
        if next_seq < 1:
            raise ValueError("the next outbound MsgSeqNum is at least 1")
        self.sender_comp_id = sender_comp_id
        #: the peer's CompID; set when its Logon names it
        self.target_comp_id = ""
        self.next_seq = next_seq
        self.store = store
        #: when the last message went out (ns), for the heartbeat timer
        self.last_sent_ns: int | None = None
        self._buffer = bytearray()
        #: (next number to resend, last one, batch) while a resend goes on
        self._resending: tuple[int, int, int] | None = None

    def reset(self) -> None:
        """Restart at MsgSeqNum 1 (ResetSeqNumFlag=Y): nothing sent before can be resent, so
        the store is emptied and a resend under way stops."""
        self.next_seq = 1
        self.store.reset()
        self._resending = None

    def send(self, message: OutboundMessage, now_ns: int) -> int:
        """Number, stamp, store (application messages) and buffer ``message``; its MsgSeqNum."""
        seq = self.next_seq
        sending_time = format_utc_timestamp(now_ns)
        header = self._header(seq, sending_time)
        self._buffer += encode(message.msg_type, header + message.body)
        if message.msg_type not in ADMIN_MSG_TYPES:
            self.store.save(StoredMessage(seq, str(message.msg_type), message.body, sending_time))
        self.next_seq = seq + 1
        self.last_sent_ns = now_ns
        return seq

    def send_encoded(self, msg_type: str, body: bytes, now_ns: int) -> int:
        """:meth:`send` of an application message whose body is encoded already (every field
        after the standard header, each ``tag=value<SOH>``, as :func:`~.codec.encode` writes
        them): the same bytes go to the peer and to the store. Its MsgSeqNum."""
        seq = self.next_seq
        sending_time = utc_stamp(now_ns)
        head = b"35=%s\x0149=%s\x0156=%s\x0134=%d\x0152=%s\x01" % (
            msg_type.encode("latin-1"),
            self.sender_comp_id.encode("latin-1"),
            self.target_comp_id.encode("latin-1"),
            seq,
            sending_time.encode("latin-1"),
        )
        self._buffer += wrap(head, body)
        self.store.save(StoredMessage(seq, msg_type, body, sending_time))
        self.next_seq = seq + 1
        self.last_sent_ns = now_ns
        return seq

    def send_encoded_run(self, msg_type: str, bodies: list[bytes], now_ns: int) -> int:
        """:meth:`send_encoded` of each of ``bodies`` in turn (see the module docstring);
        the MsgSeqNum of the first (the next one, when ``bodies`` is empty)."""
        seq = self.next_seq
        if not bodies:
            return seq
        sending_time = utc_stamp(now_ns)
        self._buffer += wrap_run(
            msg_type, self.sender_comp_id, self.target_comp_id, seq, sending_time, bodies
        )
        save_run = getattr(self.store, "save_run", None)
        if save_run is not None:
            save_run(seq, msg_type, sending_time, bodies)
        else:
            for i, body in enumerate(bodies):
                self.store.save(StoredMessage(seq + i, msg_type, body, sending_time))
        self.next_seq = seq + len(bodies)
        self.last_sent_ns = now_ns
        return seq

    def resend(self, begin: int, end: int, now_ns: int, *, batch: int = 0) -> int:
        """Send ``begin..end`` again (``end`` 0 or past the last: through the last sent): all
        of it now, or with ``batch`` the first ``batch`` numbers, the rest by
        :meth:`resend_more` (a request not finished is replaced by a new one).

        Returns how many messages went out (resends and gap fills). The caller checked that
        ``1 <= begin < next_seq``.
        """
        last = self.next_seq - 1
        end = last if end == 0 or end > last else end
        self._resending = (begin, end, batch)
        return self.resend_more(now_ns)

    @property
    def resending(self) -> bool:
        """Whether a resend goes on (:meth:`resend_more` has numbers left to send)."""
        return self._resending is not None

    def resend_more(self, now_ns: int) -> int:
        """The next batch of the resend under way (0 when there is none); see :meth:`resend`."""
        if self._resending is None:
            return 0
        begin, last, batch = self._resending
        end = last if batch <= 0 else min(last, begin + batch - 1)
        self._resending = None if end == last else (end + 1, last, batch)
        now_text = format_utc_timestamp(now_ns)
        stored = sorted(
            (m for m in self.store.messages(begin, end) if begin <= m.seq <= end),
            key=lambda m: m.seq,
        )
        count = 0
        cursor = begin  # the first number not yet covered
        for message in stored:
            if message.seq < cursor:
                continue  # a store that returned one number twice
            if message.seq > cursor:
                self._gap_fill(cursor, message.seq, now_text)
                count += 1
            header = self._header(message.seq, now_text, orig_sending_time=message.sending_time)
            self._buffer += _encode_stored(message.msg_type, header, message.body)
            count += 1
            cursor = message.seq + 1
        if cursor <= end:
            self._gap_fill(cursor, end + 1, now_text)
            count += 1
        self.last_sent_ns = now_ns
        return count

    def _gap_fill(self, seq: int, new_seq_no: int, now_text: str) -> None:
        fill = admin.sequence_reset(new_seq_no, gap_fill=True)
        header = self._header(seq, now_text, orig_sending_time=now_text)
        self._buffer += encode(MsgType.SEQUENCE_RESET, header + fill.body)

    def _header(self, seq: int, sending_time: str, *, orig_sending_time: str = "") -> Fields:
        header = [
            (int(Tag.SENDER_COMP_ID), self.sender_comp_id),
            (int(Tag.TARGET_COMP_ID), self.target_comp_id),
            (int(Tag.MSG_SEQ_NUM), str(seq)),
        ]
        if orig_sending_time:  # a message sent again: flagged, and its first time kept
            header.append((int(Tag.POSS_DUP_FLAG), "Y"))
        header.append((int(Tag.SENDING_TIME), sending_time))
        if orig_sending_time:
            header.append((int(Tag.ORIG_SENDING_TIME), orig_sending_time))
        return tuple(header)

    def take(self) -> bytes:
        """Everything buffered since the last call, to write to the socket in this order."""
        data = bytes(self._buffer)
        self._buffer.clear()
        return data

    @property
    def pending(self) -> int:
        return len(self._buffer)


def _encode_stored(msg_type: str, header: Fields, body: Fields | bytes) -> bytes:
    """A stored message with ``header``: its body's fields, or the bytes they encode to."""
    if not isinstance(body, bytes):
        return encode(msg_type, header + body)
    head = encode(msg_type, header)  # the codec's checks of every header value
    fields = head[head.index(b"\x0135=") + 1 : head.rindex(b"10=")]
    return wrap(fields, body)
