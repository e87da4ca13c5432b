"""The JSON lines session: a sans-IO state machine (no sockets, no asyncio, no clock).

Wire format: one compact JSON object per line, ``\\n`` terminated (a trailing ``\\r`` and blank
lines are tolerated). Lines are numbered from 1 in the order received; errors quote the number.

Client -> gateway (the whole protocol, every field and error code: ``docs/json-gateway.md``)::

    {"type":"login","firm":"ALPHA","password":"alpha-pass"}      a firm
    {"type":"login","firm":"ALPHA","password":"alpha-pass","session":"ALPHAJSON","from":5}
                                   a firm's named session, its reports from number 5 on
    {"type":"login","admin":true,"password":"admin-pass"}         the operator
    {"type":"new_order", ...}      any command type of engine.canonical (without seq_no / ts)
    {"type":"logout"}

Gateway -> client (``send_*``)::

    {"type":"login_ok","session":7,"role":"firm","firm":"ALPHA"}  (role "admin": no firm)
    {"type":"login_ok",...,"name":"ALPHAJSON","from":5,"last":9}   a named session
    {"type":"login_rejected","code":"bad_credentials","text":"..."}   then the gateway closes
    {"type":"sequenced","line":3,"seq":1042}   line 3 entered ring[in] as command seq_no 1042
    {"type":"sequenced","line":4,"seq":1043,"client_order_id":"c9"}   echoing the line's id
    {"seq":1042,"sub":0,"type":"accepted",...}  reports: canonical event lines
    {"n":17,"seq":1042,"sub":0,"type":"accepted",...}  a named session's: numbered
    {"type":"error","line":3,"code":"not_owner","text":"..."}      nothing of line 3 was sent
    {"type":"logged_out"}
    {"type":"error","line":0,"code":"too_many_connections","text":"..."}  then the gateway
                                   closes: it serves its maximum of connections already

States, as one transition table (:data:`TRANSITIONS`)::

    AWAITING_LOGIN --recv login--> LOGIN_PENDING --send login_ok--> LOGGED_IN
    LOGIN_PENDING --send login_rejected--> CLOSED
    LOGGED_IN --recv command / send reply--> LOGGED_IN --recv logout--> CLOSED
    AWAITING_LOGIN --send login_timeout--> CLOSED   (the server's clock ran out; see below)
    AWAITING_LOGIN --send too_many_connections--> CLOSED   (the server is full)
    LOGIN_PENDING --send too_many_connections--> CLOSED    (full, and not the operator's login)
    any --peer's fatal fault--> ERROR (sticky: input is ignored from then on)
    any --end of input--> CLOSED

Errors have a direction. The peer's faults never raise: they come out of :meth:`next_event` as
:class:`ProtocolError` events with a code, a text and the line number. Before login every fault
is fatal; after login a fault confined to one line (``bad_json``, ``not_object``,
``missing_type``, ``unknown_type``, ``already_logged_in``) is reported and the session goes on,
while framing faults (``line_too_long``, ``buffer_overflow``) are always fatal because the line
boundaries can no longer be trusted. Our own misuse (sending ``login_ok`` twice, reading events
while a login awaits its answer) raises :class:`LocalProtocolError`.

Bounds: a line holds at most ``max_line`` bytes (64 KiB) and at most ``max_pending`` bytes
(1 MiB) wait in the buffer; more is a fatal fault, never unbounded memory. An unterminated last
line at end of input is discarded: half a command is never executed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final

from engine.canonical import COMMAND_TYPES, encode_event_line, json_encode
from engine.canonical.json_errors import describe_json_error
from engine.canonical.shown import shown
from engine.domain.types import Event

__all__ = [
    "MAX_LINE",
    "MAX_PENDING",
    "NEED_DATA",
    "PAUSED",
    "CommandRequest",
    "ConnectionClosed",
    "JsonSession",
    "LocalProtocolError",
    "Login",
    "Logout",
    "ProtocolError",
    "SessionEvent",
    "State",
]

#: Lines that ask the gateway rather than command the exchange (answered with one line of
#: their own type; they come out of :meth:`JsonSession.next_event` as CommandRequest too).
QUERY_TYPES: Final = frozenset({"order_status"})
MAX_LINE: Final = 64 * 1024
MAX_PENDING: Final = 1024 * 1024


class State(Enum):
    AWAITING_LOGIN = "awaiting_login"
    LOGIN_PENDING = "login_pending"
    LOGGED_IN = "logged_in"
    CLOSED = "closed"
    ERROR = "error"


class _Trigger(Enum):
    RECV_LOGIN = "recv login"
    RECV_COMMAND = "recv command"
    RECV_LOGOUT = "recv logout"
    RECV_EOF = "recv end of input"
    PEER_FAULT = "peer's fatal fault"
    SEND_LOGIN_OK = "send login_ok"
    SEND_LOGIN_REJECTED = "send login_rejected"
    SEND_REPLY = "send sequenced/events/error"
    SEND_LOGGED_OUT = "send logged_out"
    SEND_LOGIN_TIMEOUT = "send login_timeout"
    SEND_TOO_MANY_CONNECTIONS = "send too_many_connections"


_S, _T = State, _Trigger

#: (state, trigger) -> next state. A pair that is missing is not allowed: for a peer's input
#: the session turns it into a ProtocolError first, for our own sends it is LocalProtocolError.
TRANSITIONS: Final[dict[tuple[State, _Trigger], State]] = {
    (_S.AWAITING_LOGIN, _T.RECV_LOGIN): _S.LOGIN_PENDING,
    (_S.LOGIN_PENDING, _T.SEND_LOGIN_OK): _S.LOGGED_IN,
    (_S.LOGIN_PENDING, _T.SEND_LOGIN_REJECTED): _S.CLOSED,
    (_S.LOGGED_IN, _T.RECV_COMMAND): _S.LOGGED_IN,
    (_S.LOGGED_IN, _T.SEND_REPLY): _S.LOGGED_IN,
    (_S.LOGGED_IN, _T.RECV_LOGOUT): _S.CLOSED,
    (_S.CLOSED, _T.SEND_LOGGED_OUT): _S.CLOSED,
    (_S.AWAITING_LOGIN, _T.SEND_LOGIN_TIMEOUT): _S.CLOSED,
    (_S.AWAITING_LOGIN, _T.SEND_TOO_MANY_CONNECTIONS): _S.CLOSED,
    # a connection admitted into the operator's reserve that turned out to be a firm's
    (_S.LOGIN_PENDING, _T.SEND_TOO_MANY_CONNECTIONS): _S.CLOSED,
    # A fatal fault is reported with one last error line, whatever the state.
    (_S.AWAITING_LOGIN, _T.PEER_FAULT): _S.ERROR,
    (_S.LOGIN_PENDING, _T.PEER_FAULT): _S.ERROR,
    (_S.LOGGED_IN, _T.PEER_FAULT): _S.ERROR,
    (_S.ERROR, _T.SEND_REPLY): _S.ERROR,
    (_S.AWAITING_LOGIN, _T.RECV_EOF): _S.CLOSED,
    (_S.LOGIN_PENDING, _T.RECV_EOF): _S.CLOSED,
    (_S.LOGGED_IN, _T.RECV_EOF): _S.CLOSED,
}


class LocalProtocolError(RuntimeError):
    """We (the owner of the session) used it out of order: a bug on our side, not the peer's."""


