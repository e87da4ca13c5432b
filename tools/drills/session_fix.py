"""A drill session over FIX 4.4 (``docs/fix-gateway.md``): an initiator that keeps its
MsgSeqNums across connections and checks every number it is sent.

The first Logon carries ResetSeqNumFlag(141)=Y (both sides from 1, whatever an earlier run
left); every later one continues: MsgSeqNum our next, NextExpectedMsgSeqNum(789) the number we
expect next, so the acceptor resends what we missed, PossDupFlag=Y copies and gap fills.

Inbound numbering: a message numbered as expected is taken, and so are those held after it; a
message numbered higher is held until the gap before it is filled (the acceptor numbers new
messages after a resend under way); one numbered lower is a repeat: ignored if flagged
PossDupFlag=Y, a fault if not. A SequenceReset-GapFill takes the numbers it covers. The
session's numbers are those taken, in order, so a gap or a repeat shows in the verdict.

Resume: FIX makes a resent order harmless (a ClOrdID the session used today, flagged
PossResend(97)=Y, is answered with its status, never entered again), so every new order
unanswered at a drop is sent again so flagged: one that reached the journal gets its ack
among the reports the session missed, one that did not is entered now.

ExecutionReports: 150=0 is the ack (OrderID(37) the order id, SecondaryOrderID(198) the
seq_no), 150=F a fill (ExecID(17) ``seq-sub`` names the fill event, LastQty, LastPx),
150=8 a reject, 150=4 / C the end, 150=5 a replace.
"""

from __future__ import annotations

import time
from typing import Any, Final

from engine.protocols.fix.codec import FixMessage, encode
from engine.protocols.fix.decimals import format_price, parse_price
from engine.protocols.fix.framer import END_OF_INPUT, NEED_DATA, FixFramer, FramingError
from engine.protocols.fix.tags import MsgType, Tag
from engine.protocols.fix.timestamps import format_utc_timestamp
from tools.drills.ledger import FillSeen
from tools.drills.session import DrillSession, LoginFailed, Order

__all__ = ["FixSession"]

TARGET: Final = "SEQUEX"
_SIDES: Final = {"buy": "1", "sell": "2"}
_TIFS: Final = {"day": "0", "ioc": "3"}


