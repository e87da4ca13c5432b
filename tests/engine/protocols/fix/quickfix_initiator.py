"""A QuickFIX initiator (a real FIX engine) as a child process, for the interop test.

Run: ``python quickfix_initiator.py PORT FIX44_XML WORKDIR``. It logs on as ALPHA to
SEQUEX at 127.0.0.1:PORT with UseDataDictionary=Y (so QuickFIX validates what we send and
answers a Reject if something is wrong), sends one NewOrderSingle, prints every message it
receives as ``IN <msg>`` (SOH shown as |), waits for an ExecutionReport, then logs out.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import quickfix as fix  # type: ignore[import-not-found]


class Client(fix.Application):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.session_id: object = None
        self.reports = 0

    def onCreate(self, session_id: object) -> None:
        pass

    def onLogon(self, session_id: object) -> None:
        self.session_id = session_id
        print("LOGON", flush=True)

    def onLogout(self, session_id: object) -> None:
        print("LOGOUT", flush=True)

    def toAdmin(self, message: fix.Message, session_id: object) -> None:
        msg_type = fix.MsgType()
        message.getHeader().getField(msg_type)
        if msg_type.getValue() == fix.MsgType_Logon:
            message.setField(fix.Username("alpha"))
            message.setField(fix.Password("alpha-pass"))

    def fromAdmin(self, message: fix.Message, session_id: object) -> None:
        print("IN", message.toString().replace("\x01", "|"), flush=True)

    def toApp(self, message: fix.Message, session_id: object) -> None:
        pass

    def fromApp(self, message: fix.Message, session_id: object) -> None:
        print("IN", message.toString().replace("\x01", "|"), flush=True)
        self.reports += 1


def main() -> None:
    port, xml, workdir = int(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    config = workdir / "initiator.cfg"
    config.write_text(
        "[DEFAULT]\nConnectionType=initiator\nHeartBtInt=5\nReconnectInterval=60\n"
        f"FileStorePath={workdir / 'store'}\nStartTime=00:00:00\nEndTime=00:00:00\n"
        f"UseDataDictionary=Y\nDataDictionary={xml}\nValidateUserDefinedFields=Y\n"
        f"SocketConnectHost=127.0.0.1\nSocketConnectPort={port}\n"
        "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=ALPHA\nTargetCompID=SEQUEX\n"
    )
    client = Client()
    settings = fix.SessionSettings(str(config))
    initiator = fix.SocketInitiator(client, fix.MemoryStoreFactory(), settings)
    initiator.start()
    deadline = time.monotonic() + 20
    while client.session_id is None and time.monotonic() < deadline:
        time.sleep(0.05)
    order = fix.Message()
    order.getHeader().setField(fix.MsgType(fix.MsgType_NewOrderSingle))
    order.setField(fix.ClOrdID("qf-1"))
    order.setField(fix.Account("ALPHA-1"))
    order.setField(fix.Symbol("ACME"))
    order.setField(fix.Side(fix.Side_BUY))
    order.setField(fix.OrderQty(100))
    order.setField(fix.OrdType(fix.OrdType_LIMIT))
    order.setField(fix.Price(123.45))
    order.setField(fix.TimeInForce(fix.TimeInForce_DAY))
    order.setField(fix.TransactTime())
    fix.Session.sendToTarget(order, client.session_id)
    while client.reports == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    initiator.stop()
    print("DONE", client.reports, flush=True)


if __name__ == "__main__":
    main()
