"""msgspec against orjson (and the stdlib) for the canonical lines, in one run.

    .venv/bin/python perf/json_libraries.py [--lines 200000] [--repeats 5]

Reading commands.jsonl lines into commands, µs a line (the standard workload, as
`sequex bench simulate` writes it): the reference (``json.loads`` + ``command_from_json``), a
library's parse into a dict + the same ``command_from_json``, and ``FastCommandReader``
(msgspec straight into typed structs). Writing event lines, µs an event: the reference
(``json_encode(event_to_json(...))``), ``encode_events`` (one bytes %-format per class),
``EventLines`` (compiled) and each library's ``dumps`` of the prebuilt ``event_to_json`` dicts
(a lower bound for a library: it leaves out building the dicts and, for orjson and msgspec,
is not even the same bytes: they write UTF-8 where the format wants ``\\uXXXX``). orjson is
optional (not a dependency): its rows are skipped when it is not installed.
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
from collections.abc import Callable
from typing import Any

from engine.canonical import CommandReader, encode_events, event_to_json, json_encode
from engine.canonical.command_lines import FastCommandReader
from engine.canonical.lines import EventLines
from engine.domain.exchange import Exchange
from tools.bench_simulate import command_lines
from tools.bench_timing import seconds_per_item


def _time(loop: Callable[[], object], count: int, repeats: int) -> str:
    rates = [t * 1e6 for t in seconds_per_item(loop, count, repeats)]
    return f"{statistics.median(rates):.3f} ({min(rates):.3f}-{max(rates):.3f})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    lines = [line.encode() for line in command_lines(args.lines)]
    n = len(lines)
    parsers: dict[str, Callable[[bytes], Any]] = {"json (stdlib)": json.loads}
    for name in ("orjson", "msgspec"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        parsers[name] = module.loads if name == "orjson" else module.json.Decoder().decode
    print(f"reading {n} lines, µs a line: median (range) of {args.repeats}")
    for name, loads in parsers.items():

        def parse(loads: Callable[[bytes], Any] = loads) -> None:
            read = CommandReader().read
            for line in lines:
                read(loads(line))

        print(f"  {name} + command_from_json: {_time(parse, n, args.repeats)}")

    def fast() -> None:
        read_line = FastCommandReader().read_line
        for line in lines:
            read_line(line)

    print(f"  msgspec typed structs (FastCommandReader): {_time(fast, n, args.repeats)}")

    reader, exchange = FastCommandReader(), Exchange()
    batches = []
    for line in lines:
        cmd = reader.read_line(line)
        batches.append((cmd.seq_no, exchange.submit(cmd)))
    events = sum(len(e) for _, e in batches)
    dicts = [event_to_json(s, i, e) for s, evs in batches for i, e in enumerate(evs)]
    print(f"writing {events} events, µs an event: median (range) of {args.repeats}")

    def reference() -> None:
        for seq, evs in batches:
            for i, e in enumerate(evs):
                json_encode(event_to_json(seq, i, e))

    def percent() -> None:
        for seq, evs in batches:
            encode_events(seq, evs)

    def compiled() -> None:
        out = EventLines()
        for seq, evs in batches:
            out.add_events(seq, evs)
            if len(out) > 65536:
                out.take()

    print(f"  reference (event_to_json + json_encode): {_time(reference, events, args.repeats)}")
    print(f"  encode_events (bytes %-format): {_time(percent, events, args.repeats)}")
    print(f"  EventLines (compiled): {_time(compiled, events, args.repeats)}")
    dumpers: dict[str, Callable[[Any], Any]] = {"json (stdlib)": json_encode}
    for name in ("orjson", "msgspec"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        dumpers[name] = module.dumps if name == "orjson" else module.json.Encoder().encode

    for name, dumps in dumpers.items():

        def dump(dumps: Callable[[Any], Any] = dumps) -> None:
            for obj in dicts:
                dumps(obj)

        print(f"  {name} dumps of prebuilt dicts: {_time(dump, events, args.repeats)}")


if __name__ == "__main__":
    main()
