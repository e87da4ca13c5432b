"""The SoupBinTCP server session: login, reject, replay numbering, heartbeats, faults, fuzz."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.protocols.soupbin.events import (
    NEED_DATA,
    PAUSED,
    ConnectionClosed,
    LocalProtocolError,
    PacketFault,
)
from engine.protocols.soupbin.packets import (
    ClientHeartbeat,
    Debug,
    LoginRequest,
    LogoutRequest,
    UnsequencedData,
    encode,
)
from engine.protocols.soupbin.server import (
    TRANSITIONS,
    ServerSession,
    ServerState,
    start_sequence,
)
from tests.engine.protocols.drive import bytewise, drive_server

SECOND = 1_000_000_000
LOGIN = encode(LoginRequest("ALPHA", "pw", "", 0))
DATA = encode(UnsequencedData(b"hello"))
HEARTBEAT = encode(ClientHeartbeat())
LOGOUT = encode(LogoutRequest())


def logged_in(next_sequence: int = 1, **kwargs: int) -> ServerSession:
    session = ServerSession(**kwargs)
    session.receive_data(LOGIN)
    assert isinstance(session.next_event(), LoginRequest)
    session.accept_login("SESSION1", next_sequence)
    return session


# -- login ---------------------------------------------------------------------------------


def test_a_login_pauses_the_session_until_the_caller_answers() -> None:
    session = ServerSession()
    session.receive_data(LOGIN + DATA)
    assert session.is_awaiting_login
    assert session.next_event() == LoginRequest("ALPHA", "pw", "", 0)
    assert session.state is ServerState.LOGIN_PENDING
    assert session.next_event() is PAUSED
    assert session.next_event() is PAUSED  # the data behind the login waits its turn
    accepted = session.accept_login("SESSION1", 7)
    assert accepted == b"\x00\x1fA  SESSION1" + b" " * 19 + b"7"
    assert session.is_logged_in and session.next_sequence == 7
    assert session.session_name == "SESSION1"
    assert session.next_event() == UnsequencedData(b"hello")
    assert session.next_event() is NEED_DATA


def test_a_rejected_login_sends_the_code_and_closes() -> None:
    session = ServerSession()
    session.receive_data(LOGIN + DATA)
    session.next_event()
    assert session.reject_login("A") == b"\x00\x02JA"
    assert session.state is ServerState.CLOSED
    assert session.next_event() == ConnectionClosed()
    session.receive_data(DATA)  # ignored: nothing more is read from a closed session
    assert session.next_event() == ConnectionClosed()


def test_session_not_available_is_the_other_reject_code() -> None:
    session = ServerSession()
    session.receive_data(encode(LoginRequest("ALPHA", "pw", "OLDSESSION", 5)))
    assert session.next_event() == LoginRequest("ALPHA", "pw", "OLDSESSION", 5)
    assert session.reject_login("S") == b"\x00\x02JS"


def test_a_whole_session_gives_the_same_events_fed_whole_or_byte_by_byte() -> None:
    data = encode(Debug("hi")) + LOGIN + DATA + HEARTBEAT + DATA + LOGOUT
    whole, out_whole = drive_server(ServerSession(), [data])
    single, out_single = drive_server(ServerSession(), bytewise(data))
    assert whole == single and out_whole == out_single
    assert whole == [
        Debug("hi"),
        LoginRequest("ALPHA", "pw", "", 0),
        UnsequencedData(b"hello"),
        UnsequencedData(b"hello"),  # the heartbeat between them never surfaces
        LogoutRequest(),
        ConnectionClosed(),
    ]


def test_a_logout_closes_the_session() -> None:
    session = logged_in()
    session.receive_data(LOGOUT + DATA)
    assert session.next_event() == LogoutRequest()
    assert session.state is ServerState.CLOSED
    assert session.next_event() == ConnectionClosed()
    with pytest.raises(LocalProtocolError):
        session.send_sequenced(b"late")


def test_end_of_input_closes_the_session() -> None:
    session = logged_in()
    session.receive_data(b"")
    assert session.next_event() == ConnectionClosed()
    assert session.state is ServerState.CLOSED and session.error is None


def test_the_server_closes_a_session_whose_login_did_not_come_in_time() -> None:
    session = ServerSession()
    session.tick(0)
    assert session.tick(60 * SECOND) == b""  # no heartbeats and no timeout before login
    assert session.is_awaiting_login  # the server's clock decides; the session only says
    session.close()
    assert session.state is ServerState.CLOSED
    assert session.next_event() == ConnectionClosed()
    session.close()  # idempotent


# -- numbering, replay ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "next_available", "start"),
    [(0, 11, 11), (1, 11, 1), (5, 11, 5), (11, 11, 11), (12, 11, 11), (10**19, 11, 11)],
)
def test_the_start_sequence_honours_what_exists(
    requested: int, next_available: int, start: int
) -> None:
    assert start_sequence(requested, next_available) == start


def test_replay_from_n_numbers_as_the_store_does_then_goes_on_live() -> None:
    store = [b"m1", b"m2", b"m3", b"m4", b"m5"]  # sequence numbers 1..5
    session = ServerSession()
    session.receive_data(encode(LoginRequest("ALPHA", "pw", "SESSION1", 3)))
    request = session.next_event()
    assert isinstance(request, LoginRequest)
    start = start_sequence(request.requested_sequence_number, len(store) + 1)
    out = session.accept_login("SESSION1", start)
    out += session.replay(store[start - 1 :], first_sequence=start)
    assert session.next_sequence == 6
    out += session.send_sequenced(b"m6", sequence=6)
    assert session.next_sequence == 7
    assert out.endswith(b"\x00\x03Sm3\x00\x03Sm4\x00\x03Sm5\x00\x03Sm6")


def test_a_send_whose_number_differs_from_the_clients_count_is_refused() -> None:
    session = logged_in(next_sequence=10)
    with pytest.raises(LocalProtocolError):
        session.send_sequenced(b"x", sequence=9)
    with pytest.raises(LocalProtocolError):
        session.replay([b"x"], first_sequence=11)
    assert session.next_sequence == 10  # nothing was sent
    session.send_sequenced(b"x", sequence=10)
    assert session.next_sequence == 11


def test_end_of_session_sends_z_and_closes() -> None:
    session = logged_in()
    assert session.end_of_session() == b"\x00\x01Z"
    assert session.state is ServerState.CLOSED
    with pytest.raises(LocalProtocolError):
        session.end_of_session()


# -- heartbeats and silence -------------------------------------------------------------------


def test_a_heartbeat_goes_out_after_one_second_of_outbound_silence() -> None:
    session = logged_in()
    assert session.tick(0) == b""  # time zero for both directions
    assert session.tick(SECOND - 1) == b""
    assert session.tick(SECOND) == b"\x00\x01H"
    assert session.tick(SECOND + 1) == b""  # the heartbeat itself was the activity
    session.receive_data(HEARTBEAT)  # keep the client alive meanwhile
    session.send_sequenced(b"data")
    assert session.tick(int(1.5 * SECOND)) == b""  # stamped: the data went out at 1.5 s
    assert session.tick(int(2.4 * SECOND)) == b""
    assert session.tick(int(2.5 * SECOND)) == b"\x00\x01H"


def test_a_client_silent_for_the_timeout_is_a_fatal_fault() -> None:
    session = logged_in(peer_timeout_ns=15 * SECOND)
    session.tick(0)
    for t in range(1, 15):
        session.tick(t * SECOND)  # heartbeats go out, nothing comes in
    assert session.is_logged_in
    assert session.tick(15 * SECOND) == b""
    fault = session.next_event()
    assert fault == PacketFault("peer_timeout", "the client fell silent", fatal=True)
    assert session.state is ServerState.ERROR and session.error == fault
    assert session.next_event() == ConnectionClosed()
    assert session.tick(16 * SECOND) == b""  # no heartbeats to the dead


def test_client_heartbeats_keep_the_session_alive() -> None:
    session = logged_in(peer_timeout_ns=3 * SECOND)
    session.tick(0)
    for t in range(1, 30):
        session.receive_data(HEARTBEAT)
        session.tick(t * SECOND)
        assert session.next_event() is NEED_DATA
    assert session.is_logged_in


def test_a_clock_that_steps_back_counts_as_standing_still() -> None:
    session = logged_in()
    session.tick(10 * SECOND)
    assert session.tick(5 * SECOND) == b""
    assert session.tick(int(10.5 * SECOND)) == b""
    assert session.tick(11 * SECOND) == b"\x00\x01H"


# -- faults ------------------------------------------------------------------------------------


def test_data_before_login_is_a_fatal_fault() -> None:
    session = ServerSession()
    session.receive_data(DATA + LOGIN)
    fault = session.next_event()
    assert isinstance(fault, PacketFault) and fault.code == "not_logged_in" and fault.fatal
    assert session.state is ServerState.ERROR
    assert session.next_event() == ConnectionClosed()


@pytest.mark.parametrize("packet", [HEARTBEAT, LOGOUT, b"\x00\x01?", b"\x00\x02Lx", b"\x00\x00"])
def test_any_fault_before_login_is_fatal(packet: bytes) -> None:
    session = ServerSession()
    session.receive_data(packet + LOGIN)
    fault = session.next_event()
    assert isinstance(fault, PacketFault) and fault.fatal
    assert session.next_event() == ConnectionClosed()


def test_a_fault_confined_to_one_packet_after_login_is_reported_and_the_session_goes_on() -> None:
    session = logged_in()
    session.receive_data(b"\x00\x01?" + b"\x00\x02Rx" + LOGIN + DATA)
    codes = [session.next_event() for _ in range(3)]
    assert [c.code for c in codes if isinstance(c, PacketFault)] == [
        "unknown_type",
        "bad_length",
        "unexpected_packet",  # a second login
    ]
    assert not any(c.fatal for c in codes if isinstance(c, PacketFault))
    assert session.next_event() == UnsequencedData(b"hello")


def test_an_oversize_frame_is_fatal() -> None:
    session = logged_in(max_packet=64, max_pending=1024)
    session.receive_data(encode(UnsequencedData(b"x" * 64)))
    fault = session.next_event()
    assert isinstance(fault, PacketFault) and fault.code == "packet_too_large" and fault.fatal
    assert session.state is ServerState.ERROR
    assert session.next_event() == ConnectionClosed()


# -- our own misuse ----------------------------------------------------------------------------


def test_answering_a_login_that_was_not_asked_is_our_misuse() -> None:
    session = ServerSession()
    with pytest.raises(LocalProtocolError):
        session.accept_login("S", 1)
    with pytest.raises(LocalProtocolError):
        session.reject_login("A")
    with pytest.raises(LocalProtocolError):
        session.send_sequenced(b"x")
    with pytest.raises(LocalProtocolError):
        session.end_of_session()


def test_a_login_is_answered_once_and_sequence_numbers_start_at_one() -> None:
    session = ServerSession()
    session.receive_data(LOGIN)
    session.next_event()
    with pytest.raises(LocalProtocolError):
        session.accept_login("S", 0)
    with pytest.raises(ValueError):
        session.accept_login("SESSION-NAME-TOO-LONG", 1)
    with pytest.raises(ValueError):
        session.reject_login("Q")
    assert session.state is ServerState.LOGIN_PENDING  # none of those changed anything
    session.accept_login("S", 1)
    with pytest.raises(LocalProtocolError):
        session.accept_login("S", 1)


def test_the_transition_table_ends_in_closed_and_error_with_no_way_out() -> None:
    sources = {state for state, _ in TRANSITIONS}
    assert ServerState.CLOSED not in sources and ServerState.ERROR not in sources
    assert set(TRANSITIONS.values()) == set(ServerState)


# -- fuzz --------------------------------------------------------------------------------------

_EVENTS = (LoginRequest, UnsequencedData, Debug, LogoutRequest, PacketFault, ConnectionClosed)
VALID = encode(Debug("x")) + LOGIN + DATA + HEARTBEAT + DATA + LOGOUT


def _check(events: list[object]) -> None:
    assert all(isinstance(e, _EVENTS) for e in events)
    assert events[-1] == ConnectionClosed()
    fatal = [i for i, e in enumerate(events) if isinstance(e, PacketFault) and e.fatal]
    assert not fatal or fatal[0] == len(events) - 2  # a fatal fault is the last word


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.integers(1, 50))
def test_random_bytes_give_events_or_faults_never_an_exception(data: bytes, step: int) -> None:
    chunks = [data[i : i + step] for i in range(0, len(data), step)]
    events, _ = drive_server(ServerSession(max_packet=128, max_pending=512), chunks)
    _check(events)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255), st.sampled_from("rid")),
        min_size=1,
        max_size=4,
    ),
    st.integers(1, 16),
)
def test_mutated_sessions_give_events_or_faults_never_an_exception(
    mutations: list[tuple[int, int, str]], step: int
) -> None:
    data = bytearray(VALID)
    for where, byte, how in mutations:
        where = min(where, len(data) - 1)
        if how == "r":
            data[where] = byte
        elif how == "i":
            data.insert(where, byte)
        elif len(data) > 1:
            del data[where]
    chunks = [bytes(data[i : i + step]) for i in range(0, len(data), step)]
    events, _ = drive_server(ServerSession(max_packet=128, max_pending=512), chunks)
    _check(events)
