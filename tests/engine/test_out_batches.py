"""The out side's batches held to the code they replace, on random command streams through
the real exchange (the streams of ``tests/engine/test_out_lane.py``, with named JSON senders as
in ``tests/engine/test_out_routing_fast_paths.py``), published into a real ring[events] with
every event (book events too) and polled at random cuts, so commands span polls:

* ``EventsReader.poll`` groups by command (``EventReader.decode_commands``, held to the
  reference decoder grouped here); its ``ReportBatch.reports`` must be what the router
  resolves of each command's routed events;
* ``LedgerFeed.reports`` applies the batch with its records (the named JSON sessions' stores
  copy the ring's records: ``JsonSessionStores.apply_records``); a twin ledger applies the
  same commands one by one from the events (``ReportLedger.apply``, the catch-up's path).
  After every poll both must have delivered the same reports with the same numbers, hold the
  same bytes in every store, and stand at the same place with the same live orders;
* ``unheard`` must learn and count what the JSON directory does with no session open;
* ``EventStore.append_records`` must skip what ``EventStore.append`` skips when a stretch is
  stored again (a replay after a restart)."""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from disruptor import RingBuffer, list_names
from engine.domain.exchange import Exchange
from engine.domain.types import (
    AccountOpened,
    CancelOrder,
    Command,
    Event,
    OrderType,
    Rejected,
    RejectReason,
    Side,
    TimeInForce,
)
from engine.event_codec import ORIGIN_OFFSET, EventReader, write_events
from engine.event_records import EVENT_RECORD_SIZE, EventDecoder
from engine.gateway import json_records
from engine.gateway.accounts import AccountRegistry
from engine.gateway.directory import SessionDirectory
from engine.gateway.events_reader import EventsReader
from engine.gateway.json_stores import JsonSessionStores
from engine.gateway.ledger import Delivered, ReportLedger, numbered_reports
from engine.gateway.ledger_feed import LedgerFeed, for_json, unheard
from engine.gateway.out_batch import UNHEARD_ORDER_REPORTS, count_unheard
from engine.gateway.router import ORDER_REPORTS, ROUTED_EVENTS, Report, ReportRouter
from engine.session_ids import STABLE_BIT
from tests.engine.test_out_lane import EPHEMERAL, SETUP, _commands, _steps
from tests.engine.test_out_routing_fast_paths import _TAIL, AJ, BJ, FIRMS

Stream = list[tuple[Command, int, list[Event]]]


def _stream(steps: list[tuple[Any, ...]]) -> Stream:
    """(command, origin, every event) of the setup and the steps; some commands sent by a
    named JSON session, some by an anonymous one."""
    exchange = Exchange()
    out: Stream = [(cmd, 0, exchange.submit(cmd)) for cmd in SETUP]
    for index, (cmd, origin) in enumerate(_commands(steps + _TAIL)):
        sender = origin
        if origin == EPHEMERAL and index % 3:
            sender = AJ if index % 3 == 1 else BJ
        out.append((cmd, sender, exchange.submit(cmd)))
    return out


def _records(stream: Stream) -> bytes:
    buf = bytearray()
    at = 0
    for cmd, origin, events in stream:
        at = write_events(buf, at, cmd.seq_no, events, origin, cmd.ts)
    return bytes(buf[:at])


def _store_bytes(ledger: ReportLedger) -> dict[str, bytes]:
    files = [s.path for s in ledger.stores.values()] + [s.path for s in ledger.json.stores.values()]
    return {path.name: path.read_bytes() for path in files}


def _events_of(delivered: dict[int, Any]) -> dict[int, list[Any]]:
    return {target: run.numbered() for target, run in delivered.items()}


@settings(max_examples=40, deadline=None)
@given(_steps, st.lists(st.integers(1, 9), min_size=1, max_size=8))
def test_batches_give_what_the_command_by_command_path_gives(
    steps: list[tuple[Any, ...]], cuts: list[int]
) -> None:
    stream = _stream(steps)
    records = _records(stream)
    name = f"sqxobt{os.getpid()}-{uuid.uuid4().hex[:6]}-events"
    ring = RingBuffer.create(name, 16, EVENT_RECORD_SIZE, 2)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            _compare(stream, records, ring, Path(tmp), cuts)
    finally:
        ring.close()
    assert list_names(name) == []


