"""Heartbeat timing through tick(now): Heartbeat after HeartBtInt of our silence, TestRequest
after HeartBtInt + grace of the peer's, disconnect when that goes unanswered."""

from __future__ import annotations

from engine.protocols.fix.events import SessionClosed
from engine.protocols.fix.heartbeat import HeartbeatAction, HeartbeatTimer
from engine.protocols.fix.session import FixSession, SessionConfig
from engine.protocols.fix.store import MemoryStore, StoredMessage
from engine.protocols.fix.tags import Tag
from tests.engine.protocols.fix.peer import T0, Peer, drain, logged_on, report

S = 10**9


def sent_types(session: FixSession, peer: Peer) -> list[str]:
    return [m.msg_type for m in peer.read(session.data_to_send())]


def test_a_heartbeat_goes_out_after_heart_bt_int_of_our_silence_and_not_before() -> None:
    session, peer = logged_on(30)
    session.receive_data(peer.build("0", now_ns=T0 + 29 * S), T0 + 29 * S)  # the peer talks
    drain(session)
    assert session.tick(T0 + 29 * S) is None and sent_types(session, peer) == []
    session.tick(T0 + 30 * S)
    assert sent_types(session, peer) == ["0"]
    session.tick(T0 + 31 * S)
    assert sent_types(session, peer) == []  # the clock restarted when it went out


def test_sending_a_report_counts_as_a_sign_of_life() -> None:
    session, peer = logged_on(30)
    session.send(report(2), T0 + 20 * S)
    session.receive_data(peer.build("0", now_ns=T0 + 30 * S), T0 + 30 * S)
    drain(session)
    session.tick(T0 + 30 * S)
    assert sent_types(session, peer) == ["8"]


def test_a_silent_peer_gets_a_test_request_and_is_dropped_if_it_stays_silent() -> None:
    session, peer = logged_on(10)
    session.tick(T0 + 10 * S)
    assert sent_types(session, peer) == ["0"]  # our heartbeat; 10 s is within the grace
    session.tick(T0 + 12 * S)
    [test_request] = peer.read(session.data_to_send())
    assert test_request.msg_type == "1" and test_request.get(Tag.TEST_REQ_ID) == "TEST-1"
    assert session.tick(T0 + 23 * S) is None
    assert sent_types(session, peer) == ["0"]  # we still owe our own heartbeats
    closed = session.tick(T0 + 24 * S)
    assert isinstance(closed, SessionClosed) and "heartbeat" in closed.reason
    assert sent_types(session, peer) == ["5"]


def test_an_answered_test_request_keeps_the_session() -> None:
    session, peer = logged_on(10)
    session.tick(T0 + 12 * S)
    [test_request] = peer.read(session.data_to_send())
    answer = peer.build("0", [(112, test_request.get(112) or "")], now_ns=T0 + 13 * S)
    session.receive_data(answer, T0 + 13 * S)
    drain(session)
    assert session.tick(T0 + 24 * S) is None and not session.closed


def test_a_test_request_from_the_peer_is_answered_with_its_id() -> None:
    session, peer = logged_on()
    session.receive_data(peer.build("1", [(112, "are-you-there")]), T0)
    assert drain(session) == []
    [heartbeat] = peer.read(session.data_to_send())
    assert (heartbeat.msg_type, heartbeat.get(112)) == ("0", "are-you-there")


def test_next_deadline_tells_the_server_when_to_tick() -> None:
    session, _ = logged_on(30)
    assert session.next_deadline_ns() == T0 + 30 * S
    timer = HeartbeatTimer(30, T0)
    timer.sent(T0 + 20 * S)
    assert timer.next_deadline_ns() == T0 + 36 * S  # the peer's silence comes first
    assert timer.due(T0 + 35 * S) is HeartbeatAction.NONE
    assert timer.due(T0 + 36 * S) is HeartbeatAction.TEST_REQUEST


def test_ticks_before_logon_do_nothing() -> None:
    fresh = FixSession(SessionConfig(), MemoryStore())
    assert fresh.tick(T0 + 3600 * S) is None and fresh.data_to_send() == b""
    assert fresh.next_deadline_ns() is None


def test_an_evicted_stored_message_is_resent_as_a_gap_fill() -> None:
    store = MemoryStore(capacity=2)
    for seq in (1, 2, 3):
        store.save(StoredMessage(seq, "8", ((58, str(seq)),), "20240301-12:00:00.000"))
    assert [m.seq for m in store.messages(1, 3)] == [2, 3] and len(store) == 2
    assert [m.seq for m in store.messages(0, 10**9)] == [2, 3]
