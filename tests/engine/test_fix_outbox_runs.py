"""A batch of reports sent as runs (``engine.gateway.fix_outbox.render_into``,
``FixSession.send_encoded_run``, ``engine.gateway.fix_records``) is what one report at a
time gives, byte for byte: the bytes for the socket, the message store's files (rotations
included), the report index, the numbers. Compiled, these compare the C loops with the
per-message path; in the SEQUEX_PURE run, the same source uncompiled."""

from __future__ import annotations

import struct
from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import native
from engine.domain.types import Side
from engine.gateway import fix_files, fix_records
from engine.gateway.fix_files import SessionFiles
from engine.gateway.fix_frames import report_bodies, report_body
from engine.gateway.fix_history import ReportHistory
from engine.gateway.fix_outbox import EXECUTION_REPORT, render_into
from engine.gateway.fix_render import render
from engine.gateway.outbound import OrderReport
from engine.gateway.report_store import ReportStore
from engine.protocols.fix.codec import encode
from engine.protocols.fix.outbound import Outbound
from engine.protocols.fix.session import FixSession, LogonRequest, SessionConfig, State
from engine.protocols.fix.store import MemoryStore, StoredMessage
from engine.protocols.fix.timestamps import format_utc_timestamp
from engine.protocols.fix.wire import wrap, wrap_run
from tests.engine.protocols.fix.peer import T0
from tests.engine.test_fix_render import CASES

#: the reports of an order's life, and a few the lane leaves to the reference
_KINDS = [*CASES.values(), replace(CASES["trade"], side=Side.BUY), replace(CASES["new"], ts=-1)]


def _logged_on(files: SessionFiles, directory: Path) -> FixSession:
    history = ReportHistory(files.store, files.index, ReportStore(directory / "reports"))
    session = FixSession(SessionConfig(), MemoryStore(capacity=16))
    logon = [(49, "ALPHAFIX"), (56, "SEQUEX"), (34, "1"), (52, format_utc_timestamp(T0))]
    logon += [(98, "0"), (108, "30"), (553, "ALPHA"), (554, "alpha-pass")]
    session.receive_data(encode("A", logon), T0)
    assert isinstance(session.next_event(), LogonRequest)
    session.accept_logon(T0, next_sender_seq=5, store=history)
    session.data_to_send()
    return session


def _one_at_a_time(
    fix: FixSession, files: SessionFiles, numbered: list[tuple[int, OrderReport]], now: int
) -> None:
    """The reference: ``render_into`` as it was, one report and one message at a time."""
    seqnums = files.seqnums
    for number, report in numbered:
        if fix.state is not State.ACTIVE:
            return
        if number == seqnums.reports_sent + 1:
            body = report_body(report)
            if body is not None:
                seq = fix.send_encoded(EXECUTION_REPORT, body, now)
            else:
                seq = fix.send(render(report), now)
            files.index.note(seq, number, now)
            seqnums.reports_sent = number


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


_BATCHES = st.lists(
    st.tuples(st.lists(st.integers(0, len(_KINDS) - 1), max_size=12), st.integers(0, 2)),
    min_size=1,
    max_size=8,
)


@settings(max_examples=60, deadline=None)
@given(batches=_BATCHES, capacity=st.sampled_from([2, 5, 9, 100]))
def test_a_batch_sent_as_runs_is_what_one_report_at_a_time_sends(
    tmp_path_factory: object, batches: list[tuple[list[int], int]], capacity: int
) -> None:
    root = tmp_path_factory.mktemp("runs")  # type: ignore[attr-defined]
    sides = []
    for name, send in (("runs", render_into), ("one", _one_at_a_time)):
        directory = root / name
        files = SessionFiles(directory, capacity)
        fix = _logged_on(files, directory)
        wire = bytearray()
        number = 0
        for step, (kinds, back) in enumerate(batches):
            # a batch may start with numbers sent already (``back``): both skip them
            first = max(1, number + 1 - back)
            reports = [replace(_KINDS[k], seq_no=100 + first + i) for i, k in enumerate(kinds)]
            numbered = list(enumerate(reports, start=first))
            send(fix, files, numbered, T0 + step * 1_000_000)
            number = max(number, files.seqnums.reports_sent)
            files.seqnums.next_sender = fix.next_sender_seq
            files.flush()
            wire += fix.data_to_send()
        files.close()
        sides.append((bytes(wire), _files(directory), fix.next_sender_seq))
    assert sides[0] == sides[1]