def _compare(stream: Stream, records: bytes, ring: RingBuffer, tmp: Path, cuts: list[int]) -> None:
    ledger = ReportLedger(tmp / "batches", FIRMS)
    twin = ReportLedger(tmp / "twin", FIRMS)
    orders: Delivered = {}
    events: dict[int, list[Any]] = {}

    def take_orders(delivered: Delivered) -> None:
        for target, numbered in delivered.items():
            orders.setdefault(target, []).extend(numbered)

    def take_events(delivered: dict[int, Any]) -> None:
        for target, numbered in _events_of(delivered).items():
            events.setdefault(target, []).extend(numbered)

    feed = LedgerFeed(ledger, (take_orders,), take_events)
    for cmd, origin, _ in stream:
        feed.sent(cmd.seq_no, cmd, origin)
    reader = EventsReader(ring, 1)
    seqr = ring.sequencer(gating=[1])
    router = ReportRouter(lambda _: None)
    directory, quiet = SessionDirectory(), SessionDirectory()
    twin_orders: Delivered = {}
    twin_events: dict[int, list[Any]] = {}
    expected: list[Report] = []
    got: list[Report] = []
    size = len(records) // EVENT_RECORD_SIZE
    at = command = 0  # records published; commands of the stream the twin has applied
    published = 0  # records of whole commands published so far
    for cut in cuts * (size // sum(cuts) + 1):
        if at >= size:
            break
        step = min(cut, size - at, 16)
        hi = seqr.next(step)
        for i in range(step):
            raw = records[(at + i) * EVENT_RECORD_SIZE : (at + i + 1) * EVENT_RECORD_SIZE]
            ring.slots[(hi - step + 1 + i) & ring.mask] = memoryview(raw)
        seqr.publish(hi)
        at += step
        batch = reader.poll()
        got += batch.reports()
        feed.reports(batch)
        directory.dropped += unheard(batch, directory.accounts)
        quiet.deliveries(for_json(batch.reports()))
        # the twin: every command whose records are all out, then the part of the next one
        # that is (the ledger applies a command split over two polls in two parts)
        while command < len(stream) and published + len(stream[command][2]) <= at:
            cmd, origin, all_events = stream[command]
            routed = [e for e in all_events if e.__class__ in ROUTED_EVENTS]
            expected += router.resolve(origin, cmd.seq_no, routed)
            applied = twin.apply(cmd.seq_no, cmd, origin, numbered_reports(all_events))
            for target, numbered in applied.orders.items():
                twin_orders.setdefault(target, []).extend(numbered)
            for target, numbered in _events_of(applied.events).items():
                twin_events.setdefault(target, []).extend(numbered)
            published += len(all_events)
            command += 1
        if command < len(stream) and at > published:
            cmd, origin, all_events = stream[command]
            head = all_events[: at - published]
            part = numbered_reports(all_events)[: sum(e.__class__ in ROUTED_EVENTS for e in head)]
            applied = twin.apply(cmd.seq_no, cmd, origin, part)
            for target, numbered in applied.orders.items():
                twin_orders.setdefault(target, []).extend(numbered)
            for target, numbered in _events_of(applied.events).items():
                twin_events.setdefault(target, []).extend(numbered)
        assert got[: len(expected)] == expected  # got may hold the head of the next command
        assert orders == twin_orders
        assert events == twin_events
        assert ledger.through[0] == twin.through[0]
        assert ledger.projection.snapshot() == twin.projection.snapshot()
        assert _store_bytes(ledger) == _store_bytes(twin)
        assert directory.dropped == quiet.dropped
    assert at == size
    assert got == expected
    assert ledger.through == twin.through
    for account in ("A-1", "B-1"):
        assert directory.accounts.firm_of(account) == quiet.accounts.firm_of(account)
    assert events, "the stream owed the named sessions nothing: a vacuous check"
    ledger.close()
    twin.close()


def _owed(stream: Stream) -> list[tuple[int, int, list[tuple[int, Event]]]]:
    return [(cmd.seq_no, origin, numbered_reports(events)) for cmd, origin, events in stream]


def _rows(owed: list[tuple[int, int, list[tuple[int, Event]]]]) -> tuple[Any, list[int]]:
    """The routed events' records as an ``EventsReader`` batch holds them, and where each
    command's first one is."""
    buf = bytearray()
    end = 0
    at: list[int] = []
    for seq_no, origin, events in owed:
        at.append(end // EVENT_RECORD_SIZE)
        end = write_events(buf, end, seq_no, [e for _, e in events], origin, seq_no * 7)
    rows = np.frombuffer(bytes(buf[:end]), dtype=np.uint8).reshape(-1, EVENT_RECORD_SIZE)
    return rows.copy(), at


@settings(max_examples=60, deadline=None)
@given(_steps, st.lists(st.integers(1, 8), min_size=1, max_size=10), st.booleans(), st.booleans())
def test_stores_from_records_store_what_stores_from_events_store(
    steps: list[tuple[Any, ...]], cuts: list[int], reopen: bool, small: bool
) -> None:
    """Commands in batches cut anywhere, some fed again (a replay), some after a reopen; the
    records cut from the batch's bytes (a small batch) or picked by numpy (a large one)."""
    saved = json_records.SMALL_BATCH
    json_records.SMALL_BATCH = 10**9 if small else 0
    try:
        _stores_from_records(steps, cuts, reopen)
    finally:
        json_records.SMALL_BATCH = saved


def _stores_from_records(steps: list[tuple[Any, ...]], cuts: list[int], reopen: bool) -> None:
    owed = _owed(_stream(steps))
    with tempfile.TemporaryDirectory() as tmp:
        fast = JsonSessionStores(Path(tmp, "fast"), FIRMS, AccountRegistry())
        ref = JsonSessionStores(Path(tmp, "ref"), FIRMS, AccountRegistry())
        at = 0
        for i, cut in enumerate(cuts * 4):
            batch = owed[max(at - cut % 3, 0) : at + cut]
            at += cut
            if not batch:
                continue
            rows, firsts = _rows(batch)
            got = _events_of(fast.apply_records(batch, rows, firsts))
            assert got == _events_of(ref.apply_many(batch))
            if reopen and i % 3 == 2:
                fast.close()
                ref.close()
                fast = JsonSessionStores(Path(tmp, "fast"), FIRMS, fast.accounts)
                ref = JsonSessionStores(Path(tmp, "ref"), FIRMS, ref.accounts)
        for origin, store in fast.stores.items():
            assert (store.count, store.last_key) == (
                ref.stores[origin].count,
                ref.stores[origin].last_key,
            )
        fast.close()
        ref.close()
        for origin, store in fast.stores.items():
            assert store.path.read_bytes() == ref.stores[origin].path.read_bytes()


@pytest.mark.parametrize("small", [True, False])
def test_a_hidden_refusal_is_stored_as_the_one_a_firm_is_told(small: bool) -> None:
    """A cancel of another firm's order from a named session: the store holds (and a live
    session is handed) the unknown-order refusal, from the records (made ready in Python or
    by numpy) as from the events."""
    saved = json_records.SMALL_BATCH
    json_records.SMALL_BATCH = 10**9 if small else 0
    try:
        _hidden_refusal()
    finally:
        json_records.SMALL_BATCH = saved


def _hidden_refusal() -> None:
    steps: list[tuple[Any, ...]] = [  # an order of B-1, resting
        ("new", EPHEMERAL, "ACME", Side.BUY, OrderType.LIMIT, TimeInForce.DAY, 5, 990, "", False)
    ]
    stream = _stream(steps)
    order_id = stream[len(SETUP)][0].seq_no
    exchange = Exchange()
    for cmd, _, _ in stream:
        exchange.submit(cmd)
    seq_no = stream[-1][0].seq_no + 1
    refused = exchange.submit(CancelOrder(seq_no, 5, "A-1", order_id, "x"))
    assert [e.reason for e in refused if isinstance(e, Rejected)] == [RejectReason.NOT_ORDER_OWNER]
    owed = [(seq_no, AJ, numbered_reports(refused))]
    with tempfile.TemporaryDirectory() as tmp:
        fast = JsonSessionStores(Path(tmp, "fast"), FIRMS, AccountRegistry({"A-1": "ALPHA"}))
        ref = JsonSessionStores(Path(tmp, "ref"), FIRMS, AccountRegistry({"A-1": "ALPHA"}))
        rows, firsts = _rows(owed)
        got = _events_of(fast.apply_records(owed, rows, firsts))
        assert got == _events_of(ref.apply_many(owed))
        ((_, (_, _, shown)),) = got[AJ]
        assert isinstance(shown, Rejected) and shown.reason is RejectReason.UNKNOWN_ORDER
        fast.close()
        ref.close()
        assert fast.stores[AJ].path.read_bytes() == ref.stores[AJ].path.read_bytes()


def _grouped(rows: Any, seq_no: int, sub: int) -> tuple[list[Any], int, int, bytes]:
    """The reference of ``EventReader.decode_commands``: the reference decoder, grouped."""
    out: list[Any] = []
    fixed = bytearray(rows.tobytes())
    decoded = EventDecoder().decode_many(bytes(fixed))
    for row, (seq, _, event) in enumerate(decoded):
        if seq != seq_no or not out:
            sub = 0 if seq != seq_no else sub
            seq_no = seq
            origin = int.from_bytes(fixed[row * 128 + ORIGIN_OFFSET : row * 128 + 112], "little")
            out.append((seq, origin, [], row))
        out[-1][2].append((sub, event))
        fixed[row * 128 + 4 : row * 128 + 8] = sub.to_bytes(4, "little")
        sub += 1
    return out, seq_no, sub, bytes(fixed)


@settings(max_examples=60, deadline=None)
@given(_steps, st.integers(0, 30), st.integers(0, 3))
def test_records_are_grouped_by_command_as_the_reference_groups_them(
    steps: list[tuple[Any, ...]], cut: int, carried: int
) -> None:
    """Every event of the stream (book events too), cut in two anywhere: the second part
    goes on with the first's last command and number."""
    records = np.frombuffer(_records(_stream(steps)), dtype=np.uint8).reshape(-1, 128)
    first, second = records[:cut].copy(), records[cut:].copy()
    expected_first = _grouped(first, -1, carried)
    got, seq_no, sub = EventReader().decode_commands(first, -1, carried)
    assert (got, seq_no, sub, first.tobytes()) == expected_first
    expected_second = _grouped(second, seq_no, sub)
    got, seq_no, sub = EventReader().decode_commands(second, seq_no, sub)
    assert (got, seq_no, sub, second.tobytes()) == expected_second


@settings(max_examples=40, deadline=None)
@given(_steps, st.integers(0, 10_000))
def test_a_ledger_behind_mid_command_takes_the_rest_from_the_right_records(
    steps: list[tuple[Any, ...]], cut: int
) -> None:
    """Both ledgers already hold the reports up to a cut anywhere (a command's head, as after
    a catch-up); then the whole stream again, one with its records: what is past the cut is
    picked from the right rows."""
    stream = _stream(steps)
    applied = [(c.seq_no, c, origin, numbered_reports(events)) for c, origin, events in stream]
    cut %= sum(len(events) for *_, events in applied) + 1
    with tempfile.TemporaryDirectory() as tmp:
        ledger = ReportLedger(Path(tmp, "records"), FIRMS)
        twin = ReportLedger(Path(tmp, "events"), FIRMS)
        left = cut
        for seq_no, cmd, origin, events in applied:
            head = events[:left]
            left -= len(head)
            for each in (ledger, twin):
                each.apply(seq_no, cmd, origin, head)
        rows, at = _rows([(seq_no, origin, events) for seq_no, _, origin, events in applied])
        got = ledger.apply_many(applied, (rows, at))
        expected = twin.apply_many(applied)
        assert got.orders == expected.orders
        assert _events_of(got.events) == _events_of(expected.events)
        assert _store_bytes(ledger) == _store_bytes(twin)
        assert ledger.through == twin.through
        ledger.close()
        twin.close()


def test_the_unheard_count_takes_the_routers_order_reports_and_only_them() -> None:
    # count_unheard compares classes one by one instead of looking them up in ORDER_REPORTS:
    # from a configured session (whose answers its store serves), only order reports count
    assert frozenset(UNHEARD_ORDER_REPORTS) == ORDER_REPORTS
    configured = STABLE_BIT | 5
    for cls in ROUTED_EVENTS:
        if cls is AccountOpened:
            continue  # learnt, not counted (the random streams cover it)
        event = cls._make([0] * len(cls._fields))
        counted = count_unheard([(1, configured, [(0, event)], 0)], lambda f, a: None)
        assert counted == (cls in ORDER_REPORTS), cls.__name__
