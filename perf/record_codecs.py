"""The record codecs, compiled against the same sources uncompiled, in one run.

    .venv/bin/python perf/record_codecs.py [--commands 100000] [--repeats 5] [--json]

ns a record (median, range of ``--repeats``) of each codec pass an order meets in the
pipeline, over the commands of the standard workload and the events the Exchange gives them:

* ``command_decode``: 128-byte command records back into commands (``CommandReader``, what
  the core, risk and matcher stages and replay run);
* ``event_encode``: each command's events into 128-byte event records (``encode_events_into``,
  the fused core's and the matchers' writer);
* ``event_decode``: event records back into events (``EventReader``, the gateway's reader);
* ``frame_checksum``: xxh3_64 of 152-byte journal frames (``frame_checksums``: the journal
  writer and every journal read).

The uncompiled build's figures come from a child process with ``SEQUEX_PURE=1``
(``tools.pure_baseline``); there each codec is the reference implementation (``struct`` and
the xxhash package), so ``speedup`` is compiled against what the pipeline ran before.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Callable
from typing import Any

import numpy as np

from engine import native
from engine.command_reader import CommandReader
from engine.domain.exchange import Exchange
from engine.event_codec import EventReader, encode_events_into
from engine.stages.injector import encode_records
from journal.checksums import frame_checksums
from tools.bench_timing import seconds_per_item
from tools.pure_baseline import measure_pure
from tools.workload import standard_book_workload

FRAME_SIZE = 152  # a journal frame: 24-byte record header + 128-byte command record


def _ns_per(loop: Callable[[], object], count: int, repeats: int) -> list[float]:
    return [t * 1e9 for t in seconds_per_item(loop, count, repeats)]


def measure(commands: int, repeats: int) -> dict[str, Any]:
    """ns a record of each codec pass, in this process's build."""
    workload = standard_book_workload(commands)
    records = encode_records(workload.commands)
    raw = records.tobytes()
    exchange = Exchange(feedback_window=1024)
    for cmd in workload.setup:
        exchange.submit(cmd)
    first = len(workload.setup) + 1  # the Exchange numbers commands from 1, setup included
    per_command = [(seq, exchange.submit(cmd)) for seq, cmd in enumerate(workload.commands, first)]
    event_count = sum(len(events) for _, events in per_command)
    encoded = bytearray()
    for seq, events in per_command:
        encode_events_into(encoded, seq, events)
    event_bytes = bytes(encoded)
    frames = np.frombuffer(np.random.default_rng(1).bytes(FRAME_SIZE * len(records)), np.uint8)
    frames = frames.reshape(len(records), FRAME_SIZE)

    def encode_all() -> None:
        out = bytearray()
        for seq, events in per_command:
            encode_events_into(out, seq, events)

    passes = {
        "command_decode": (lambda: CommandReader().decode_many(raw), len(records)),
        "event_encode": (encode_all, event_count),
        "event_decode": (lambda: EventReader().decode_bytes(event_bytes), event_count),
        "frame_checksum": (lambda: frame_checksums(frames), len(frames)),
    }
    figures: dict[str, Any] = {"build": native.describe()}
    for name, (loop, count) in passes.items():
        figures[name] = _ns_per(loop, count, repeats)
    figures["events_per_command"] = round(event_count / len(records), 3)
    return figures


def _summary(ns: list[float]) -> str:
    return f"{statistics.median(ns):.0f} ({min(ns):.0f}-{max(ns):.0f})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commands", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--measure", action="store_true", help="this build only (the child)")
    args = parser.parse_args()
    here = measure(args.commands, args.repeats)
    if args.measure:
        print(json.dumps(here))
        return
    child = ["--measure", "--commands", str(args.commands), "--repeats", str(args.repeats)]
    pure = measure_pure("perf.record_codecs", child)
    names = [k for k, v in here.items() if isinstance(v, list)]
    if args.json:
        out: dict[str, Any] = {"build": here["build"]}
        for name in names:
            out[f"{name}_ns"] = round(statistics.median(here[name]))
            out[f"pure_{name}_ns"] = round(statistics.median(pure[name]))
        print(json.dumps(out))
        return
    print(f"{here['build']} against {pure['build']}; ns a record, median (range)")
    for name in names:
        speedup = statistics.median(pure[name]) / statistics.median(here[name])
        print(f"  {name:15s} {_summary(here[name]):>16s}  pure {_summary(pure[name]):>18s}"
              f"  {speedup:5.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()
