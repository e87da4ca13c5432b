"""A FIX session's sequence marks (engine.gateway.fix_marks, engine.gateway.fix_hold): the
journal's notes rebuild the session's numbers and report index exactly, and bytes wait for
the notes that cover them, in order."""

from __future__ import annotations

import asyncio
import json

from hypothesis import given
from hypothesis import strategies as st

from engine.domain.types import NoteKind, SessionNote
from engine.gateway.fix_hold import Marking
from engine.gateway.fix_marks import FixMarks, Mark, MarkBook

ORIGIN = 0x8000_0001

#: a session's life in steps: reports sent (how many, at which ns), session messages sent,
#: messages received, a flush, a Logon with ResetSeqNumFlag=Y
steps = st.lists(
    st.one_of(
        st.tuples(st.just("reports"), st.integers(1, 5), st.integers(1, 3)),
        st.tuples(st.just("admin"), st.integers(1, 3), st.just(0)),
        st.tuples(st.just("inbound"), st.integers(1, 3), st.just(0)),
        st.tuples(st.just("flush"), st.just(0), st.just(0)),
        st.tuples(st.just("reset"), st.just(0), st.just(0)),
    ),
    max_size=40,
)


class Session:
    """What the gateway's files hold (the reference), and the notes its flushes journal."""

    def __init__(self) -> None:
        # logged on: the Logons took MsgSeqNum 1 each way (1 is never a report's)
        self.next_sender, self.next_target, self.reports_sent = 2, 2, 0
        self.index: list[tuple[int, int, int]] = []
        self.book = MarkBook(0)
        self.journal: list[SessionNote] = []

    def reports(self, count: int, ns: int) -> None:
        for _ in range(count):
            seq, self.next_sender = self.next_sender, self.next_sender + 1
            self.reports_sent += 1
            self.index.append((seq, self.reports_sent, ns))
            self.book.sent(seq, self.reports_sent, ns)

    def flush(self) -> None:
        if self.book.needs_mark(self.next_sender):
            self.journal += self.book.notes(self.next_sender, self.next_target, self.reports_sent)

    def reset(self) -> None:
        self.next_sender, self.next_target, self.index = 2, 2, []  # our Logon took 1
        self.book.reset()


def project(journal: list[SessionNote], seq: int = 100) -> FixMarks:
    marks = FixMarks()
    for n, note in enumerate(journal):
        marks.apply(seq + n, note, ORIGIN)
    return marks


@given(steps)
def test_the_notes_rebuild_the_numbers_and_the_index_of_the_files(life: list) -> None:
    session = Session()
    for kind, count, ns in life:
        if kind == "reports":
            session.reports(count, 1_000 + ns)
        elif kind == "admin":
            session.next_sender += count
        elif kind == "inbound":
            session.next_target += count
        elif kind == "flush":
            session.flush()
        else:
            session.reset()
    session.flush()
    if not session.journal:
        assert session.next_sender == 2 and not session.index
        return
    mark = project(session.journal).get(ORIGIN)
    assert mark is not None
    # the next target is the one of the last flush (what was received since is asked again)
    assert (mark.next_sender, mark.reports_sent) == (session.next_sender, session.reports_sent)
    assert mark.next_target <= session.next_target
    assert mark.index_records() == session.index
    assert mark.noted_seq == 100 + len(session.journal) - 1
    # one mark per flush that needed one, and the runs are as few as the send times allow
    assert sum(n.note is NoteKind.FIX_MARK for n in session.journal) <= 1 + sum(
        kind in ("flush", "reset") for kind, _, _ in life
    )
    # state.json's copy reads back the same
    again = FixMarks.from_state(json.loads(json.dumps(project(session.journal).state())))
    assert again.get(ORIGIN) == mark


def test_a_flush_that_sends_nothing_new_needs_no_mark() -> None:
    book = MarkBook(7)
    assert not book.needs_mark(7)  # a resend of old numbers: covered
    assert book.needs_mark(8)
    book.sent(7, 3, 55)
    book.sent(8, 4, 55)
    book.sent(9, 5, 56)  # another send time: another run (its OrigSendingTime)
    notes = book.notes(10, 4, 5)
    assert [(n.note, n.a, n.b, n.c, n.d) for n in notes] == [
        (NoteKind.FIX_SENT, 7, 3, 2, 55),
        (NoteKind.FIX_SENT, 9, 5, 1, 56),
        (NoteKind.FIX_MARK, 10, 4, 5, 0),
    ]
    assert not book.needs_mark(10) and book.needs_mark(2)
    book.reset()
    assert book.needs_mark(10) and book.notes(10, 1, 5)[-1].d == 1


