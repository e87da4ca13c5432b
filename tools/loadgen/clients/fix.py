"""The FIX 4.4 adapter: orders over the host's FIX acceptor (default port 9878).

Drives :class:`~tools.loadgen.clients.fix_session.FixInitiator`: Logon with
SenderCompID(49) ``identity.login_name`` (the firm unless ``--sender`` names another),
TargetCompID(56) ``SEQUEX``, Username(553) the firm and Password(554); each order is a
NewOrderSingle (limit, day or IOC, Account(1) the identity's account) whose ClOrdID(11) is
the order's id. SendingTime and TransactTime are wall-clock UTC (the acceptor checks them
against its clock); latencies use the load generator's monotonic clock.

    ExecutionReport ExecType(150)  -> Report
    0 new                          -> ACK
    F trade                        -> FILL, taker / maker from LastLiquidityInd(851) if sent
    8 rejected                     -> REJECT with Text(58) (or OrdRejReason(103))
    4 canceled, C expired          -> DONE
    Reject (3), BusinessMessageReject (j) of an order's message -> ERROR for that order
"""

from __future__ import annotations

import time
from typing import Final

from tools.loadgen.clients import (
    ACK,
    DONE,
    ERROR,
    FILL,
    MAKER,
    REJECT,
    TAKER,
    ClientError,
    Identity,
    OrderSpec,
    Report,
)
from tools.loadgen.clients.fix_reports import ExecFields, scan_reports
from tools.loadgen.clients.fix_session import (
    NEED_DATA,
    Broken,
    ExecReport,
    FixInitiator,
    LoggedOn,
    LoggedOut,
    Refused,
)
from tools.loadgen.clients.stream import StreamClient

__all__ = ["CLIENT", "TARGET_COMP_ID", "FixClient"]

TARGET_COMP_ID: Final = "SEQUEX"
#: ExecType(150) -> report kind
_KINDS: Final = {"0": ACK, "F": FILL, "8": REJECT, "4": DONE, "C": DONE}
#: LastLiquidityInd(851), when the acceptor sends it
_LIQUIDITY: Final = {"1": MAKER, "2": TAKER}


class FixClient(StreamClient):
    """One FIX connection."""

    def __init__(
        self, identity: Identity, id_prefix: str, *, target_comp_id: str = TARGET_COMP_ID
    ) -> None:
        super().__init__()
        self.identity = identity
        self.session = FixInitiator(
            identity.login_name,
            target_comp_id,
            username=identity.firm,
            password=identity.password,
        )
        self._prefix = id_prefix
        self._count = 0
        #: MsgSeqNum of each order's NewOrderSingle until its first answer, both ways
        self._by_seq: dict[int, str] = {}
        self._seq_of: dict[str, int] = {}
        #: the start of a message not whole yet, taken back from the session's framer
        self._carry = b""

    # -- login / logout -------------------------------------------------------------------------

    def _login_bytes(self) -> bytes:
        self.session.logon(time.time_ns())
        return self.session.data_to_send()

    def _login_answer(self, data: bytes) -> bool:
        self.session.receive_data(data, time.time_ns())
        try:
            while True:
                event = self.session.next_event()
                match event:
                    case LoggedOn():
                        return True
                    case LoggedOut(text=text):
                        raise ClientError(f"logon refused: {text or 'Logout without a reason'}")
                    case Broken(text=text):
                        raise ClientError(f"logon failed: {text}")
                    case _ if event is NEED_DATA:
                        return False
        finally:
            self._write(self.session.data_to_send())

    def _logout_bytes(self) -> bytes:
        if not self.session.logged_on:
            return b""
        self.session.logout(time.time_ns())
        return self.session.data_to_send()

    def _tick(self, now: int) -> bytes:
        self.session.tick(time.time_ns())
        return self.session.data_to_send()

    # -- orders ---------------------------------------------------------------------------------

    def send_new_order(self, order: OrderSpec) -> str:
        self._count += 1
        oid = f"{self._prefix}{self._count:08d}"
        seq = self.session.new_order(
            oid,
            account=self.identity.account,
            symbol=order.symbol,
            side=order.side,
            qty=order.qty,
            price=order.price,
            now_ns=time.time_ns(),
            tif=order.tif,
        )
        self._by_seq[seq] = oid
        self._seq_of[oid] = seq
        self._write(self.session.data_to_send())
        return oid

    def send_new_orders(self, order: OrderSpec, count: int) -> int:
        """``count`` NewOrderSingles in one go (``FixInitiator.new_orders``: the first
        encoded field by field, the others from it as a template)."""
        first = self._count + 1
        seq = self.session.new_orders(
            self._prefix, first, count, account=self.identity.account, symbol=order.symbol,
            side=order.side, qty=order.qty, price=order.price, now_ns=time.time_ns(),
            tif=order.tif,
        )  # fmt: skip
        self._count += count
        by_seq, seq_of, prefix = self._by_seq, self._seq_of, self._prefix
        for k in range(count):
            oid = f"{prefix}{first + k:08d}"
            by_seq[seq + k] = oid
            seq_of[oid] = seq + k
        self._write(self.session.data_to_send())
        return first

    # -- reports --------------------------------------------------------------------------------

    def _report(self, exec_type: str, cl_ord_id: str, text: str, liquidity: str, ts: int,
                out: list[Report]) -> None:  # fmt: skip
        kind = _KINDS.get(exec_type)
        if kind is not None:
            if kind in (ACK, REJECT):
                self._answered(cl_ord_id)
            if kind == FILL:
                detail = _LIQUIDITY.get(liquidity, "")
            elif kind == ACK:
                detail = ""
            else:
                detail = text
            out.append((kind, cl_ord_id, ts, detail))

    def _parse(self, data: bytes, ts: int) -> list[Report]:
        session = self.session
        out: list[Report] = []
        if session.logged_on and session.between_messages and (self._carry or data):
            # the ExecutionReports at the front, read in place (fix_reports); the session
            # gets the rest from the first other message on
            buf = self._carry + data
            fields: list[ExecFields] = []
            pos, _ = scan_reports(buf, fields)
            for exec_type, cl_ord_id, text, liquidity in fields:
                self._report(exec_type, cl_ord_id, text, liquidity, ts, out)
            self._carry = b""
            data = buf[pos:]
        if data:
            session.receive_data(data, time.time_ns())
        while True:
            event = session.next_event()
            if isinstance(event, ExecReport):
                self._report(event.exec_type, event.cl_ord_id, event.text, event.liquidity, ts, out)
            elif event is NEED_DATA:
                self._carry = session.take_pending()  # read in place with the next bytes
                break
            elif isinstance(event, Refused):
                oid = self._by_seq.pop(event.ref_seq_num or 0, "")
                self._seq_of.pop(oid, None)
                out.append((ERROR, oid, ts, event.text))
            elif isinstance(event, LoggedOut):
                self._end(None if self._closing else f"logout by the acceptor: {event.text}")
                break
            elif isinstance(event, Broken):
                self._end(None if self._closing else event.text)
                break
        self._write(session.data_to_send())  # a Heartbeat answering a TestRequest, a gap fill
        return out

    def _answered(self, oid: str) -> None:
        seq = self._seq_of.pop(oid, None)
        if seq is not None:
            del self._by_seq[seq]


CLIENT: Final = FixClient
