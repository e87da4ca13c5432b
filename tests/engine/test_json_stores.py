"""The named JSON sessions' stores: what each is owed, the store file, and a connection's
cursor through it (stored backlog, then live, with no gap and no duplicate)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from engine.config import FirmConfig, SessionConfig
from engine.domain.exchange import Exchange
from engine.domain.types import (
    CASH,
    Accepted,
    AddSymbol,
    Cancelled,
    CancelOrder,
    CancelReason,
    Command,
    Deposit,
    EndOfDay,
    Event,
    Expired,
    ExpireReason,
    Fill,
    Liquidity,
    NewOrder,
    OpenAccount,
    OrderType,
    Rejected,
    RejectReason,
    Replaced,
    ReplaceOrder,
    SelfTradePrevention,
    Side,
    TimeInForce,
)
from engine.event_records import EVENT_RECORD_SIZE
from engine.gateway.accounts import AccountRegistry
from engine.gateway.json_stores import (
    EventStore,
    JsonSessionStores,
    ReportCursor,
    Stored,
    first_number,
)
from engine.gateway.ledger import numbered_reports
from engine.gateway.report_store import ReportStore, ReportStoreError
from engine.session_ids import session_origin

AJ, AJ2 = session_origin("ALPHA", "AJ"), session_origin("ALPHA", "AJ2")
BJ = session_origin("BETA", "BJ")
A_OUCH = session_origin("ALPHA", "AO")  # an OUCH session of ALPHA: its stores are not these
ALPHA_CONNECTION = 3  # an anonymous JSON connection of ALPHA
OPERATOR = 4
LIMIT, DAY, BUY, SELL = OrderType.LIMIT, TimeInForce.DAY, Side.BUY, Side.SELL
STP = SelfTradePrevention.CANCEL_RESTING
FIRMS = (
    FirmConfig("ALPHA", "x", STP, (), (
        SessionConfig("AJ", "json", AJ, "A-1"), SessionConfig("AJ2", "json", AJ2, "A-1"),
        SessionConfig("AO", "ouch", A_OUCH, "A-1"),
    )),
    FirmConfig("BETA", "x", STP, (), (SessionConfig("BJ", "json", BJ, "B-1"),)),
)  # fmt: skip
SETUP: list[Command] = [
    AddSymbol(1, 0, "ACME", 100, 1, 1_000_000, 1000),
    OpenAccount(2, 0, "ALPHA", "A-1"),
    OpenAccount(3, 0, "BETA", "B-1"),
    Deposit(4, 0, "A-1", CASH, 10**12),
    Deposit(5, 0, "B-1", "ACME", 10_000),
    Deposit(6, 0, "B-1", CASH, 10**12),
]


def _new(
    seq: int, firm: str, account: str, side: Side, qty: int, clid: str, price: int = 1_000_000
) -> NewOrder:
    return NewOrder(seq, seq * 10, firm, account, "ACME", side, LIMIT, DAY, qty, price, clid)


def _flow() -> list[tuple[Command, int]]:
    """(command, origin): every way a report reaches, or does not reach, a named session."""
    return [(c, 0) for c in SETUP] + [
        (_new(7, "ALPHA", "A-1", BUY, 100, "aj-1"), AJ),  # AJ's own: answered to AJ
        (_new(8, "ALPHA", "A-1", BUY, 10, "ao-1"), A_OUCH),  # ALPHA's, over OUCH
        (_new(9, "ALPHA", "A-1", BUY, 10, "an-1"), ALPHA_CONNECTION),  # anonymous JSON
        (_new(10, "BETA", "B-1", SELL, 40, "b-1"), BJ),  # fills 40 of order 7
        (_new(11, "BETA", "B-1", SELL, 5, "b-2", 1_010_000), BJ),  # rests
        (ReplaceOrder(12, 120, "A-1", 7, 80, 1_000_000), AJ2),  # ALPHA's other named session
        (CancelOrder(13, 130, "A-1", 11), AJ),  # BETA's live order: told as unknown
        (CancelOrder(14, 140, "A-1", 8), AJ),  # cancels the OUCH session's order
        (OpenAccount(15, 150, "ALPHA", "A-2"), OPERATOR),  # opened at run time
        (Deposit(16, 160, "A-2", CASH, 10**9), OPERATOR),
        (_new(17, "ALPHA", "A-2", BUY, 5, "a2-1"), ALPHA_CONNECTION),
        (EndOfDay(18, 180, "ACME"), OPERATOR),  # expires what rests
    ]


def _apply(stores: JsonSessionStores, flow: list[tuple[Command, int]]) -> None:
    exchange = Exchange()
    for cmd, origin in flow:
        stores.apply(cmd.seq_no, origin, numbered_reports(exchange.submit(cmd)))


def _events(stores: JsonSessionStores, origin: int) -> list[tuple[int, type, int]]:
    """(seq_no, kind, order_id) of everything in ``origin``'s store."""
    store = stores.stores[origin]
    out = []
    for seq, _, event in store.read(1, store.count):
        order_id = getattr(event, "order_id", 0)
        out.append((seq, type(event), order_id))
    return out


