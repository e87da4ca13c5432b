"""QuickFIX (a real FIX engine) as the gateway's client, run as a child process by
``test_fix_gateway_quickfix.py``.

Run: ``python fix_gateway_initiator.py PORT FIX44_XML WORKDIR MODE``. It logs on as ALPHAFIX
(Username ALPHA, Password alpha-pass) with UseDataDictionary=Y, so QuickFIX validates every
message the gateway sends and would answer a bad one with a Reject, and a FileStore in
WORKDIR, so its MsgSeqNums survive from one run to the next. It prints ``IN <msg>`` and
``OUT <msg>`` for every message (SOH shown as |) and one line per step.

* ``trade``: a NewOrderSingle (prints ``ACK <OrderID> <SecondaryOrderID>``), waits for a
  fill the parent makes, replaces, cancels, cancels an unknown order (OrderCancelReject),
  leaves a second bid resting (``RESTING``), logs out.
* ``again``: logs on (the host restarted meanwhile), waits for the fill of that bid, which
  happened while it was away (``MISSED <ClOrdID> <CumQty>``), then logs out.
* ``expect``: logs on with NextExpectedMsgSeqNum(789) the number its store expects from the
  gateway next, sends a NewOrderSingle (``ACK <ClOrdID>``) and logs out.
* ``ahead``: logs on with 789 five above that: the gateway cannot recover numbers it never
  sent and answers with a Logout (``LOGGED_OUT``).
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import quickfix as fix  # type: ignore[import-not-found]

WAIT = 20.0
#: how far above its store's expected number ``expect`` / ``ahead`` put 789 in the Logon
NEXT_EXPECTED = {"expect": 0, "ahead": 5}
MODE = ""
_SAY = threading.Lock()


def say(*parts: object) -> None:
    """One line on stdout, written whole: QuickFIX's threads print too, and ``print``'s
    separate writes of the text and the newline interleaved with theirs (a ``LOGGED_OUT``
    once landed at the end of another thread's ``OUT`` line, and the parent never saw it)."""
    line = " ".join(str(part) for part in parts) + "\n"
    with _SAY:
        sys.stdout.write(line)
        sys.stdout.flush()


class Client(fix.Application):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.session_id: object = None
        self.reports: list[dict[int, str]] = []
        self.changed = threading.Condition()
        self.logout_received = threading.Event()

    def onCreate(self, session_id: object) -> None:
        pass

    def onLogon(self, session_id: object) -> None:
        self.session_id = session_id
        say("LOGON")

    def onLogout(self, session_id: object) -> None:
        say("LOGOUT")

    def toAdmin(self, message: fix.Message, session_id: object) -> None:
        msg_type = fix.MsgType()
        message.getHeader().getField(msg_type)
        if msg_type.getValue() == fix.MsgType_Logon:
            message.setField(fix.Username("ALPHA"))
            message.setField(fix.Password("alpha-pass"))
            if MODE in NEXT_EXPECTED:
                expected = fix.Session.lookupSession(session_id).getExpectedTargetNum()
                message.setField(fix.NextExpectedMsgSeqNum(expected + NEXT_EXPECTED[MODE]))
        say("OUT", message.toString().replace("\x01", "|"))

    def fromAdmin(self, message: fix.Message, session_id: object) -> None:
        say("IN", message.toString().replace("\x01", "|"))
        msg_type = fix.MsgType()
        message.getHeader().getField(msg_type)
        if msg_type.getValue() == fix.MsgType_Logout:
            self.logout_received.set()

    def toApp(self, message: fix.Message, session_id: object) -> None:
        say("OUT", message.toString().replace("\x01", "|"))

    def fromApp(self, message: fix.Message, session_id: object) -> None:
        text = message.toString()
        say("IN", text.replace("\x01", "|"))
        fields = dict(f.split("=", 1) for f in text.split("\x01") if "=" in f)
        with self.changed:
            self.reports.append({int(tag): value for tag, value in fields.items()})
            self.changed.notify_all()

    def wait_for(self, **want: str) -> dict[int, str]:
        """The first report (from now on or already received) with the tags given as
        ``t<tag>=value``."""
        tags = {int(key[1:]): value for key, value in want.items()}
        deadline = time.monotonic() + WAIT
        with self.changed:
            while True:
                for report in self.reports:
                    if all(report.get(tag) == value for tag, value in tags.items()):
                        self.reports.remove(report)
                        return report
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no report with {tags}: {self.reports}")
                self.changed.wait(left)

    def send(self, message: fix.Message) -> None:
        fix.Session.sendToTarget(message, self.session_id)


def order(msg_type: str, cl_ord_id: str, qty: int, price: str) -> fix.Message:
    message = fix.Message()
    message.getHeader().setField(fix.MsgType(msg_type))
    message.setField(fix.ClOrdID(cl_ord_id))
    message.setField(fix.Symbol("ACME"))
    message.setField(fix.Side(fix.Side_BUY))
    message.setField(fix.TransactTime())
    if msg_type != fix.MsgType_OrderCancelRequest:
        message.setField(fix.OrderQty(qty))
        message.setField(fix.OrdType(fix.OrdType_LIMIT))
        message.setField(fix.StringField(44, price))
    if msg_type == fix.MsgType_NewOrderSingle:
        message.setField(fix.TimeInForce(fix.TimeInForce_DAY))
    return message


def amend(msg_type: str, cl_ord_id: str, orig: str, qty: int = 0, price: str = "") -> fix.Message:
    message = order(msg_type, cl_ord_id, qty, price)
    message.setField(fix.OrigClOrdID(orig))
    return message


def trade(client: Client) -> None:
    client.send(order(fix.MsgType_NewOrderSingle, "qf-1", 100, "100"))
    ack = client.wait_for(t150="0", t11="qf-1")
    say("ACK", ack[37], ack[198])
    fill = client.wait_for(t150="F", t11="qf-1")
    say("FILL", fill[14], fill[6], fill[151])
    client.send(amend(fix.MsgType_OrderCancelReplaceRequest, "qf-2", "qf-1", 80, "100.01"))
    client.wait_for(t150="5", t11="qf-2", t41="qf-1")
    client.send(amend(fix.MsgType_OrderCancelRequest, "qf-3", "qf-2"))
    client.wait_for(t150="4", t11="qf-3")
    client.send(amend(fix.MsgType_OrderCancelRequest, "qf-4", "nope"))
    client.wait_for(t35="9", t102="1")
    client.send(order(fix.MsgType_NewOrderSingle, "qf-5", 10, "99"))
    client.wait_for(t150="0", t11="qf-5")
    say("RESTING")


def again(client: Client) -> None:
    fill = client.wait_for(t150="F", t11="qf-5")
    say("MISSED", fill[11], fill[14])


def expect(client: Client) -> None:
    cl_ord_id = f"qf-x{time.time_ns() % 10**12}"  # 20 characters at most
    client.send(order(fix.MsgType_NewOrderSingle, cl_ord_id, 1, "90"))
    client.wait_for(t150="0", t11=cl_ord_id)
    say("ACK", cl_ord_id)


def main() -> None:
    global MODE
    port, xml, workdir, mode = int(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), sys.argv[4]
    MODE = mode
    config = workdir / "initiator.cfg"
    config.write_text(
        "[DEFAULT]\nConnectionType=initiator\nHeartBtInt=5\nReconnectInterval=60\n"
        f"FileStorePath={workdir / 'store'}\nStartTime=00:00:00\nEndTime=00:00:00\n"
        f"UseDataDictionary=Y\nDataDictionary={xml}\nValidateUserDefinedFields=Y\n"
        f"SocketConnectHost=127.0.0.1\nSocketConnectPort={port}\n"
        "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=ALPHAFIX\nTargetCompID=SEQUEX\n"
    )
    client = Client()
    settings = fix.SessionSettings(str(config))
    initiator = fix.SocketInitiator(client, fix.FileStoreFactory(settings), settings)
    initiator.start()
    if mode == "ahead":  # never logged on: the gateway's Logout answers the Logon
        try:
            if client.logout_received.wait(WAIT):
                say("LOGGED_OUT")
        finally:
            initiator.stop()
        say("DONE")
        return
    deadline = time.monotonic() + WAIT
    while client.session_id is None and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        {"trade": trade, "again": again, "expect": expect}[mode](client)
        session = fix.Session.lookupSession(client.session_id)
        say("SEQ", session.getExpectedSenderNum(), session.getExpectedTargetNum())
    finally:
        initiator.stop()
    say("DONE")


if __name__ == "__main__":
    main()
