"""The Logon side of a FIX session: the first message, the caller's answer to it, and a
Logon that resets the numbers of a session logged on.

:func:`first_message` checks the Logon a connection must start with (:mod:`.logon`) and its
SendingTime, and pauses the session for the caller (a :class:`~.logon.LogonRequest`).
:func:`accept` logs the peer on: it restores the numbers and store the caller keeps for that
peer, applies ResetSeqNumFlag(141)=Y, checks the Logon's MsgSeqNum against the expected one
and answers with our Logon, asking for a gap if the peer's number is ahead.

**NextExpectedMsgSeqNum(789)** (FIX 4.4, "Logon message NextExpectedMsgSeqNum processing"):
a Logon may say which MsgSeqNum the peer expects from us next. Equal to our next number:
nothing to do. Lower: the messages from it up to our Logon are recovered at once, as for a
ResendRequest (stored application messages again with PossDupFlag=Y, gap fills for the
rest), without the peer asking. Higher: the peer has seen numbers we never sent, which
nothing can recover: Logout saying so, and the session ends. Our Logon then carries 789 too,
the number we expect from the peer next. The spec also says that neither side should ask
for a gap that the other's Logon reveals, but expect it filled unasked; we still send a
ResendRequest for such a gap: it costs a peer that follows the spec one duplicate resend,
which it ignores, and saves a session with a peer that does not recover unasked.

**ResetSeqNumFlag(141)=Y in the middle of a session** (:func:`second_logon`): a Logon with
141=Y and MsgSeqNum 1 on a session logged on restarts both sides at 1. We answer with our own
Logon 141=Y, numbered 1; the message store is emptied (nothing sent before can be resent),
anything held behind a gap and a resend under way are dropped. Any other Logon on a session
that is logged on is a fault that ends it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.protocols.fix import admin
from engine.protocols.fix.codec import FixMessage
from engine.protocols.fix.events import SessionEvent, SessionNotice
from engine.protocols.fix.heartbeat import HeartbeatTimer
from engine.protocols.fix.logon import check_logon
from engine.protocols.fix.sequencing import SeqVerdict
from engine.protocols.fix.states import State
from engine.protocols.fix.states import Trigger as _T
from engine.protocols.fix.store import OutboundStore
from engine.protocols.fix.tags import Tag
from engine.protocols.fix.timestamps import parse_utc_timestamp

if TYPE_CHECKING:
    from engine.protocols.fix.session import FixSession

__all__ = ["accept", "first_message", "second_logon"]


def first_message(session: FixSession, msg: FixMessage) -> SessionEvent:
    """The first message of the connection: a LogonRequest for the caller, or the end."""
    config, out = session.config, session._out
    checked = check_logon(
        msg,
        comp_id=config.comp_id,
        min_heart_bt_int=config.min_heart_bt_int,
        max_heart_bt_int=config.max_heart_bt_int,
    )
    if isinstance(checked, str):
        sender = msg.get(Tag.SENDER_COMP_ID)
        out.target_comp_id = sender or ""
        return session._fatal(checked, say_why=sender is not None)
    sent = parse_utc_timestamp(msg.get(Tag.SENDING_TIME) or "")
    if sent is None or abs(sent - session._now) > config.sending_time_tolerance_ns:
        out.target_comp_id = checked.sender_comp_id
        return session._fatal("SendingTime(52) missing or too far from our clock")
    session.logon = checked
    out.target_comp_id = checked.sender_comp_id
    session._advance(_T.RECV_LOGON)
    return checked


def accept(
    session: FixSession,
    now_ns: int,
    *,
    next_sender_seq: int | None,
    next_target_seq: int | None,
    store: OutboundStore | None,
) -> None:
    """``FixSession.accept_logon``: log the pending peer on (see the module docstring)."""
    session._advance(_T.ACCEPT_LOGON)
    logon = session.logon
    assert logon is not None
    out, inbound = session._out, session._in
    session._now = now_ns
    if store is not None:
        out.store = store
    if next_sender_seq is not None:
        out.next_seq = next_sender_seq
    if next_target_seq is not None:
        inbound.next_seq = next_target_seq
    if logon.reset_seq_num:
        out.next_seq = 1
        inbound.next_seq = 1
        out.store.reset()
    session._hb = HeartbeatTimer(logon.heart_bt_int, now_ns)
    seq = logon.msg_seq_num
    verdict = inbound.classify(seq, poss_dup=False)
    if verdict is SeqVerdict.TOO_LOW:
        expected = inbound.next_seq
        session._fatal(f"MsgSeqNum too low, expecting {expected} but received {seq}")
        return
    they_expect, ours = logon.next_expected_seq, out.next_seq
    if they_expect is not None and they_expect > ours:
        session._fatal(
            f"NextExpectedMsgSeqNum(789) {they_expect} is higher than our next MsgSeqNum "
            f"{ours}: messages we never sent cannot be recovered"
        )
        return
    in_order = verdict is SeqVerdict.IN_ORDER
    we_expect = None if they_expect is None else seq + 1 if in_order else inbound.next_seq
    answer = admin.logon(
        logon.heart_bt_int, reset_seq_num=logon.reset_seq_num, next_expected_seq=we_expect
    )
    session._send_admin(answer)
    if they_expect is not None and they_expect < ours:
        session._resend(they_expect, ours - 1)  # up to our Logon, which took ``ours``
    if in_order:
        inbound.consume(seq)
    else:  # the Logon is processed now; its number waits for the gap to fill
        assert logon.message is not None
        inbound.hold(seq, logon.message, served=True)
        gap = inbound.gap_to_request(seq)
        if gap is not None:
            session._send_admin(admin.resend_request(gap, 0))


def second_logon(session: FixSession, msg: FixMessage) -> SessionEvent:
    """A Logon on a logged-on session (whatever its MsgSeqNum: the session calls this before
    classifying the number, as a reset's is 1): with ResetSeqNumFlag=Y both sides restart at
    1 (see the module docstring), else the session ends."""
    if msg.get(Tag.RESET_SEQ_NUM_FLAG) != "Y":
        return session._fatal("Logon received on a session that is logged on")
    if session.state is not State.ACTIVE:
        return session._fatal("Logon with ResetSeqNumFlag(141)=Y received while logging out")
    config = session.config
    checked = check_logon(
        msg,
        comp_id=config.comp_id,
        min_heart_bt_int=config.min_heart_bt_int,
        max_heart_bt_int=config.max_heart_bt_int,
    )
    if isinstance(checked, str):
        return session._fatal(checked)
    session._out.reset()
    session._in.reset(checked.msg_seq_num + 1)  # the Logon was number 1
    session._hb = HeartbeatTimer(checked.heart_bt_int, session._now)
    we_expect = None if checked.next_expected_seq is None else session._in.next_seq
    answer = admin.logon(checked.heart_bt_int, reset_seq_num=True, next_expected_seq=we_expect)
    session._send_admin(answer)
    return SessionNotice("Logon with ResetSeqNumFlag(141)=Y: both MsgSeqNums restarted at 1")
