"""A FIX session's sequence marks: the journal's copy of where its MsgSeqNums stand.

A FIX session's numbers (the next MsgSeqNum we send, the next we expect, the reports sent)
and its report index live in the gateway's files (``engine.gateway.fix_files``), which a
standby does not have. On a host with ``[replication] enabled`` the gateway therefore
journals them (``SessionNote``, ``engine.domain.types.NoteKind``) before writing to the
socket any byte that carries a MsgSeqNum they do not cover yet, and holds those bytes until
the notes' ``SessionNoted`` events come back (``engine.gateway.fix_outbox``): **a peer never
sees a MsgSeqNum that a promoted standby would use again.**

The notes of one flush of a session, in this order:

* ``FIX_SENT`` (a run of reports sent as consecutive MsgSeqNums): ``a`` the first MsgSeqNum,
  ``b`` the first report's number in the session's report store, ``c`` how many, ``d`` the
  SendingTime of the first (ns): what ``reports.index`` holds, compressed;
* ``FIX_MARK``: ``a`` the next MsgSeqNum we send after these bytes, ``b`` the next we
  expect, ``c`` the reports sent, ``d`` 1 when the numbers restarted since the last mark (a
  Logon with ResetSeqNumFlag=Y: the runs noted before this flush's are void), else 0.

:class:`FixMarks` is the pure projection of those notes, per session (``origin``): the last
mark and the index runs. The outbound ledger (``engine.gateway.ledger``) maintains it from
the journal like its report stores (live, at catch-up, on a promoted standby before it
serves) and keeps it in its ``state.json``. A mark drops the runs at or above its next
MsgSeqNum (as ``reports.index`` drops the records at or above ``seqnums``' next MsgSeqNum),
and a mark after a reset the runs of the numbering before it.

:class:`MarkBook` is the sending side's bookkeeping for one connection: the runs noted since
the last mark and the MsgSeqNum the last mark covers. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from engine.domain.types import NoteKind, SessionNote

#: a run of reports sent as consecutive MsgSeqNums: (first MsgSeqNum, first report number,
#: count, SendingTime ns of the first)
Run = tuple[int, int, int, int]

_SENT: Final = NoteKind.FIX_SENT
_MARK: Final = NoteKind.FIX_MARK


@dataclass
class Mark:
    """Where one FIX session stands in the journal."""

    next_sender: int = 1
    next_target: int = 1
    reports_sent: int = 0
    #: the report index, as runs in MsgSeqNum order
    runs: list[Run] = field(default_factory=list)
    #: the seq_no of the last FIX note applied (what the gateway waits for)
    noted_seq: int = 0
    #: how many of ``runs`` were noted before the last mark (a reset voids them)
    marked_runs: int = 0

    def index_records(self) -> list[tuple[int, int, int]]:
        """``reports.index``'s records: (MsgSeqNum, report number, SendingTime ns)."""
        return [(a + i, b + i, d) for a, b, c, d in self.runs for i in range(c)]