class FixSession(DrillSession):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._framer = FixFramer()
        self._out_seq = 1
        self._expected = 1
        self._held: dict[int, FixMessage] = {}
        self._logon_seq = 1
        self._orders: dict[str, Order] = {}  # ClOrdID -> the order, for a resend
        self._clordid_of: dict[int, str] = {}  # live order id -> its current ClOrdID

    # -- output -------------------------------------------------------------------------------

    def _message(self, msg_type: str, body: list[tuple[int, str]], *, dup: int = 0) -> bytes:
        """Number and encode one message; ``dup`` N sends a PossDup copy numbered N."""
        stamp = format_utc_timestamp(time.time_ns())  # the acceptor checks it against its clock
        seq = dup or self._out_seq
        header = [(49, self.spec.name), (56, TARGET), (34, str(seq))]
        if dup:
            header += [(43, "Y"), (52, stamp), (122, stamp)]
        else:
            header.append((52, stamp))
            self._out_seq += 1
        return encode(msg_type, header + body)

    def _login_bytes(self, first: bool) -> bytes:
        self._framer = FixFramer()
        self._held.clear()
        if first:
            self._out_seq = self._expected = 1
        body = [
            (98, "0"),
            (108, "30"),
            (553, self.spec.firm),
            (554, self.spec.password),
        ]
        if first:
            body.append((141, "Y"))
        else:
            body.append((int(Tag.NEXT_EXPECTED_MSG_SEQ_NUM), str(self._expected)))
        self._logon_seq = self._out_seq
        return self._message(MsgType.LOGON, body)

    def _login_answer(self, data: bytes) -> bool:
        self._framer.receive_data(data)
        while True:
            item = self._framer.next_event()
            if item is NEED_DATA:
                return False
            if item is END_OF_INPUT or isinstance(item, FramingError):
                raise ConnectionError(f"logon failed: {item}")
            if not isinstance(item, FixMessage):
                continue
            if item.msg_type == MsgType.LOGOUT:
                raise LoginFailed(f"logon refused: {item.get(Tag.TEXT) or 'Logout'}")
            if item.msg_type == MsgType.LOGON:
                self._hold(item)
                return True

    def _recovered(self, doubtful: list[str]) -> bytes:
        out = b""
        for cid in doubtful:
            self.ledger.sent(cid, self.spec.name)  # marks the entry resent
            out += self._order_message(cid, self._orders[cid], resend=True)
        return out

    def _order_message(self, cid: str, order: Order, *, resend: bool = False) -> bytes:
        body = [
            (11, cid), (1, self.spec.account), (55, order.symbol), (54, _SIDES[order.side]),
            (60, format_utc_timestamp(time.time_ns())), (38, str(order.qty)), (40, "2"),
            (44, format_price(order.price)), (59, _TIFS[order.tif]),
        ]  # fmt: skip
        if resend:
            body.append((int(Tag.POSS_RESEND), "Y"))
        return self._message(MsgType.NEW_ORDER_SINGLE, body)

    def _enter(self, cid: str, order: Order) -> bytes:
        self._orders[cid] = order
        return self._order_message(cid, order)

    def _cancel(self, cid: str, order_id: int) -> bytes:
        orig = self._clordid_of.get(order_id)
        order = self._orders.get(self.live.get(order_id, ""))
        if orig is None or order is None:
            return b""
        body = [(11, cid), (41, orig), (37, str(order_id)), (1, self.spec.account)]
        body += [(55, order.symbol), (54, _SIDES[order.side])]
        body += [(60, format_utc_timestamp(time.time_ns()))]
        return self._message(MsgType.ORDER_CANCEL_REQUEST, body)

    def _replace(self, cid: str, order_id: int, qty: int, price: int) -> bytes:
        orig = self._clordid_of.get(order_id)
        order = self._orders.get(self.live.get(order_id, ""))
        if orig is None or order is None:
            return b""
        body = [
            (11, cid), (41, orig), (37, str(order_id)), (1, self.spec.account),
            (55, order.symbol), (54, _SIDES[order.side]),
            (60, format_utc_timestamp(time.time_ns())), (38, str(qty)), (40, "2"),
            (44, format_price(price)),
        ]  # fmt: skip
        return self._message(MsgType.ORDER_CANCEL_REPLACE_REQUEST, body)

    def _logout(self) -> bytes:
        return self._message(MsgType.LOGOUT, [])

    def _at_close(self) -> None:
        if self._held:
            first = min(self._held)
            self._fault(
                f"{len(self._held)} message(s) from MsgSeqNum {first} on held behind a gap "
                f"that was never filled (expected {self._expected})"
            )

    def _tick(self) -> bytes:
        return b""  # 30 s heartbeats: a drill round is shorter; TestRequests are answered

    # -- input --------------------------------------------------------------------------------

    def _feed(self, data: bytes) -> bytes:
        if data:
            self._framer.receive_data(data)
        out = b""
        while True:
            item = self._framer.next_event()
            if item is NEED_DATA or item is END_OF_INPUT:
                break
            if isinstance(item, FramingError):
                self._fault(f"framing lost: {item}")
                break
            if isinstance(item, FixMessage):
                out += self._hold(item)
        return out

    def _hold(self, msg: FixMessage) -> bytes:
        """Take ``msg`` in MsgSeqNum order (see the module docstring); returns answers."""
        seq = int(msg.get(Tag.MSG_SEQ_NUM) or 0)
        if seq < self._expected:
            if msg.get(Tag.POSS_DUP_FLAG) != "Y":
                self._fault(f"MsgSeqNum {seq} again, expected {self._expected}, not a PossDup")
            return b""
        self._held[seq] = msg
        out = b""
        while self._expected in self._held:
            taken = self._held.pop(self._expected)
            out += self._take(self._expected, taken)
        return out

    def _take(self, seq: int, msg: FixMessage) -> bytes:
        kind = msg.msg_type
        if kind == MsgType.SEQUENCE_RESET:
            new = int(msg.get(Tag.NEW_SEQ_NO) or 0)
            if new <= seq:
                self._fault(f"SequenceReset at {seq} to {new}: not forward")
                new = seq + 1
            self.trace.numbers.extend(range(seq, new))
            self._expected = new
            return b""
        self.trace.numbers.append(seq)
        self._expected = seq + 1
        if kind == MsgType.EXECUTION_REPORT:
            self._report(msg)
        elif kind == MsgType.TEST_REQUEST:
            test = msg.get(Tag.TEST_REQ_ID) or "?"
            return self._message(MsgType.HEARTBEAT, [(int(Tag.TEST_REQ_ID), test)])
        elif kind == MsgType.RESEND_REQUEST:
            return self._gap_fill(int(msg.get(Tag.BEGIN_SEQ_NO) or 0))
        elif kind in (MsgType.REJECT, MsgType.BUSINESS_MESSAGE_REJECT):
            self._fault(f"{kind} {msg.get(Tag.TEXT)} (RefSeqNum {msg.get(Tag.REF_SEQ_NUM)})")
        return b""

    def _gap_fill(self, begin: int) -> bytes:
        """Our messages before this connection's Logon are not sent again: what the acceptor
        missed of them is gap-filled (an order among them stays unanswered)."""
        if not 0 < begin < self._logon_seq:
            return b""
        body = [(int(Tag.GAP_FILL_FLAG), "Y"), (int(Tag.NEW_SEQ_NO), str(self._logon_seq))]
        return self._message(MsgType.SEQUENCE_RESET, body, dup=begin)

    def _report(self, msg: FixMessage) -> None:
        exec_type = msg.get(Tag.EXEC_TYPE) or ""
        cid = msg.get(Tag.CL_ORD_ID) or ""
        order_id = int(msg.get(Tag.ORDER_ID) or 0) if (msg.get(Tag.ORDER_ID) or "").isdigit() else 0
        if exec_type == "0":
            seq_no = int(msg.get(Tag.SECONDARY_ORDER_ID) or 0)
            self.ledger.acked(cid, order_id, seq_no)
            entry = self.ledger.orders.get(cid)
            if entry is not None and entry.session == self.spec.name:
                self.live[order_id] = cid
                self._clordid_of[order_id] = cid
            self._answer(cid, "accepted")
        elif exec_type == "8":
            self._answer(cid, f"rejected: {msg.get(Tag.TEXT)}")
        elif exec_type == "F":
            seq, _, sub = (msg.get(Tag.EXEC_ID) or "").partition("-")
            self.ledger.fills.append(
                FillSeen(
                    self.spec.name,
                    order_id,
                    int(msg.get(Tag.LAST_QTY) or 0),
                    parse_price(msg.get(Tag.LAST_PX) or "0"),
                    event=(int(seq or 0), int(sub or 0)),
                    resent=msg.get(Tag.POSS_DUP_FLAG) == "Y",
                )
            )
            if msg.get(39) == "2":  # OrdStatus filled
                self._forget(order_id)
        elif exec_type in ("4", "C"):
            self._forget(order_id)
        elif exec_type == "5" and order_id in self._clordid_of:
            self._clordid_of[order_id] = cid

    def _forget(self, order_id: int) -> None:
        self.live.pop(order_id, None)
        self._clordid_of.pop(order_id, None)
