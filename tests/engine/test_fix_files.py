"""What a FIX session keeps on disk: its numbers (two slots, the newest valid one wins) and the
bounded message store for ResendRequest (it reopens with what was flushed, cuts a torn tail,
keeps between capacity/2 and capacity messages, and forgets everything on a reset), and what a
restarted host resends from them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.gateway.fix_files import CURRENT, SEQNUMS, FileMessageStore, SeqNums, SessionFiles
from engine.protocols.fix.session import FixSession, LogonRequest, SessionConfig
from engine.protocols.fix.store import MemoryStore, StoredMessage
from engine.protocols.fix.timestamps import NS_PER_SECOND, format_utc_timestamp
from tests.engine.fix_client import fields
from tests.engine.protocols.fix.peer import T0, Peer, drain, report


def message(seq: int) -> StoredMessage:
    body = ((37, str(seq)), (11, f"c-{seq}"), (58, "a text = with an equals sign"))
    return StoredMessage(seq, "8", body, f"20240301-12:00:00.{seq % 1000:03d}")


def test_the_numbers_survive_a_reopen_and_a_torn_newest_slot(tmp_path: Path) -> None:
    path = tmp_path / SEQNUMS
    numbers = SeqNums(path)
    assert (numbers.next_sender, numbers.next_target, numbers.reports_sent) == (1, 1, 0)
    numbers.next_sender, numbers.next_target, numbers.reports_sent = 7, 5, 3
    numbers.save()
    numbers.next_sender = 9
    numbers.save()  # generation 2: the other slot
    numbers.close()
    again = SeqNums(path)
    assert (again.next_sender, again.next_target, again.reports_sent) == (9, 5, 3)
    again.close()
    with open(path, "r+b") as raw:  # tear the newest slot (slot 0 holds generation 2)
        raw.seek(10)
        raw.write(b"\xff\xff")
    torn = SeqNums(path)
    assert (torn.next_sender, torn.next_target, torn.reports_sent) == (7, 5, 3)
    torn.close()


def test_the_store_gives_back_what_was_flushed_after_a_reopen_and_cuts_a_torn_tail(
    tmp_path: Path,
) -> None:
    store = FileMessageStore(tmp_path)
    for seq in (2, 3, 5):
        store.save(message(seq))
    assert sorted(m.seq for m in store.messages(1, 10)) == [2, 3, 5]  # pending ones too
    store.close()
    with open(tmp_path / CURRENT, "ab") as raw:
        raw.write(b"\x10\x00\x00\x00torn")
    reopened = FileMessageStore(tmp_path)
    assert sorted(reopened.messages(1, 10), key=lambda m: m.seq) == [
        message(2), message(3), message(5)
    ]  # fmt: skip
    assert [m.seq for m in reopened.messages(3, 4)] == [3]
    reopened.save(message(6))
    reopened.close()
    assert [m.seq for m in FileMessageStore(tmp_path).messages(6, 6)] == [6]


def test_the_store_keeps_between_half_and_all_of_its_capacity(tmp_path: Path) -> None:
    store = FileMessageStore(tmp_path, capacity=4)
    kept = []
    for seq in range(1, 11):
        store.save(message(seq))
        kept.append(sorted(m.seq for m in store.messages(1, 99)))
        assert 2 <= len(store) <= 4 or seq < 2
    assert kept[-1] == [9, 10] and kept[-2] == [7, 8, 9]
    store.close()
    assert sorted(m.seq for m in FileMessageStore(tmp_path, capacity=4).messages(1, 99)) == [
        9, 10,
    ]  # fmt: skip


def test_a_reset_forgets_every_message(tmp_path: Path) -> None:
    store = FileMessageStore(tmp_path, capacity=4)
    for seq in range(1, 6):
        store.save(message(seq))
    store.reset()
    assert store.messages(1, 99) == [] and len(store) == 0
    store.save(message(1))
    store.close()
    assert [m.seq for m in FileMessageStore(tmp_path).messages(1, 99)] == [1]


def test_session_files_flush_both_and_hand_out_descriptors_to_sync(tmp_path: Path) -> None:
    files = SessionFiles(tmp_path / "ALPHA" / "ALPHAFIX")
    files.seqnums.next_sender = 4
    files.store.save(message(3))
    files.flush()
    fds = files.sync_fds()
    files.close()
    for fd in fds:  # still open after the files closed: a sync in flight never hits a reuse
        os.fdatasync(fd)
        os.close(fd)
    again = SessionFiles(tmp_path / "ALPHA" / "ALPHAFIX")
    assert again.seqnums.next_sender == 4 and len(again.store) == 1
    again.close()


def test_a_store_of_fewer_than_two_messages_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 2"):
        FileMessageStore(tmp_path, capacity=1)


def test_a_message_sent_before_a_restart_is_resent_flagged_with_both_of_its_times(
    tmp_path: Path,
) -> None:
    """The session a restarted host makes from the files answers a ResendRequest for what
    the one before it sent: PossDupFlag=Y, OrigSendingTime(122) = the first SendingTime,
    SendingTime(52) = now; the Logon it sent (administrative) becomes a gap fill."""
    files = SessionFiles(tmp_path)
    session, peer = _logged_on(files, T0)
    first = peer.read(session.data_to_send())
    session.send(report(7), T0 + 5_000_000)
    (sent,) = peer.read(session.data_to_send())
    _save(files, session)
    files.close()

    later = T0 + 3600 * NS_PER_SECOND  # an hour later, after a restart
    files = SessionFiles(tmp_path)
    assert (files.seqnums.next_sender, files.seqnums.next_target) == (3, 2)
    session, peer = _logged_on(files, later, peer=peer)
    peer.read(session.data_to_send())  # its Logon (3)
    session.receive_data(peer.build("2", [(7, "1"), (16, "2")], now_ns=later), later)
    assert drain(session)  # a notice: resent
    fill, copy = peer.read(session.data_to_send())
    assert fields(fill, 34, 43, 123, 36) == ("1", "Y", "Y", "2")
    assert fields(copy, 34, 43, 52, 122) == (
        "2", "Y", format_utc_timestamp(later), sent.get(52),
    )  # fmt: skip
    assert sent.get(52) == format_utc_timestamp(T0 + 5_000_000) and first
    assert [f for f in copy.fields if f[0] not in (9, 10, 34, 43, 52, 122)] == [
        f for f in sent.fields if f[0] not in (9, 10, 34, 52)
    ]
    files.close()


def _logged_on(files: SessionFiles, now: int, peer: Peer | None = None) -> tuple[FixSession, Peer]:
    session = FixSession(SessionConfig(), MemoryStore(capacity=16))
    peer = peer or Peer()
    session.receive_data(peer.logon(now_ns=now), now)
    assert isinstance(session.next_event(), LogonRequest)
    numbers = files.seqnums
    session.accept_logon(
        now, next_sender_seq=numbers.next_sender, next_target_seq=numbers.next_target,
        store=files.store,
    )  # fmt: skip
    return session, peer


def _save(files: SessionFiles, session: FixSession) -> None:
    files.seqnums.next_sender = session.next_sender_seq
    files.seqnums.next_target = session.next_target_seq
    files.flush()
