"""Run a command stream through `Exchange` and summarise everything it produced.

Run as a program (``python -m tests.engine.differential STREAM SEED COUNT WINDOW``) it prints
one JSON object; the differential tests run it twice, with and without ``SEQUEX_PURE=1``, and
compare: the build that ran, the digest of the canonical event lines of every block of
:data:`BLOCK` commands, the state hash at every checkpoint, the final state hash and snapshot
digest, and the digest of the reporter's rows of every command (``engine.reporter.rows``,
compiled too). Halfway through, the exchange is snapshotted and restored, and the run goes on from
the restored copy; at every checkpoint the invariants are checked. With ``--dump LO HI`` it
prints the canonical lines of commands LO..HI instead (index in the stream), which is how a
failing comparison shows the first commands whose events differ.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator

import xxhash

from engine import native
from engine.canonical import encode_event_line
from engine.domain.exchange import Exchange
from engine.domain.types import Command
from engine.reporter.rows import Projector, RowBatch
from tests.engine.mixed_commands import every_kind, full_mix, replace_heavy, settlement_days
from tools.workload import deep_book_workload, standard_book_workload

BLOCK = 1000
CHECKPOINTS = 8


def stream(name: str, seed: int, count: int) -> Iterator[Command]:
    if name == "mix":
        return full_mix(seed, count)
    if name == "kinds":
        return iter(every_kind(seed, count))
    if name == "replaces":
        return iter(replace_heavy(seed, count, 64))
    if name == "settle":
        return iter(settlement_days(seed, count))
    if name in ("standard", "deep"):
        make = standard_book_workload if name == "standard" else deep_book_workload
        wl = make(count, seed=seed)
        return iter(wl.setup + wl.commands)
    raise SystemExit(f"unknown stream {name!r}")


def lines(cmd: Command, events: Iterable[object]) -> bytes:
    return b"".join(encode_event_line(cmd.seq_no, i, e) for i, e in enumerate(events))  # type: ignore[arg-type]


def summarise(commands: Iterable[Command], window: int, total: int) -> dict[str, object]:
    ex = Exchange(window)
    every = max(1, total // CHECKPOINTS)
    middle = total // 2
    digest = xxhash.xxh3_64()
    blocks: list[str] = []
    checkpoints: list[str] = []
    events = 0
    n = 0
    projector, rows, rows_digest = Projector(), RowBatch(), xxhash.xxh3_64()
    for n, cmd in enumerate(commands, 1):
        out = ex.submit(cmd)
        events += len(out)
        projector.add(rows, cmd, n % 7, out)
        digest.update(lines(cmd, out))
        if n % BLOCK == 0:
            blocks.append(digest.hexdigest())
            digest = xxhash.xxh3_64()
            # repr: a row holding an enum member or a bool where the other build holds an
            # int differs too
            rows_digest.update(repr(sorted(rows.rows.items())).encode())
            rows = RowBatch()
        if n % every == 0:
            ex.check_invariants()
            checkpoints.append(f"{ex.state_hash():016x}")
        if n == middle:
            ex = Exchange.restore(ex.snapshot())
    blocks.append(digest.hexdigest())
    rows_digest.update(repr(sorted(rows.rows.items())).encode())
    ex.check_invariants()
    return {
        "build": native.describe(),
        "compiled": native.is_compiled(),
        "commands": n,
        "events": events,
        "blocks": blocks,
        "checkpoints": checkpoints,
        "state_hash": f"{ex.state_hash():016x}",
        "snapshot": xxhash.xxh3_64_hexdigest(ex.snapshot()),
        "rows": rows_digest.hexdigest(),
    }


def dump(commands: Iterable[Command], window: int, lo: int, hi: int, total: int) -> bytes:
    ex = Exchange(window)
    out = bytearray()
    for n, cmd in enumerate(commands, 1):
        events = ex.submit(cmd)
        if n == total // 2:
            ex = Exchange.restore(ex.snapshot())
        if lo <= n <= hi:
            out += f"# command {n}: {cmd!r}\n".encode()
            out += lines(cmd, events)
        if n >= hi:
            break
    return bytes(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("stream")
    parser.add_argument("seed", type=int)
    parser.add_argument("count", type=int)
    parser.add_argument("window", type=int)
    parser.add_argument("--dump", nargs=2, type=int, metavar=("LO", "HI"))
    args = parser.parse_args(argv)
    commands = list(stream(args.stream, args.seed, args.count))
    if args.dump:
        sys.stdout.buffer.write(dump(commands, args.window, *args.dump, len(commands)))
    else:
        print(json.dumps(summarise(commands, args.window, len(commands))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
