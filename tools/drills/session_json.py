"""A drill session over the JSON-lines gateway, as a named session (``docs/json-gateway.md``).

It logs in with ``"session": NAME`` and ``"from": N``, N the number after the last ``"n"`` it
read (1 at the first login), so it reads every report of its store once and in order. Its
numbers are the ``"n"`` of each report line.

Resume: the gateway does not recognise a repeated ``client_order_id``, so a new order is never
sent twice. An order unanswered at a drop is settled by the store: ``login_ok`` says which
number was the last stored (``last``); once the session has read up to it, an order still
unanswered never reached the journal (the store is caught up from the journal before the
gateway takes logins) and its future answers ``"unanswered"``.
"""

from __future__ import annotations

import json
from typing import Any

from tools.drills.ledger import FillSeen
from tools.drills.session import DrillSession, LoginFailed, Order

__all__ = ["JsonSession"]


class JsonSession(DrillSession):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._buffer = b""
        self._next = 1
        self._lines = 0
        self._by_line: dict[int, str] = {}
        #: the number up to which the store was caught up at the last login, and the orders
        #: that wait for it to be read
        self._caught_up_at = 0
        self._doubtful: list[str] = []

    def _line(self, obj: dict[str, Any]) -> bytes:
        self._lines += 1
        return json.dumps(obj, separators=(",", ":")).encode() + b"\n"

    def _login_bytes(self, first: bool) -> bytes:
        self._buffer, self._lines, self._by_line = b"", 0, {}
        spec = self.spec
        login = {"type": "login", "firm": spec.firm, "password": spec.password}
        return self._line({**login, "session": spec.name, "from": self._next})

    def _login_answer(self, data: bytes) -> bool:
        self._buffer += data
        if b"\n" not in self._buffer:
            return False
        raw, _, self._buffer = self._buffer.partition(b"\n")
        answer = json.loads(raw)
        if answer.get("type") != "login_ok":
            raise LoginFailed(f"login refused: {raw[:200]!r}")
        self._caught_up_at = int(answer.get("last", 0))
        return True

    def _recovered(self, doubtful: list[str]) -> bytes:
        self._doubtful = doubtful
        self._settle()
        return b""

    def _settle(self) -> None:
        if self._doubtful and self._next > self._caught_up_at:
            for cid in self._doubtful:
                self._answer(cid, "unanswered")
            self._doubtful = []

    def _enter(self, cid: str, order: Order) -> bytes:
        data = self._line(
            {
                "type": "new_order",
                "account": self.spec.account,
                "symbol": order.symbol,
                "side": order.side,
                "order_type": "limit",
                "tif": order.tif,
                "qty": order.qty,
                "price": order.price,
                "client_order_id": cid,
            }
        )
        self._by_line[self._lines] = cid
        return data

    def _cancel(self, cid: str, order_id: int) -> bytes:
        obj = {"type": "cancel_order", "account": self.spec.account, "order_id": order_id}
        return self._line({**obj, "client_order_id": cid})

    def _replace(self, cid: str, order_id: int, qty: int, price: int) -> bytes:
        obj = {"type": "replace_order", "account": self.spec.account, "order_id": order_id}
        return self._line({**obj, "qty": qty, "price": price, "client_order_id": cid})

    def _logout(self) -> bytes:
        return b'{"type":"logout"}\n'

    def _feed(self, data: bytes) -> bytes:
        self._buffer += data
        *lines, self._buffer = self._buffer.split(b"\n")
        for raw in lines:
            if raw.strip():
                self._take(raw)
        return b""

    def _take(self, raw: bytes) -> None:
        try:
            line = json.loads(raw)
        except ValueError:
            self._fault(f"unreadable line {raw[:200]!r}")
            return
        kind = line.get("type")
        if kind == "error":
            cid = self._by_line.pop(int(line.get("line", 0)), "")
            if cid:
                self._answer(cid, f"refused: {line.get('code')}")
            return
        if "n" not in line:
            return  # "sequenced", "logged_out": not a stored report
        number = int(line["n"])
        self.trace.numbers.append(number)
        self._next = max(self._next, number + 1)
        self._report(kind, line)
        self._settle()

    def _report(self, kind: str, line: dict[str, Any]) -> None:
        ours = line.get("account") == self.spec.account
        if kind == "accepted" and ours:
            cid, order_id = str(line["client_order_id"]), int(line["order_id"])
            self.ledger.acked(cid, order_id, int(line["seq_no"]))
            entry = self.ledger.orders.get(cid)
            if entry is not None and entry.session == self.spec.name:
                self.live[order_id] = cid
            self._answer(cid, "accepted")
        elif kind == "rejected" and ours:
            self._answer(str(line.get("client_order_id", "")), f"rejected: {line.get('reason')}")
        elif kind == "fill":
            order_id = int(line["order_id"])
            self.ledger.fills.append(
                FillSeen(
                    self.spec.name,
                    order_id,
                    int(line["fill_qty"]),
                    int(line["fill_price"]),
                    exec_id=int(line["exec_id"]),
                )
            )
            if int(line["leaves_qty"]) == 0:
                self.live.pop(order_id, None)
        elif kind in ("cancelled", "expired"):
            self.live.pop(int(line["order_id"]), None)
