"""`sequex simulate` gives the same bytes and summary compiled, uncompiled and by the reference.

The file mixes the standard workload, engine rejects, bad lines and blank lines. The compiled
and the SEQUEX_PURE=1 command run as processes; the reference is the unaccelerated path in
this process: CommandReader.read_line, Exchange.submit, encode_events, and trades counted as
taker fills.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import xxhash

from engine.canonical import CommandFormatError, CommandReader, encode_events
from engine.domain.exchange import Exchange
from engine.domain.types import Fill, Liquidity, Rejected
from tools.bench_simulate import command_lines

BAD = ['{"type": "halt"}', "{oops", '{"type": "deposit", "account": "A0", "asset": "CASH", '
       '"amount": 1.5}', "", "  ", '{"type": "halt", "symbol": "BENCH", "seq_no": 1}']  # fmt: skip


def _commands(path: Path) -> Path:
    lines = list(command_lines(3000, seed=4, rejects=True))
    for i, bad in enumerate(BAD):
        lines.insert(40 + 97 * i, bad + "\n")
    path.write_text("".join(lines))
    return path


def _run(commands: Path, out: Path, pure: bool) -> tuple[str, str, bytes]:
    env = {k: v for k, v in os.environ.items() if k != "SEQUEX_PURE"}
    if pure:
        env["SEQUEX_PURE"] = "1"
    sequex = Path(sys.executable).with_name("sequex")
    done = subprocess.run(
        [str(sequex), "simulate", "--in", str(commands), "--out", str(out)],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout, done.stderr, out.read_bytes()


def _reference(commands: Path) -> tuple[dict[str, str], list[str], bytes]:
    reader, exchange, parts, errors = CommandReader(), Exchange(), [], []
    counts = {"commands": 0, "rejects": 0, "trades": 0, "bad_lines": 0}
    for lineno, raw in enumerate(commands.read_bytes().splitlines(keepends=True), 1):
        if not raw.strip():
            continue
        try:
            cmd = reader.read_line(raw)
        except CommandFormatError as exc:
            counts["bad_lines"] += 1
            errors.append(f"{commands}:{lineno}: {exc}")
            continue
        events = exchange.submit(cmd)
        parts.append(encode_events(cmd.seq_no, events))
        counts["commands"] += 1
        counts["rejects"] += sum(type(e) is Rejected for e in events)
        counts["trades"] += sum(type(e) is Fill and e.liquidity == Liquidity.TAKER for e in events)
    data = b"".join(parts)
    summary = {
        "state_hash": f"{exchange.state_hash() & (2**64 - 1):016x}",
        "digest": xxhash.xxh3_64(data).hexdigest(),
        "events": str(data.count(b"\n")),
        **{k: str(v) for k, v in counts.items()},
    }
    return summary, errors, data


def test_compiled_pure_and_reference_simulations_are_identical(tmp_path: Path) -> None:
    commands = _commands(tmp_path / "commands.jsonl")
    compiled = _run(commands, tmp_path / "compiled.jsonl", pure=False)
    pure = _run(commands, tmp_path / "pure.jsonl", pure=True)
    assert compiled == pure
    stdout, stderr, data = compiled
    summary, errors, expected = _reference(commands)
    assert data == expected
    assert dict(line.split(" ", 1) for line in stdout.splitlines()) == summary
    assert stderr.splitlines() == errors
    assert int(summary["rejects"]) > 300 and int(summary["trades"]) > 100
    assert summary["bad_lines"] == "4"
