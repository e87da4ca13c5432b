"""The Logon: first, well-formed, addressed to us; decided by the caller; sequence numbers
restored or reset."""

from __future__ import annotations

import pytest

from engine.protocols.fix import admin
from engine.protocols.fix.events import PAUSED, LogonRequest, SessionClosed
from engine.protocols.fix.session import FixSession, SessionConfig
from engine.protocols.fix.states import LocalProtocolError, State
from engine.protocols.fix.store import MemoryStore, StoredMessage
from engine.protocols.fix.tags import SessionRejectReason, Tag
from tests.engine.protocols.fix.peer import T0, Peer, drain, logged_on, new_session

S = 10**9


def closed_with_logout(session: FixSession, peer: Peer) -> str:
    """The Logout text the session sent before closing."""
    assert session.state is State.CLOSED
    answers = peer.read(session.data_to_send())
    assert [m.msg_type for m in answers] == ["5"]
    return answers[0].get(Tag.TEXT) or ""


def test_a_logon_becomes_a_logon_request_and_input_pauses_until_answered() -> None:
    session, peer = new_session(), Peer()
    session.receive_data(peer.logon(15) + peer.build("0"), T0)
    request = session.next_event()
    assert isinstance(request, LogonRequest)
    assert (request.sender_comp_id, request.username, request.password) == (
        "ALPHA",
        "alpha",
        "alpha-pass",
    )
    assert (request.heart_bt_int, request.reset_seq_num, request.msg_seq_num) == (15, False, 1)
    assert session.next_event() is PAUSED and session.data_to_send() == b""
    session.accept_logon(T0)
    [answer] = peer.read(session.data_to_send())
    assert answer.msg_type == "A"
    assert (answer.get(98), answer.get(108), answer.get(49), answer.get(56)) == (
        "0",
        "15",
        "SEQUEX",
        "ALPHA",
    )
    assert drain(session) == [] and session.next_target_seq == 3


def test_the_logon_request_never_shows_the_password() -> None:
    assert "alpha-pass" not in repr(LogonRequest("A", "SEQUEX", "u", "alpha-pass"))


def test_a_rejected_logon_gets_a_logout_with_the_reason_and_closes() -> None:
    session, peer = new_session(), Peer()
    session.receive_data(peer.logon(), T0)
    session.next_event()
    session.reject_logon("bad credentials", T0)
    assert closed_with_logout(session, peer) == "bad credentials"
    assert isinstance(session.next_event(), SessionClosed)


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: p.build("D", [(11, "x")]), "first message must be a Logon"),
        (lambda p: p.build("0"), "first message must be a Logon"),
        (lambda p: Peer(target="NYSE").logon(), "TargetCompID(56) must be SEQUEX"),
        (lambda p: p.build("A", [(98, "0")]), "HeartBtInt"),
        (lambda p: p.build("A", [(98, "0"), (108, "0")]), "HeartBtInt"),
        (lambda p: p.build("A", [(98, "0"), (108, "x")]), "HeartBtInt"),
        (lambda p: p.build("A", [(98, "0"), (108, "99999")]), "HeartBtInt"),
        (lambda p: p.build("A", [(98, "1"), (108, "30")]), "EncryptMethod"),
        (lambda p: p.build("A", [(108, "30"), (141, "Y")], seq=2), "ResetSeqNumFlag"),
        (lambda p: p.build("A", [(108, "30"), (141, "X")]), "ResetSeqNumFlag"),
        (lambda p: p.build("A", [(108, "30"), (108, "30")]), "bad Logon"),
        (lambda p: p.logon(now_ns=T0 - 600 * S), "SendingTime"),
    ],
)
def test_a_bad_first_message_gets_a_logout_and_closes(make: object, words: str) -> None:
    session, peer = new_session(), Peer()
    session.receive_data(make(peer), T0)  # type: ignore[operator]
    [closed] = drain(session)
    assert isinstance(closed, SessionClosed) and words in closed.reason
    assert words in closed_with_logout(session, peer)


