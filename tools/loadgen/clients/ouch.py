"""The OUCH 4.2 adapter: orders over SoupBinTCP 3.0 (the host's OUCH port, default 9879).

Drives the sans-IO :class:`~engine.protocols.ouch.OuchClientSession`: a Login Request with
username ``identity.login_name`` (the firm unless ``--sender`` names another) and the password,
joining the current session live (session "" and sequence 0: no replay of earlier runs'
messages). Each order is an Enter Order (limit; time in force 99998, the engine's DAY, or 0,
IOC; firm field blank = the session's own) whose 14-character order token is the order's id. The
account is the gateway's to map from the login: OUCH carries none.

    Sequenced message  -> Report
    Accepted           -> ACK
    Executed           -> FILL (every execution; the driver keeps the first per order), with
                          the liquidity flag: R taker, A maker
    Rejected           -> REJECT with the OUCH reason letter
    Canceled           -> DONE with the OUCH reason letter
    unreadable message -> ERROR (named by its token when it could be read)

Heartbeats: the session's ``tick`` runs every 250 ms (a Client Heartbeat after 1 s of silence);
a server silent for 15 s is a fault that ends the connection. End of Session ends it too.
"""

from __future__ import annotations

from typing import Final

from engine.domain.types import Side, TimeInForce
from engine.protocols import ouch
from engine.protocols.ouch.fields import TIF_IOC, TIF_MARKET_HOURS
from engine.protocols.soupbin import (
    NEED_DATA,
    ClientState,
    ConnectionClosed,
    Debug,
    EndOfSession,
    LoginAccepted,
    LoginRejected,
    PacketFault,
)
from engine.protocols.soupbin.packets import UnsequencedData, encode
from tools.loadgen.clients import (
    ACK,
    DONE,
    ERROR,
    FILL,
    MAKER,
    NUMBER_DIGITS,
    REJECT,
    TAKER,
    ClientError,
    Identity,
    OrderSpec,
    Report,
)
from tools.loadgen.clients.ouch_reports import scan_sequenced
from tools.loadgen.clients.stream import StreamClient

__all__ = ["CLIENT", "TOKEN_WIDTH", "OuchClient"]

TOKEN_WIDTH: Final = 14
_SIDES: Final = {Side.BUY: "B", Side.SELL: "S"}
#: DAY is OUCH's market hours; IOC is time in force 0
_TIFS: Final = {TimeInForce.DAY: TIF_MARKET_HOURS, TimeInForce.IOC: TIF_IOC}
#: SoupBinTCP Login Rejected codes, for the error text
_LOGIN_REJECTS: Final = {"A": "not authorized", "S": "session not available"}
#: Executed liquidity flag: liquidity added (the order rested) or removed (it took)
_LIQUIDITY: Final = {"A": MAKER, "R": TAKER}
_SEQUENCED: Final = ord("S")  # the SoupBinTCP packet type of Sequenced Data


