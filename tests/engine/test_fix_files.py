"""What a FIX session keeps on disk: its numbers (two slots, the newest valid one wins) and the
bounded message store for ResendRequest (it reopens with what was flushed, cuts a torn tail,
keeps between capacity/2 and capacity messages, and forgets everything on a reset)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.gateway.fix_files import CURRENT, SEQNUMS, FileMessageStore, SeqNums, SessionFiles
from engine.protocols.fix.store import StoredMessage


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