def test_a_first_message_without_sender_comp_id_closes_without_a_word() -> None:
    session, peer = new_session(), Peer()
    session.receive_data(peer.build("A", [(108, "30")], header=[(56, "SEQUEX"), (34, "1")]), T0)
    [closed] = drain(session)
    assert isinstance(closed, SessionClosed) and session.data_to_send() == b""


def test_the_comp_id_is_configurable() -> None:
    session, peer = new_session(comp_id="XCHG"), Peer(target="XCHG")
    session.receive_data(peer.logon(), T0)
    assert isinstance(session.next_event(), LogonRequest)


def test_sequence_numbers_restored_by_the_constructor_continue() -> None:
    session = FixSession(SessionConfig(), MemoryStore(), next_sender_seq=41, next_target_seq=7)
    peer = Peer(next_seq=7)
    session.receive_data(peer.logon(), T0)
    session.next_event()
    session.accept_logon(T0)
    [answer] = peer.read(session.data_to_send())
    assert answer.seq_num == 41
    assert (session.next_sender_seq, session.next_target_seq) == (42, 8)


def test_accept_logon_restores_the_peers_numbers_once_it_is_known() -> None:
    session, peer = new_session(), Peer(next_seq=12)
    session.receive_data(peer.logon(), T0)
    session.next_event()
    session.accept_logon(T0, next_sender_seq=30, next_target_seq=12)
    assert peer.read(session.data_to_send())[0].seq_num == 30
    assert session.next_target_seq == 13


def test_a_logon_numbered_below_the_expected_is_refused_as_too_low() -> None:
    session, peer = new_session(), Peer(next_seq=3)
    session.receive_data(peer.logon(), T0)
    session.next_event()
    session.accept_logon(T0, next_target_seq=5)
    assert closed_with_logout(session, peer) == "MsgSeqNum too low, expecting 5 but received 3"


def test_a_logon_numbered_above_the_expected_is_answered_then_a_resend_is_requested() -> None:
    session, peer = new_session(), Peer(next_seq=9)
    session.receive_data(peer.logon(), T0)
    session.next_event()
    session.accept_logon(T0, next_target_seq=4)
    logon, resend = peer.read(session.data_to_send())
    assert (logon.msg_type, resend.msg_type) == ("A", "2")
    assert (resend.get(Tag.BEGIN_SEQ_NO), resend.get(Tag.END_SEQ_NO)) == ("4", "0")
    # The peer fills 4..9 (its Logon included) with one gap fill; 10 is then in order.
    fill = peer.build("4", [(123, "Y"), (36, "10")], seq=4, poss_dup=True)
    session.receive_data(fill + peer.build("0"), T0)
    assert drain(session) == [] and session.next_target_seq == 11


def test_reset_seq_num_flag_restarts_both_sides_at_one_and_clears_the_store() -> None:
    store = MemoryStore()
    store.save(StoredMessage(3, "8", ((58, "old"),), "20240301-11:00:00.000"))
    session = FixSession(SessionConfig(), store, next_sender_seq=50, next_target_seq=60)
    peer = Peer()
    session.receive_data(peer.logon(reset=True), T0)
    assert isinstance(request := session.next_event(), LogonRequest) and request.reset_seq_num
    session.accept_logon(T0)
    [answer] = peer.read(session.data_to_send())
    assert (answer.seq_num, answer.get(Tag.RESET_SEQ_NUM_FLAG)) == (1, "Y")
    assert (session.next_sender_seq, session.next_target_seq, len(store)) == (2, 2, 0)


def test_a_second_logon_on_a_live_session_ends_it() -> None:
    session, peer = logged_on()
    session.receive_data(peer.logon(), T0)
    [closed] = drain(session)
    assert isinstance(closed, SessionClosed) and "Logon" in closed.reason


def test_answering_a_logon_that_was_not_asked_is_our_bug() -> None:
    session = new_session()
    with pytest.raises(LocalProtocolError):
        session.accept_logon(T0)
    session, _ = logged_on()
    with pytest.raises(LocalProtocolError):
        session.reject_logon("no", T0)


def test_sending_before_logon_is_our_bug() -> None:
    with pytest.raises(LocalProtocolError):
        new_session().send(admin.reject(1, SessionRejectReason.OTHER), T0)
