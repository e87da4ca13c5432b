"""The out side's routing shortcuts held to the rules they skip, on random command streams
through the real exchange (the streams of ``tests/engine/test_out_lane.py``):

* ``JsonSessionStores.apply_many`` decides an answer to a session that is not a named JSON
  one without the account's firm: it must store exactly what routing every event through
  ``_targets`` stores;
* ``EventStore.append`` (one buffer, the key check inline) must store what the generic
  ``NumberedStore.append`` stores, the same numbers and file bytes;
* ``SessionDirectory.deliveries`` with no session open skips ``targets``: it must learn the
  same accounts and count the same reports dropped."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.config import FirmConfig, SessionConfig
from engine.domain.exchange import Exchange
from engine.domain.types import OrderType, SelfTradePrevention, Side, TimeInForce
from engine.gateway.accounts import AccountRegistry
from engine.gateway.directory import SessionDirectory
from engine.gateway.disclosure import firm_view
from engine.gateway.json_stores import EventStore, JsonSessionStores, Stored
from engine.gateway.ledger import numbered_reports
from engine.gateway.report_store import NumberedStore
from engine.gateway.router import Report, ReportRouter
from engine.session_ids import session_origin
from tests.engine.test_out_lane import A1, A2, B1, B2, EPHEMERAL, SETUP, _commands, _steps

AJ, BJ = session_origin("ALPHA", "AJ1"), session_origin("BETA", "BJ1")
FIRMS = (
    FirmConfig("ALPHA", "x", SelfTradePrevention.CANCEL_RESTING, (),
               (SessionConfig("AO1", "ouch", A1, "A-1"), SessionConfig("AF1", "fix", A2, "A-1"),
                SessionConfig("AJ1", "json", AJ, "A-1"))),
    FirmConfig("BETA", "x", SelfTradePrevention.CANCEL_RESTING, (),
               (SessionConfig("BO1", "ouch", B1, "B-1"), SessionConfig("BF1", "fix", B2, "B-1"),
                SessionConfig("BJ1", "json", BJ, "B-1"))),
)  # fmt: skip


#: ends every stream: a trade between a named JSON session's order and an OUCH one
_TAIL: list[tuple[Any, ...]] = [
    ("new", EPHEMERAL, "ACME", Side.SELL, OrderType.LIMIT, TimeInForce.DAY, 3, 1000, "j", False),
    ("new", A1, "ACME", Side.BUY, OrderType.LIMIT, TimeInForce.IOC, 3, 1000, "o", False),
]


def _stream(steps: list[tuple[Any, ...]]) -> list[tuple[int, int, list[tuple[int, Any]]]]:
    """(seq_no, origin, numbered events) of the setup and the steps; some commands sent by a
    named JSON session (the steps' ephemeral origin stands for one)."""
    exchange = Exchange()
    out = [(cmd.seq_no, 0, numbered_reports(exchange.submit(cmd))) for cmd in SETUP]
    for index, (cmd, origin) in enumerate(_commands(steps + _TAIL)):
        sender = (AJ if index % 2 else BJ) if origin == EPHEMERAL else origin
        out.append((cmd.seq_no, sender, numbered_reports(exchange.submit(cmd))))
    return out


@settings(max_examples=60, deadline=None)
@given(_steps)
def test_named_json_stores_store_what_every_events_targets_owe(
    steps: list[tuple[Any, ...]],
) -> None:
    stream = _stream(steps)
    with tempfile.TemporaryDirectory() as directory:
        stores = JsonSessionStores(Path(directory), FIRMS, AccountRegistry())
        delivered = stores.apply_many(stream)
        twin = JsonSessionStores(Path(directory) / "twin", FIRMS, AccountRegistry())
        expected: dict[int, list[Stored]] = {}
        for seq_no, origin, events in stream:
            for sub, event in events:
                for target in twin._targets(origin, event):
                    expected.setdefault(target, []).append((seq_no, sub, firm_view(event)))
        assert {t: [item for _, item in run.numbered()] for t, run in delivered.items()} == expected
        assert expected, "the stream owed the named sessions nothing: a vacuous check"
        stores.close()
        twin.close()


def _reports(stream: list[tuple[int, int, list[tuple[int, Any]]]]) -> list[Report]:
    router = ReportRouter(lambda _: None)
    out: list[Report] = []
    for seq_no, origin, events in stream:
        out += router.resolve(origin, seq_no, [e for _, e in events])
    return out


@settings(max_examples=60, deadline=None)
@given(_steps)
def test_a_directory_without_sessions_drops_and_learns_as_targets_does(
    steps: list[tuple[Any, ...]],
) -> None:
    reports = _reports(_stream(steps))
    directory, twin = SessionDirectory(), SessionDirectory()
    assert directory.deliveries(reports) == {}
    for session, owner, _, _, event in reports:
        assert twin.targets(session, owner, event) == []
    assert directory.dropped == twin.dropped > 0
    assert directory.misrouted == twin.misrouted == 0
    for account in ("A-1", "B-1"):
        assert directory.accounts.firm_of(account) == twin.accounts.firm_of(account)


class _GenericEventStore(EventStore):
    """The reference: the generic loop over ``_key`` and ``_encode``."""

    def append(self, items: list[Stored]) -> list[tuple[int, Stored]]:
        return NumberedStore.append(self, items)


@settings(max_examples=60, deadline=None)
@given(_steps, st.lists(st.integers(1, 6), min_size=1, max_size=12), st.booleans())
def test_an_event_store_appends_what_the_generic_store_appends(
    steps: list[tuple[Any, ...]], cuts: list[int], reopen: bool
) -> None:
    """Batches cut anywhere, some of them fed twice (a replay) or fed again after a reopen."""
    items = [(seq, sub, e) for seq, _, events in _stream(steps) for sub, e in events]
    with tempfile.TemporaryDirectory() as tmp:
        fast_path, ref_path = Path(tmp, "fast.events"), Path(tmp, "ref.events")
        fast, ref = EventStore(fast_path), _GenericEventStore(ref_path)
        at = 0
        for i, cut in enumerate(cuts * 4):
            batch = items[max(at - cut % 3, 0) : at + cut]  # overlaps what is stored
            at += cut
            assert fast.append(batch) == ref.append(batch)
            assert (fast.count, fast.last_key) == (ref.count, ref.last_key)
            if reopen and i % 3 == 2:
                fast.close()
                ref.close()
                fast, ref = EventStore(fast_path), _GenericEventStore(ref_path)
        assert fast.read(1, fast.count) == ref.read(1, ref.count)
        fast.close()
        ref.close()
        assert fast_path.read_bytes() == ref_path.read_bytes()
        assert fast_path.stat().st_size > 16
