"""`sequex journal dump --json/--events`: commands as JSON lines, filters, what each produced."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.canonical import CommandReader, command_to_json, encode_events, json_encode
from engine.domain.exchange import Exchange
from engine.domain.types import (
    AddSymbol,
    Command,
    EndOfDay,
    Fill,
    Halt,
    NewOrder,
    OpenAccount,
    Resume,
    SetSelfTradePrevention,
)
from engine.journal_format import journal_dir
from engine.rebuild import take_snapshot
from journal import JournalWriter, SyncPolicy
from tests.engine.test_replay_equivalence import (
    generate_commands,
    run_in_process,
    write_journal,
)
from tools.cli import main

REPO = Path(__file__).resolve().parents[2]
WINDOW = 16
COMMANDS = generate_commands(1_500, seed=11)
SNAPSHOTS = (700, 1200)


def _line(cmd: Command) -> str:
    return json_encode(command_to_json(cmd)) + "\n"


def _event_lines() -> dict[int, str]:
    """seq -> the canonical lines of its events, from one in-process run of every command."""
    exchange = Exchange(WINDOW)
    return {c.seq_no: encode_events(c.seq_no, exchange.submit(c)).decode() for c in COMMANDS}


EVENTS = _event_lines()


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("var")
    write_journal(data_dir, COMMANDS, WINDOW)
    for seq in SNAPSHOTS:
        exchange, _ = run_in_process(COMMANDS[:seq], WINDOW)
        take_snapshot(exchange, seq, data_dir)
    return data_dir


@pytest.fixture
def data_dir(source: Path, tmp_path: Path) -> Path:
    """A copy of the journaled data directory that a test may damage."""
    copy = tmp_path / "var"
    shutil.copytree(source, copy)
    return copy


def _dump(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["journal", "dump", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_dump_prints_every_command_canonically_carrying_its_journal_seq(
    source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _dump(capsys, str(source), "--json")
    assert (code, err) == (0, "")
    lines = out.splitlines(keepends=True)
    assert lines == [_line(c) for c in COMMANDS]
    reader = CommandReader()
    assert [reader.read_line(line) for line in lines] == COMMANDS
    assert lines[15].startswith('{"type":') and '"seq_no":16,' in lines[15]


def test_the_data_directory_and_its_journal_directory_give_the_same_dump(
    source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    by_data_dir = _dump(capsys, str(source), "--json", "--from", "400", "--to", "460")
    by_journal = _dump(capsys, str(journal_dir(source)), "--json", "--from", "400", "--to", "460")
    assert by_data_dir == by_journal
    assert by_data_dir[1] == "".join(_line(c) for c in COMMANDS[399:460])
    hex_lines = _dump(capsys, str(source), "--from", "400", "--limit", "2")[1].splitlines()
    assert [line.split()[0] for line in hex_lines] == ["seq=400", "seq=401"]


def test_seq_is_the_shorthand_for_a_range_of_one(
    source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _dump(capsys, str(source), "--json", "--seq", "16") == (0, _line(COMMANDS[15]), "")
    assert _dump(capsys, str(source), "--json", "--from", "16", "--to", "16")[1] == _line(
        COMMANDS[15]
    )


def test_a_seq_range_and_field_filters_combine(
    source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--from", "100", "--to", "900", "--firm", "F1", "--symbol", "AAA"]
    code, out, _ = _dump(capsys, str(source), "--json", *args)
    # only new orders carry both a firm and a symbol
    expected = [
        c
        for c in COMMANDS[99:900]
        if isinstance(c, NewOrder) and c.firm == "F1" and c.symbol == "AAA"
    ]
    assert code == 0 and len(expected) > 20
    assert out == "".join(_line(c) for c in expected)


def test_a_filter_leaves_out_the_commands_without_that_field(
    source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _dump(capsys, str(source), "--symbol", "BBB")  # a filter implies --json
    with_symbol = (NewOrder, AddSymbol, Halt, Resume, EndOfDay)
    expected = [c for c in COMMANDS if isinstance(c, with_symbol) and c.symbol == "BBB"]
    assert code == 0 and out == "".join(_line(c) for c in expected)
    assert '"type":"cancel_order"' not in out and '"type":"add_symbol"' in out
    code, out, _ = _dump(capsys, str(source), "--account", "A2", "--limit", "5")
    with_account = [c for c in COMMANDS if getattr(c, "account", None) == "A2"]
    assert isinstance(with_account[0], OpenAccount)  # account filters find its opening too
    assert code == 0 and out == "".join(_line(c) for c in with_account[:5])
    _, out, _ = _dump(capsys, str(source), "--firm", "F3", "--limit", "1")
    assert out == _line(next(c for c in COMMANDS if isinstance(c, SetSelfTradePrevention)
                             and c.firm == "F3"))  # fmt: skip


def test_a_dump_read_back_by_simulate_gives_the_events_of_replay_events(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _dump(capsys, str(source), "--json")
    assert code == 0
    commands = tmp_path / "commands.jsonl"
    commands.write_text(out)
    simulated, replayed = tmp_path / "simulated.jsonl", tmp_path / "replayed.jsonl"
    sim = ["simulate", "--in", str(commands), "--out", str(simulated)]
    assert main([*sim, "--feedback-window", str(WINDOW)]) == 0
    sim_digest = capsys.readouterr().out.split("digest ")[1].split()[0]
    assert main(["replay", str(source), "--from-start", "--events", str(replayed)]) == 0
    replay_digest = capsys.readouterr().out.split("digest ")[1].split()[0]
    assert simulated.read_bytes() == replayed.read_bytes() == "".join(EVENTS.values()).encode()
    assert sim_digest == replay_digest


def _with_a_fill(lo: int, hi: int) -> int:
    return next(s for s in range(lo, hi) if '"type":"fill"' in EVENTS[s])


def test_seq_events_shows_what_a_command_in_the_middle_produced(
    source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seq = _with_a_fill(900, 1200)  # between the two snapshots: 700 must be used, not 1200
    assert isinstance(COMMANDS[seq - 1], NewOrder)
    code, out, err = _dump(capsys, str(source), "--seq", str(seq), "--events")
    assert (code, err) == (0, "")
    assert out == _line(COMMANDS[seq - 1]) + EVENTS[seq]
    assert any(isinstance(e, Fill) for e in _events_of(seq))


def _events_of(seq: int) -> list[object]:
    exchange = Exchange(WINDOW)
    for cmd in COMMANDS[: seq - 1]:
        exchange.submit(cmd)
    return list(exchange.submit(COMMANDS[seq - 1]))


def test_events_of_a_filtered_range_are_those_of_the_selected_commands_only(
    source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _dump(capsys, str(source), "--from", "1190", "--to", "1260",
                         "--account", "A2", "--events")  # fmt: skip
    selected = [c for c in COMMANDS[1189:1260] if getattr(c, "account", None) == "A2"]
    assert code == 0 and len(selected) > 5
    assert out == "".join(_line(c) + EVENTS[c.seq_no] for c in selected)


def test_events_replay_from_the_newest_snapshot_before_the_first_seq(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = sorted(journal_dir(data_dir).glob("journal-*.log"))[0]
    first.unlink()  # seqs 1..~430: only a replay from seq 1 needs them
    code, out, _ = _dump(capsys, str(data_dir), "--seq", "701", "--events")
    assert (code, out) == (0, _line(COMMANDS[700]) + EVENTS[701])
    code, out, err = _dump(capsys, str(data_dir), "--seq", "700", "--events")
    assert code == 1 and out == ""
    assert "journal gap: expected seq 1, found seq" in err and "Traceback" not in err


def test_events_from_a_bare_journal_directory_replay_from_seq_1_and_say_so(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bare = tmp_path / "copied-journal"
    shutil.copytree(journal_dir(source), bare)
    seq = _with_a_fill(1000, 1500)
    code, out, err = _dump(capsys, str(bare), "--seq", str(seq), "--events")
    assert code == 0 and out == _line(COMMANDS[seq - 1]) + EVENTS[seq]
    assert "no snapshots beside it" in err and "replaying from seq 1" in err


def test_a_range_reaching_past_the_end_prints_what_there_is_and_says_so(
    source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _dump(capsys, str(source), "--json", "--from", "1498", "--to", "1600")
    assert code == 0 and out == "".join(_line(c) for c in COMMANDS[1497:])
    assert "the journal ends at seq 1500, before --to 1600" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--seq", "1501"], "seq 1501: past the end of the journal (its last seq is 1500)"),
        (["--json", "--seq", "9999"], "seq 9999: past the end of the journal"),
        (["--events", "--seq", "1501"], "seq 1501: past the end of the journal"),
        (["--from", "1600", "--to", "1700"], "seqs 1600..1700: past the end of the journal"),
        (["--json", "--from", "1501"], "seqs 1501..: past the end of the journal"),
        (["--from", "20", "--to", "10"], "--to 10 is below --from 20: the range is empty"),
        (["--seq", "5", "--from", "4"], "give either --seq or --from/--to"),
    ],
)
def test_a_seq_the_journal_does_not_hold_is_a_clear_error_with_exit_2(
    source: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _dump(capsys, str(source), *args)
    assert (code, out) == (2, "")
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize("args", [["--seq", "0"], ["--from", "x"], ["--limit", "0"]])
def test_a_malformed_seq_or_limit_is_refused_by_the_parser_with_exit_2(
    source: Path, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["journal", "dump", str(source), *args])
    assert exited.value.code == 2
    assert "error: argument" in capsys.readouterr().err


@pytest.fixture
def foreign(tmp_path: Path) -> Path:
    """A journal that no sequex host wrote, with a gap in its seqs."""
    directory = tmp_path / "foreign"
    with JournalWriter(directory, policy=SyncPolicy.never()) as writer:
        for seq in (1, 2, 3, 10, 11):
            writer.append(1, seq, bytes(128))
    return directory


@pytest.mark.parametrize("option", [["--json"], ["--events"], ["--firm", "F1"]])
def test_json_on_a_journal_that_is_not_a_hosts_is_a_clear_error_with_exit_2(
    foreign: Path, option: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _dump(capsys, str(foreign), *option)
    assert (code, out) == (2, "")
    assert f"{option[0]} needs a sequex host journal" in err
    assert "no user header" in err and "in hex" in err


def test_a_journal_that_is_not_a_hosts_keeps_the_hex_dump_and_its_seq_range(
    foreign: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _dump(capsys, str(foreign), "--from", "3", "--to", "10")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == ["seq=3", "seq=10"]
    code, out, err = _dump(capsys, str(foreign), "--seq", "5")
    assert (code, out) == (2, "")
    assert "seq 5: not in the journal (it holds seqs 1..11)" in err


def test_a_torn_tail_ends_the_json_dump_with_exit_1(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    last = sorted(journal_dir(data_dir).glob("journal-*.log"))[-1]
    with open(last, "r+b") as f:
        f.truncate(last.stat().st_size - 7)
    code, out, err = _dump(capsys, str(data_dir), "--json", "--from", "1490")
    assert code == 1 and out == "".join(_line(c) for c in COMMANDS[1489:1499])
    assert f"torn tail in {last.name}" in err


def test_an_engine_failure_during_events_exits_3_without_a_traceback(
    source: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Exploding:
        def __init__(self, window: int, rules: int) -> None:
            self.feedback_window = window

        def submit(self, cmd: Command) -> list[object]:
            raise RuntimeError("boom")

    monkeypatch.setattr("tools.journal_select.Exchange", Exploding)
    bare = tmp_path / "j"
    shutil.copytree(journal_dir(source), bare)
    code, out, err = _dump(capsys, str(bare), "--seq", "3", "--events")
    assert (code, out) == (3, "")
    assert "the engine raised on seq 1: RuntimeError: boom" in err


def test_the_installed_command_answers_a_bad_seq_without_a_traceback(source: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tools.cli", "journal", "dump", str(source), "--seq", "2000",
         "--events"],
        capture_output=True, text=True, cwd=REPO, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and "Traceback" not in done.stderr
    assert "seq 2000: past the end of the journal (its last seq is 1500)" in done.stderr
