"""The views stage's reader of event records (no event objects) against the event adapter:
the same view from the same stream, whatever the records are cut into."""

from __future__ import annotations

import numpy as np
import pytest

from engine.domain.exchange import Exchange
from engine.event_records import EVENT_RECORD_SIZE, encode_event
from engine.views.columns import apply_rows
from engine.views.projection import MarketView
from tests.engine.views.streams import fed, shown, stream


@pytest.mark.parametrize(("seed", "cut"), [(1, 1), (2, 7), (3, 4096)])
def test_records_give_the_view_the_events_give(seed: int, cut: int) -> None:
    commands = stream(400, seed)
    exchange = Exchange(4)
    raw = b"".join(
        encode_event(c.seq_no, sub, e) for c in commands for sub, e in enumerate(exchange.submit(c))
    )
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(-1, EVENT_RECORD_SIZE)
    view = MarketView()
    applied = sum(apply_rows(view, rows[i : i + cut]) for i in range(0, len(rows), cut))
    view.through_seq = commands[-1].seq_no
    expected = fed(commands)
    assert shown(view) == shown(expected)
    assert view.versions == expected.versions
    assert 0 < applied < len(rows)  # accepts, rejects, makers' fills: skipped