def test_other_notes_and_a_reset_mark() -> None:
    marks = FixMarks()
    refused = SessionNote(0, 0, NoteKind.REFUSED, "A", "T", 79, 0, 0, 0)
    marks.apply(5, refused, ORIGIN)
    assert marks.get(ORIGIN) is None
    marks.apply(6, SessionNote(0, 0, NoteKind.FIX_SENT, "", "", 2, 1, 4, 9), ORIGIN)
    marks.apply(7, SessionNote(0, 0, NoteKind.FIX_MARK, "", "", 6, 3, 4, 0), ORIGIN)
    # a mark journaled after a later flush's (two flushes' notes interleaved): without a
    # restart numbers never go back, so it takes nothing back, and no run is cut
    marks.apply(8, SessionNote(0, 0, NoteKind.FIX_MARK, "", "", 4, 2, 4, 0), ORIGIN)
    assert marks.get(ORIGIN) == Mark(6, 3, 4, [(2, 1, 4, 9)], 8, 1)
    marks.apply(8, SessionNote(0, 0, NoteKind.FIX_MARK, "", "", 9, 9, 9, 0), ORIGIN)
    assert marks.get(ORIGIN) == Mark(6, 3, 4, [(2, 1, 4, 9)], 8, 1)  # a replayed one
    marks.apply(9, SessionNote(0, 0, NoteKind.FIX_SENT, "", "", 3, 5, 1, 10), ORIGIN)
    marks.apply(10, SessionNote(0, 0, NoteKind.FIX_MARK, "", "", 5, 3, 5, 1), ORIGIN)
    assert marks.get(ORIGIN) == Mark(5, 3, 5, [(3, 5, 1, 10)], 10, 1)  # after a reset


def test_a_run_journaled_before_an_older_mark_is_kept() -> None:
    """The failover drill's case (seed 11): a connection's mark covering MsgSeqNums below 19
    reached the journal after the next flush's run 19-25, whose own mark followed; the run
    must stay, or the standby gap-fills reports the session never read."""
    marks = FixMarks()
    marks.apply(1, SessionNote(0, 0, NoteKind.FIX_SENT, "", "", 10, 8, 9, 5), ORIGIN)
    marks.apply(2, SessionNote(0, 0, NoteKind.FIX_SENT, "", "", 19, 17, 7, 6), ORIGIN)
    marks.apply(3, SessionNote(0, 0, NoteKind.FIX_MARK, "", "", 19, 15, 16, 0), ORIGIN)
    marks.apply(4, SessionNote(0, 0, NoteKind.FIX_MARK, "", "", 26, 15, 23, 0), ORIGIN)
    mark = marks.get(ORIGIN)
    assert mark is not None
    assert (mark.next_sender, mark.next_target, mark.reports_sent) == (26, 15, 23)
    assert mark.runs == [(10, 8, 9, 5), (19, 17, 7, 6)]


def test_bytes_wait_for_their_notes_and_leave_in_order() -> None:
    async def main() -> None:
        noted = [0]
        written: list[bytes] = []
        submitted: list[list[SessionNote]] = []
        seq = [10]

        async def submit(notes: list[SessionNote]) -> list[int]:
            submitted.append(notes)
            out = list(range(seq[0] + 1, seq[0] + 1 + len(notes)))
            seq[0] = out[-1]
            return out

        marking = Marking(MarkBook(0), submit, lambda: noted[0], written.append)
        assert marking.take(b"logon", 2, 2, 0) == b""  # new numbers: held
        assert marking.take(b"", 2, 2, 0) == b""
        assert marking.take(b"resend", 2, 3, 0) == b""  # covered, but behind held bytes
        marking.book.sent(2, 1, 5)
        assert marking.take(b"report", 3, 3, 1) == b""  # its mark waits for the one in flight
        assert marking.holding == len(b"logonresendreport")
        await asyncio.sleep(0)  # the submission runs
        assert [[n.note for n in notes] for notes in submitted] == [[NoteKind.FIX_MARK]]
        assert written == [] and marking.ready() == b""  # not noted yet
        noted[0] = 11  # the first mark came back: its bytes go, one mark for the others
        marking.release()
        assert written == [b"logon"]
        await asyncio.sleep(0)
        assert [[(n.note, n.a) for n in notes] for notes in submitted][1] == [
            (NoteKind.FIX_SENT, 2),
            (NoteKind.FIX_MARK, 3),
        ]
        assert not await marking.drain(0.01)
        noted[0] = 13
        marking.release()
        assert written == [b"logon", b"resendreport"] and marking.holding == 0
        assert await marking.drain(0.01)
        assert marking.take(b"again", 3, 4, 1) == b"again"  # covered, nothing held: at once
        assert marking.marks == 2
        assert marking.take(b"covered", 3, 4, 1) == b"covered"

    asyncio.run(main())
