"""The reports owed to configured sessions: the projection, the stores, the ledger, catch-up."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from engine.config import FirmConfig, SessionConfig
from engine.domain.exchange import Exchange
from engine.domain.types import (
    CASH,
    AddSymbol,
    CancelOrder,
    Command,
    Deposit,
    NewOrder,
    NoteKind,
    OpenAccount,
    OrderType,
    ReplaceOrder,
    SelfTradePrevention,
    SessionNote,
    Side,
    TimeInForce,
)
from engine.gateway.accounts import AccountRegistry
from engine.gateway.ledger import NOTHING, ReportLedger, catch_up, numbered_reports
from engine.gateway.outbound import OrderReport, OutboundProjection, ReportKind
from engine.gateway.report_store import RECORD, ReportStore, decode_report, encode_report
from engine.journal_format import RECORD_COMMAND, encode_user_header, journal_dir
from engine.rebuild import take_snapshot
from engine.records import RECORD_SIZE, encode_command
from engine.session_ids import is_stable, session_origin
from journal import JournalWriter, SyncPolicy

A = session_origin("ALPHA", "AO1")
B = session_origin("BETA", "BO1")
#: named JSON sessions: owed their firm's order reports (engine.gateway.json_stores)
AJ, BJ = session_origin("ALPHA", "AJ1"), session_origin("BETA", "BJ1")
JSON_CONNECTION = 7  # an ephemeral origin: its orders are not the ledger's
FIRMS = (
    FirmConfig("ALPHA", "x", SelfTradePrevention.CANCEL_RESTING, (),
               (SessionConfig("AO1", "ouch", A, "A-1"), SessionConfig("AJ1", "json", AJ, "A-1"))),
    FirmConfig("BETA", "x", SelfTradePrevention.CANCEL_RESTING, (),
               (SessionConfig("BO1", "ouch", B, "B-1"), SessionConfig("BJ1", "json", BJ, "B-1"))),
)  # fmt: skip
LIMIT, DAY, BUY, SELL = OrderType.LIMIT, TimeInForce.DAY, Side.BUY, Side.SELL

SETUP: list[Command] = [
    AddSymbol(1, 0, "ACME", 100, 1, 1_000_000, 1000),
    OpenAccount(2, 0, "ALPHA", "A-1"),
    OpenAccount(3, 0, "BETA", "B-1"),
    Deposit(4, 0, "A-1", CASH, 10**12),
    Deposit(5, 0, "B-1", "ACME", 10_000),
]


def _flow() -> list[tuple[Command, int]]:
    """(command, origin): A rests a bid, B sells into it twice, A replaces and cancels; a JSON
    connection of BETA trades too; one cancel is of an unknown order."""
    o = [(c, 0) for c in SETUP]
    o += [
        (NewOrder(6, 60, "ALPHA", "A-1", "ACME", BUY, LIMIT, DAY, 100, 1_000_000, "a1"), A),
        (NewOrder(7, 70, "BETA", "B-1", "ACME", SELL, LIMIT, DAY, 30, 990_000, "b1"), B),
        (NewOrder(8, 80, "BETA", "B-1", "ACME", SELL, LIMIT, DAY, 20, 1_000_000, "j1"),
         JSON_CONNECTION),
        (ReplaceOrder(9, 90, "A-1", 6, 80, 1_000_000), A),
        (CancelOrder(10, 100, "A-1", 99), A),
        (CancelOrder(11, 110, "A-1", 6), A),
        (NewOrder(12, 120, "BETA", "B-1", "NOPE", SELL, LIMIT, DAY, 1, 1, "b2"), B),
    ]  # fmt: skip
    return o


def _run(flow: list[tuple[Command, int]]) -> list[tuple[int, OrderReport]]:
    ex, projection = Exchange(), OutboundProjection()
    owed: list[tuple[int, OrderReport]] = []
    for cmd, origin in flow:
        owed += projection.apply(cmd, origin, numbered_reports(ex.submit(cmd)))
    return owed


def test_each_session_is_owed_its_orders_reports_whoever_caused_them() -> None:
    owed = _run(_flow())
    alpha = [r for o, r in owed if o == A]
    beta = [r for o, r in owed if o == B]
    assert [r.kind for r in alpha] == [
        ReportKind.NEW, ReportKind.TRADE, ReportKind.TRADE, ReportKind.REPLACED,
        ReportKind.CANCEL_REJECTED, ReportKind.CANCELED,
    ]  # fmt: skip
    new, fill1, fill2, replaced, refused, cancelled = alpha
    assert (new.order_id, new.entered_seq, new.client_order_id) == (6, 6, "a1")
    assert (fill1.last_qty, fill1.cum_qty, fill1.leaves_qty) == (30, 30, 70)
    assert fill2.cum_qty == 50 and fill2.cum_cost == 50 * 1_000_000  # the JSON sell filled it
    assert (replaced.order_qty, replaced.leaves_qty, replaced.priority_kept) == (80, 30, True)
    assert (refused.order_id, refused.reason) == (99, 11)  # unknown_order
    assert (cancelled.leaves_qty, cancelled.cum_qty) == (0, 50)
    assert [r.kind for r in beta] == [ReportKind.NEW, ReportKind.TRADE, ReportKind.REJECTED]
    assert beta[-1].reason == 1 and beta[-1].client_order_id == "b2"  # unknown_symbol
    # a JSON connection's order is tracked too (order_status), its reports owed but not stored
    assert {o for o, _ in owed} == {A, B, JSON_CONNECTION}
    assert not is_stable(JSON_CONNECTION) and is_stable(A) and is_stable(B)
    assert [(r.seq_no, r.sub) for r in alpha] == sorted((r.seq_no, r.sub) for r in alpha)


def test_a_report_round_trips_through_its_record() -> None:
    for _, report in _run(_flow()):
        raw = encode_report(report)
        assert len(raw) == RECORD.size and decode_report(raw) == report


def test_a_store_numbers_from_1_skips_what_it_has_and_cuts_a_torn_tail(tmp_path: Path) -> None:
    reports = [r for o, r in _run(_flow()) if o == A]
    path = tmp_path / "s.reports"
    store = ReportStore(path)
    assert [n for n, _ in store.append(reports[:4])] == [1, 2, 3, 4]
    assert store.append(reports[:5]) == [(5, reports[4])]  # idempotent: only the new one
    store.close()
    with path.open("ab") as f:
        f.write(b"\x01" * 50)  # a torn record
    again = ReportStore(path)
    assert again.count == 5 and again.read(2, 3) == reports[1:3]
    assert again.read(5, 99) == reports[4:5] and again.read(9, 10) == []
    assert [n for n, _ in again.append(reports)] == [6]


def test_a_refused_note_is_the_local_reject_of_its_session_keyed_like_any_report(
    tmp_path: Path,
) -> None:
    """A message its gateway refused is journaled (a REFUSED note), so its Rejected is a
    report with a journal key like the others, to the session the note is about."""
    note = SessionNote(13, 130, NoteKind.REFUSED, "A-1", "O-1", ord("O"), 0, 0, 0)
    owed = _run([*_flow(), (note, A)])
    local = [r for o, r in owed if r.kind is ReportKind.LOCAL_REJECTED]
    assert local == [
        OrderReport(ReportKind.LOCAL_REJECTED, 13, 0, 130, 0, "A-1", "", 0, 0, 0, False, "O-1",
                    "", 0, 0, 0, 0, 0, reason=ord("O"))
    ]  # fmt: skip
    reports = [r for o, r in owed if o == A]
    assert reports[-1] is local[0]
    path = tmp_path / "s.reports"
    store = ReportStore(path)
    assert [n for n, _ in store.append(reports)] == list(range(1, len(reports) + 1))
    store.close()
    again = ReportStore(path)  # reopened: keyed like any report, so appends stay idempotent
    assert again.read(len(reports), len(reports)) == local and again.append(reports) == []
    assert _run([(note, 0)]) == []  # a note of no session is owed to nobody


def test_the_ledger_saves_where_it_stands_and_picks_up_there(tmp_path: Path) -> None:
    ex = Exchange()
    ledger = ReportLedger(tmp_path, FIRMS)
    flow = _flow()
    for cmd, origin in flow[:7]:
        ledger.apply(cmd.seq_no, cmd, origin, numbered_reports(ex.submit(cmd)))
    ledger.save()
    ledger.close()
    # the gateway hands over who owns the accounts (the config's, the recovered state's)
    reopened = ReportLedger(tmp_path, FIRMS, AccountRegistry({"A-1": "ALPHA", "B-1": "BETA"}))
    assert reopened.through_seq == 7 and set(reopened.projection.orders) == {6}
    for cmd, origin in flow[7:]:
        reopened.apply(cmd.seq_no, cmd, origin, numbered_reports(ex.submit(cmd)))
    assert reopened.stores[A].count == 6 and reopened.stores[B].count == 3
    assert set(reopened.stores) == {A, B}  # the JSON sessions' stores are the events'
    # ALPHA's fills, replace and cancel; BETA's two fills (not the answers to BO1's commands)
    assert reopened.json.stores[AJ].count == 4 and reopened.json.stores[BJ].count == 2
    assert reopened.apply(3, SETUP[2], 0, []) == NOTHING  # an old seq is ignored


def _journal(data_dir: Path, flow: list[tuple[Command, int]]) -> None:
    with JournalWriter(
        journal_dir(data_dir), user_header=encode_user_header(1), policy=SyncPolicy.never()
    ) as writer:
        for cmd, origin in flow:
            writer.append_fixed(RECORD_COMMAND, cmd.seq_no, encode_command(cmd, origin),
                                RECORD_SIZE)  # fmt: skip
        writer.commit()


@pytest.mark.parametrize("saved_at", [0, 7, 9])
def test_catch_up_regenerates_exactly_the_reports_a_live_gateway_stored(
    tmp_path: Path, saved_at: int
) -> None:
    flow = _flow()
    live = tmp_path / "live"
    ex = Exchange()
    ledger = ReportLedger(live, FIRMS)
    for cmd, origin in flow:
        ledger.apply(cmd.seq_no, cmd, origin, numbered_reports(ex.submit(cmd)))
        if cmd.seq_no == saved_at:
            ledger.save()
    crashed = tmp_path / "crashed"
    _journal(crashed, flow)
    partial = ReportLedger(crashed, FIRMS)
    if saved_at:  # a gateway that stored and saved through saved_at, then died
        ex2 = Exchange()
        for cmd, origin in flow:
            events = numbered_reports(ex2.submit(cmd))
            if cmd.seq_no < saved_at:
                partial.apply(cmd.seq_no, cmd, origin, events)
            elif cmd.seq_no == saved_at:  # died between the two parts of this command's reports
                partial.apply(cmd.seq_no, cmd, origin, events[:1])
            if cmd.seq_no == 5:
                take_snapshot(ex2, 5, crashed)
        partial.save()
        partial.close()
        partial = ReportLedger(crashed, FIRMS)  # restarted: knows only what it saved
    assert catch_up(partial, crashed, len(flow)) == len(flow) - saved_at
    for origin in (A, B):
        want = ledger.stores[origin].read(1, 99)
        assert partial.stores[origin].read(1, 99) == want
    for origin in (AJ, BJ):
        want_events = ledger.json.stores[origin].read(1, 99)
        assert want_events and partial.json.stores[origin].read(1, 99) == want_events
    assert partial.projection.snapshot() == ledger.projection.snapshot()
    assert catch_up(partial, crashed, len(flow)) == 0
    assert replace(partial.stores[A].read(1, 1)[0], sub=0).kind is ReportKind.NEW
