"""A host that died part-way through its configured setup: the restart injects the rest of it,
after checking the journaled part against the configuration (``engine.start_point.pending_setup``),
and `sequex run` ends up exactly where an uninterrupted first run does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from engine.config import load_config, parse_config, setup_commands
from engine.domain.types import CASH, Command, Deposit, NewOrder, OrderType, Side, TimeInForce
from engine.journal_format import journal_dir
from engine.start_point import (
    SETUP_COMPLETE,
    SetupMismatchError,
    mark_setup_complete,
    prepare_start,
)
from engine.topology import TopologySpec
from tests.engine.test_replay_equivalence import write_journal
from tests.integration.test_restart_cli import ROOT, _config, _run_until_up_then_stop
from tools.cli import main

WINDOW = 1024
DEMO = ROOT / "config" / "demo.toml"
SETUP = setup_commands(load_config(DEMO))


def _spec(data_dir: Path) -> TopologySpec:
    return TopologySpec(prefix="setup-", data_dir=str(data_dir), feedback_window=WINDOW)


def _edited_setup() -> list[Command]:
    """The demo setup after an edit: ALPHA-1 gets less cash (same commands, one amount)."""
    text = DEMO.read_text().replace(
        "cash = 100_000_000_000\nshares = { ACME", "cash = 7\nshares = { ACME", 1
    )
    edited = setup_commands(parse_config(text))
    assert len(edited) == len(SETUP) and edited != SETUP
    return edited


@pytest.mark.parametrize("journaled", [1, 4, len(SETUP) - 1])
def test_a_journal_holding_part_of_the_setup_gets_the_rest(tmp_path: Path, journaled: int) -> None:
    write_journal(tmp_path, SETUP[:journaled], WINDOW)
    start = prepare_start(_spec(tmp_path), SETUP)
    assert start.spec.base_seq == journaled
    assert list(start.setup) == SETUP[journaled:]
    assert start.setup[0].seq_no == journaled + 1  # what the injector expects after base_seq


def test_a_fresh_or_empty_journal_gets_all_of_it_and_a_complete_one_none(tmp_path: Path) -> None:
    assert list(prepare_start(_spec(tmp_path / "fresh"), SETUP).setup) == SETUP
    write_journal(tmp_path / "done", SETUP, WINDOW)
    assert prepare_start(_spec(tmp_path / "done"), SETUP).setup == ()


def test_a_setup_edited_since_the_crash_is_refused_naming_the_first_difference(
    tmp_path: Path,
) -> None:
    edited = _edited_setup()
    differs = next(i for i, (a, b) in enumerate(zip(SETUP, edited, strict=True)) if a != b)
    write_journal(tmp_path, SETUP[: differs + 2], WINDOW)
    before = sorted((p.name, p.read_bytes()) for p in journal_dir(tmp_path).iterdir())
    with pytest.raises(SetupMismatchError, match=f"seq {differs + 1} is Deposit") as caught:
        prepare_start(_spec(tmp_path), edited)
    assert "restore the configuration" in str(caught.value)
    assert sorted((p.name, p.read_bytes()) for p in journal_dir(tmp_path).iterdir()) == before
    # the prefix before the edit still matches: nothing to refuse there
    write_journal(tmp_path / "before", SETUP[:differs], WINDOW)
    assert list(prepare_start(_spec(tmp_path / "before"), edited).setup) == edited[differs:]


def test_trading_after_a_shorter_earlier_setup_is_not_a_setup_cut_short(tmp_path: Path) -> None:
    # An earlier configuration had a 3-command setup; the gateway then sequenced commands
    # (stamped with their receive time). The setup was complete: as before, nothing is added.
    earlier = [*SETUP[:2], Deposit(3, 0, "ALPHA-1", CASH, 10**9)]
    gateway_ts = 1_700_000_000_000_000_000
    order = NewOrder(
        4, gateway_ts, "ALPHA", "ALPHA-1", "ACME", Side.BUY, OrderType.LIMIT, TimeInForce.DAY,
        1, 1_000_000, "c1", False,
    )  # fmt: skip
    write_journal(tmp_path, [*earlier, order], WINDOW)
    start = prepare_start(_spec(tmp_path), SETUP)
    assert start.spec.base_seq == 4 and start.setup == ()


def test_sequex_run_refuses_an_edited_setup_with_exit_2_and_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, WINDOW)
    write_journal(tmp_path / "var", SETUP[:5], WINDOW)
    config.write_text(config.read_text().replace("ACME", "ACMX"))
    assert main(["run", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "refusing to start" in err and "seq 1 is AddSymbol" in err
    assert "Traceback" not in err


@pytest.mark.timeout(180)
def test_sequex_run_resumes_a_setup_cut_short_and_ends_where_a_full_first_run_does(
    tmp_path: Path,
) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "cut").mkdir()
    full = _run_until_up_then_stop(_config(tmp_path / "full", WINDOW))
    config = _config(tmp_path / "cut", WINDOW)
    write_journal(tmp_path / "cut" / "var", SETUP[:6], WINDOW)  # the first run died here
    resumed = _run_until_up_then_stop(config)
    assert resumed["state_hash"]  # it recovered the 6 journaled commands first
    assert resumed["last_seq"] == full["last_seq"] == str(len(SETUP))
    assert resumed["live_state_hash"] == full["live_state_hash"]
    # ... and a third start injects nothing more
    again = _run_until_up_then_stop(config)
    assert again["last_seq"] == str(len(SETUP))
    assert again["live_state_hash"] == full["live_state_hash"]
    replayed = subprocess.run(
        [sys.executable, "-m", "tools.cli", "replay", str(tmp_path / "cut" / "var")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert f"last_seq {len(SETUP)}" in replayed.stdout


def test_a_setup_marked_complete_is_never_resumed_even_when_the_config_grew(
    tmp_path: Path,
) -> None:
    # A first run journaled a shorter setup, marked it complete and stopped before any trading.
    # The configuration then grew (a symbol is added first, shifting every later command): the
    # count of journaled commands alone would read as a cut-off setup; the mark says it is not.
    shorter = SETUP[1:]
    renumbered = [cmd._replace(seq_no=i + 1) for i, cmd in enumerate(shorter)]
    write_journal(tmp_path, renumbered, WINDOW)
    mark_setup_complete(str(tmp_path))
    mark_setup_complete(str(tmp_path))  # idempotent
    start = prepare_start(_spec(tmp_path), SETUP)
    assert start.setup == () and start.spec.base_seq == len(renumbered)
    # without the mark, the same journal reads as a cut-off setup of another configuration
    (tmp_path / SETUP_COMPLETE).unlink()
    with pytest.raises(SetupMismatchError):
        prepare_start(_spec(tmp_path), SETUP)


def test_a_fresh_journal_drops_a_mark_left_by_an_earlier_one(tmp_path: Path) -> None:
    (tmp_path / SETUP_COMPLETE).write_text("left by an earlier journal\n")
    start = prepare_start(_spec(tmp_path), SETUP)
    assert list(start.setup) == SETUP
    assert not (tmp_path / SETUP_COMPLETE).exists()
    # so a crash part-way through the new journal's setup is resumed, not mistaken as done
    write_journal(tmp_path, SETUP[:3], WINDOW)
    assert list(prepare_start(_spec(tmp_path), SETUP).setup) == SETUP[3:]
