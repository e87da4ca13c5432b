"""The ClOrdIDs of the FIX sessions' days (``engine.gateway.clordids``): what each names, what
an EndOfDay forgets, and the same answers from a ledger that was reopened, or that crashed
and caught up from the journal, as from the ledger that never stopped."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.config import FirmConfig, SessionConfig
from engine.domain.exchange import Exchange
from engine.domain.types import (
    CASH,
    AddSymbol,
    CancelOrder,
    Command,
    Deposit,
    EndOfDay,
    NewOrder,
    OpenAccount,
    OrderType,
    ReplaceOrder,
    SelfTradePrevention,
    Side,
    TimeInForce,
)
from engine.gateway.clordids import DayClOrdIds, InFlight, Known, Used
from engine.gateway.ledger import ReportLedger, catch_up, numbered_reports
from engine.gateway.outbound import OrderReport, ReportKind
from engine.rebuild import take_snapshot
from engine.session_ids import session_origin
from tests.engine.test_outbound_ledger import _journal

F = session_origin("ALPHA", "AF")
G = session_origin("BETA", "BF")
OB = session_origin("BETA", "BO")  # an OUCH session: no ClOrdIDs kept
JSON = 7  # the operator's connection
FIRMS = (
    FirmConfig("ALPHA", "x", SelfTradePrevention.CANCEL_RESTING, (),
               (SessionConfig("AF", "fix", F, "A-1"),)),
    FirmConfig("BETA", "x", SelfTradePrevention.CANCEL_RESTING, (),
               (SessionConfig("BF", "fix", G, "B-1"), SessionConfig("BO", "ouch", OB, "B-1"))),
)  # fmt: skip
LIMIT, DAY, GTC, BUY, SELL = OrderType.LIMIT, TimeInForce.DAY, TimeInForce.GTC, Side.BUY, Side.SELL


def _report(kind: ReportKind, seq: int, clid: str, order_id: int, symbol: str = "ACME",
            reason: int = 0) -> OrderReport:  # fmt: skip
    return OrderReport(kind, seq, 0, seq, order_id, "A-1", symbol, 1, 2, 0, False, clid, "",
                       10, 100, 10, 0, 0, reason=reason)  # fmt: skip


def test_a_client_order_id_names_its_order_whose_latest_report_is_its_state() -> None:
    ids = DayClOrdIds()
    ids.note(F, 1, _report(ReportKind.NEW, 5, "a1", 5))
    ids.note(F, 2, _report(ReportKind.TRADE, 6, "a1", 5))
    ids.note(F, 3, _report(ReportKind.REPLACED, 7, "a2", 5))
    ids.note(F, 4, _report(ReportKind.REJECTED, 8, "r1", 0, reason=1))
    ids.note(F, 5, _report(ReportKind.CANCEL_REJECTED, 9, "c1", 99, symbol=""))
    ids.note(F, 6, _report(ReportKind.LOCAL_REJECTED, 9, "l1", 0))
    assert ids.used(F, "a1") == ids.used(F, "a2") == Used(5, 3)
    assert ids.used(F, "r1") == Used(0, 4)  # a refused NewOrder: its own report
    assert ids.used(F, "c1") == Used(0, 5)  # names no order: not the session's
    assert ids.used(F, "l1") is None and ids.used(G, "a1") is None
    assert len(ids) == 4 and ids.read_from(F, 6) == 1 and ids.read_from(G, 0) == 1


def test_an_end_of_day_forgets_its_symbols_day_and_what_belongs_to_no_symbol() -> None:
    ids = DayClOrdIds()
    ids.note(F, 1, _report(ReportKind.NEW, 5, "a1", 5))
    ids.note(F, 2, _report(ReportKind.NEW, 6, "z1", 6, symbol="ZETA"))
    ids.note(F, 3, _report(ReportKind.REJECTED, 7, "n1", 0, symbol="NOPE", reason=1))
    ids.note(F, 4, _report(ReportKind.EXPIRED, 8, "a1", 5))  # at the end of day: of it
    ids.end_day("ACME", 8)
    assert [ids.used(F, c) for c in ("a1", "n1")] == [None, None]
    assert ids.used(F, "z1") == Used(6, 2) and ids.read_from(F, 4) == 2
    assert not ids.in_day(_report(ReportKind.NEW, 8, "x", 8)) and ids.in_day(
        _report(ReportKind.NEW, 8, "x", 8, symbol="ZETA")
    )
    ids.note(F, 5, _report(ReportKind.NEW, 3, "old", 3))  # of a day that ended: not noted
    assert ids.used(F, "old") is None
    ids.end_day("ACME", 8)  # a replay changes nothing
    ids.end_day("ZETA", 9)
    assert len(ids) == 0 and ids.read_from(F, 5) == 6
    state = ids.state({F: 5, G: 0})
    assert state == {"days": {"ACME": 8, "ZETA": 9}, "from": {str(F): 6, str(G): 1}}
    again = DayClOrdIds()
    assert again.restore_days(state) == {F: 6, G: 1} and again.days == ids.days


def test_what_is_in_flight_is_known_until_the_ledger_is_through_its_command() -> None:
    flying = InFlight()
    flying.sent(F, 10, NewOrder(10, 0, "ALPHA", "A-1", "ACME", BUY, LIMIT, DAY, 1, 1, "a1"))
    assert flying.get(F, "a1", 9) == Known(10, None, in_flight=True)
    assert flying.get(G, "a1", 9) is None
    assert flying.get(F, "a1", 10) is None


class _EveryEntryScanned:
    """The reference of :class:`InFlight`: every look-up scans every entry for those done."""

    def __init__(self) -> None:
        self.sent: dict[int, dict[str, tuple[int, int]]] = {}

    def add(self, origin: int, seq_no: int, client: str, order_id: int) -> None:
        self.sent.setdefault(origin, {})[client] = (seq_no, order_id)

    def get(self, origin: int, client: str, through: int) -> Known | None:
        sent = self.sent.get(origin, {})
        for done in [c for c, (seq, _) in sent.items() if seq <= through]:
            del sent[done]
        hit = sent.get(client)
        return None if hit is None else Known(hit[1], None, in_flight=True)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["new", "cancel", "get", "ledger"]),
            st.sampled_from([F, G]),
            st.sampled_from(["a", "b", "c", "d"]),
        ),
        max_size=60,
    )
)
def test_in_flight_drops_what_the_ledger_is_through_as_scanning_every_entry_would(
    steps: list[tuple[str, int, str]],
) -> None:
    flying, reference = InFlight(), _EveryEntryScanned()
    seq_no, through = 10, 9
    for kind, origin, client in steps:
        if kind == "new":
            seq_no += 1
            order = NewOrder(seq_no, 0, "ALPHA", "A-1", "ACME", BUY, LIMIT, DAY, 1, 1, client)
            flying.sent(origin, seq_no, order)
            reference.add(origin, seq_no, client, seq_no)
        elif kind == "cancel":
            seq_no += 1
            flying.sent(origin, seq_no, CancelOrder(seq_no, 0, "A-1", seq_no - 1, client))
            reference.add(origin, seq_no, client, seq_no - 1)
        elif kind == "ledger":
            through = min(seq_no, through + 2)
        else:
            assert flying.get(origin, client, through) == reference.get(origin, client, through)
    for origin in (F, G):
        for client in "abcd":
            assert flying.get(origin, client, through) == reference.get(origin, client, through)


def _flow() -> list[tuple[Command, int]]:
    """Two days of ACME and one of ZETA; orders of both FIX sessions and the OUCH one."""
    flow: list[tuple[Command, int]] = [
        (AddSymbol(1, 0, "ACME", 100, 1, 1_000_000, 1000), 0),
        (AddSymbol(2, 0, "ZETA", 100, 1, 1_000_000, 1000), 0),
        (OpenAccount(3, 0, "ALPHA", "A-1"), 0),
        (OpenAccount(4, 0, "BETA", "B-1"), 0),
        (Deposit(5, 0, "A-1", CASH, 10**12), 0),
        (Deposit(6, 0, "B-1", "ACME", 10_000), 0),
    ]
    orders: list[tuple[Command, int]] = [
        (NewOrder(0, 0, "ALPHA", "A-1", "ACME", BUY, LIMIT, DAY, 100, 1_000_000, "a1"), F),
        (NewOrder(0, 0, "BETA", "B-1", "ACME", SELL, LIMIT, DAY, 30, 990_000, "g1"), G),
        (NewOrder(0, 0, "BETA", "B-1", "ACME", SELL, LIMIT, DAY, 5, 990_000, "o1"), OB),
        (NewOrder(0, 0, "ALPHA", "A-1", "ZETA", BUY, LIMIT, GTC, 10, 1_000_000, "a2"), F),
        (NewOrder(0, 0, "ALPHA", "A-1", "NOPE", BUY, LIMIT, DAY, 1, 1, "a3"), F),
        (CancelOrder(0, 0, "A-1", 999, "c9"), F),
        (ReplaceOrder(0, 0, "A-1", 7, 80, 1_000_000, "a1r"), F),
        (EndOfDay(0, 0, "ACME"), JSON),
        (NewOrder(0, 0, "ALPHA", "A-1", "ACME", BUY, LIMIT, DAY, 10, 1_000_000, "a1"), F),
        (NewOrder(0, 0, "BETA", "B-1", "ACME", SELL, LIMIT, DAY, 10, 1_000_000, "g2"), G),
        (CancelOrder(0, 0, "A-1", 10, "a2c"), F),
        (EndOfDay(0, 0, "ZETA"), JSON),
        (NewOrder(0, 0, "ALPHA", "A-1", "ZETA", BUY, LIMIT, DAY, 10, 1_000_000, "z1"), F),
    ]
    for cmd, origin in orders:
        flow.append((cmd._replace(seq_no=len(flow) + 1, ts=100 * (len(flow) + 1)), origin))
    return flow


IDS = ("a1", "g1", "o1", "a2", "a3", "c9", "a1r", "g2", "a2c", "z1", "zz")


def _answers(ledger: ReportLedger) -> dict[tuple[int, str], Known | None]:
    return {(o, c): ledger.known(o, c) for o in (F, G, OB) for c in IDS}


def _live(directory: Path, flow: list[tuple[Command, int]], save_at: int = 0) -> ReportLedger:
    ex = Exchange()
    ledger = ReportLedger(directory, FIRMS)
    for cmd, origin in flow:
        ledger.apply(cmd.seq_no, cmd, origin, numbered_reports(ex.submit(cmd)))
        if cmd.seq_no == save_at:
            ledger.save()
        if cmd.seq_no == 8:
            take_snapshot(ex, 8, directory)
    return ledger


@pytest.fixture
def live(tmp_path: Path) -> ReportLedger:
    return _live(tmp_path / "live", _flow())


def test_each_client_order_id_names_what_it_named_on_its_day(live: ReportLedger) -> None:
    answers = _answers(live)
    named = {key: k.order_id for key, k in answers.items() if k is not None}
    # ACME's first day, and what belonged to no symbol, ended; so did ZETA's
    assert named == {(F, "a1"): 15, (G, "g2"): 16, (F, "z1"): 19}
    first = answers[(F, "a1")]
    assert first is not None and first.state is not None
    assert (first.state.kind, first.state.cum_qty) == (ReportKind.TRADE, 10)


@pytest.mark.parametrize("batch", [2, 3, 100])
def test_commands_applied_in_batches_leave_the_same_client_order_ids(
    tmp_path: Path, live: ReportLedger, batch: int
) -> None:
    """An EndOfDay inside a batch (reports appended once, after it) ends the same day."""
    flow, ex = _flow(), Exchange()
    ledger = ReportLedger(tmp_path / "batched", FIRMS)
    applied = [(c.seq_no, c, o, numbered_reports(ex.submit(c))) for c, o in flow]
    for start in range(0, len(applied), batch):
        ledger.apply_many(applied[start : start + batch])
    assert _answers(ledger) == _answers(live)


def test_a_client_order_id_of_an_ended_day_can_name_a_new_order(tmp_path: Path) -> None:
    flow = _flow()
    before = _answers(_live(tmp_path / "first day", flow[:13]))
    assert [before[(F, c)] is not None for c in ("a1", "a1r", "a3", "c9")] == [True] * 4
    after = _answers(_live(tmp_path / "second day", flow[:14]))
    assert [after[(F, c)] for c in ("a1", "a1r", "a3", "c9")] == [None] * 4
    assert after[(F, "a2")] is not None  # ZETA's day goes on


#: (saved at, stored through): a gateway that stored the reports through a command, saved
#: where it stood at another, then died; the journal goes on to the end
CRASHES = [(0, 0), (0, 12), (10, 14), (13, 16), (14, 19), (19, 19)]


@pytest.mark.parametrize(("saved_at", "stored_to"), CRASHES)
def test_a_reopened_or_crashed_ledger_knows_the_same_client_order_ids(
    tmp_path: Path, live: ReportLedger, saved_at: int, stored_to: int
) -> None:
    flow = _flow()
    want = _answers(live)
    crashed = tmp_path / "crashed"
    _journal(crashed, flow)
    _live(crashed, flow[:stored_to], save_at=saved_at).close()
    reopened = ReportLedger(crashed, FIRMS)
    if (saved_at, stored_to) == (19, 19):  # a clean stop: the stores alone say it all
        assert _answers(reopened) == want
    catch_up(reopened, crashed, len(flow))
    assert _answers(reopened) == want
    reopened.close()
    again = ReportLedger(crashed, FIRMS)  # saved by catch_up: no replay needed
    assert again.through_seq == len(flow) and _answers(again) == want
