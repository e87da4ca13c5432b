"""The drills' verifier against hand-built ledgers and journals: a faithful ledger passes, and
each way a host or a gateway could betray a client is caught (hypothesis picks which order,
which fill, which session)."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from tools.drills.facts import FillFact, JournalFacts
from tools.drills.ledger import FillSeen, Ledger
from tools.drills.verify import verify

HASH = "00000000deadbeef"


@dataclasses.dataclass
class World:
    """A journal of ``n`` accepted orders (seq 10+i, two sessions taking turns), each pair
    trading once, and the ledger of clients that were told all of it, exactly once."""

    ledger: Ledger
    facts: JournalFacts


def faithful(n: int, fix_style: bool = False) -> World:
    facts = JournalFacts(last_seq=10 + n, live_state_hash=HASH)
    ledger = Ledger()
    sessions = ("S1", "S2")
    for name in sessions:
        trace = ledger.trace(name, "fix" if fix_style else "ouch")
        trace.logins = 2
    numbers = {name: 0 for name in sessions}

    def tell(name: str) -> None:
        numbers[name] += 1
        ledger.sessions[name].numbers.append(numbers[name])

    for i in range(n):
        seq, cid, name = 10 + i, f"c{i}", sessions[i % 2]
        facts.new_orders[cid] = [seq]
        facts.accepted[seq] = (seq, cid)
        ledger.sent(cid, name)
        ledger.acked(cid, seq, seq)
        tell(name)
    for i in range(0, n - 1, 2):  # order i rested, order i+1 took it at seq of i+1
        taker, maker = 10 + i + 1, 10 + i
        for sub, order_id, name in ((1, taker, sessions[(i + 1) % 2]), (2, maker, sessions[i % 2])):
            facts.fills.append(FillFact(taker, sub, order_id, taker * 1000, 5, 1_000_000))
            event = (taker, sub) if fix_style else None
            exec_id = 0 if fix_style else taker * 1000
            ledger.fills.append(FillSeen(name, order_id, 5, 1_000_000, exec_id, event))
            tell(name)
    return World(ledger, facts)


sizes = st.integers(min_value=4, max_value=30)


@given(sizes, st.booleans())
def test_a_faithful_ledger_passes(n: int, fix_style: bool) -> None:
    world = faithful(n, fix_style)
    verdict = verify(world.ledger, world.facts, HASH, kills=1)
    assert verdict.findings == []
    assert verdict.acked == n and verdict.trades == n // 2


@given(sizes, st.data())
def test_an_acknowledged_order_missing_from_the_journal_is_lost(
    n: int, data: st.DataObject
) -> None:
    world = faithful(n)
    i = data.draw(st.integers(0, n - 1))
    del world.facts.new_orders[f"c{i}"]
    verdict = verify(world.ledger, world.facts, HASH, kills=1)
    assert len(verdict.lost) == 1 and f"c{i} " in verdict.lost[0]


@given(sizes, st.data(), st.booleans())
def test_an_order_journaled_twice_is_duplicated_acked_or_not(
    n: int, data: st.DataObject, acked: bool
) -> None:
    world = faithful(n)
    i = data.draw(st.integers(0, n - 1))
    world.facts.new_orders[f"c{i}"].append(10 + n + 1)
    if not acked:
        world.ledger.orders[f"c{i}"].ack = None
    verdict = verify(world.ledger, world.facts, HASH, kills=1)
    assert len(verdict.duplicated) == 1 and f"c{i} " in verdict.duplicated[0]


@given(sizes, st.data())
def test_an_unacknowledged_order_may_be_missing(n: int, data: st.DataObject) -> None:
    world = faithful(n)
    i = data.draw(st.integers(0, n - 1))
    world.ledger.sent(f"never{i}", "S1")  # sent, the host died before it was journaled
    verdict = verify(world.ledger, world.facts, HASH, kills=1)
    assert verdict.findings == [] and verdict.unacked == 1


@given(sizes, st.data(), st.sampled_from(["order_id", "seq_no", "other_order"]))
def test_an_ack_with_a_wrong_id_is_caught(n: int, data: st.DataObject, wrong: str) -> None:
    world = faithful(n)
    i = data.draw(st.integers(0, n - 2))
    entry = world.ledger.orders[f"c{i}"]
    assert entry.ack is not None
    order_id, seq_no = entry.ack
    entry.ack = {
        "order_id": (order_id + 1000, seq_no),
        "seq_no": (order_id, seq_no + 1),
        "other_order": (order_id + 1, seq_no + 1),  # another order's ack, consistently wrong
    }[wrong]
    verdict = verify(world.ledger, world.facts, HASH, kills=1)
    assert len(verdict.wrong_acks) == 1 and f"c{i} " in verdict.wrong_acks[0]


@given(sizes, st.data())
def test_two_different_acks_for_one_order_are_caught(n: int, data: st.DataObject) -> None:
    world = faithful(n)
    i = data.draw(st.integers(0, n - 1))
    world.ledger.acked(f"c{i}", 10 + i + 1, 10 + i + 1)
    verdict = verify(world.ledger, world.facts, HASH, kills=1)
    assert any("twice" in w for w in verdict.wrong_acks)


@given(sizes, st.data(), st.booleans())
def test_a_fill_told_twice_is_caught_unless_flagged_as_a_resend(
    n: int, data: st.DataObject, fix_style: bool
) -> None:
    world = faithful(n, fix_style)
    seen = data.draw(st.sampled_from(world.ledger.fills))
    world.ledger.fills.append(seen)
    assert len(verify(world.ledger, world.facts, HASH, kills=1).fills) == 1
    world.ledger.fills[-1] = dataclasses.replace(seen, resent=True)
    assert verify(world.ledger, world.facts, HASH, kills=1).fills == []


@given(sizes, st.data(), st.sampled_from(["qty", "price", "order_id"]), st.booleans())
def test_a_fill_told_with_other_content_is_caught(
    n: int, data: st.DataObject, field: str, fix_style: bool
) -> None:
    world = faithful(n, fix_style)
    i = data.draw(st.integers(0, len(world.ledger.fills) - 1))
    seen = world.ledger.fills[i]
    changed = dataclasses.replace(seen, **{field: getattr(seen, field) + 1})
    world.ledger.fills[i] = changed
    verdict = verify(world.ledger, world.facts, HASH, kills=1)
    # told what no execution is, or what another order's execution is (so this one's owed
    # fill was never told)
    assert verdict.fills or verdict.undelivered


@given(sizes, st.data(), st.booleans())
def test_a_fill_twice_with_different_content_is_caught(
    n: int, data: st.DataObject, fix_style: bool
) -> None:
    world = faithful(n, fix_style)
    seen = data.draw(st.sampled_from(world.ledger.fills))
    world.ledger.fills.append(dataclasses.replace(seen, qty=seen.qty + 1, resent=True))
    verdict = verify(world.ledger, world.facts, HASH, kills=1)
    assert any("twice" in f for f in verdict.fills)


@given(sizes, st.data(), st.booleans())
def test_a_fill_owed_and_never_delivered_is_caught(
    n: int, data: st.DataObject, fix_style: bool
) -> None:
    world = faithful(n, fix_style)
    i = data.draw(st.integers(0, len(world.ledger.fills) - 1))
    gone = world.ledger.fills.pop(i)
    verdict = verify(world.ledger, world.facts, HASH, kills=1)
    assert len(verdict.undelivered) == 1
    assert f"order {gone.order_id} " in verdict.undelivered[0]


@given(sizes, st.data())
def test_an_ack_owed_and_never_delivered_is_caught(n: int, data: st.DataObject) -> None:
    world = faithful(n)
    i = data.draw(st.integers(0, n - 1))
    world.ledger.orders[f"c{i}"].ack = None  # journaled and accepted; the client never heard
    verdict = verify(world.ledger, world.facts, HASH, kills=1)
    assert verdict.undelivered == [
        f"{world.ledger.orders[f'c{i}'].session} never read the ack of c{i}"
    ]


@given(sizes, st.data(), st.sampled_from(["gap", "repeat"]))
def test_session_numbers_with_a_gap_or_a_repeat_are_caught(
    n: int, data: st.DataObject, fault: str
) -> None:
    world = faithful(n)
    numbers = world.ledger.sessions["S1"].numbers
    i = data.draw(st.integers(0, len(numbers) - 1))
    if fault == "gap":
        del numbers[i]
        if i == len(numbers):  # the last one dropped leaves no gap to see: drop the first
            del numbers[0]
    else:
        numbers.insert(i, numbers[i])
    verdict = verify(world.ledger, world.facts, HASH, kills=1)
    assert len(verdict.sessions) == 1 and "S1" in verdict.sessions[0]


def test_a_session_that_did_not_log_in_again_after_the_kill_is_caught() -> None:
    world = faithful(6)
    world.ledger.sessions["S2"].logins = 1
    verdict = verify(world.ledger, world.facts, HASH, kills=1)
    assert verdict.sessions == ["S2: logged in 1 time(s) over 1 kill(s)"]


def test_a_host_hash_other_than_the_replay_is_caught() -> None:
    world = faithful(6)
    verdict = verify(world.ledger, world.facts, "0123456789abcdef", kills=1)
    assert len(verdict.state) == 1 and not verdict.ok


def test_a_probe_order_is_verified_but_owed_nothing() -> None:
    world = faithful(4)
    world.ledger.sent("probe-1", "probe")  # no session trace: not a recovering session
    world.facts.new_orders["probe-1"] = [14]
    world.facts.accepted[14] = (14, "probe-1")
    assert verify(world.ledger, world.facts, HASH, kills=1).findings == []
    world.ledger.acked("probe-1", 15, 15)
    assert len(verify(world.ledger, world.facts, HASH, kills=1).wrong_acks) == 1
