"""Resynchronising at Logon: NextExpectedMsgSeqNum(789) on the first Logon, and a Logon with
ResetSeqNumFlag(141)=Y in the middle of a session (FIX 4.4 session rules)."""

from __future__ import annotations

import pytest

from engine.protocols.fix.events import LogonRequest, SessionClosed, SessionNotice
from engine.protocols.fix.session import FixSession, SessionConfig
from engine.protocols.fix.states import State
from engine.protocols.fix.store import MemoryStore
from engine.protocols.fix.tags import Tag
from tests.engine.protocols.fix.peer import T0, Peer, drain, logged_on, new_session, report


def _with_history(sent: int) -> tuple[FixSession, Peer, MemoryStore]:
    """A session that sent ``sent`` messages before: Logon 1, ExecutionReports 2..sent, then
    the connection dropped; a new one restores its numbers (the peer's next is 2)."""
    store = MemoryStore()
    first, peer = logged_on()
    first._out.store = store
    for n in range(2, sent + 1):
        first.send(report(n), T0)
    peer.read(first.data_to_send())
    again = FixSession(SessionConfig(), store, next_sender_seq=sent + 1, next_target_seq=2)
    return again, Peer(next_seq=2), store


def _logon_expecting(session: FixSession, peer: Peer, expected: int, **kw: object) -> None:
    session.receive_data(peer.logon(body_extra=[(789, str(expected))], **kw), T0)
    request = session.next_event()
    assert isinstance(request, LogonRequest) and request.next_expected_seq == expected
    session.accept_logon(T0)


def test_a_logon_expecting_our_next_number_is_answered_with_ours() -> None:
    session, peer, _ = _with_history(4)
    _logon_expecting(session, peer, 5)
    [answer] = peer.read(session.data_to_send())
    assert (answer.msg_type, answer.seq_num) == ("A", 5)
    # our Logon says what we expect next: one past the peer's Logon, which was in order
    assert answer.get(Tag.NEXT_EXPECTED_MSG_SEQ_NUM) == "3"
    assert session.state is State.ACTIVE and not session.resending


def test_a_logon_expecting_less_gets_what_it_missed_resent_unasked() -> None:
    session, peer, _ = _with_history(5)
    _logon_expecting(session, peer, 2)
    answer, *resent = peer.read(session.data_to_send())
    assert (answer.msg_type, answer.seq_num) == ("A", 6)
    # the ExecutionReports 2..5 again, flagged, their first SendingTime kept; nothing after
    assert [(m.msg_type, m.seq_num) for m in resent] == [("8", n) for n in range(2, 6)]
    assert all(m.get(Tag.POSS_DUP_FLAG) == "Y" and Tag.ORIG_SENDING_TIME in m for m in resent)
    assert session.next_sender_seq == 7


def test_a_logon_expecting_less_gap_fills_what_was_administrative() -> None:
    session, peer, _ = _with_history(3)
    _logon_expecting(session, peer, 1)  # 1 was our Logon: never resent
    _, fill, *resent = peer.read(session.data_to_send())
    assert (fill.msg_type, fill.seq_num, fill.get(Tag.NEW_SEQ_NO)) == ("4", 1, "2")
    assert [m.seq_num for m in resent] == [2, 3]


def test_a_logon_expecting_less_resends_in_batches_when_configured() -> None:
    store = MemoryStore()
    first, _ = logged_on()
    first._out.store = store
    for n in range(2, 10):
        first.send(report(n), T0)
    config = SessionConfig(resend_batch=3)
    session = FixSession(config, store, next_sender_seq=10, next_target_seq=2)
    peer = Peer(next_seq=2)
    _logon_expecting(session, peer, 2)
    _, *resent = peer.read(session.data_to_send())
    assert [m.seq_num for m in resent] == [2, 3, 4] and session.resending
    while session.resending:
        session.resend_more(T0)
    assert [m.seq_num for m in peer.read(session.data_to_send())] == list(range(5, 10))


def test_a_logon_expecting_more_than_we_sent_is_unrecoverable() -> None:
    session, peer, _ = _with_history(4)
    _logon_expecting(session, peer, 9)
    [logout] = peer.read(session.data_to_send())
    assert logout.msg_type == "5" and session.state is State.CLOSED
    text = logout.get(Tag.TEXT) or ""
    assert "NextExpectedMsgSeqNum(789) 9 is higher than our next MsgSeqNum 5" in text
    assert isinstance(session.next_event(), SessionClosed)