# -- events out of next_event ---------------------------------------------------------------


class _Sentinel:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


#: No whole line is buffered: feed more bytes.
NEED_DATA: Final = _Sentinel("NEED_DATA")
#: A Login awaits its answer (send_login_ok / send_login_rejected) before the next line.
PAUSED: Final = _Sentinel("PAUSED")


@dataclass(frozen=True, slots=True)
class Login:
    """A login line; ``firm`` is None for the operator (``"admin": true``). ``session``: the
    name of a firm's named session (None: an anonymous one), whose reports are wanted from
    number ``first`` on (0: only the new ones)."""

    firm: str | None
    password: str
    line: int
    session: str | None = None
    first: int = 0

    @property
    def is_admin(self) -> bool:
        return self.firm is None


@dataclass(frozen=True, slots=True)
class CommandRequest:
    """A line whose type names a command; ``obj`` is the parsed object, not yet validated."""

    obj: dict[str, Any]
    line: int


@dataclass(frozen=True, slots=True)
class Logout:
    line: int


@dataclass(frozen=True, slots=True)
class ProtocolError:
    """The peer's fault on line ``line`` (0: not tied to one line); ``code`` goes on the wire."""

    code: str
    text: str
    line: int
    fatal: bool


@dataclass(frozen=True, slots=True)
class ConnectionClosed:
    """The session is over (end of input, logout, rejected login or a fatal fault)."""


SessionEvent = Login | CommandRequest | Logout | ProtocolError | ConnectionClosed | _Sentinel

#: Faults that stay confined to their line once the peer is logged in.
_LINE_FAULTS: Final = frozenset(
    {"bad_json", "not_object", "missing_type", "unknown_type", "already_logged_in"}
)
_LOGIN_KEYS: Final = frozenset({"type", "firm", "admin", "password", "session", "from"})
#: The largest report number a login may ask for (a JSON integer of the protocol).
MAX_FROM: Final = 2**63 - 1