def test_a_run_goes_out_as_the_messages_one_at_a_time_would() -> None:
    bodies = [b"37=1\x0111=a\x01", b"37=22\x0111=bb\x01" * 3, b"58=x\x01"]
    runs, one = Outbound("SEQUEX", 98, MemoryStore()), Outbound("SEQUEX", 98, MemoryStore())
    for out in (runs, one):
        out.target_comp_id = "ALPHAFIX"
    assert runs.send_encoded_run("8", bodies, T0) == 98
    for body in bodies:
        one.send_encoded("8", body, T0)
    assert runs.take() == one.take()
    assert runs.next_seq == one.next_seq == 101
    assert runs.store.messages(1, 200) == one.store.messages(1, 200)  # no save_run: one by one
    stamp = format_utc_timestamp(T0)
    assert wrap_run("8", "SEQUEX", "ALPHAFIX", 98, stamp, []) == b""


_COMP_ID = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=255), min_size=1)


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(["8", "9", "AE"]),
    _COMP_ID,
    _COMP_ID,
    st.one_of(
        st.integers(1, 200),
        st.integers(1, 2**64),
        st.sampled_from([9, 99, 999_999, 10**18 - 3, 10**18, 2**63]),
    ),
    st.lists(st.binary(max_size=300).map(lambda b: b.replace(b"\x01", b"") + b"\x01"), max_size=8),
)
def test_a_runs_bytes_are_each_message_wrapped(
    msg_type: str, sender: str, target: str, first: int, bodies: list[bytes]
) -> None:
    """The C stores of a run (MsgSeqNums below 10**18) and the Python loop (any other) are
    ``wrap`` of each message's header and body, in turn."""
    stamp = format_utc_timestamp(T0)
    heads = [
        f"35={msg_type}\x0149={sender}\x0156={target}\x0134={first + k}\x0152={stamp}\x01"
        for k in range(len(bodies))
    ]
    expected = b"".join(wrap(h.encode("latin-1"), b) for h, b in zip(heads, bodies, strict=True))
    assert wrap_run(msg_type, sender, target, first, stamp, bodies) == expected


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(st.integers(1, 2**32 - 8), st.integers(2**32, 2**64 - 10)),
    st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\x01", b"") + b"\x01"), max_size=6),
    st.integers(0, 500),
)
def test_the_records_of_a_run_are_the_records_of_each_message(
    first: int, bodies: list[bytes], base: int
) -> None:
    stamp = format_utc_timestamp(T0)
    records, entries = fix_records.store_records(first, "8", stamp, bodies, base)
    each = [
        fix_files._encode(StoredMessage(first + i, "8", b, stamp)) for i, b in enumerate(bodies)
    ]
    assert records == b"".join(each)
    starts = [base + sum(map(len, each[:i])) + 16 for i in range(len(each))]
    assert entries == [(first + i, starts[i], len(each[i]) - 16) for i in range(len(each))]
    if first + len(bodies) > 2**32:
        return  # the report index keeps MsgSeqNums as u32s
    index = fix_records.index_records(first, 7, len(bodies), T0)
    assert index == b"".join(struct.pack("<IIQ", first + i, 7 + i, T0) for i in range(len(bodies)))


def test_the_bodies_of_a_run_stop_at_a_gap_or_a_report_for_the_reference() -> None:
    new, trade, odd = CASES["new"], CASES["trade"], replace(CASES["trade"], side=Side.BUY)
    numbered = [(3, new), (4, trade), (6, new)]
    assert report_bodies(numbered, 0, 3) == [report_body(new), report_body(trade)]
    assert report_bodies([(3, new), (4, odd), (5, new)], 0, 3) == [report_body(new)]
    assert report_bodies([(3, odd)], 0, 3) == []
    assert report_bodies(numbered, 2, 6) == [report_body(new)]


def test_the_tests_above_compare_the_c_code_unless_pure_is_asked_for() -> None:
    compiled = not native.pure_requested()
    assert (not fix_records.__file__.endswith(".py")) == compiled
