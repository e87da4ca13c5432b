"""A scripted FIX client for the session tests: builds what a counterparty would send and
reads what the acceptor answered. Test support only; it trusts its own input."""

from __future__ import annotations

from engine.domain.types import OrderType, Side
from engine.protocols.fix import reports
from engine.protocols.fix.codec import FixMessage, OutboundMessage, encode
from engine.protocols.fix.framer import FixFramer
from engine.protocols.fix.session import FixSession, SessionConfig
from engine.protocols.fix.store import MemoryStore
from engine.protocols.fix.timestamps import NS_PER_SECOND, format_utc_timestamp

#: 2024-03-01 12:00:00 UTC: the tests' clock starts here.
T0 = 1_709_294_400 * NS_PER_SECOND
CLIENT = "ALPHA"


class Peer:
    """The client side of one connection: numbers its messages, parses the replies."""

    def __init__(self, comp_id: str = CLIENT, target: str = "SEQUEX", next_seq: int = 1) -> None:
        self.comp_id, self.target = comp_id, target
        self.next_seq = next_seq
        self._framer = FixFramer()

    def build(
        self,
        msg_type: str,
        body: list[tuple[int, str]] | None = None,
        *,
        seq: int | None = None,
        now_ns: int = T0,
        poss_dup: bool = False,
        header: list[tuple[int, str]] | None = None,
    ) -> bytes:
        """One message; takes the next MsgSeqNum unless ``seq`` is given."""
        if seq is None:
            seq = self.next_seq
            self.next_seq += 1
        fields = (
            header
            if header is not None
            else [
                (49, self.comp_id),
                (56, self.target),
                (34, str(seq)),
            ]
        )
        if poss_dup:
            fields = [*fields, (43, "Y")]
        fields = [*fields, (52, format_utc_timestamp(now_ns))]
        if poss_dup:
            fields.append((122, format_utc_timestamp(now_ns)))
        return encode(msg_type, fields + (body or []))

    def logon(
        self,
        heart_bt_int: int = 30,
        *,
        reset: bool = False,
        body_extra: list[tuple[int, str]] | None = None,
        **kw: object,
    ) -> bytes:
        body = [(98, "0"), (108, str(heart_bt_int))]
        if reset:
            body.append((141, "Y"))
        body += [(553, "alpha"), (554, "alpha-pass"), *(body_extra or [])]
        return self.build("A", body, **kw)  # type: ignore[arg-type]

    def read(self, data: bytes) -> list[FixMessage]:
        """The messages in ``data`` (the acceptor's output), asserting they frame cleanly."""
        if not data:
            return []  # b"" would mean end of input to the framer
        self._framer.receive_data(data)
        out: list[FixMessage] = []
        while True:
            event = self._framer.next_event()
            if not isinstance(event, FixMessage):
                assert repr(event) == "NEED_DATA", event
                return out
            assert event.problem is None, event.problem
            out.append(event)


def new_session(**config: object) -> FixSession:
    return FixSession(SessionConfig(**config), MemoryStore())  # type: ignore[arg-type]


def frame(body: bytes, begin: bytes = b"FIX.4.4") -> bytes:
    """Wrap raw body bytes (``|`` stands for SOH) in a correct header and trailer, whatever
    the body holds: for messages whose fields are wrong on purpose."""
    body = body.replace(b"|", b"\x01")
    head = b"8=" + begin + b"\x019=%d\x01" % len(body)
    return head + body + b"10=%03d\x01" % (sum(head + body) % 256)


def body_of(raw: bytes) -> bytes:
    """The bytes between BodyLength and CheckSum of a framed message."""
    start = raw.index(b"\x01", raw.index(b"\x019=") + 1) + 1
    return raw[start : raw.rindex(b"\x0110=") + 1]


def drain(session: FixSession) -> list[object]:
    """Every event up to NEED_DATA / PAUSED (excluded), or up to SessionClosed (included)."""
    out: list[object] = []
    while True:
        event = session.next_event()
        if repr(event) in ("NEED_DATA", "PAUSED"):
            return out
        out.append(event)
        if type(event).__name__ == "SessionClosed":
            return out


def logged_on(
    heart_bt_int: int = 30, *, now_ns: int = T0, **config: object
) -> tuple[FixSession, Peer]:
    """A session past its Logon (MsgSeqNum 1 each way used), and the peer talking to it."""
    session, peer = new_session(**config), Peer()
    session.receive_data(peer.logon(heart_bt_int, now_ns=now_ns), now_ns)
    assert type(session.next_event()).__name__ == "LogonRequest"
    session.accept_logon(now_ns)
    logon_answer = peer.read(session.data_to_send())
    assert [m.msg_type for m in logon_answer] == ["A"]
    return session, peer


def report(n: int) -> OutboundMessage:
    """An ExecutionReport (a New ack) for order ``n``: an application message to send."""
    view = reports.OrderView(str(n), f"c{n}", "ACME", Side.BUY, 10, OrderType.LIMIT, 10_000)
    return reports.execution_new(view, exec_id=f"{n}-0", transact_ns=T0, seq_no=n)