@pytest.fixture
def stores(tmp_path: Path) -> JsonSessionStores:
    built = JsonSessionStores(tmp_path, FIRMS, AccountRegistry())
    _apply(built, _flow())
    return built


def test_a_named_session_gets_its_answers_and_every_report_of_its_firms_orders(
    stores: JsonSessionStores,
) -> None:
    assert set(stores.stores) == {AJ, AJ2, BJ}  # the OUCH session is the order stores'
    assert _events(stores, AJ) == [
        (7, Accepted, 7),  # its answer
        (10, Fill, 7),  # its order filled by BETA
        (12, Replaced, 7),  # another session's replace of the firm's order
        (13, Rejected, 11),  # its refused cancel
        (14, Cancelled, 8),  # its cancel of the OUCH session's order: once, not twice
        (18, Expired, 7),  # the firm's orders expire at the end of the day
        (18, Expired, 9),  # the anonymous connection's order
        (18, Expired, 17),  # on the account opened at run time
    ]
    # the other named session of ALPHA: the same order reports, none of AJ's answers
    assert _events(stores, AJ2) == [
        (10, Fill, 7),
        (12, Replaced, 7),
        (14, Cancelled, 8),
        (18, Expired, 7),
        (18, Expired, 9),
        (18, Expired, 17),
    ]
    assert _events(stores, BJ) == [
        (10, Accepted, 10), (10, Fill, 10), (11, Accepted, 11), (18, Expired, 11),
    ]  # fmt: skip


def test_another_firms_order_is_told_as_an_unknown_one(stores: JsonSessionStores) -> None:
    exchange = Exchange()
    truth = [exchange.submit(cmd) for cmd, _ in _flow()][12]  # seq 13: AJ cancels BETA's
    assert [e.reason for e in truth if isinstance(e, Rejected)] == [RejectReason.NOT_ORDER_OWNER]
    (_, _, refused), = stores.stores[AJ].read(4, 4)  # fmt: skip
    assert isinstance(refused, Rejected) and refused.order_id == 11
    assert refused.reason is RejectReason.UNKNOWN_ORDER and refused.account == "A-1"
    assert stores.accounts.firm_of("A-2") == "ALPHA"  # learnt from the AccountOpened


def test_the_stores_are_a_function_of_the_commands(tmp_path: Path) -> None:
    twice = JsonSessionStores(tmp_path / "b", FIRMS, AccountRegistry())
    flow = _flow()
    _apply(twice, flow)
    _apply(twice, flow)  # replayed (a catch-up over a stretch it holds): nothing twice
    once = JsonSessionStores(tmp_path / "a", FIRMS, AccountRegistry())
    _apply(once, flow)
    for origin in (AJ, AJ2, BJ):
        assert twice.stores[origin].read(1, 99) == once.stores[origin].read(1, 99)
        assert twice.stores[origin].path.read_bytes() == once.stores[origin].path.read_bytes()


