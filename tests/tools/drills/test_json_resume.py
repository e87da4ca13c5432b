"""The JSON drill session's resume, lines in and ledger out (no socket): it asks for the number
after the last it read, and an order unanswered at a drop is given up only once every report
stored before the new login has been read (it may still be answered among them)."""

from __future__ import annotations

import asyncio
import json

from tools.drills.ledger import Ledger
from tools.drills.session import Order, SessionSpec
from tools.drills.session_json import JsonSession

SPEC = SessionSpec("ALPHAJSON", "json", "ALPHA", "alpha-pass", "ALPHA-1")
ORDER = Order("ACME", "buy", 5, 1_000_000)


def line(**fields: object) -> bytes:
    return json.dumps(fields).encode() + b"\n"


def accepted(n: int, cid: str, seq: int) -> bytes:
    return line(
        n=n, seq=seq, sub=0, type="accepted", order_id=seq, seq_no=seq, account="ALPHA-1",
        client_order_id=cid,
    )  # fmt: skip


async def _drop_and_resume(answered_in_backlog: bool) -> tuple[JsonSession, str, str]:
    session = JsonSession(SPEC, Ledger())
    session.logged_in.set()
    assert session._login_answer(line(type="login_ok", last=0))
    one = await session.new_order("a1", ORDER)
    two = await session.new_order("a2", ORDER)
    session._feed(accepted(1, "a1", 20))
    # the host dies; the new login asks for number 2, and the store holds up to 3
    assert json.loads(session._login_bytes(first=False))["from"] == 2
    assert session._login_answer(line(type="login_ok", **{"from": 2, "last": 3}))
    session._recovered(list(session.pending))
    assert not two.done()  # its answer may be in the backlog
    session._feed(line(n=2, seq=21, sub=1, type="cancelled", order_id=19, account="ALPHA-1"))
    assert not two.done()
    if answered_in_backlog:
        session._feed(accepted(3, "a2", 22))
    else:
        session._feed(line(n=3, seq=23, sub=1, type="expired", order_id=18, account="ALPHA-1"))
    return session, one.result(), two.result()


def test_an_order_answered_in_the_backlog_is_acknowledged() -> None:
    session, one, two = asyncio.run(_drop_and_resume(answered_in_backlog=True))
    assert (one, two) == ("accepted", "accepted")
    assert session.ledger.orders["a2"].ack == (22, 22)
    assert session.trace.numbers == [1, 2, 3]


def test_an_order_missing_from_the_whole_backlog_is_given_up() -> None:
    session, one, two = asyncio.run(_drop_and_resume(answered_in_backlog=False))
    assert (one, two) == ("accepted", "unanswered")
    assert session.ledger.orders["a2"].ack is None
