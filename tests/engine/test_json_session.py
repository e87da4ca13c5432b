"""The sans-IO JSON lines session: whole and byte by byte, bounded, sticky errors, fuzzed."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.domain.types import Accepted, DayEnded
from engine.protocols.json_session import (
    NEED_DATA,
    PAUSED,
    TRANSITIONS,
    CommandRequest,
    ConnectionClosed,
    JsonSession,
    LocalProtocolError,
    Login,
    Logout,
    ProtocolError,
    State,
)

LOGIN = b'{"type":"login","firm":"ALPHA","password":"pw"}\n'
CANCEL = b'{"type":"cancel_order","account":"A","order_id":7}\n'
LOGOUT = b'{"type":"logout"}\n'


def drive(session: JsonSession, chunks: list[bytes], limit: int = 10_000) -> list[object]:
    """Feed chunks, collect events; answer every Login with login_ok. Never loops forever."""
    events: list[object] = []
    for chunk in [*(c for c in chunks if c), b""]:  # b"" is the end of input: only last
        session.receive_data(chunk)
        for _ in range(limit):
            event = session.next_event()
            if event is NEED_DATA:
                break
            events.append(event)
            if isinstance(event, Login):
                session.send_login_ok(1, event.firm)
            if isinstance(event, ConnectionClosed):
                return events
        else:
            raise AssertionError("next_event did not settle")
    return events


def test_a_whole_session_parses_into_login_command_logout() -> None:
    events = drive(JsonSession(), [LOGIN + CANCEL + LOGOUT])
    assert events == [
        Login("ALPHA", "pw", 1),
        CommandRequest({"type": "cancel_order", "account": "A", "order_id": 7}, 2),
        Logout(3),
        ConnectionClosed(),
    ]


def test_byte_by_byte_gives_the_same_events_as_whole() -> None:
    data = LOGIN + b"\r\n\n" + CANCEL.replace(b"\n", b"\r\n") + LOGOUT
    whole = drive(JsonSession(), [data])
    single = drive(JsonSession(), [data[i : i + 1] for i in range(len(data))])
    assert whole == single
    assert [type(e) for e in whole] == [Login, CommandRequest, Logout, ConnectionClosed]
    assert whole[1] == CommandRequest(json.loads(CANCEL), 4)  # blank lines still count


def test_the_operator_logs_in_with_admin_true() -> None:
    session = JsonSession()
    session.receive_data(b'{"type":"login","admin":true,"password":"x"}\n')
    event = session.next_event()
    assert event == Login(None, "x", 1) and isinstance(event, Login) and event.is_admin
    assert session.next_event() is PAUSED  # until we answer
    assert json.loads(session.send_login_ok(9, None)) == {
        "type": "login_ok",
        "session": 9,
        "role": "admin",
    }


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (CANCEL, "not_logged_in"),
        (b"[1,2]\n", "not_object"),
        (b"{oops\n", "bad_json"),
        (b"\xff\xfe\n", "bad_json"),
        (b"[" * 5000 + b"\n", "bad_json"),
        (b'{"firm":"A"}\n', "missing_type"),
        (b'{"type":"login","firm":"A"}\n', "bad_login"),
        (b'{"type":"login","firm":"A","admin":true,"password":"p"}\n', "bad_login"),
        (b'{"type":"login","firm":"A","password":"p","x":1}\n', "bad_login"),
    ],
)
def test_every_fault_before_login_is_fatal_and_sticky(line: bytes, code: str) -> None:
    session = JsonSession()
    session.receive_data(line + LOGIN)
    error = session.next_event()
    assert isinstance(error, ProtocolError) and error.code == code and error.fatal
    assert error.line == 1 and session.error == error and session.state is State.ERROR
    assert json.loads(session.send_error(error.line, error.code, error.text))["code"] == code
    session.receive_data(LOGIN)
    assert session.next_event() == ConnectionClosed()
    assert session.next_event() == ConnectionClosed()


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (b"{oops\n", "bad_json"),
        (b"42\n", "not_object"),
        (b'{"type":"nope"}\n', "unknown_type"),
        (b'{"type":7}\n', "unknown_type"),
        (LOGIN, "already_logged_in"),
    ],
)
def test_after_login_a_bad_line_is_reported_and_the_session_goes_on(line: bytes, code: str) -> None:
    events = drive(JsonSession(), [LOGIN + line + CANCEL])
    assert events[1] == ProtocolError(code, events[1].text, 2, False)  # type: ignore[attr-defined]
    assert events[2] == CommandRequest(json.loads(CANCEL), 3)


def test_a_line_longer_than_the_bound_is_fatal_even_without_its_newline() -> None:
    session = JsonSession(max_line=100)
    session.receive_data(LOGIN)
    assert isinstance(session.next_event(), Login)
    session.send_login_ok(1, "ALPHA")
    session.receive_data(b'{"type":"' + b"x" * 200)
    error = session.next_event()
    assert isinstance(error, ProtocolError) and error.code == "line_too_long" and error.fatal
    assert error.line == 2


def test_a_complete_overlong_line_is_fatal_too() -> None:
    events = drive(JsonSession(max_line=64), [b'{"pad":"' + b"y" * 100 + b'"}\n'])
    assert isinstance(events[0], ProtocolError) and events[0].code == "line_too_long"


def test_pending_bytes_are_bounded() -> None:
    session = JsonSession(max_line=1000, max_pending=2000)
    session.receive_data(LOGIN)
    assert isinstance(session.next_event(), Login)
    session.send_login_ok(1, "ALPHA")
    for _ in range(100):  # the owner never reads: only max_pending bytes are kept
        session.receive_data(CANCEL)
    events = drive(session, [])
    assert all(isinstance(e, CommandRequest) for e in events[:-2])
    assert len(events) - 2 == 2000 // len(CANCEL)
    overflow = events[-2]
    assert isinstance(overflow, ProtocolError) and overflow.code == "buffer_overflow"
    assert overflow.fatal and events[-1] == ConnectionClosed()


def test_an_unterminated_last_line_is_discarded_at_end_of_input() -> None:
    events = drive(JsonSession(), [LOGIN + CANCEL[:-5]])
    assert [type(e) for e in events] == [Login, ConnectionClosed]


def test_a_rejected_login_closes_the_session() -> None:
    session = JsonSession()
    session.receive_data(LOGIN + CANCEL)
    assert isinstance(session.next_event(), Login)
    reply = json.loads(session.send_login_rejected("bad_credentials", "no"))
    assert reply == {"type": "login_rejected", "code": "bad_credentials", "text": "no"}
    assert session.next_event() == ConnectionClosed()


def test_our_misuse_raises_local_protocol_error() -> None:
    session = JsonSession()
    with pytest.raises(LocalProtocolError):
        session.send_login_ok(1, "ALPHA")  # nobody asked to log in
    with pytest.raises(LocalProtocolError):
        session.send_events([])
    session.receive_data(LOGIN)
    assert isinstance(session.next_event(), Login)
    session.send_login_ok(1, "ALPHA")
    with pytest.raises(LocalProtocolError):
        session.send_login_ok(1, "ALPHA")


def test_replies_are_single_compact_lines_and_reports_are_canonical_event_lines() -> None:
    session = JsonSession()
    session.receive_data(LOGIN)
    session.next_event()
    assert session.send_login_ok(3, "ALPHA") == (
        b'{"type":"login_ok","session":3,"role":"firm","firm":"ALPHA"}\n'
    )
    assert session.send_sequenced(2, 41) == b'{"type":"sequenced","line":2,"seq":41}\n'
    assert session.send_error(4, "not_owner", "x") == (
        b'{"type":"error","line":4,"code":"not_owner","text":"x"}\n'
    )
    data = session.send_events([(41, 0, Accepted(41, 41, "A", "c")), (41, 1, DayEnded("ACME"))])
    assert data.count(b"\n") == 2 and data.startswith(b'{"seq":41,"sub":0,"type":"accepted"')
    assert session.can_send_reports


def test_the_transition_table_has_no_exit_from_error_but_its_last_error_line() -> None:
    from_error = {trigger for (state, trigger) in TRANSITIONS if state is State.ERROR}
    assert [t.name for t in from_error] == ["SEND_REPLY"]


_VALID_LINES = st.sampled_from(
    [LOGIN, CANCEL, LOGOUT, b"{}\n", b"[]\n", b"\n", b'{"type":"halt","symbol":"X"}\n']
)
_CHUNKS = st.lists(st.one_of(st.binary(max_size=40), _VALID_LINES), max_size=30)


@settings(max_examples=300, deadline=None)
@given(_CHUNKS)
def test_garbage_either_parses_or_yields_protocol_error(chunks: list[bytes]) -> None:
    session = JsonSession(max_line=256, max_pending=1024)
    events = drive(session, chunks)
    allowed = (Login, CommandRequest, Logout, ProtocolError, ConnectionClosed)
    assert all(isinstance(e, allowed) for e in events)
    assert events[-1] == ConnectionClosed()  # the end of input always ends the session
    fatal = [e for e in events if isinstance(e, ProtocolError) and e.fatal]
    assert len(fatal) <= 1 and (not fatal or session.state is State.ERROR)
    # the same bytes byte by byte give the same events
    data = b"".join(chunks)
    single = drive(JsonSession(max_line=256, max_pending=1024), [bytes([b]) for b in data])
    if not any(isinstance(e, ProtocolError) and e.code == "buffer_overflow" for e in events):
        assert single == events


def test_a_login_timeout_closes_a_session_awaiting_login_and_nothing_else() -> None:
    from engine.protocols.json_session import JsonSession, LocalProtocolError, State

    waiting = JsonSession()
    line = json.loads(waiting.send_login_timeout(10))
    assert (line["type"], line["code"], line["line"]) == ("error", "login_timeout", 0)
    assert waiting.state is State.CLOSED
    logged_in = JsonSession()
    logged_in.receive_data(b'{"type":"login","firm":"ALPHA","password":"p"}\n')
    logged_in.next_event()
    logged_in.send_login_ok(1, "ALPHA")
    with pytest.raises(LocalProtocolError):
        logged_in.send_login_timeout(10)


def test_too_many_connections_refuses_a_new_session_with_one_error_line() -> None:
    from engine.protocols.json_session import JsonSession, LocalProtocolError, State

    fresh = JsonSession()
    line = json.loads(fresh.send_too_many_connections(256))
    assert (line["type"], line["code"], line["line"]) == ("error", "too_many_connections", 0)
    assert "256" in line["text"]
    assert fresh.state is State.CLOSED
    logged_in = JsonSession()
    logged_in.receive_data(b'{"type":"login","firm":"ALPHA","password":"p"}\n')
    logged_in.next_event()
    logged_in.send_login_ok(1, "ALPHA")
    with pytest.raises(LocalProtocolError):  # an admitted session is never refused later
        logged_in.send_too_many_connections(256)


def test_a_json_syntax_error_gives_the_byte_offset_within_its_numbered_line() -> None:
    # json.loads would say "line 1 column 10" of this, the session's third line
    events = drive(JsonSession(), [LOGIN + CANCEL + b'{"type": x}\n'])
    error = events[2]
    assert isinstance(error, ProtocolError) and (error.code, error.line) == ("bad_json", 3)
    assert error.text == "invalid JSON at byte offset 9: Expecting value"


def test_sequenced_echoes_a_client_order_id_only_when_given() -> None:
    session = JsonSession()
    session.receive_data(LOGIN)
    assert isinstance(session.next_event(), Login)
    session.send_login_ok(1, "ALPHA")
    assert json.loads(session.send_sequenced(3, 40)) == {"type": "sequenced", "line": 3, "seq": 40}
    assert json.loads(session.send_sequenced(4, 41, "k1")) == {
        "type": "sequenced",
        "line": 4,
        "seq": 41,
        "client_order_id": "k1",
    }


def test_a_login_in_the_operators_reserve_may_be_answered_too_many_connections() -> None:
    """A connection admitted beyond the cap for the operator: a firm's login is answered with
    the refusal the cap gives, and the session closes."""
    session = JsonSession()
    session.receive_data(LOGIN)
    assert isinstance(session.next_event(), Login)
    line = json.loads(session.send_too_many_connections(2))
    assert (line["type"], line["line"], line["code"]) == ("error", 0, "too_many_connections")
    assert session.state is State.CLOSED
    assert isinstance(session.next_event(), ConnectionClosed)


def test_an_unknown_type_is_quoted_cut_short() -> None:
    session = JsonSession()
    session.receive_data(LOGIN)
    session.next_event()
    session.send_login_ok(1, "ALPHA")
    session.receive_data(b'{"type":"' + b"z" * 60_000 + b'"}\n')
    event = session.next_event()
    assert isinstance(event, ProtocolError) and event.code == "unknown_type"
    assert len(event.text) < 100 and event.text.endswith("...")


def test_a_named_login_carries_its_session_and_the_first_report_it_wants() -> None:
    session = JsonSession()
    session.receive_data(b'{"type":"login","firm":"A","password":"p","session":"AJ","from":7}\n')
    assert session.next_event() == Login("A", "p", 1, "AJ", 7)
    assert json.loads(session.send_login_ok(3, "A", ("AJ", 7, 9))) == {
        "type": "login_ok", "session": 3, "role": "firm", "firm": "A", "name": "AJ", "from": 7,
        "last": 9,
    }  # fmt: skip
    plain = JsonSession()
    plain.receive_data(b'{"type":"login","firm":"A","password":"p","session":"AJ"}\n')
    assert plain.next_event() == Login("A", "p", 1, "AJ", 0)  # from 0: only the new reports


@pytest.mark.parametrize(
    "extra",
    [
        b'"from":1',  # without a session
        b'"session":"AJ","from":-1',
        b'"session":"AJ","from":true',
        b'"session":"AJ","from":1.0',
        b'"session":"AJ","from":"1"',
        b'"session":"AJ","from":9223372036854775808',
        b'"session":""',
        b'"session":null',
        b'"session":["AJ"]',
    ],
)
def test_a_malformed_named_login_is_bad_login(extra: bytes) -> None:
    session = JsonSession()
    session.receive_data(b'{"type":"login","firm":"A","password":"p",' + extra + b"}\n")
    event = session.next_event()
    assert isinstance(event, ProtocolError) and (event.code, event.fatal) == ("bad_login", True)


def test_the_operator_has_no_named_session() -> None:
    session = JsonSession()
    session.receive_data(b'{"type":"login","admin":true,"password":"p","session":"AJ"}\n')
    event = session.next_event()
    assert isinstance(event, ProtocolError) and event.code == "bad_login"


def test_a_named_sessions_report_is_the_canonical_line_with_its_number_first() -> None:
    session = JsonSession()
    session.receive_data(LOGIN)
    session.next_event()
    session.send_login_ok(1, "ALPHA", ("AJ", 1, 0))
    reports = [(16, (41, 0, Accepted(41, 41, "A", "c"))), (17, (41, 1, DayEnded("ACME")))]
    lines = session.send_numbered_events(reports).splitlines()
    plain = session.send_events([report for _, report in reports]).splitlines()
    assert [json.loads(line) for line in lines] == [
        {"n": n, **json.loads(line)} for (n, _), line in zip(reports, plain, strict=True)
    ]
    assert lines[0].startswith(b'{"n":16,"seq":41,"sub":0,"type":"accepted",')
