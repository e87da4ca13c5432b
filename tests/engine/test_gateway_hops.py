"""The gateway's ANSWERED hop (engine.hop_board): each command counted once, at its own ts,
even when its reports come in two polls of ring[events]."""

from __future__ import annotations

import os
import time
from types import SimpleNamespace
from typing import Any

import numpy as np

from engine.event_codec import TS_OFFSET
from engine.gateway.events_reader import ReportBatch
from engine.gateway.server import GatewayServer
from engine.hop_board import Hop, HopBoard, bucket_of


def _rows(*stamps: int) -> np.ndarray:
    rows = np.zeros((len(stamps), 128), dtype=np.uint8)
    for k, ts in enumerate(stamps):
        rows[k, TS_OFFSET : TS_OFFSET + 8] = np.frombuffer(ts.to_bytes(8, "little"), np.uint8)
    return rows


def test_a_command_split_over_two_polls_is_answered_once_at_its_own_age() -> None:
    board = HopBoard.create(f"sequex-gwhops{os.getpid()}-hops")
    try:
        gateway = SimpleNamespace(_hops=board)
        now = time.time_ns()
        old, young = now - 40_000_000, now - 1_000  # 40 ms and 1 µs before
        event: Any = object()  # the events themselves are not read
        first = ReportBatch(
            [(7, 1, [(0, event)], 0), (8, 1, [(0, event), (1, event)], 1)],
            _rows(old, young, young),
        )
        GatewayServer._answered(gateway, first)  # type: ignore[arg-type]
        rest = ReportBatch([(8, 1, [(2, event)], 0)], _rows(young))  # command 8 goes on
        GatewayServer._answered(gateway, rest)  # type: ignore[arg-type]
        row = board.counts()[Hop.ANSWERED]
        assert int(row.sum()) == 2
        assert row[bucket_of(40_000_000) : bucket_of(41_000_000) + 1].sum() == 1
        assert row[: bucket_of(40_000_000)].sum() == 1  # the young one, well below
    finally:
        board.close()
