"""ExecutionReports older than the message store keeps are resent, not gap-filled: the report
index maps their MsgSeqNums back to the report store, durably and compactly."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from engine.domain.types import OrderType, Side, TimeInForce
from engine.gateway.fix_files import INDEX, FileMessageStore, ReportIndex, SessionFiles
from engine.gateway.fix_history import ReportHistory
from engine.gateway.fix_render import render
from engine.gateway.outbound import OrderReport, ReportKind
from engine.gateway.report_store import ReportStore
from engine.protocols.fix.session import FixSession, SessionConfig
from engine.protocols.fix.tags import Tag
from engine.protocols.fix.timestamps import NS_PER_SECOND, format_utc_timestamp
from tests.engine.fix_client import assert_valid_fix44
from tests.engine.protocols.fix.peer import T0, Peer, drain, report

BASE = OrderReport(
    ReportKind.NEW, 9, 0, T0, 9, "ALPHA-1", "ACME", int(Side.BUY), int(OrderType.LIMIT),
    int(TimeInForce.DAY), False, "c-1", "", 100, 1_000_000, 100, 0, 0, entered_seq=9,
)  # fmt: skip


def test_the_index_finds_ranges_and_survives_a_reopen(tmp_path: Path) -> None:
    index = ReportIndex(tmp_path / INDEX, next_sender=1)
    for seq, number in [(2, 1), (3, 2), (5, 3), (6, 4), (9, 5)]:
        index.note(seq, number, T0 + seq)
    assert index.between(3, 6) == [(3, 2, T0 + 3), (5, 3, T0 + 5), (6, 4, T0 + 6)]
    assert index.between(7, 8) == [] and index.between(1, 100)[-1] == (9, 5, T0 + 9)
    index.close()
    again = ReportIndex(tmp_path / INDEX, next_sender=10)
    assert len(again) == 5 and again.between(9, 9) == [(9, 5, T0 + 9)]
    again.close()


def test_the_index_cuts_a_torn_record_and_numbers_not_handed_out(tmp_path: Path) -> None:
    index = ReportIndex(tmp_path / INDEX, next_sender=1)
    for seq in range(1, 8):
        index.note(seq, seq, T0)
    index.close()
    with open(tmp_path / INDEX, "ab") as raw:
        raw.write(b"\x01\x02\x03")  # a crash mid-write
    # seqnums (saved after the index) says 6 is the next number: 6 and 7 will be used again
    again = ReportIndex(tmp_path / INDEX, next_sender=6)
    assert [seq for seq, _, _ in again.between(1, 100)] == [1, 2, 3, 4, 5]
    assert (tmp_path / INDEX).stat().st_size == 5 * 16
    again.note(6, 9, T0)
    assert again.between(6, 6) == [(6, 9, T0)]
    again.reset()
    assert len(again) == 0 and again.between(1, 100) == []
    again.close()


def _session(tmp_path: Path, capacity: int) -> tuple[FixSession, Peer, SessionFiles, ReportStore]:
    files = SessionFiles(tmp_path / "fix", capacity)
    reports = ReportStore(tmp_path / "s.reports")
    history = ReportHistory(files.store, files.index, reports)
    session, peer = FixSession(SessionConfig(), history), Peer()
    session.receive_data(peer.logon(), T0)
    session.next_event()
    session.accept_logon(T0)
    peer.read(session.data_to_send())
    return session, peer, files, reports


def _send_reports(session: FixSession, files: SessionFiles, reports: ReportStore, n: int) -> None:
    """Send ``n`` reports as the gateway does (fix_outbox.send_reports), a second apart."""
    added = reports.append(
        [replace(BASE, seq_no=10 + i, order_id=10 + i, client_order_id=f"c-{i}") for i in range(n)]
    )
    for number, stored in added:
        now = T0 + number * NS_PER_SECOND
        files.index.note(session.send(render(stored), now), number, now)
    files.flush()


def test_a_resend_of_reports_the_message_store_forgot_renders_them_again(tmp_path: Path) -> None:
    session, peer, files, reports = _session(tmp_path, capacity=4)
    _send_reports(session, files, reports, 10)  # MsgSeqNums 2..11
    session.send(report(99), T0)  # 12: an answer the gateway made itself, not a report
    for _ in range(4):  # 13..16: more of those; the store forgets 12 as well
        session.send(report(98), T0)
    assert len(files.store) < 10
    peer.read(session.data_to_send())
    later = T0 + 60 * NS_PER_SECOND
    session.receive_data(peer.build("2", [(7, "1"), (16, "0")], now_ns=later), later)
    drain(session)
    fill, *resent = peer.read(session.data_to_send())
    assert (fill.msg_type, fill.seq_num, fill.get(Tag.NEW_SEQ_NO)) == ("4", 1, "2")  # Logon
    reports_again = [m for m in resent if m.msg_type == "8" and m.seq_num <= 11]
    assert [m.seq_num for m in reports_again] == list(range(2, 12))
    for m in reports_again:
        number = m.seq_num - 1
        assert m.get(Tag.POSS_DUP_FLAG) == "Y"
        assert m.get(Tag.ORIG_SENDING_TIME) == format_utc_timestamp(T0 + number * NS_PER_SECOND)
        assert m.get(Tag.SENDING_TIME) == format_utc_timestamp(later)
        assert m.get(11) == f"c-{number - 1}"  # the very report, rendered again
    assert_valid_fix44(reports_again)
    # what only the message store had (the gateway's own answers) is gap-filled once gone
    gap = [m for m in resent if m.msg_type == "4"]
    assert gap and all(m.get(Tag.GAP_FILL_FLAG) == "Y" for m in gap)
    files.close()


def test_a_reset_forgets_the_index_too(tmp_path: Path) -> None:
    session, peer, files, reports = _session(tmp_path, capacity=2)
    _send_reports(session, files, reports, 3)
    peer.next_seq = 1
    session.receive_data(peer.logon(reset=True), T0)
    drain(session)
    assert len(files.index) == 0 and len(files.store) == 0
    files.close()


def test_the_message_store_is_still_read_first(tmp_path: Path) -> None:
    store = FileMessageStore(tmp_path, capacity=100)
    index = ReportIndex(tmp_path / INDEX, next_sender=1)
    history = ReportHistory(store, index, ReportStore(tmp_path / "r.reports"))
    session, peer = FixSession(SessionConfig(), history), Peer()
    session.receive_data(peer.logon(), T0)
    session.next_event()
    session.accept_logon(T0)
    session.send(report(1), T0)
    index.note(2, 1, T0)  # a report number the report store does not have: never read
    assert [m.seq for m in history.messages(2, 2)] == [2]
    assert history.messages(3, 3) == []
    store.close()
    index.close()
