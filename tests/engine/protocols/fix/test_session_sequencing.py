"""MsgSeqNum rules: gaps and ResendRequests, too low, PossDup, SequenceReset, resend service,
session-level Rejects and the faults that end a session."""

from __future__ import annotations

import pytest

from engine.protocols.fix import reports
from engine.protocols.fix.codec import FixMessage
from engine.protocols.fix.events import ApplicationMessage, SessionClosed, SessionNotice
from engine.protocols.fix.session import FixSession
from engine.protocols.fix.states import LocalProtocolError, State
from engine.protocols.fix.tags import SessionRejectReason as R
from engine.protocols.fix.tags import Tag
from engine.protocols.fix.timestamps import format_utc_timestamp
from tests.engine.protocols.fix.peer import T0, Peer, drain, frame, logged_on, report

S = 10**9
ORDER = [(11, "c1"), (55, "ACME"), (54, "1"), (38, "100"), (40, "2"), (44, "10")]


def app_seqs(events: list[object]) -> list[int | None]:
    return [e.message.seq_num for e in events if isinstance(e, ApplicationMessage)]


def replies(session: FixSession, peer: Peer) -> list[FixMessage]:
    return peer.read(session.data_to_send())


def test_application_messages_in_sequence_are_delivered() -> None:
    session, peer = logged_on()
    session.receive_data(peer.build("D", ORDER) + peer.build("D", ORDER, poss_dup=True), T0)
    events = drain(session)
    assert app_seqs(events) == [2, 3]
    assert [e.message.poss_dup for e in events if isinstance(e, ApplicationMessage)] == [
        False,
        True,
    ]
    assert session.next_target_seq == 4


def test_a_gap_asks_one_resend_and_holds_later_messages_until_it_is_filled() -> None:
    session, peer = logged_on()
    missing = [peer.build("D", ORDER), peer.build("D", ORDER)]  # 2 and 3 get lost
    later = [peer.build("D", ORDER), peer.build("0"), peer.build("D", ORDER)]  # 4, 5, 6
    session.receive_data(b"".join(later), T0)
    events = drain(session)
    assert app_seqs(events) == [] and isinstance(events[0], SessionNotice)
    [resend] = replies(session, peer)  # one ResendRequest for the burst
    assert (resend.msg_type, resend.get(7), resend.get(16)) == ("2", "2", "0")
    # The peer resends 2 and 3 (PossDup, first sent at T0), then 4..6 are already here: all
    # come out in order.
    orig = b"\x01122=" + format_utc_timestamp(T0).encode()
    resent = [m.replace(b"\x0134=", orig + b"\x0143=Y\x0134=") for m in missing]
    session.receive_data(b"".join(frame_again(m) for m in resent), T0)
    assert app_seqs(drain(session)) == [2, 3, 4, 6]
    assert session.next_target_seq == 7 and replies(session, peer) == []


def frame_again(raw: bytes) -> bytes:
    """Re-frame an edited message (its BodyLength and CheckSum recomputed)."""
    body = raw[raw.index(b"\x01", raw.index(b"\x019=") + 1) + 1 : raw.rindex(b"\x0110=") + 1]
    return frame(body)


def test_a_gap_fill_jumping_over_held_messages_drops_them() -> None:
    session, peer = logged_on()
    peer.next_seq = 5
    session.receive_data(peer.build("0"), T0)  # 5 early; 2..4 missing
    drain(session)
    replies(session, peer)
    fill = peer.build("4", [(123, "Y"), (36, "6")], seq=2, poss_dup=True)
    session.receive_data(fill + peer.build("D", ORDER), T0)
    assert app_seqs(drain(session)) == [6]


def test_a_message_numbered_too_low_without_poss_dup_ends_the_session() -> None:
    session, peer = logged_on()
    session.receive_data(peer.build("0", seq=1), T0)
    [closed] = drain(session)
    assert isinstance(closed, SessionClosed)
    [logout] = replies(session, peer)
    assert logout.get(Tag.TEXT) == "MsgSeqNum too low, expecting 2 but received 1"


def test_a_poss_dup_numbered_too_low_is_ignored() -> None:
    session, peer = logged_on()
    session.receive_data(peer.build("D", ORDER), T0)
    drain(session)
    session.receive_data(peer.build("D", ORDER, seq=2, poss_dup=True), T0)
    assert drain(session) == [] and replies(session, peer) == []
    assert session.next_target_seq == 3


