"""A minimal FIX 4.4 initiator session, sans-IO: just what a load generator needs.

Bytes and times in, events and bytes out (the same shape as the acceptor's
``engine.protocols.fix.session.FixSession``); the framing and encoding are that package's
(:class:`~engine.protocols.fix.framer.FixFramer`, :func:`~engine.protocols.fix.codec.encode`)::

    s = FixInitiator("ALPHA", "SEQUEX", username="ALPHA", password="alpha-pass")
    s.logon(now_ns);  write(s.data_to_send())
    s.receive_data(chunk)            # b"" = the peer closed
    while (event := s.next_event()) is not NEED_DATA:  ...
    write(s.data_to_send())          # after every call: answers to TestRequest, heartbeats

What it does: Logon (A) with ResetSeqNumFlag(141)=Y, so both sides number from 1 whatever an
earlier run left, Username(553), Password(554) and HeartBtInt(108); NewOrderSingle (D) with
TransactTime(60); Heartbeat (0) after HeartBtInt seconds of silence (``tick``); a Heartbeat
answering a TestRequest (1); a SequenceReset-GapFill answering a ResendRequest (2), since a
load generator never resends an order; Logout (5).

What it deliberately does not: check the inbound MsgSeqNum (a gap is not asked for again:
the reports are measurements, not positions), resend, or validate CompIDs. Events:
:class:`LoggedOn`, :class:`LoggedOut` (its text), :class:`ExecReport` (ExecType(150), ClOrdID(11),
Text(58) or OrdRejReason(103)), :class:`Refused` (a session Reject (3) or a
BusinessMessageReject (j), naming RefSeqNum(45)), :class:`Broken` (framing is lost, or the
peer closed). Garbled messages are skipped, as FIX says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from engine.domain.types import Side, TimeInForce
from engine.protocols.fix.codec import FixMessage, encode
from engine.protocols.fix.decimals import format_price
from engine.protocols.fix.framer import END_OF_INPUT, NEED_DATA, FixFramer, FramingError
from engine.protocols.fix.tags import MsgType, Tag
from engine.protocols.fix.timestamps import NS_PER_SECOND, format_utc_timestamp
from engine.protocols.fix.wire import wrap

__all__ = [
    "NEED_DATA",
    "Broken",
    "ExecReport",
    "FixInitiator",
    "InitiatorEvent",
    "LoggedOn",
    "LoggedOut",
    "Refused",
]

_SIDES: Final = {Side.BUY: "1", Side.SELL: "2"}
_LIMIT: Final = "2"
_TIFS: Final = {TimeInForce.DAY: "0", TimeInForce.IOC: "3"}
_LAST_LIQUIDITY_IND: Final = 851
#: a NewOrderSingle after its ClOrdID, as new_order encodes it (the burst's template)
_ORDER_TAIL: Final = b"\x011=%s\x0155=%s\x0154=%s\x0160=%s\x0138=%d\x0140=%s\x0144=%s\x0159=%s\x01"


@dataclass(frozen=True, slots=True)
class LoggedOn:
    """The acceptor answered our Logon."""


@dataclass(frozen=True, slots=True)
class LoggedOut:
    text: str


@dataclass(frozen=True, slots=True)
class ExecReport:
    exec_type: str
    cl_ord_id: str
    text: str
    #: LastLiquidityInd(851): "1" added liquidity, "2" removed it, "" absent
    liquidity: str = ""


@dataclass(frozen=True, slots=True)
class Refused:
    """A Reject (3) or BusinessMessageReject (j) of our message ``ref_seq_num``."""

    ref_seq_num: int | None
    text: str


@dataclass(frozen=True, slots=True)
class Broken:
    text: str


InitiatorEvent = LoggedOn | LoggedOut | ExecReport | Refused | Broken


class FixInitiator:
    """One FIX 4.4 connection, initiator side; see the module docstring."""

    def __init__(
        self,
        sender_comp_id: str,
        target_comp_id: str,
        *,
        username: str,
        password: str,
        heart_bt_int: int = 30,
    ) -> None:
        self.sender_comp_id = sender_comp_id
        self.target_comp_id = target_comp_id
        self.username = username
        self.password = password
        self.heart_bt_int = heart_bt_int
        self.next_seq = 1
        self.logged_on = False
        self._framer = FixFramer()
        self._out = bytearray()
        self._last_sent_ns = 0
        self._now = 0

    # -- output ---------------------------------------------------------------------------------

    def _send(
        self, msg_type: str, body: list[tuple[int, str]], *, gap_fill_at: int | None = None
    ) -> int:
        """Number, stamp and buffer one message; ``gap_fill_at`` resends number N (PossDup)."""
        seq = self.next_seq if gap_fill_at is None else gap_fill_at
        stamp = format_utc_timestamp(self._now)
        header = [(49, self.sender_comp_id), (56, self.target_comp_id), (34, str(seq))]
        if gap_fill_at is not None:
            header.append((43, "Y"))
        header.append((52, stamp))
        if gap_fill_at is not None:
            header.append((122, stamp))
        else:
            self.next_seq += 1
        self._out += encode(msg_type, header + body)
        self._last_sent_ns = self._now
        return seq

    def logon(self, now_ns: int) -> None:
        self._now = now_ns
        body = [
            (Tag.ENCRYPT_METHOD, "0"),
            (Tag.HEART_BT_INT, str(self.heart_bt_int)),
            (Tag.RESET_SEQ_NUM_FLAG, "Y"),
            (Tag.USERNAME, self.username),
            (Tag.PASSWORD, self.password),
        ]
        self._send(MsgType.LOGON, [(int(t), v) for t, v in body])

    def new_order(
        self,
        cl_ord_id: str,
        *,
        account: str,
        symbol: str,
        side: Side,
        qty: int,
        price: int,
        now_ns: int,
        tif: TimeInForce = TimeInForce.DAY,
    ) -> int:
        """A limit NewOrderSingle, DAY or IOC; returns its MsgSeqNum."""
        self._now = now_ns
        body = [
            (11, cl_ord_id),
            (1, account),
            (55, symbol),
            (54, _SIDES[side]),
            (60, format_utc_timestamp(now_ns)),
            (38, str(qty)),
            (40, _LIMIT),
            (44, format_price(price)),
            (59, _TIFS[tif]),
        ]
        return self._send(MsgType.NEW_ORDER_SINGLE, body)

    def new_orders(
        self,
        prefix: str,
        first: int,
        count: int,
        *,
        account: str,
        symbol: str,
        side: Side,
        qty: int,
        price: int,
        now_ns: int,
        tif: TimeInForce = TimeInForce.DAY,
    ) -> int:
        """``count`` orders as :meth:`new_order` makes them, ClOrdID(11) ``prefix`` and the
        numbers from ``first`` in 8 digits, all stamped ``now_ns``: the first through
        :meth:`new_order` (the codec checks every value), the others from it as a template;
        returns the first's MsgSeqNum."""
        seq = self.new_order(
            f"{prefix}{first:08d}", account=account, symbol=symbol, side=side, qty=qty,
            price=price, now_ns=now_ns, tif=tif,
        )  # fmt: skip
        if count > 1:
            stamp = format_utc_timestamp(now_ns).encode("latin-1")
            head = b"35=D\x0149=%s\x0156=%s\x0134=" % (
                self.sender_comp_id.encode("latin-1"),
                self.target_comp_id.encode("latin-1"),
            )
            middle = b"\x0152=%s\x0111=%s" % (stamp, prefix.encode("latin-1"))
            tail = _ORDER_TAIL % (
                account.encode("latin-1"), symbol.encode("latin-1"), _SIDES[side].encode(),
                stamp, qty, _LIMIT.encode(), format_price(price).encode(), _TIFS[tif].encode(),
            )  # fmt: skip
            self._out += b"".join(
                [
                    wrap(head + b"%d" % (seq + k) + middle + b"%08d" % (first + k), tail)
                    for k in range(1, count)
                ]
            )
            self.next_seq += count - 1
        return seq

    def logout(self, now_ns: int) -> None:
        self._now = now_ns
        self._send(MsgType.LOGOUT, [])

    def tick(self, now_ns: int) -> None:
        """A Heartbeat when nothing was sent for HeartBtInt seconds."""
        self._now = now_ns
        if self.logged_on and now_ns - self._last_sent_ns >= self.heart_bt_int * NS_PER_SECOND:
            self._send(MsgType.HEARTBEAT, [])

    def data_to_send(self) -> bytes:
        data = bytes(self._out)
        self._out.clear()
        return data

    # -- input ----------------------------------------------------------------------------------

    def receive_data(self, data: bytes, now_ns: int) -> None:
        self._now = now_ns
        self._framer.receive_data(data)

    @property
    def between_messages(self) -> bool:
        """Whether the next bytes start a message (nothing unread, no fault, no resync): a
        caller may read whole messages itself until it hands the session the rest."""
        return self._framer.between_messages

    def take_pending(self) -> bytes:
        """The start of a message not whole yet, handed back (``FixFramer.take_pending``)."""
        return self._framer.take_pending()

    def next_event(self) -> InitiatorEvent | object:
        """The next event, or NEED_DATA."""
        while True:
            item = self._framer.next_event()
            if isinstance(item, FixMessage):
                event = self._on_message(item)
                if event is not None:
                    return event
            elif isinstance(item, FramingError):
                return Broken(f"framing lost: {item.text}")
            elif item is END_OF_INPUT:
                return Broken("the acceptor closed the connection")
            elif item is NEED_DATA:
                return NEED_DATA
            # Garbled: FIX says skip it

    def _on_message(self, msg: FixMessage) -> InitiatorEvent | None:
        kind = msg.msg_type
        if kind == MsgType.EXECUTION_REPORT:
            text = msg.get(Tag.TEXT) or msg.get(Tag.ORD_REJ_REASON) or ""
            return ExecReport(
                msg.get(Tag.EXEC_TYPE) or "",
                msg.get(Tag.CL_ORD_ID) or "",
                text,
                msg.get(_LAST_LIQUIDITY_IND) or "",
            )
        if kind == MsgType.TEST_REQUEST:
            self._send(MsgType.HEARTBEAT, [(int(Tag.TEST_REQ_ID), msg.get(Tag.TEST_REQ_ID) or "?")])
        elif kind == MsgType.RESEND_REQUEST:
            begin = msg.get(Tag.BEGIN_SEQ_NO) or ""
            if begin.isdigit() and 0 < int(begin) < self.next_seq:
                fill = [(int(Tag.GAP_FILL_FLAG), "Y"), (int(Tag.NEW_SEQ_NO), str(self.next_seq))]
                self._send(MsgType.SEQUENCE_RESET, fill, gap_fill_at=int(begin))
        elif kind in (MsgType.REJECT, MsgType.BUSINESS_MESSAGE_REJECT):
            ref = msg.get(Tag.REF_SEQ_NUM) or ""
            return Refused(int(ref) if ref.isdigit() else None, msg.get(Tag.TEXT) or kind)
        elif kind == MsgType.LOGON:
            self.logged_on = True
            return LoggedOn()
        elif kind == MsgType.LOGOUT:
            self.logged_on = False
            return LoggedOut(msg.get(Tag.TEXT) or "")
        return None  # Heartbeat, SequenceReset, OrderCancelReject: nothing to report
