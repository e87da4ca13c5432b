"""The FIX drill session's inbound numbering, bytes in and trace out (no socket): messages
are taken in MsgSeqNum order whatever order they arrive in, a resend fills a gap, a repeat is
ignored only when flagged PossDupFlag=Y, a gap fill counts as the numbers it covers, and a gap
never filled is a fault at the close."""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import strategies as st

from engine.protocols.fix.codec import encode
from tools.drills.ledger import Ledger
from tools.drills.session import SessionSpec
from tools.drills.session_fix import FixSession

SPEC = SessionSpec("ALPHAFIX", "fix", "ALPHA", "alpha-pass", "ALPHA-1")


def message(seq: int, *, dup: bool = False, msg_type: str = "0", **extra: str) -> bytes:
    header = [(49, "SEQUEX"), (56, "ALPHAFIX"), (34, str(seq)), (52, "20261206-12:00:00.000")]
    if dup:
        header += [(43, "Y"), (122, "20261206-11:59:59.000")]
    return encode(msg_type, header + [(int(k[1:]), v) for k, v in extra.items()])


def session() -> FixSession:
    return FixSession(SPEC, Ledger())


def feed(fix: FixSession, data: bytes) -> None:
    fix._feed(data)


@given(st.permutations(list(range(1, 12))))
def test_messages_in_any_order_are_taken_in_msgseqnum_order(order: list[int]) -> None:
    fix = session()
    for seq in order:
        feed(fix, message(seq, dup=seq != order[0]))
    assert fix.trace.numbers == list(range(1, 12))
    assert fix.trace.faults == []


@given(st.integers(2, 9))
def test_a_repeat_is_ignored_when_flagged_and_a_fault_when_not(seq: int) -> None:
    fix = session()
    for n in range(1, 11):
        feed(fix, message(n))
    feed(fix, message(seq, dup=True))
    assert fix.trace.faults == []
    feed(fix, message(seq))
    assert len(fix.trace.faults) == 1 and f"MsgSeqNum {seq} again" in fix.trace.faults[0]
    assert fix.trace.numbers == list(range(1, 11))


def test_a_gap_fill_takes_the_numbers_it_covers() -> None:
    fix = session()
    feed(fix, message(1))
    feed(fix, message(5))  # held behind 2..4
    feed(fix, message(2, dup=True, msg_type="4", t123="Y", t36="5"))
    assert fix.trace.numbers == [1, 2, 3, 4, 5]


def test_a_gap_never_filled_is_a_fault_at_the_close() -> None:
    fix = session()
    feed(fix, message(1))
    feed(fix, message(3))
    asyncio.run(fix.close(0.1))
    assert fix.trace.numbers == [1]
    assert fix.trace.faults == [
        "1 message(s) from MsgSeqNum 3 on held behind a gap that was never filled (expected 2)"
    ]