class FixMarks:
    """The projection of the journal's FIX notes: origin -> :class:`Mark`."""

    def __init__(self) -> None:
        self.marks: dict[int, Mark] = {}

    def apply(self, seq_no: int, note: SessionNote, origin: int) -> None:
        """Apply FIX note ``note`` of session ``origin``, journaled as ``seq_no`` (other
        notes are not this projection's)."""
        if note.note is not _SENT and note.note is not _MARK:
            return
        mark = self.marks.get(origin)
        if mark is None:
            mark = self.marks[origin] = Mark()
        if seq_no <= mark.noted_seq:
            return  # applied already (a replayed stretch of the journal)
        mark.noted_seq = seq_no
        if note.note is _SENT:
            runs = mark.runs
            if runs and runs[-1][0] + runs[-1][2] > note.a:
                _cut(runs, note.a)  # numbers used again after a reset
                mark.marked_runs = min(mark.marked_runs, len(runs))
            runs.append((note.a, note.b, note.c, note.d))
        elif note.d:  # the numbers restarted: only this flush's runs are of the new ones
            mark.next_sender, mark.next_target, mark.reports_sent = note.a, note.b, note.c
            del mark.runs[: mark.marked_runs]
            _cut(mark.runs, note.a)
            mark.marked_runs = len(mark.runs)
        else:
            # Without a restart the numbers only grow, so a mark never takes one back: the
            # notes of two flushes of a connection can reach the journal interleaved (a mark
            # journaled after the next flush's run), and a mark that cut the runs at its
            # next MsgSeqNum dropped reports that were sent (the failover drill, seed 11:
            # the standby gap-filled acks and fills the session never read).
            mark.next_sender = max(mark.next_sender, note.a)
            mark.next_target = max(mark.next_target, note.b)
            mark.reports_sent = max(mark.reports_sent, note.c)
            mark.marked_runs = len(mark.runs)

    def get(self, origin: int) -> Mark | None:
        return self.marks.get(origin)

    def clear(self) -> None:
        """Forget every mark (the journal is replayed from its start)."""
        self.marks.clear()

    def state(self) -> dict[str, list[object]]:
        """The projection as JSON-able data (the ledger's ``state.json``)."""
        return {
            str(origin): [
                m.next_sender,
                m.next_target,
                m.reports_sent,
                m.noted_seq,
                m.runs,
                m.marked_runs,
            ]
            for origin, m in self.marks.items()
        }

    @classmethod
    def from_state(cls, data: dict[str, list[object]]) -> FixMarks:
        marks = cls()
        for origin, (sender, target, sent, noted, runs, marked) in data.items():
            assert isinstance(runs, list)
            marks.marks[int(origin)] = Mark(
                _int(sender), _int(target), _int(sent),
                [(int(a), int(b), int(c), int(d)) for a, b, c, d in runs], _int(noted),
                _int(marked),
            )  # fmt: skip
        return marks


def _int(value: object) -> int:
    assert isinstance(value, int)
    return value


def _cut(runs: list[Run], below: int) -> None:
    """Keep only the MsgSeqNums below ``below`` (a run across it is shortened)."""
    while runs and runs[-1][0] + runs[-1][2] > below:
        a, b, _, d = runs.pop()
        if a < below:
            runs.append((a, b, below - a, d))
            return


class MarkBook:
    """One connection's side of the marks: the runs sent since the last mark, and the next
    MsgSeqNum the last mark journaled covers (what needs no new mark)."""

    def __init__(self, covered: int) -> None:
        self.covered = covered
        self.runs: list[Run] = []
        #: the numbers restarted since the last mark
        self.restarted = False

    def reset(self) -> None:
        """The numbers restart at 1 (ResetSeqNumFlag=Y): the runs sent before are void."""
        self.runs = []
        self.restarted = True

    def sent(self, seq: int, number: int, sent_ns: int) -> None:
        """Report ``number`` went out as MsgSeqNum ``seq`` at ``sent_ns``."""
        runs = self.runs
        if runs:
            a, b, c, d = runs[-1]
            if seq == a + c and number == b + c and sent_ns == d:
                runs[-1] = (a, b, c + 1, d)
                return
        runs.append((seq, number, 1, sent_ns))

    def needs_mark(self, next_sender: int) -> bool:
        """Whether bytes written now carry a MsgSeqNum no journaled mark covers."""
        return next_sender != self.covered or bool(self.runs) or self.restarted

    def notes(self, next_sender: int, next_target: int, reports_sent: int) -> list[SessionNote]:
        """The notes that cover the numbers up to ``next_sender`` (the runs, then the mark);
        from now on those numbers count as covered (the caller holds the bytes until the
        notes come back)."""
        out = [SessionNote(0, 0, _SENT, "", "", a, b, c, d) for a, b, c, d in self.runs]
        restarted = int(self.restarted)
        out.append(
            SessionNote(0, 0, _MARK, "", "", next_sender, next_target, reports_sent, restarted)
        )
        self.runs = []
        self.covered = next_sender
        self.restarted = False
        return out
