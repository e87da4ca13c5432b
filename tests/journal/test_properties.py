"""Property tests: random records, batches, segment sizes, reopen-and-append, reads from any seq."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journal import (
    DurableDataMissing,
    JournalCorruption,
    JournalWriter,
    SyncPolicy,
    recover,
    verify,
)

from .helpers import (
    dir_bytes,
    only_segment,
    quarantined,
    read_all,
    record_offsets,
    rewind_checkpoint,
)

record = st.tuples(st.integers(0, 2**32 - 1), st.integers(1, 5), st.binary(max_size=120))
batch = st.one_of(
    st.lists(record, min_size=0, max_size=12).map(lambda rs: ("many", rs)),
    st.tuples(st.integers(1, 40), st.integers(1, 24)).map(lambda t: ("fixed", t)),
)
session = st.lists(batch, min_size=1, max_size=5)


@settings(max_examples=40, deadline=None, database=None)
@given(
    sessions=st.lists(session, min_size=1, max_size=3),
    segment_bytes=st.integers(200, 3000),
    probes=st.lists(st.integers(0, 2000), max_size=4),
)
def test_journal_round_trips_across_batches_rolls_and_reopens(
    sessions: list[list[tuple[str, Any]]], segment_bytes: int, probes: list[int]
) -> None:
    directory = Path(tempfile.mkdtemp(prefix="sequex-prop-"))
    try:
        expected: list[tuple[int, int, bytes]] = []
        seq = 0
        for batches in sessions:
            with JournalWriter(
                directory, segment_bytes=segment_bytes, policy=SyncPolicy.never()
            ) as writer:
                assert writer.recovery.clean
                assert writer.last_seq == seq
                for kind, spec in batches:
                    if kind == "many":
                        recs = []
                        for rtype, gap, payload in spec:
                            seq += gap
                            recs.append((rtype, seq, payload))
                        writer.append_many(recs)
                        expected.extend(recs)
                    else:
                        count, size = spec
                        payloads = np.arange(count * size, dtype=np.uint8)
                        writer.append_fixed(7, seq + 1, payloads, size)
                        expected.extend(
                            (7, seq + 1 + i, payloads[i * size : (i + 1) * size].tobytes())
                            for i in range(count)
                        )
                        seq += count
                    assert writer.commit() == seq
        assert read_all(directory) == expected
        report = verify(directory)
        assert report.damage is None and report.records == len(expected)
        for probe in probes:
            assert read_all(directory, probe) == [r for r in expected if r[1] >= probe]
    finally:
        shutil.rmtree(directory)


@settings(max_examples=60, deadline=None, database=None)
@given(
    records=st.lists(record, min_size=1, max_size=15),
    durable=st.floats(0, 1),
    cut_back=st.integers(1, 200),
)
def test_a_truncation_past_the_checkpoint_recovers_a_prefix_and_before_it_is_refused(
    records: list[tuple[int, int, bytes]], durable: float, cut_back: int
) -> None:
    directory = Path(tempfile.mkdtemp(prefix="sequex-prop-"))
    try:
        seq = 0
        full = []
        for rtype, gap, payload in records:
            seq += gap
            full.append((rtype, seq, payload))
        with JournalWriter(directory, policy=SyncPolicy.never()) as writer:
            writer.append_many(full)
        recorded = int(durable * len(full))  # records the writer got to record durable
        rewind_checkpoint(directory, full[:recorded])
        segment = only_segment(directory)
        data = segment.read_bytes()
        cut = max(96, len(data) - cut_back)
        segment.write_bytes(data[:cut])
        before = verify(directory)
        kept = sum(1 for end in record_offsets(full)[1:] if end <= cut)
        if kept < recorded:
            files = dir_bytes(directory)
            with pytest.raises(DurableDataMissing):
                recover(directory)
            assert dir_bytes(directory) == files
            first_missing = full[kept - 1][1] + 1 if kept else 0
            assert before.durable_missing == (first_missing, full[recorded - 1][1])
            return
        report = recover(directory)
        survivors = read_all(directory)
        assert survivors == full[:kept]
        assert report.dropped_bytes == cut - segment.stat().st_size
        assert sum(len(b) for b in quarantined(directory).values()) == report.dropped_bytes
        if before.damage is not None:
            assert before.damage.torn_tail
            assert before.damage.dropped_bytes == report.dropped_bytes
        assert verify(directory).ok
    finally:
        shutil.rmtree(directory)


@settings(max_examples=60, deadline=None, database=None)
@given(
    records=st.lists(record, min_size=2, max_size=10),
    where=st.floats(0, 1),
    bit=st.integers(0, 7),
    last_durable=st.booleans(),
)
def test_a_flipped_bit_is_a_torn_tail_only_past_the_checkpoint_and_corruption_before_it(
    records: list[tuple[int, int, bytes]], where: float, bit: int, last_durable: bool
) -> None:
    directory = Path(tempfile.mkdtemp(prefix="sequex-prop-"))
    try:
        seq = 0
        full = []
        for rtype, gap, payload in records:
            seq += gap
            full.append((rtype, seq, payload))
        with JournalWriter(directory, policy=SyncPolicy.never()) as writer:
            writer.append_many(full)
        if not last_durable:
            rewind_checkpoint(directory, full[:-1])
        segment = only_segment(directory)
        data = bytearray(segment.read_bytes())
        offsets = record_offsets(full)
        pos = min(int(where * len(data)), len(data) - 1)
        data[pos] ^= 1 << bit
        segment.write_bytes(bytes(data))
        files = dir_bytes(directory)
        if pos >= offsets[-2] and last_durable:
            with pytest.raises(DurableDataMissing):
                recover(directory)
            assert dir_bytes(directory) == files
        elif pos >= offsets[-2]:
            report = recover(directory)
            assert report.damage is not None and report.damage.offset == offsets[-2]
            assert report.dropped_bytes == len(data) - offsets[-2]
            assert read_all(directory) == full[:-1]
            assert list(quarantined(directory).values()) == [bytes(data[offsets[-2] :])]
        else:
            damaged_at = 0 if pos < 96 else max(o for o in offsets if o <= pos)
            with pytest.raises(JournalCorruption) as info:
                recover(directory)
            assert (info.value.segment, info.value.offset) == (segment.name, damaged_at)
            assert dir_bytes(directory) == files
    finally:
        shutil.rmtree(directory)
