"""`sequex simulate`: offline run over commands.jsonl (in process, plus one real subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import xxhash

import engine.domain.exchange
from engine.domain.exchange import Exchange
from tools.cli import main

SCRIPT = [
    {"type": "add_symbol", "ts": 5, "symbol": "XYZ", "tick_size": 100, "lot_size": 1,
     "reference_price": 1_000_000, "band_bps": 1_000},
    {"type": "open_account", "firm": "F1", "account": "A1"},
    {"type": "open_account", "firm": "F2", "account": "A2"},
    {"type": "deposit", "account": "A1", "asset": "CASH", "amount": 10**11},
    {"type": "deposit", "account": "A2", "asset": "XYZ", "amount": 500},
    {"type": "new_order", "firm": "F2", "account": "A2", "symbol": "XYZ", "side": "sell",
     "order_type": "limit", "tif": "gtc", "qty": 200, "price": 1_000_100, "client_order_id": "s"},
    {"type": "new_order", "firm": "F1", "account": "A1", "symbol": "XYZ", "side": "buy",
     "order_type": "market", "tif": "ioc", "qty": 50, "client_order_id": "b", "ts": 9},
    {"type": "new_order", "firm": "F1", "account": "A1", "symbol": "XYZ", "side": "buy",
     "order_type": "limit", "tif": "day", "qty": 10**9, "price": 1_000_000,
     "client_order_id": "too big"},
    {"type": "cancel_order", "account": "A2", "order_id": 6},
]  # fmt: skip


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines))
    return path


def _summary(text: str) -> dict[str, str]:
    return dict(line.split(" ", 1) for line in text.splitlines())


@pytest.fixture
def commands(tmp_path: Path) -> Path:
    return _write(tmp_path / "commands.jsonl", [json.dumps(obj) for obj in SCRIPT])


def test_simulate_writes_canonical_events_and_prints_hash_digest_and_counts(
    commands: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "events.jsonl"
    assert main(["simulate", "--in", str(commands), "--out", str(out)]) == 0
    summary = _summary(capsys.readouterr().out)
    data = out.read_bytes()
    events = [json.loads(line) for line in data.splitlines()]
    assert summary["digest"] == xxhash.xxh3_64(data).hexdigest()
    assert len(summary["state_hash"]) == 16
    assert summary["commands"] == "9" and summary["events"] == str(len(events))
    assert (summary["rejects"], summary["trades"], summary["bad_lines"]) == ("1", "1", "0")
    fill = next(e for e in events if e["type"] == "fill")
    assert (fill["seq"], fill["sub"], fill["fill_qty"], fill["ts"]) == (7, 1, 50, 9)
    assert [e["type"] for e in events if e["seq"] == 9] == ["cancelled", "book_delete"]
    assert [(e["seq"], e["sub"]) for e in events] == sorted((e["seq"], e["sub"]) for e in events)


def test_simulate_is_deterministic_and_its_state_hash_is_the_exchanges(
    commands: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = []
    for name in ("one.jsonl", "two.jsonl"):
        assert main(["simulate", "--in", str(commands), "--out", str(tmp_path / name)]) == 0
        outputs.append((tmp_path / name).read_bytes())
    first, second = capsys.readouterr().out.split("state_hash")[1:]
    assert first == second and outputs[0] == outputs[1]
    from engine.canonical import CommandReader

    reader, ex = CommandReader(), Exchange()
    for line in commands.read_bytes().splitlines():
        ex.submit(reader.read_line(line))
    assert first.split()[0] == f"{ex.state_hash():016x}"


def test_bad_lines_are_reported_with_their_line_number_and_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [json.dumps(SCRIPT[0]), "{oops", "", json.dumps({**SCRIPT[3], "amount": "1"}),
             json.dumps(SCRIPT[3])]  # fmt: skip
    src = _write(tmp_path / "commands.jsonl", lines)
    out = tmp_path / "events.jsonl"
    assert main(["simulate", "--in", str(src), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert f"{src}:2: json: invalid JSON" in captured.err
    assert f"{src}:4: amount: expected a non-negative integer" in captured.err
    assert "Traceback" not in captured.err
    summary = _summary(captured.out)
    assert (summary["commands"], summary["bad_lines"]) == ("2", "2")
    seqs = [json.loads(line)["seq"] for line in out.read_bytes().splitlines()]
    assert seqs == [1, 2]  # a skipped line takes no seq_no


def test_on_error_stop_ends_the_run_with_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = _write(tmp_path / "c.jsonl", [json.dumps(SCRIPT[0]), '{"type": "nope"}', "{}"])
    code = main(["simulate", "--in", str(src), "--out", str(tmp_path / "e"), "--on-error", "stop"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.strip() == f"{src}:2: type: unknown command type 'nope'"
    assert captured.out == ""


def test_missing_input_is_a_clear_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["simulate", "--in", str(tmp_path / "absent.jsonl"), "--out", str(tmp_path / "e")])
    err = capsys.readouterr().err
    assert code == 2
    assert "absent.jsonl" in err and "No such file" in err and "Traceback" not in err
    assert not (tmp_path / "e").exists()


def test_out_dash_streams_events_to_stdout_and_the_summary_to_stderr(
    commands: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", "--in", str(commands), "--out", "-"]) == 0
    captured = capsys.readouterr()
    assert all(json.loads(line)["seq"] >= 1 for line in captured.out.splitlines())
    assert _summary(captured.err)["events"] == str(len(captured.out.splitlines()))


def test_feedback_window_is_passed_on_and_must_be_positive(
    commands: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from engine.canonical import CommandReader

    args = ["simulate", "--in", str(commands), "--out", str(tmp_path / "e")]
    assert main([*args, "--feedback-window", "1000"]) == 0
    reader, ex = CommandReader(), Exchange(feedback_window=1000)
    for line in commands.read_bytes().splitlines():
        ex.submit(reader.read_line(line))
    # W is part of the state, so the hash tells whether the window reached the exchange
    assert _summary(capsys.readouterr().out)["state_hash"] == f"{ex.state_hash():016x}"
    with pytest.raises(SystemExit) as info:
        main([*args, "--feedback-window", "0"])
    assert info.value.code == 2
    assert "must be at least 1" in capsys.readouterr().err


def test_an_engine_exception_is_reported_in_one_line_with_exit_code_3(
    commands: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class BrokenExchange:
        def __init__(self, feedback_window: int = 1, rules: int = 2) -> None:
            pass

        def submit(self, cmd: object) -> list[object]:
            raise KeyError("boom")

    monkeypatch.setattr(engine.domain.exchange, "Exchange", BrokenExchange)
    assert main(["simulate", "--in", str(commands), "--out", str(tmp_path / "e")]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "commands.jsonl:1: engine error on seq_no 1: KeyError" in err


def test_the_installed_command_runs_as_a_process(commands: Path, tmp_path: Path) -> None:
    sequex = Path(sys.executable).with_name("sequex")
    out = tmp_path / "events.jsonl"
    done = subprocess.run(
        [str(sequex), "simulate", "--in", str(commands), "--out", str(out)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _summary(done.stdout)["digest"] == xxhash.xxh3_64(out.read_bytes()).hexdigest()


def test_a_json_syntax_error_names_the_file_line_and_the_byte_offset_in_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # json.loads alone would place an unterminated object still ending in its newline at
    # "line 2 column 1" of the text it was given; the file's line is 10, ending at byte 32.
    lines = [json.dumps(cmd) for cmd in SCRIPT] + ['{"type": "halt", "symbol": "XYZ"']
    src = _write(tmp_path / "commands.jsonl", lines)
    assert len(lines) == 10
    code = main(["simulate", "--in", str(src), "--out", str(tmp_path / "e"), "--on-error", "stop"])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"{src}:10: json: invalid JSON at byte offset 32 (the end of the line): "
        "Expecting ',' delimiter"
    ), err
    assert "line 2" not in err and "line 1" not in err


def test_the_byte_offset_counts_bytes_not_characters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = _write(tmp_path / "c.jsonl", ['{"symbol": "\u00e9\u00e9" "type": "halt"}'])
    assert main(["simulate", "--in", str(src), "--out", str(tmp_path / "e")]) == 0
    # the bad space is character 16, byte 18 (each e-acute is two bytes in UTF-8)
    assert (
        f"{src}:1: json: invalid JSON at byte offset 18: Expecting ','" in capsys.readouterr().err
    )