def test_a_poss_dup_in_sequence_needs_an_orig_sending_time_not_after_its_sending_time() -> None:
    session, peer = logged_on()
    header = [(49, "ALPHA"), (56, "SEQUEX"), (34, "2"), (43, "Y")]
    session.receive_data(peer.build("D", ORDER, header=header), T0)  # no OrigSendingTime
    assert app_seqs(drain(session)) == []
    [reject] = replies(session, peer)
    assert (reject.msg_type, reject.get(45), reject.get(373), reject.get(371)) == (
        "3", "2", "1", "122",
    )  # fmt: skip
    good = [(122, format_utc_timestamp(T0 - S))]  # first sent a second ago
    session.receive_data(peer.build("D", good + ORDER, seq=3, poss_dup=False, header=[
        (49, "ALPHA"), (56, "SEQUEX"), (34, "3"), (43, "Y")]), T0)  # fmt: skip
    assert app_seqs(drain(session)) == [3]
    later = [(122, format_utc_timestamp(T0 + S))]
    session.receive_data(peer.build("D", later + ORDER, header=[
        (49, "ALPHA"), (56, "SEQUEX"), (34, "4"), (43, "Y")]), T0)  # fmt: skip
    assert isinstance(drain(session)[-1], SessionClosed)
    assert [(m.msg_type, m.get(373)) for m in replies(session, peer)] == [("3", "10"), ("5", None)]


def test_sequence_reset_in_reset_mode_moves_the_expected_number_whatever_its_own() -> None:
    session, peer = logged_on()
    session.receive_data(peer.build("4", [(36, "20")], seq=99), T0)
    assert isinstance(drain(session)[0], SessionNotice) and session.next_target_seq == 20


def test_sequence_reset_may_not_move_the_number_back() -> None:
    session, peer = logged_on()
    session.receive_data(peer.build("4", [(36, "1")], seq=2), T0)
    drain(session)
    [reject] = replies(session, peer)
    assert (reject.msg_type, reject.get(373), reject.get(371)) == ("3", "5", "36")
    assert session.next_target_seq == 2


def test_a_gap_fill_with_a_new_seq_no_not_above_its_own_is_rejected() -> None:
    session, peer = logged_on()
    session.receive_data(peer.build("4", [(123, "Y"), (36, "2")]), T0)
    drain(session)
    [reject] = replies(session, peer)
    assert (reject.get(45), reject.get(373)) == ("2", "5")


def test_a_resend_request_is_answered_with_poss_dups_and_gap_fills() -> None:
    session, peer = logged_on()  # our 1 = Logon
    session.send(report(2), T0 + 1 * S)  # 2
    session.tick(T0 + 32 * S)  # 3: a Heartbeat (31 s since we last sent)
    session.tick(T0 + 37 * S)  # 4: a TestRequest (the peer silent for 37 s)
    session.send(report(5), T0 + 41 * S)  # 5
    first = replies(session, peer)
    assert [m.seq_num for m in first] == [2, 3, 4, 5]
    session.receive_data(peer.build("2", [(7, "2"), (16, "0")], now_ns=T0 + 42 * S), T0 + 42 * S)
    assert isinstance(drain(session)[0], SessionNotice)
    resent = replies(session, peer)
    assert [(m.msg_type, m.seq_num, m.get(36)) for m in resent] == [
        ("8", 2, None),
        ("4", 3, "5"),
        ("8", 5, None),
    ]
    assert all(m.get(43) == "Y" for m in resent)
    assert resent[0].get(122) == "20240301-12:00:01.000"  # the first SendingTime
    assert resent[0].get(52) == "20240301-12:00:42.000"
    header = {35, 49, 56, 34, 52, 43, 122}
    assert [f for f in resent[0].fields if f[0] not in header] == [
        f for f in first[0].fields if f[0] not in header
    ]
    assert session.next_sender_seq == 6  # resending takes no new numbers


def test_a_resend_request_for_a_closed_range_ends_with_a_gap_fill_to_its_end() -> None:
    session, peer = logged_on()
    for n in (2, 3, 4):
        session.send(report(n), T0)
    replies(session, peer)
    session.receive_data(peer.build("2", [(7, "1"), (16, "3")]), T0)
    drain(session)
    assert [(m.msg_type, m.seq_num, m.get(36)) for m in replies(session, peer)] == [
        ("4", 1, "2"),
        ("8", 2, None),
        ("8", 3, None),
    ]


def test_a_resend_in_batches_sends_the_same_messages_a_batch_at_a_time() -> None:
    whole, batched = (logged_on(resend_batch=n) for n in (0, 3))
    for session, peer in (whole, batched):
        for n in range(2, 9):  # 2..8, then a Heartbeat (9) and 10
            session.send(report(n), T0)
        session.tick(T0 + 31 * S)
        session.send(report(10), T0 + 31 * S)
        replies(session, peer)
        session.receive_data(
            peer.build("2", [(7, "1"), (16, "0")], now_ns=T0 + 40 * S), T0 + 40 * S
        )
        drain(session)
    everything = replies(*whole)
    assert not whole[0].resending
    session, peer = batched
    parts = [replies(session, peer)]
    while session.resending:
        session.send(report(99), T0 + 41 * S)  # what goes out meanwhile takes new numbers
        assert session.resend_more(T0 + 40 * S) > 0
        parts.append([m for m in replies(session, peer) if m.get(43) == "Y"])
    assert [[m.seq_num for m in part] for part in parts] == [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10]]
    assert [(m.msg_type, m.get(36)) for part in parts for m in part] == [
        (m.msg_type, m.get(36)) for m in everything
    ]
    assert session.next_sender_seq == 14 and session.resend_more(T0) == 0


