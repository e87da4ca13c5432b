"""The JSON-lines adapter: orders over the host's JSON gateway (default port 9877).

Wire format: ``engine.protocols.json_session``. The login line names the firm and password;
each order is one ``new_order`` line whose ``client_order_id`` is the order's id. The gateway
answers every line with one line of its own, ``sequenced`` (it entered the sequence) or
``error`` (refused; nothing was sent on), and reports later as canonical event lines:

    line of ours          -> what it becomes here
    accepted (client id)  -> ACK, and the order_id is remembered
    rejected (client id)  -> REJECT with the reason
    fill (order_id)       -> FILL of the remembered order (its first fill; later ones ignored),
                             with its liquidity (taker / maker)
    cancelled / expired   -> DONE with the reason
    error (line number)   -> ERROR with the code, for the order sent on that line

Lines are numbered as the gateway counts them: the login is line 1, our Nth order line N + 1.
A fill or cancel of an order id this connection did not enter (another session of the firm
entered it) is not reported.
"""

from __future__ import annotations

import json
from typing import Final

import msgspec

from engine.domain.types import Side
from tools.loadgen.clients import (
    ACK,
    DONE,
    ERROR,
    FILL,
    REJECT,
    ClientError,
    Identity,
    OrderSpec,
    Report,
)
from tools.loadgen.clients.stream import StreamClient

__all__ = ["CLIENT", "JsonClient"]

#: A gateway line that is not even a JSON object of the shape below is one ERROR.
UNREADABLE: Final = "unreadable_line"


class _Line(msgspec.Struct):
    """The fields of a gateway line that the adapter reads; the rest are skipped."""

    type: str = ""
    line: int = 0
    order_id: int = 0
    client_order_id: str = ""
    code: str = ""
    reason: str = ""
    text: str = ""
    liquidity: str = ""


_DECODE: Final = msgspec.json.Decoder(_Line).decode
_SIDES: Final = {Side.BUY: "buy", Side.SELL: "sell"}


class JsonClient(StreamClient):
    """One JSON-lines connection, logged in as ``identity.firm``."""

    def __init__(self, identity: Identity, id_prefix: str) -> None:
        super().__init__()
        self.identity = identity
        self._prefix = id_prefix
        self._count = 0
        self._lines = 1  # the login is line 1
        self._buffer = b""
        #: our line number -> order id, until the gateway answers the line
        self._by_line: dict[int, str] = {}
        #: exchange order_id -> our order id, from the ack until the first fill or the end
        self._by_order_id: dict[int, str] = {}
        self._templates: dict[OrderSpec, bytes] = {}

    # -- login / logout -------------------------------------------------------------------------

    def _login_bytes(self) -> bytes:
        login = {"type": "login", "firm": self.identity.firm, "password": self.identity.password}
        return json.dumps(login).encode() + b"\n"

    def _login_answer(self, data: bytes) -> bool:
        self._buffer += data
        if b"\n" not in self._buffer:
            return False
        raw, _, self._buffer = self._buffer.partition(b"\n")
        try:
            answer = _DECODE(raw)
        except msgspec.DecodeError:
            raise ClientError(f"unexpected login answer: {raw[:200]!r}") from None
        if answer.type == "login_ok":
            return True
        raise ClientError(f"login refused: {answer.code or answer.type}: {answer.text}")

    def _logout_bytes(self) -> bytes:
        return b'{"type":"logout"}\n'

    # -- orders ---------------------------------------------------------------------------------

    def send_new_order(self, order: OrderSpec) -> str:
        self._count += 1
        oid = f"{self._prefix}{self._count:08d}"
        head = self._templates.get(order) or self._template(order)
        self._lines += 1
        self._by_line[self._lines] = oid
        self._write(head + oid.encode() + b'"}\n')
        return oid

    def _template(self, order: OrderSpec) -> bytes:
        """The order's line up to the client_order_id's value (built once per order shape)."""
        fields = {
            "type": "new_order",
            "firm": self.identity.firm,
            "account": self.identity.account,
            "symbol": order.symbol,
            "side": _SIDES[order.side],
            "order_type": "limit",
            "tif": order.tif.name.lower(),
            "qty": order.qty,
            "price": order.price,
        }
        text = json.dumps(fields, separators=(",", ":"))[:-1] + ',"client_order_id":"'
        head = self._templates[order] = text.encode()
        return head

    # -- reports --------------------------------------------------------------------------------

    def _parse(self, data: bytes, ts: int) -> list[Report]:
        buffer = self._buffer + data if data else self._buffer
        if b"\n" not in buffer:
            self._buffer = buffer
            return []
        *lines, self._buffer = buffer.split(b"\n")
        out: list[Report] = []
        for raw in lines:
            if raw:
                report = self._report(raw, ts)
                if report is not None:
                    out.append(report)
        return out

    def _report(self, raw: bytes, ts: int) -> Report | None:
        try:
            line = _DECODE(raw)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return (ERROR, "", ts, UNREADABLE)
        kind = line.type
        if kind == "sequenced":
            self._by_line.pop(line.line, None)
        elif kind == "accepted":
            self._by_order_id[line.order_id] = line.client_order_id
            return (ACK, line.client_order_id, ts, "")
        elif kind == "fill":
            oid = self._by_order_id.pop(line.order_id, None)
            if oid is not None:
                return (FILL, oid, ts, line.liquidity)
        elif kind in ("cancelled", "expired"):
            oid = self._by_order_id.pop(line.order_id, None)
            if oid is not None:
                return (DONE, oid, ts, f"{kind}: {line.reason}")
        elif kind == "rejected":
            return (REJECT, line.client_order_id, ts, line.reason)
        elif kind == "error":
            return (ERROR, self._by_line.pop(line.line, ""), ts, line.code)
        elif kind == "logged_out":
            self._end(None)
        return None


CLIENT: Final = JsonClient
