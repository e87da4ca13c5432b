"""The correlation of one connection's reports with its orders (``tools.loadgen.correlate``):
every rule of its contract, against a plain model of it over random report streams."""

from __future__ import annotations

from array import array
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from tools.loadgen.clients import ACK, DONE, ERROR, FILL, MAKER, REJECT, TAKER, Report
from tools.loadgen.correlate import Correlator

PREFIX = "abcd01"
RATE = 1_000
CONNECTIONS = 3
INDEX = 1
START = 5_000_000_000


def correlator(orders: int) -> tuple[Correlator, tuple[array[int], ...]]:
    buffers = (array("q"), array("q"), array("q"), array("q"))
    c = Correlator(PREFIX, INDEX, CONNECTIONS, RATE, orders, buffers)
    c.start = START
    return c, buffers


def due(n: int) -> int:
    return START + (INDEX + (n - 1) * CONNECTIONS) * 1_000_000_000 // RATE


def test_an_order_is_acked_then_filled_once_with_its_latencies() -> None:
    c, (ack, service, fill, taker) = correlator(3)
    c.sent(1, 3, due(3) + 10_000)
    assert c.awaiting_ack == 3
    t = due(3) + 2_000_000
    c.take([(ACK, f"{PREFIX}00000002", t, ""), (FILL, f"{PREFIX}00000002", t + 1000, TAKER)])
    c.take([(FILL, f"{PREFIX}00000002", t + 9000, MAKER)])  # a second fill counts nothing
    assert (c.acked, c.filled, c.awaiting_ack, c.unanswered()) == (1, 1, 2, 2)
    assert list(ack) == [(t - due(2)) // 1000]
    assert list(service) == [(t - due(3) - 10_000) // 1000]
    assert list(fill) == list(taker) == [(t + 1000 - due(2)) // 1000]
    assert c.last_ack == t


def test_other_ids_and_answers_out_of_turn_count_nothing_but_an_anonymous_refusal() -> None:
    c, buffers = correlator(2)
    c.sent(1, 2, START)
    c.take(
        [
            (ACK, "zzzz0100000001", 1, ""),  # another connection's prefix
            (ACK, f"{PREFIX}0000001", 1, ""),  # too short
            (ACK, f"{PREFIX}0000000x", 1, ""),  # not a number
            (ACK, f"{PREFIX}00000009", 1, ""),  # never sent
            (FILL, f"{PREFIX}00000001", 1, ""),  # not acked yet
            (DONE, f"{PREFIX}00000001", 1, "canceled: Q"),  # not acked yet
            (ERROR, "zzzz0100000001", 1, "bad"),  # names another's order
            (ERROR, "", 1, "throttled"),  # names none: counts
        ]
    )
    assert (c.acked, c.filled, c.ended, c.refused, c.awaiting_ack) == (0, 0, 0, 1, 2)
    assert c.reasons == Counter({"refused: throttled": 1})
    assert all(len(b) == 0 for b in buffers)


def test_rejects_refusals_and_ends_each_take_an_order_once() -> None:
    c, _ = correlator(4)
    c.sent(1, 4, START)
    ids = [f"{PREFIX}{n:08d}" for n in range(1, 5)]
    c.take(
        [
            (REJECT, ids[0], 1, "insufficient_funds"),
            (ACK, ids[0], 2, ""),  # answered already
            (ERROR, ids[1], 1, "bad_price"),
            (REJECT, ids[1], 1, "late"),
            (ACK, ids[2], 1, ""),
            (REJECT, ids[2], 1, "after the ack"),
            (DONE, ids[2], 2, "canceled: I"),
            (FILL, ids[2], 3, ""),
        ]
    )
    assert (c.acked, c.rejected, c.refused, c.ended, c.filled) == (1, 1, 1, 1, 0)
    assert c.reasons == Counter(
        {"rejected: insufficient_funds": 1, "refused: bad_price": 1, "ended: canceled: I": 1}
    )
    assert c.unanswered() == 1 and c.awaiting_ack == 1


_report = st.tuples(
    st.sampled_from([ACK, FILL, DONE, REJECT, ERROR]),
    st.one_of(st.integers(0, 7).map(lambda n: f"{PREFIX}{n:08d}"), st.sampled_from(["", "x"])),
    st.integers(START, START + 10**10),
    st.sampled_from(["", MAKER, TAKER, "why"]),
)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 6), st.lists(st.lists(_report, max_size=6), max_size=8))
def test_random_streams_follow_the_plain_model(sent: int, batches: list[list[Report]]) -> None:
    c, (ack, service, fill, taker) = correlator(6)
    if sent:
        c.sent(1, sent, START + 1)
    state = {n: "ack" for n in range(1, sent + 1)}
    model = Counter[str]()
    acks: list[int] = []
    fills: list[int] = []
    takers: list[int] = []
    for batch in batches:
        c.take(batch)
        for kind, oid, ts, detail in batch:
            n = int(oid[len(PREFIX) :]) if oid.startswith(PREFIX) else 0
            now = state.get(n)
            if kind == ACK and now == "ack":
                state[n] = "fill"
                model["acked"] += 1
                acks.append((ts - due(n)) // 1000)
            elif kind in (FILL, DONE) and now == "fill":
                state[n] = "done"
                model["filled" if kind == FILL else "ended"] += 1
                if kind == FILL:
                    fills.append((ts - due(n)) // 1000)
                    if detail != MAKER:
                        takers.append((ts - due(n)) // 1000)
            elif kind in (REJECT, ERROR) and now == "ack":
                state[n] = "done"
                model["rejected" if kind == REJECT else "refused"] += 1
            elif kind == ERROR and not oid:
                model["refused"] += 1
    got = {k: getattr(c, k) for k in ("acked", "filled", "ended", "rejected", "refused")}
    assert got == {k: model[k] for k in got}
    assert list(ack) == acks and len(service) == len(acks)
    assert list(fill) == fills and list(taker) == takers
    assert c.unanswered() == c.awaiting_ack == sum(s == "ack" for s in state.values())