class OuchClient(StreamClient):
    """One OUCH connection."""

    def __init__(self, identity: Identity, id_prefix: str) -> None:
        super().__init__()
        if len(id_prefix) + 8 > TOKEN_WIDTH:
            raise ValueError(f"id prefix {id_prefix!r} leaves no room in a 14-character token")
        self.identity = identity
        self.session = ouch.OuchClientSession()
        self._prefix = id_prefix
        self._count = 0
        #: the first part of a Sequenced Data packet, read ahead of the session (``_fast``)
        self._carry = b""
        #: order shape -> the encoded Enter Order around its token: (type byte, the rest)
        self._templates: dict[OrderSpec, tuple[bytes, bytes]] = {}
        #: order shape -> the whole Unsequenced Data packet around its token, for bursts
        self._frames: dict[OrderSpec, tuple[bytes, bytes]] = {}
        self._prefix_bytes = id_prefix.encode()
        #: what pads prefix + number to the token's width
        self._pad = b" " * (TOKEN_WIDTH - len(id_prefix) - NUMBER_DIGITS)

    # -- login / logout -------------------------------------------------------------------------

    def _login_bytes(self) -> bytes:
        return self.session.login(self.identity.login_name, self.identity.password)

    def _login_answer(self, data: bytes) -> bool:
        self.session.receive_data(data)
        while True:
            event = self.session.next_event()
            match event:
                case LoginAccepted():
                    return True
                case LoginRejected(code=code):
                    raise ClientError(f"login refused: {_LOGIN_REJECTS.get(code, code)}")
                case PacketFault(fatal=True) | ConnectionClosed():
                    raise ClientError(f"login failed: {event}")
                case _ if event is NEED_DATA:
                    return False
                case _:
                    continue  # Debug text, a packet fault confined to one packet

    def _logout_bytes(self) -> bytes:
        if self.session.state is not ClientState.LOGGED_IN:
            return b""
        return self.session.logout()

    def _tick(self, now: int) -> bytes:
        data = self.session.tick(now)
        if self.session.state is ClientState.ERROR and self._transport is not None:
            fault = self.session.soupbin.error
            self._end(f"session fault: {fault.text if fault else 'unknown'}")
            self._abort()  # a silent server: end the connection
        return data

    # -- orders ---------------------------------------------------------------------------------

    def send_new_order(self, order: OrderSpec) -> str:
        return f"{self._prefix}{self.send_new_orders(order, 1):08d}"

    def send_new_orders(self, order: OrderSpec, count: int) -> int:
        """``count`` Enter Orders, each the order's whole packet with its token filled in (one
        session check and heartbeat-clock note for all of them)."""
        head, tail = self._frames.get(order) or self._frame(order)
        self.session.soupbin.unsequenced_framed_elsewhere()
        first = self._count + 1
        prefix, pad = self._prefix_bytes, self._pad
        if count == 1:
            self._write(head + prefix + b"%08d" % first + pad + tail)
        else:
            numbers = range(first, first + count)
            self._write(b"".join([head + prefix + b"%08d" % n + pad + tail for n in numbers]))
        self._count += count
        return first

    def _frame(self, order: OrderSpec) -> tuple[bytes, bytes]:
        head, tail = self._templates.get(order) or self._template(order)
        packet = encode(UnsequencedData(head + b"T" * TOKEN_WIDTH + tail))
        at = len(packet) - len(tail) - TOKEN_WIDTH
        frame = self._frames[order] = (packet[:at], packet[at + TOKEN_WIDTH :])
        return frame

    def _template(self, order: OrderSpec) -> tuple[bytes, bytes]:
        message = ouch.EnterOrder(
            token="T" * TOKEN_WIDTH,
            side=_SIDES[order.side],
            shares=order.qty,
            stock=order.symbol,
            price=order.price,
            time_in_force=_TIFS[order.tif],
        ).encode()
        token = ouch.EnterOrder.TOKEN_AT
        template = self._templates[order] = (message[: token.start], message[token.stop :])
        return template

    # -- reports --------------------------------------------------------------------------------

    def _fast(self, buf: bytes, ts: int, out: list[Report]) -> bytes:
        """Read the Sequenced Data packets at the front of ``buf`` in place (the stream of a
        busy run is almost all of them: no packet objects); return the bytes from the first
        other packet on, for the session. An incomplete Sequenced Data packet at the end is
        kept for the next read."""
        pos, count = scan_sequenced(buf, ts, out, _decoded_report)
        self.session.soupbin.sequenced_elsewhere(count)
        rest = buf[pos:]
        incomplete = len(rest) < 3 or (
            rest[2] == _SEQUENCED and 2 + ((rest[0] << 8) | rest[1]) > len(rest)
        )
        if incomplete:
            self._carry = rest  # the first part of a packet: wait for the rest
            return b""
        self._carry = b""
        return rest  # another packet (or an empty one, a fault): the session's

    def _parse(self, data: bytes, ts: int) -> list[Report]:
        session = self.session
        out: list[Report] = []
        fast = session.state is ClientState.LOGGED_IN and not session.soupbin.buffered
        if fast and (self._carry or data):
            data = self._fast(self._carry + data, ts, out)
        if data:
            session.receive_data(data)
        while True:
            event = session.next_event()
            if isinstance(event, ouch.OuchSequenced):
                report = _report(event.message, ts)
                if report is not None:
                    out.append(report)
            elif event is NEED_DATA:
                return out
            elif isinstance(event, PacketFault):
                if event.fatal:
                    self._end(f"session fault: {event.code}: {event.text}")
                    return out
                out.append((ERROR, "", ts, event.code))
            elif isinstance(event, EndOfSession):
                self._end("End of Session")
                return out
            elif isinstance(event, ConnectionClosed):
                self._end(None if self._closing else "the server closed the session")
                return out
            else:
                assert isinstance(event, Debug | LoginAccepted | LoginRejected), event


def _decoded_report(message: bytes, ts: int) -> Report | None:
    """The report of an OUCH message the fast lane leaves to the full decoder."""
    return _report(ouch.decode_outbound(message), ts)


def _report(message: ouch.OutboundMessage | ouch.MessageFault, ts: int) -> Report | None:
    match message:
        case ouch.Accepted(token=token):
            return (ACK, token, ts, "")
        case ouch.Executed(token=token, liquidity_flag=flag):
            return (FILL, token, ts, _LIQUIDITY.get(flag, ""))
        case ouch.Rejected(token=token, reason=reason):
            return (REJECT, token, ts, reason)
        case ouch.Canceled(token=token, reason=reason):
            return (DONE, token, ts, f"canceled: {reason}")
        case ouch.MessageFault(token=token, code=code):
            return (ERROR, token or "", ts, code)
        case _:
            return None  # System Event, Replaced: not about a new order's fate


CLIENT: Final = OuchClient
