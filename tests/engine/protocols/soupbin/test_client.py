"""The SoupBinTCP client session, alone and against the server session (resume after a drop)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.protocols.soupbin.client import (
    TRANSITIONS,
    ClientSession,
    ClientState,
    SequencedMessage,
)
from engine.protocols.soupbin.events import (
    NEED_DATA,
    ConnectionClosed,
    LocalProtocolError,
    PacketFault,
)
from engine.protocols.soupbin.packets import (
    Debug,
    EndOfSession,
    LoginAccepted,
    LoginRejected,
    LoginRequest,
    SequencedData,
    ServerHeartbeat,
    UnsequencedData,
    encode,
)
from engine.protocols.soupbin.server import ServerSession, start_sequence
from tests.engine.protocols.drive import bytewise, drive_client

SECOND = 1_000_000_000


def logged_in(sequence: int = 1, **kwargs: int) -> ClientSession:
    client = ClientSession(**kwargs)
    client.login("ALPHA", "pw")
    client.receive_data(encode(LoginAccepted("SESSION1", sequence)))
    assert client.next_event() == LoginAccepted("SESSION1", sequence)
    return client


def test_login_sends_the_request_and_the_answer_starts_the_count() -> None:
    client = ClientSession()
    assert client.login("ALPHA", "pw", "SESSION1", 5) == encode(
        LoginRequest("ALPHA", "pw", "SESSION1", 5)
    )
    assert client.state is ClientState.LOGIN_SENT
    data = encode(LoginAccepted("SESSION1", 5)) + encode(SequencedData(b"a"))
    data += encode(ServerHeartbeat()) + encode(SequencedData(b"b"))
    assert drive_client(client, bytewise(data), eof=False) == [
        LoginAccepted("SESSION1", 5),
        SequencedMessage(5, b"a"),
        SequencedMessage(6, b"b"),  # the heartbeat between is not an event
    ]
    assert client.resume_point == ("SESSION1", 7)


def test_a_rejected_login_closes_the_session() -> None:
    client = ClientSession()
    client.login("ALPHA", "wrong")
    client.receive_data(encode(LoginRejected("A")))
    assert client.next_event() == LoginRejected("A")
    assert client.state is ClientState.CLOSED
    assert client.next_event() == ConnectionClosed()


def test_end_of_session_is_reported_then_the_session_is_closed() -> None:
    client = logged_in()
    client.receive_data(encode(EndOfSession()) + encode(SequencedData(b"late")))
    assert client.next_event() == EndOfSession()
    assert client.state is ClientState.CLOSED
    assert client.next_event() == ConnectionClosed()


def test_logout_and_unsequenced_data_need_a_login() -> None:
    client = ClientSession()
    with pytest.raises(LocalProtocolError):
        client.send_unsequenced(b"x")
    client.login("ALPHA", "pw")
    with pytest.raises(LocalProtocolError):
        client.login("ALPHA", "pw")
    with pytest.raises(LocalProtocolError):
        client.send_unsequenced(b"x")  # not before Login Accepted
    assert client.logout() == b"\x00\x01O"  # giving up on a pending login is fine
    assert client.state is ClientState.CLOSED


def test_unsequenced_data_and_logout_once_logged_in() -> None:
    client = logged_in()
    assert client.send_unsequenced(b"msg") == b"\x00\x04Umsg"
    assert client.send_debug("note") == b"\x00\x05+note"
    assert client.logout() == b"\x00\x01O"
    with pytest.raises(LocalProtocolError):
        client.send_unsequenced(b"x")


def test_sequenced_data_before_login_is_a_fatal_fault() -> None:
    client = ClientSession()
    client.login("ALPHA", "pw")
    client.receive_data(encode(SequencedData(b"x")))
    fault = client.next_event()
    assert isinstance(fault, PacketFault) and fault.code == "not_logged_in" and fault.fatal
    assert client.state is ClientState.ERROR


def test_bytes_before_any_login_are_a_fatal_fault_not_a_crash() -> None:
    client = ClientSession()
    client.receive_data(encode(Debug("early")) + encode(ServerHeartbeat()))
    fault = client.next_event()
    assert isinstance(fault, PacketFault) and fault.fatal


def test_a_second_login_accepted_is_confined_to_its_packet() -> None:
    client = logged_in()
    client.receive_data(encode(LoginAccepted("OTHER", 99)) + encode(SequencedData(b"x")))
    fault = client.next_event()
    assert isinstance(fault, PacketFault) and fault.code == "unexpected_packet"
    assert not fault.fatal
    assert client.next_event() == SequencedMessage(1, b"x")
    assert client.session_name == "SESSION1"


def test_the_client_heartbeats_after_a_second_of_silence() -> None:
    client = logged_in()
    assert client.tick(0) == b""
    assert client.tick(SECOND // 2) == b""
    assert client.tick(SECOND) == b"\x00\x01R"
    client.send_unsequenced(b"x")
    assert client.tick(int(1.2 * SECOND)) == b""
    assert client.tick(int(2.2 * SECOND)) == b"\x00\x01R"


def test_packets_framed_elsewhere_need_a_login_and_count_as_sent() -> None:
    client = ClientSession()
    with pytest.raises(LocalProtocolError):
        client.unsequenced_framed_elsewhere()  # checked as one sent through the session
    client = logged_in()
    assert client.tick(0) == b""
    assert client.tick(SECOND) == b"\x00\x01R"
    client.unsequenced_framed_elsewhere()  # the caller wrote data: no heartbeat is due
    assert client.tick(int(1.2 * SECOND)) == b""
    assert client.tick(int(2.2 * SECOND)) == b"\x00\x01R"
    client.logout()
    with pytest.raises(LocalProtocolError):
        client.unsequenced_framed_elsewhere()


def test_a_silent_server_is_a_fatal_fault_even_before_it_answers_the_login() -> None:
    client = ClientSession(server_timeout_ns=5 * SECOND)
    client.login("ALPHA", "pw")
    client.tick(0)
    assert client.tick(4 * SECOND) == b""  # no heartbeats before login
    client.tick(5 * SECOND)
    fault = client.next_event()
    assert fault == PacketFault("peer_timeout", "the server fell silent", fatal=True)
    assert client.next_event() == ConnectionClosed()


def test_the_transition_table_ends_in_closed_and_error_with_no_way_out() -> None:
    sources = {state for state, _ in TRANSITIONS}
    assert ClientState.CLOSED not in sources and ClientState.ERROR not in sources
    assert set(TRANSITIONS.values()) == set(ClientState) - {ClientState.IDLE}


# -- client against server --------------------------------------------------------------------


def _exchange(server: ServerSession, client: ClientSession, to_server: bytes) -> list[object]:
    """Deliver bytes client -> server, let the server log in / answer, deliver the reply."""
    server.receive_data(to_server)
    reply = bytearray()
    while (event := server.next_event()) is not NEED_DATA:
        if isinstance(event, LoginRequest):
            store_next = 6  # the store holds messages 1..5
            start = start_sequence(event.requested_sequence_number, store_next)
            reply += server.accept_login("SESSION1", start)
            reply += server.replay(STORE[start - 1 :])
        else:
            break
    return drive_client(client, [bytes(reply)], eof=False)


STORE = [b"one", b"two", b"three", b"four", b"five"]


def test_a_client_that_drops_resumes_with_nothing_missed_and_nothing_twice() -> None:
    first = ClientSession()
    server = ServerSession()
    events = _exchange(server, first, first.login("ALPHA", "pw", "", 1))
    got = [e for e in events if isinstance(e, SequencedMessage)]
    # the connection drops after the client has read three messages
    seen = got[:3]
    session, resume_at = "SESSION1", seen[-1].sequence + 1
    assert resume_at == 4
    second, server2 = ClientSession(), ServerSession()
    events = _exchange(server2, second, second.login("ALPHA", "pw", session, resume_at))
    more = [e for e in events if isinstance(e, SequencedMessage)]
    assert [m.message for m in seen + more] == STORE
    assert [m.sequence for m in seen + more] == [1, 2, 3, 4, 5]
    assert second.resume_point == ("SESSION1", 6)
    # live traffic goes on in the same numbering on both ends
    second.receive_data(server2.send_sequenced(b"six", sequence=6))
    assert second.next_event() == SequencedMessage(6, b"six")


def test_requesting_zero_joins_live_without_replay() -> None:
    client, server = ClientSession(), ServerSession()
    events = _exchange(server, client, client.login("ALPHA", "pw"))
    assert events == [LoginAccepted("SESSION1", 6)]
    assert client.next_expected_sequence == 6


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.integers(1, 50))
def test_random_server_bytes_give_events_or_faults_never_an_exception(
    data: bytes, step: int
) -> None:
    client = ClientSession(max_packet=128, max_pending=512)
    client.login("ALPHA", "pw")
    chunks = [data[i : i + step] for i in range(0, len(data), step)]
    allowed = (LoginAccepted, LoginRejected, SequencedMessage, Debug, EndOfSession)
    for event in drive_client(client, chunks):
        assert isinstance(event, (*allowed, PacketFault, ConnectionClosed))


def test_unsequenced_data_round_trips_through_the_server() -> None:
    client = logged_in()
    server = ServerSession()
    server.receive_data(encode(LoginRequest("ALPHA", "pw", "", 0)))
    server.next_event()
    server.accept_login("S", 1)
    server.receive_data(client.send_unsequenced(b"\x00\x01payload"))
    assert server.next_event() == UnsequencedData(b"\x00\x01payload")