@pytest.mark.parametrize(
    ("body", "reason", "tag"),
    [
        ([(7, "9"), (16, "0")], "5", "7"),  # beyond the last message we sent
        ([(7, "0"), (16, "0")], "5", "7"),
        ([(7, "3"), (16, "2")], "5", "7"),
        ([(16, "0")], "1", "7"),
        ([(7, "x"), (16, "0")], "6", "7"),
    ],
)
def test_a_resend_request_out_of_range_or_malformed_is_rejected(
    body: list[tuple[int, str]], reason: str, tag: str
) -> None:
    session, peer = logged_on()
    session.send(report(2), T0)
    replies(session, peer)
    session.receive_data(peer.build("2", body), T0)
    drain(session)
    [reject] = replies(session, peer)
    assert (reject.msg_type, reject.get(373), reject.get(371), reject.get(372)) == (
        "3",
        reason,
        tag,
        "2",
    )


def test_a_resend_request_arriving_early_is_served_at_once_and_its_gap_requested() -> None:
    session, peer = logged_on()
    session.send(report(2), T0)
    replies(session, peer)
    peer.next_seq = 4  # the peer's 2 and 3 are lost
    session.receive_data(peer.build("2", [(7, "2"), (16, "0")]), T0)
    drain(session)
    assert [(m.msg_type, m.seq_num) for m in replies(session, peer)] == [("8", 2), ("2", 3)]
    fill = peer.build("4", [(123, "Y"), (36, "4")], seq=2, poss_dup=True)
    session.receive_data(fill, T0)
    assert drain(session) == [] and session.next_target_seq == 5
    assert replies(session, peer) == []  # served once only


@pytest.mark.parametrize(
    ("body", "reason", "tag"),
    [
        (b"35=D|49=ALPHA|56=SEQUEX|34=2|52=20240301-12:00:00.000|55=A|55=B|", R(13), 55),
        (b"35=D|49=ALPHA|56=SEQUEX|34=2|52=20240301-12:00:00.000|58=|", R(4), 58),
        (b"35=D|49=ALPHA|56=SEQUEX|34=2|52=20240301-12:00:00.000|abc=1|", R(0), None),
        (b"35=ZZ|49=ALPHA|56=SEQUEX|34=2|52=20240301-12:00:00.000|", R(11), 35),
        (b"35=D|49=ALPHA|56=SEQUEX|34=2|", R(1), 52),
        (b"35=D|56=SEQUEX|34=2|52=20240301-12:00:00.000|", R(1), 49),
        (b"35=D|49=ALPHA|56=SEQUEX|34=2|52=2024-03-01|", R(6), 52),
        (b"35=1|49=ALPHA|56=SEQUEX|34=2|52=20240301-12:00:00.000|", R(1), 112),
        (b"49=ALPHA|35=D|56=SEQUEX|34=2|52=20240301-12:00:00.000|", R(14), 35),
    ],
)
def test_tag_level_faults_get_a_reject_and_use_up_their_number(
    body: bytes, reason: R, tag: int | None
) -> None:
    session, peer = logged_on()
    session.receive_data(frame(body), T0)
    [notice] = drain(session)
    assert isinstance(notice, SessionNotice) and session.state is State.ACTIVE
    [reject] = replies(session, peer)
    assert reject.msg_type == "3" and reject.get(Tag.REF_SEQ_NUM) == "2"
    assert reject.get(Tag.SESSION_REJECT_REASON) == str(int(reason))
    assert reject.get(Tag.REF_TAG_ID) == (None if tag is None else str(tag))
    assert session.next_target_seq == 3


def test_the_reject_names_the_message_type_when_it_is_a_fix_one() -> None:
    session, peer = logged_on()
    session.receive_data(peer.build("D", [(55, "A"), (55, "B")]), T0)
    drain(session)
    assert replies(session, peer)[0].get(Tag.REF_MSG_TYPE) == "D"