def test_a_logon_ahead_of_us_and_expecting_less_is_answered_resent_and_asked() -> None:
    session, _, _ = _with_history(3)
    peer = Peer(next_seq=6)  # we expect 2: its 2..5 are missing
    _logon_expecting(session, peer, 2)
    answer, *rest = peer.read(session.data_to_send())
    assert answer.get(Tag.NEXT_EXPECTED_MSG_SEQ_NUM) == "2"  # the gap is not skipped
    assert [m.msg_type for m in rest] == ["8", "8", "2"]  # resent 2, 3; then we ask
    assert rest[-1].get(Tag.BEGIN_SEQ_NO) == "2"


@pytest.mark.parametrize("value", ["0", "x", "-1", "99999999999"])
def test_a_bad_next_expected_msg_seq_num_refuses_the_logon(value: str) -> None:
    session, peer = new_session(), Peer()
    session.receive_data(peer.logon(body_extra=[(789, value)]), T0)
    [closed] = drain(session)
    assert isinstance(closed, SessionClosed) and "NextExpectedMsgSeqNum" in closed.reason


def test_a_logon_without_789_is_answered_without_it() -> None:
    session, peer = new_session(), Peer()
    session.receive_data(peer.logon(), T0)
    session.next_event()
    session.accept_logon(T0)
    [answer] = peer.read(session.data_to_send())
    assert Tag.NEXT_EXPECTED_MSG_SEQ_NUM not in answer


# -- ResetSeqNumFlag(141)=Y in the middle of a session -----------------------------------


def test_a_reset_logon_in_session_restarts_both_sides_at_one() -> None:
    store = MemoryStore()
    session = FixSession(SessionConfig(), store)
    peer = Peer()
    session.receive_data(peer.logon(), T0)
    session.next_event()
    session.accept_logon(T0)
    for n in range(5):
        session.send(report(n), T0)
    session.receive_data(peer.build("0") + peer.build("0"), T0)
    assert drain(session) == [] and len(store) == 5
    peer.read(session.data_to_send())
    peer.next_seq = 1
    session.receive_data(peer.logon(20, reset=True), T0)
    [notice] = drain(session)
    assert isinstance(notice, SessionNotice) and "restarted at 1" in notice.text
    [answer] = peer.read(session.data_to_send())
    assert (answer.msg_type, answer.seq_num) == ("A", 1)
    assert (answer.get(Tag.RESET_SEQ_NUM_FLAG), answer.get(Tag.HEART_BT_INT)) == ("Y", "20")
    assert (session.next_sender_seq, session.next_target_seq, len(store)) == (2, 2, 0)
    # both sides go on from there: the peer's 2 is in order, our next message is 2
    session.receive_data(peer.build("1", [(112, "hi")]), T0)
    assert drain(session) == []
    [heartbeat] = peer.read(session.data_to_send())
    assert (heartbeat.msg_type, heartbeat.seq_num, heartbeat.get(112)) == ("0", 2, "hi")
    assert session.state is State.ACTIVE


def test_a_reset_logon_in_session_drops_what_waited_behind_a_gap_and_a_resend() -> None:
    session, peer = logged_on(resend_batch=2)
    for n in range(6):
        session.send(report(n), T0)
    peer.read(session.data_to_send())
    session.receive_data(peer.build("2", [(7, "2"), (16, "0")]), T0)
    drain(session)
    assert session.resending
    peer.next_seq = 9  # a gap: 3..8 missing; 9 is held
    session.receive_data(peer.build("0"), T0)
    drain(session)
    peer.read(session.data_to_send())
    peer.next_seq = 1
    session.receive_data(peer.logon(reset=True, body_extra=[(789, "1")]), T0)
    drain(session)
    [answer] = peer.read(session.data_to_send())
    assert answer.get(Tag.NEXT_EXPECTED_MSG_SEQ_NUM) == "2"
    assert not session.resending and session.resend_more(T0) == 0
    assert session._in.held == 0 and session.next_target_seq == 2


def test_a_reset_logon_must_be_numbered_one() -> None:
    session, peer = logged_on()
    session.receive_data(peer.logon(reset=True), T0)  # numbered 2
    [closed] = drain(session)
    assert isinstance(closed, SessionClosed) and "MsgSeqNum(34)=1" in closed.reason


def test_a_reset_logon_while_logging_out_ends_the_session() -> None:
    session, peer = logged_on()
    session.logout("bye", T0)
    peer.next_seq = 1
    session.receive_data(peer.logon(reset=True), T0)
    [closed] = drain(session)
    assert isinstance(closed, SessionClosed) and "logging out" in closed.reason
