"""OUCH over SoupBinTCP end to end: a client and the server session, replay, faults, fuzz."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.protocols.ouch.fields import MessageFault
from engine.protocols.ouch.inbound import CancelOrder, EnterOrder, ReplaceOrder
from engine.protocols.ouch.outbound import (
    Accepted,
    Canceled,
    Executed,
    Rejected,
    Replaced,
    SystemEvent,
)
from engine.protocols.ouch.session import OuchClientSession, OuchSequenced, OuchServerSession
from engine.protocols.soupbin import (
    NEED_DATA,
    PAUSED,
    ConnectionClosed,
    Debug,
    EndOfSession,
    LoginAccepted,
    LoginRejected,
    LoginRequest,
    LogoutRequest,
    PacketFault,
    ServerState,
    UnsequencedData,
    encode,
    start_sequence,
)
from tests.engine.protocols.drive import bytewise, drive_client, drive_server

TS = 34_200_000_000_000
ENTER = EnterOrder("ORD1", "B", 100, "AAPL", 1_500_000, 99_998, firm="ALPH")
ACCEPTED = Accepted(
    TS, "ORD1", "B", 100, "AAPL", 1_500_000, 99_998, "ALPH", "Y", 42, "A", "N", 0, "N", "L"
)


def connected() -> tuple[OuchServerSession, OuchClientSession]:
    server, client = OuchServerSession(), OuchClientSession()
    server.receive_data(client.login("ALPHA", "pw"))
    assert isinstance(server.next_event(), LoginRequest)
    client.receive_data(server.accept_login("SESSION1", 1))
    assert client.next_event() == LoginAccepted("SESSION1", 1)
    return server, client


def test_an_order_goes_in_and_its_reports_come_back_numbered() -> None:
    server, client = connected()
    server.receive_data(client.send(ENTER))
    assert server.next_event() == ENTER
    out = server.send(SystemEvent(TS, "S"), sequence=1)
    out += server.send(ACCEPTED, sequence=2)
    out += server.send(Executed(TS, "ORD1", 100, 1_500_000, "R", 7_000_000), sequence=3)
    assert drive_client(client, [out], eof=False) == [
        OuchSequenced(1, SystemEvent(TS, "S")),
        OuchSequenced(2, ACCEPTED),
        OuchSequenced(3, Executed(TS, "ORD1", 100, 1_500_000, "R", 7_000_000)),
    ]
    assert client.resume_point == ("SESSION1", 4)


def test_a_session_fed_byte_by_byte_gives_the_same_events_as_whole() -> None:
    client = OuchClientSession()
    data = client.login("ALPHA", "pw")
    client.receive_data(encode(LoginAccepted("SESSION1", 1)))
    client.next_event()
    data += client.send(ENTER) + client.send(ReplaceOrder("ORD1", "ORD2", 50, 1_499_900, 99_998))
    data += client.send(CancelOrder("ORD2")) + client.logout()
    whole, _ = drive_server(OuchServerSession(), [data])
    single, _ = drive_server(OuchServerSession(), bytewise(data))
    assert whole == single
    assert whole == [
        LoginRequest("ALPHA", "pw", "", 0),
        ENTER,
        ReplaceOrder("ORD1", "ORD2", 50, 1_499_900, 99_998),
        CancelOrder("ORD2"),
        LogoutRequest(),
        ConnectionClosed(),
    ]


def test_a_bad_message_is_a_fault_naming_its_token_and_the_session_goes_on() -> None:
    server, _ = connected()
    bad = bytearray(ENTER.encode())
    bad[15] = ord("X")  # no such side
    server.receive_data(encode(UnsequencedData(bytes(bad))) + encode(UnsequencedData(b"Q")))
    fault = server.next_event()
    assert isinstance(fault, MessageFault) and fault.token == "ORD1"
    # the gateway answers it with a Rejected of the reason the fault carries
    answer = server.send(Rejected(TS, fault.token, fault.reject_reason))
    assert answer[2:3] == b"S" and answer[3:4] == b"J"
    unknown = server.next_event()
    assert isinstance(unknown, MessageFault) and unknown.code == "unknown_type"
    server.receive_data(encode(UnsequencedData(ENTER.encode())))
    assert server.next_event() == ENTER
    assert server.state is ServerState.LOGGED_IN


def test_a_reconnecting_client_gets_the_replay_then_live_in_one_numbering() -> None:
    store = [
        SystemEvent(TS, "S").encode(),
        ACCEPTED.encode(),
        Canceled(TS, "ORD1", 100, "U").encode(),
    ]
    server, client = OuchServerSession(), OuchClientSession()
    server.receive_data(client.login("ALPHA", "pw", "SESSION1", 2))
    request = server.next_event()
    assert isinstance(request, LoginRequest) and server.next_event() is PAUSED
    start = start_sequence(request.requested_sequence_number, len(store) + 1)
    out = server.accept_login("SESSION1", start) + server.replay(store[start - 1 :])
    out += server.send(SystemEvent(TS + 1, "E"), sequence=len(store) + 1)
    assert drive_client(client, [out], eof=False) == [
        LoginAccepted("SESSION1", 2),
        OuchSequenced(2, ACCEPTED),
        OuchSequenced(3, Canceled(TS, "ORD1", 100, "U")),
        OuchSequenced(4, SystemEvent(TS + 1, "E")),
    ]


def test_heartbeats_flow_both_ways_and_end_of_session_ends_it() -> None:
    server, client = connected()
    second = 1_000_000_000
    server.tick(0)
    client.tick(0)
    server.receive_data(client.tick(second))  # R
    client.receive_data(server.tick(second))  # H
    assert server.next_event() is NEED_DATA and client.next_event() is NEED_DATA
    client.receive_data(server.end_of_session())
    assert server.state is ServerState.CLOSED
    assert drive_client(client, [b""]) == [EndOfSession(), ConnectionClosed()]


def test_an_oversize_packet_ends_an_ouch_session() -> None:
    server, _ = connected()
    server.receive_data(encode(UnsequencedData(b"O" * 2000)))
    fault = server.next_event()
    assert isinstance(fault, PacketFault) and fault.code == "packet_too_large" and fault.fatal
    assert server.error == fault
    assert server.next_event() == ConnectionClosed()


# -- fuzz: OUCH streams mutated at the byte level --------------------------------------------

_LOGIN = encode(LoginRequest("ALPHA", "pw", "", 0))
VALID = _LOGIN + b"".join(
    encode(UnsequencedData(m.encode()))
    for m in (ENTER, ReplaceOrder("ORD1", "ORD2", 50, 1, 0), CancelOrder("ORD2", 10))
)
_EVENTS = (
    LoginRequest, EnterOrder, ReplaceOrder, CancelOrder, MessageFault, Debug, LogoutRequest,
    PacketFault, ConnectionClosed,
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255), st.booleans()),
        min_size=1,
        max_size=5,
    ),
    st.integers(1, 32),
)
def test_mutated_ouch_streams_give_events_or_faults_never_an_exception(
    mutations: list[tuple[int, int, bool]], step: int
) -> None:
    data = bytearray(VALID)
    for where, byte, replace in mutations:
        if replace:
            data[min(where, len(data) - 1)] = byte
        else:
            data.insert(where, byte)
    chunks = [bytes(data[i : i + step]) for i in range(0, len(data), step)]
    events, _ = drive_server(OuchServerSession(), chunks)
    assert all(isinstance(e, _EVENTS) for e in events)
    assert events[-1] == ConnectionClosed()


_OUTBOUND = (SystemEvent, Accepted, Replaced, Canceled, Executed, Rejected)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_to_an_ouch_client_give_events_or_faults(data: bytes) -> None:
    client = OuchClientSession()
    client.login("ALPHA", "pw")
    client.receive_data(encode(LoginAccepted("S", 1)))
    allowed = (LoginRejected, OuchSequenced, Debug, EndOfSession, PacketFault, ConnectionClosed)
    for event in drive_client(client, [data]):
        assert isinstance(event, (LoginAccepted, *allowed))
        if isinstance(event, OuchSequenced):
            assert isinstance(event.message, (*_OUTBOUND, MessageFault))