@pytest.mark.parametrize(
    ("header", "tag"),
    [
        ([(49, "BETA"), (56, "SEQUEX"), (34, "2")], "49"),
        ([(49, "ALPHA"), (56, "X"), (34, "2")], "56"),
    ],
)
def test_a_wrong_comp_id_gets_a_reject_then_a_logout(
    header: list[tuple[int, str]], tag: str
) -> None:
    session, peer = logged_on()
    session.receive_data(peer.build("D", ORDER, header=header), T0)
    [closed] = drain(session)
    assert isinstance(closed, SessionClosed) and "CompID" in closed.reason
    reject, logout = replies(session, peer)
    assert (reject.get(373), reject.get(371), logout.msg_type) == ("9", tag, "5")


def test_a_sending_time_far_from_our_clock_gets_a_reject_then_a_logout() -> None:
    session, peer = logged_on()
    session.receive_data(peer.build("0", now_ns=T0 - 300 * S), T0)
    assert isinstance(drain(session)[0], SessionClosed)
    reject, logout = replies(session, peer)
    assert (reject.get(373), reject.get(371), logout.msg_type) == ("10", "52", "5")


def test_a_tolerance_is_configurable() -> None:
    session, peer = logged_on(sending_time_tolerance_ns=1000 * S)
    session.receive_data(peer.build("0", now_ns=T0 - 300 * S), T0)
    assert drain(session) == []


def test_a_message_without_a_usable_msg_seq_num_ends_the_session() -> None:
    session, peer = logged_on()
    session.receive_data(frame(b"35=0|49=ALPHA|56=SEQUEX|34=x|52=20240301-12:00:00.000|"), T0)
    [closed] = drain(session)
    assert isinstance(closed, SessionClosed) and "MsgSeqNum" in closed.reason
    [logout] = replies(session, peer)
    assert logout.msg_type == "5" and "MsgSeqNum" in (logout.get(Tag.TEXT) or "")


def test_a_garbled_message_is_ignored_without_using_a_number() -> None:
    session, peer = logged_on()
    good = peer.build("D", ORDER)
    bad = good[:-4] + b"000\x01" if not good.endswith(b"000\x01") else good[:-4] + b"001\x01"
    session.receive_data(bad + good, T0)
    events = drain(session)
    assert isinstance(events[0], SessionNotice) and "garbled" in events[0].text
    assert app_seqs(events) == [2] and replies(session, peer) == []


def test_unframeable_bytes_end_the_session_with_a_logout() -> None:
    session, peer = logged_on()
    session.receive_data(b"hello\r\n", T0)
    [closed] = drain(session)
    assert isinstance(closed, SessionClosed)
    assert [m.msg_type for m in replies(session, peer)] == ["5"]


def test_the_peers_logout_is_answered_and_closes_the_session() -> None:
    session, peer = logged_on()
    session.receive_data(peer.build("5", [(58, "bye")]), T0)
    [closed] = drain(session)
    assert isinstance(closed, SessionClosed) and "bye" in closed.reason
    assert [m.msg_type for m in replies(session, peer)] == ["5"]


def test_our_logout_waits_for_the_peers_then_closes() -> None:
    session, peer = logged_on()
    session.logout("end of day", T0)
    assert replies(session, peer)[0].get(Tag.TEXT) == "end of day"
    session.receive_data(peer.build("D", ORDER), T0)  # still delivered while logging out
    assert app_seqs(drain(session)) == [2]
    with pytest.raises(LocalProtocolError):
        session.send(report(3), T0)
    session.receive_data(peer.build("5"), T0)
    assert isinstance(drain(session)[0], SessionClosed)
    assert replies(session, peer) == []  # no second Logout


def test_our_logout_closes_anyway_when_the_peer_does_not_answer() -> None:
    session, _ = logged_on()
    session.logout(None, T0)
    assert session.tick(T0 + 4 * S) is None
    assert isinstance(session.tick(T0 + 5 * S), SessionClosed)


def test_too_many_messages_behind_a_gap_end_the_session() -> None:
    session, peer = logged_on(max_queued=3)
    peer.next_seq = 10
    session.receive_data(b"".join(peer.build("0") for _ in range(4)), T0)
    events = drain(session)
    assert isinstance(events[-1], SessionClosed) and "gap" in events[-1].reason


def test_end_of_input_closes_the_session() -> None:
    session, _ = logged_on()
    session.receive_data(b"", T0)
    [closed] = drain(session)
    assert isinstance(closed, SessionClosed) and session.closed
    assert isinstance(session.next_event(), SessionClosed)  # sticky


def test_a_peer_reject_is_a_notice() -> None:
    session, peer = logged_on()
    session.receive_data(peer.build("3", [(45, "1"), (58, "nope")]), T0)
    [notice] = drain(session)
    assert isinstance(notice, SessionNotice) and "nope" in notice.text


def test_the_session_sends_its_own_administrative_messages() -> None:
    session, _ = logged_on()
    with pytest.raises(LocalProtocolError):
        session.send(reports.OutboundMessage("5", ()), T0)