def _samples() -> list[Stored]:
    return [
        (7, 0, Accepted(7, 7, "A-1", "aj-1")),
        (8, 1, Fill(7, "A-1", "ACME", BUY, 30, 1_000_000, 70, 80, Liquidity.MAKER, 8000000)),
        (9, 0, Rejected(9, "A-1", "", 3, RejectReason.UNKNOWN_ORDER, "no live order with that id")),
        (10, 0, Cancelled(7, "A-1", 70, CancelReason.USER)),
        (11, 2, Expired(7, "A-1", 5, ExpireReason.END_OF_DAY)),
        (12, 0, Replaced(7, "A-1", 50, 1_000_000, 20, True)),
    ]


def test_a_store_numbers_from_1_skips_what_it_has_and_cuts_a_torn_tail(tmp_path: Path) -> None:
    items = _samples()
    path = tmp_path / "ALPHA" / "AJ.events"
    store = EventStore(path)
    assert [n for n, _ in store.append(items[:4])] == [1, 2, 3, 4]
    assert store.append(items[:5]) == [(5, items[4])]  # idempotent by (seq_no, sub)
    store.close()
    with path.open("ab") as f:
        f.write(b"\x02" * (EVENT_RECORD_SIZE - 1))  # a torn record
    again = EventStore(path)
    assert again.count == 5 and again.read(1, 5) == items[:5]
    assert again.read(5, 99) == items[4:5] and again.read(9, 10) == []
    assert [n for n, _ in again.append(items)] == [6]
    again.close()


def test_a_file_of_another_kind_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.reports"
    ReportStore(path).close()
    with pytest.raises(ReportStoreError, match="not a report store"):
        EventStore(path)


def test_a_login_starts_where_it_asks_if_that_is_stored_else_with_the_next(
    tmp_path: Path,
) -> None:
    store = EventStore(tmp_path / "s.events")
    assert [first_number(n, store) for n in (0, 1, 5)] == [1, 1, 1]
    store.append(_samples()[:3])
    assert [first_number(n, store) for n in (0, 1, 2, 3, 4, 99)] == [4, 1, 2, 3, 4, 4]


def _event(seq: int) -> Stored:
    event: Event = Cancelled(seq, "A-1", 1, CancelReason.USER)
    return seq, 0, event


@pytest.mark.parametrize("chunk", [1, 2, 3, 100])
@pytest.mark.parametrize("first", [1, 4, 9])
def test_a_cursor_sends_the_backlog_then_the_live_reports_without_gap_or_duplicate(
    tmp_path: Path, chunk: int, first: int
) -> None:
    """Reports are stored between steps of the catch-up (as the loop may interleave them);
    what the connection is sent is exactly first .. the last stored, in order."""
    store = EventStore(tmp_path / "s.events")
    seq = 0

    def store_one() -> list[tuple[int, Stored]]:
        nonlocal seq
        seq += 1
        return store.append([_event(seq)])

    for _ in range(5):
        store_one()
    cursor = ReportCursor(store, first_number(first, store))
    sent: list[int] = []
    for step in itertools.count():
        if step < 4:  # stored while it catches up
            sent += [n for n, _ in cursor.fresh(store_one())]
        backlog = cursor.backlog(chunk)
        if not backlog:
            break
        sent += [n for n, _ in backlog]
    assert cursor.live
    for _ in range(3):
        sent += [n for n, _ in cursor.fresh(store_one())]
    start = first if first <= 5 else 6
    assert sent == list(range(start, store.count + 1))
    assert [s for s, _, _ in store.read(start, store.count)] == list(range(start, seq + 1))