def _line(obj: dict[str, Any]) -> bytes:
    return (json_encode(obj) + "\n").encode("ascii")


class JsonSession:
    """One connection's protocol state; feed bytes in, take events out, get bytes to send."""

    def __init__(self, *, max_line: int = MAX_LINE, max_pending: int = MAX_PENDING) -> None:
        self.state = State.AWAITING_LOGIN
        #: the fatal fault that ended the session, if one did (sticky)
        self.error: ProtocolError | None = None
        self.lines_received = 0
        self._max_line = max_line
        self._max_pending = max_pending
        self._buf = bytearray()
        self._pos = 0  # start of the first unread line in _buf
        self._scan = 0  # no newline in _buf[_pos:_scan]: byte-by-byte feeds stay linear
        self._eof = False
        self._overflow = False

    # -- input --------------------------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        """Buffer bytes from the peer; ``b""`` means end of input."""
        if not data:
            self._eof = True
            return
        if self._eof or self._overflow or self.state in (State.ERROR, State.CLOSED):
            return  # nothing more will be read from this peer
        if len(self._buf) - self._pos + len(data) > self._max_pending:
            self._overflow = True  # reported after the whole lines already buffered
            return
        if self._pos > 65536 and self._pos * 2 > len(self._buf):
            del self._buf[: self._pos]  # compact rarely: amortised O(1) per byte
            self._scan -= self._pos
            self._pos = 0
        self._buf += data

    def next_event(self) -> SessionEvent:
        """The next event: a message, a ProtocolError, ConnectionClosed, NEED_DATA or PAUSED."""
        if self.state in (State.ERROR, State.CLOSED):
            return ConnectionClosed()
        if self.state is State.LOGIN_PENDING:
            return PAUSED
        while True:
            raw = self._take_line()
            if raw is None:
                break
            if raw.strip():
                return self._parse(raw)
        if self._overflow:
            return self._fault("buffer_overflow", f"more than {self._max_pending} bytes pending", 0)
        if len(self._buf) - self._pos > self._max_line:
            return self._fault(
                "line_too_long",
                f"line {self.lines_received + 1} exceeds {self._max_line} bytes",
                self.lines_received + 1,
            )
        if self._eof:
            self._advance(_T.RECV_EOF)
            return ConnectionClosed()
        return NEED_DATA

    def _take_line(self) -> bytes | None:
        end = self._buf.find(b"\n", self._scan)
        if end < 0:
            self._scan = len(self._buf)
            return None
        raw = bytes(self._buf[self._pos : end])
        self._pos = self._scan = end + 1
        self.lines_received += 1
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        return raw

    def _parse(self, raw: bytes) -> SessionEvent:
        number = self.lines_received
        if len(raw) > self._max_line:
            return self._fault("line_too_long", f"exceeds {self._max_line} bytes", number)
        try:
            obj = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError) as exc:  # also UnicodeDecodeError, huge ints
            # the error line carries the line number; the text gives the offset within it
            return self._fault("bad_json", describe_json_error(exc)[:200], number)
        if not isinstance(obj, dict):
            return self._fault("not_object", "a line must be a JSON object", number)
        kind = obj.get("type")
        if kind is None:
            return self._fault("missing_type", 'the object has no "type"', number)
        if kind == "login":
            return self._login(obj, number)
        if self.state is State.AWAITING_LOGIN:
            return self._fault("not_logged_in", "the first line must be a login", number)
        if kind == "logout":
            self._advance(_T.RECV_LOGOUT)
            return Logout(number)
        if not isinstance(kind, str) or (kind not in COMMAND_TYPES and kind not in QUERY_TYPES):
            return self._fault("unknown_type", f"unknown type {shown(kind)}", number)
        self._advance(_T.RECV_COMMAND)
        return CommandRequest(obj, number)

    def _login(self, obj: dict[str, Any], number: int) -> SessionEvent:
        if self.state is not State.AWAITING_LOGIN:
            return self._fault("already_logged_in", "this session is logged in", number)
        firm, admin, password = obj.get("firm"), obj.get("admin"), obj.get("password")
        session, first = obj.get("session"), obj.get("from", 0)
        extra = set(obj) - _LOGIN_KEYS
        if extra:
            text = f"unknown login field {shown(sorted(extra)[0])}"
        elif not isinstance(password, str):
            text = "password must be a string"
        elif "session" in obj and (not isinstance(session, str) or not session or admin):
            text = 'a firm\'s "session" is a non-empty string (the operator has none)'
        elif "from" in obj and session is None:
            text = '"from" needs a "session"'
        elif type(first) is not int or not 0 <= first <= MAX_FROM:
            text = f'"from" must be an integer from 0 to {MAX_FROM}, not {shown(first)}'
        elif admin is True and firm is None:
            self._advance(_T.RECV_LOGIN)
            return Login(None, password, number)
        elif admin in (None, False) and isinstance(firm, str) and firm:
            self._advance(_T.RECV_LOGIN)
            return Login(firm, password, number, session, first)
        else:
            text = 'a login names either a non-empty "firm" or "admin": true'
        return self._fault("bad_login", text, number)

    def _fault(self, code: str, text: str, line: int) -> ProtocolError:
        fatal = self.state is not State.LOGGED_IN or code not in _LINE_FAULTS
        error = ProtocolError(code, text, line, fatal)
        if fatal:
            self._advance(_T.PEER_FAULT)
            self.error = error
        return error

    def _advance(self, trigger: _Trigger) -> None:
        new = TRANSITIONS.get((self.state, trigger))
        if new is None:
            raise LocalProtocolError(f"cannot {trigger.value} in state {self.state.value}")
        self.state = new

    # -- output -------------------------------------------------------------------------

    def send_login_ok(
        self, session_id: int, firm: str | None, named: tuple[str, int, int] | None = None
    ) -> bytes:
        """``named``: a named session's ``(name, first, last)``: the number of the first report
        it is sent, and of the last one stored (0: none)."""
        self._advance(_T.SEND_LOGIN_OK)
        obj: dict[str, Any] = {"type": "login_ok", "session": session_id}
        obj.update({"role": "admin"} if firm is None else {"role": "firm", "firm": firm})
        if named is not None:
            obj.update(zip(("name", "from", "last"), named, strict=True))
        return _line(obj)

    def send_login_rejected(self, code: str, text: str) -> bytes:
        self._advance(_T.SEND_LOGIN_REJECTED)
        return _line({"type": "login_rejected", "code": code, "text": text})

    def send_sequenced(self, line: int, seq_no: int, client_order_id: str | None = None) -> bytes:
        """Line ``line`` entered ring[in] as command ``seq_no`` (not yet durable: no ack);
        ``client_order_id``: the line's own, echoed (None: the key is left out)."""
        self._advance(_T.SEND_REPLY)
        obj: dict[str, Any] = {"type": "sequenced", "line": line, "seq": seq_no}
        if client_order_id is not None:
            obj["client_order_id"] = client_order_id
        return _line(obj)

    def send_events(self, reports: list[tuple[int, int, Event]]) -> bytes:
        """Reports ``(seq_no, sub, event)`` as canonical event lines (the ack is ``accepted``)."""
        self._advance(_T.SEND_REPLY)
        return b"".join(encode_event_line(seq, sub, event) for seq, sub, event in reports)

    def send_numbered_events(self, reports: list[tuple[int, tuple[int, int, Event]]]) -> bytes:
        """A named session's reports ``(n, (seq_no, sub, event))``: each line the canonical
        event line with its number ``n`` first, ``{"n":17,"seq":...}``."""
        self._advance(_T.SEND_REPLY)
        return b"".join(
            b'{"n":%d,' % n + encode_event_line(seq, sub, event)[1:]
            for n, (seq, sub, event) in reports
        )

    def send_answer(self, obj: dict[str, Any]) -> bytes:
        """The answer to a query line (e.g. ``order_status``): one JSON object of its own."""
        self._advance(_T.SEND_REPLY)
        return _line(obj)

    def send_error(self, line: int, code: str, text: str) -> bytes:
        """An error line; also allowed once after a fatal fault, to say why we close."""
        self._advance(_T.SEND_REPLY)
        return _line({"type": "error", "line": line, "code": code, "text": text})

    def send_login_timeout(self, seconds: float) -> bytes:
        """Close a session that did not log in in time. The session has no clock: the server
        keeps the deadline and calls this when it passes."""
        self._advance(_T.SEND_LOGIN_TIMEOUT)
        text = f"no login within {seconds:g} s"
        return _line({"type": "error", "line": 0, "code": "login_timeout", "text": text})

    def send_too_many_connections(self, limit: int) -> bytes:
        """Refuse a connection because ``limit`` connections are open already (the server
        counts them); the first and only line the peer gets before the close. Also the answer
        to a login that is not the operator's on a connection of the operator's reserve."""
        self._advance(_T.SEND_TOO_MANY_CONNECTIONS)
        text = f"the gateway serves at most {limit} connections; try again later"
        return _line({"type": "error", "line": 0, "code": "too_many_connections", "text": text})

    def send_logged_out(self) -> bytes:
        self._advance(_T.SEND_LOGGED_OUT)
        return _line({"type": "logged_out"})

    @property
    def can_send_reports(self) -> bool:
        return self.state is State.LOGGED_IN
