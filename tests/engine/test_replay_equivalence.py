"""Replay equivalence: journal + replay == in-process run == `sequex simulate`, any snapshot cut.

The command streams are generated here (seeded ``random.Random``): two symbols, accounts with
limited cash so that risk rejects happen and the feedback window matters, limit and market
orders of every time in force, cancels and replaces aimed at earlier orders, deposits,
withdrawals, halts and resumes. They are journaled as the host does (``JournalWriter`` with
the host user header, ``append_fixed`` of encoded command records, small segments so replay
crosses segment boundaries).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from engine.canonical import OutputDigest, command_to_json
from engine.domain.exchange import Exchange
from engine.domain.rules import CURRENT_RULES
from engine.domain.types import (
    CASH,
    AddSymbol,
    CancelOrder,
    Command,
    Deposit,
    Halt,
    NewOrder,
    OpenAccount,
    OrderType,
    ReplaceOrder,
    Resume,
    SelfTradePrevention,
    SetSelfTradePrevention,
    Side,
    TimeInForce,
    Withdraw,
)
from engine.journal_format import (
    RECORD_COMMAND,
    encode_commands,
    encode_user_header,
    journal_dir,
)
from engine.rebuild import rebuild, take_snapshot
from engine.records import RECORD_SIZE
from journal import JournalWriter, SyncPolicy
from tools.cli import main

SYMBOLS = ("AAA", "BBB")
ACCOUNTS = 4
SEGMENT_BYTES = 64 * 1024  # ~430 command frames per segment


def generate_commands(count: int, seed: int) -> list[Command]:
    """A deterministic stream of ``count`` commands (seq_no 1..count) after a short setup."""
    rng = random.Random(seed)
    out: list[Command] = []

    def seq() -> int:
        return len(out) + 1

    def ts() -> int:
        return 1_700_000_000_000_000_000 + seq() * 1_000

    for symbol in SYMBOLS:
        out.append(AddSymbol(seq(), ts(), symbol, 100, 1, 1_000_000, 2_000))
    for i in range(ACCOUNTS):
        out.append(SetSelfTradePrevention(seq(), ts(), f"F{i}", SelfTradePrevention(1 + i % 3)))
        out.append(OpenAccount(seq(), ts(), f"F{i}", f"A{i}"))
        out.append(Deposit(seq(), ts(), f"A{i}", CASH, rng.randrange(10**8, 10**10)))
        for symbol in SYMBOLS:
            out.append(Deposit(seq(), ts(), f"A{i}", symbol, rng.randrange(1_000, 50_000)))
    order_ids: list[int] = []
    while len(out) < count:
        i = rng.randrange(ACCOUNTS)
        account, firm, symbol = f"A{i}", f"F{i}", rng.choice(SYMBOLS)
        roll = rng.random()
        if roll < 0.55 or not order_ids:
            side = Side.BUY if rng.random() < 0.5 else Side.SELL
            market = rng.random() < 0.08
            price = 0 if market else 1_000_000 + 100 * rng.randint(-15, 15)
            tif = rng.choice(list(TimeInForce))
            if market:
                tif = TimeInForce.IOC
            order_ids.append(seq())
            out.append(
                NewOrder(
                    seq(), ts(), firm, account, symbol, side,
                    OrderType.MARKET if market else OrderType.LIMIT, tif,
                    rng.randint(1, 300), price, f"c{seq()}", rng.random() < 0.05,
                )
            )  # fmt: skip
        elif roll < 0.80:
            out.append(CancelOrder(seq(), ts(), account, rng.choice(order_ids[-50:])))
        elif roll < 0.92:
            order_id = rng.choice(order_ids[-50:])
            price = 1_000_000 + 100 * rng.randint(-15, 15)
            out.append(ReplaceOrder(seq(), ts(), account, order_id, rng.randint(1, 300), price))
        elif roll < 0.96:
            out.append(Deposit(seq(), ts(), account, rng.choice((CASH, symbol)), 10**6))
        elif roll < 0.985:
            out.append(Withdraw(seq(), ts(), account, CASH, rng.randrange(10**6, 10**9)))
        elif roll < 0.993:
            out.append(Halt(seq(), ts(), symbol))
        else:
            out.append(Resume(seq(), ts(), symbol))
    return out


def write_journal(
    data_dir: Path, commands: list[Command], window: int, rules: int = CURRENT_RULES
) -> None:
    """Journal ``commands`` as the host does: host user header, fixed-size command records."""
    with JournalWriter(
        journal_dir(data_dir),
        user_header=encode_user_header(window, rules),
        policy=SyncPolicy.never(),
        segment_bytes=SEGMENT_BYTES,
    ) as writer:
        for lo in range(0, len(commands), 1000):
            batch = commands[lo : lo + 1000]
            writer.append_fixed(
                RECORD_COMMAND, batch[0].seq_no, encode_commands(batch), RECORD_SIZE
            )
            writer.commit()


def run_in_process(
    commands: list[Command], window: int, rules: int = CURRENT_RULES
) -> tuple[Exchange, str]:
    exchange = Exchange(window, rules)
    digest = OutputDigest()
    for cmd in commands:
        digest.update(cmd.seq_no, exchange.submit(cmd))
    return exchange, digest.hexdigest()


def _summary(text: str) -> dict[str, str]:
    return dict(line.split(" ", 1) for line in text.splitlines() if " " in line)


@pytest.fixture(scope="module", params=[1, 1024], ids=["W1", "W1024"])
def journaled(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, list[Command], int]:
    window: int = request.param
    commands = generate_commands(6_000, seed=window)
    data_dir = tmp_path_factory.mktemp(f"data-w{window}")
    write_journal(data_dir, commands, window)
    return data_dir, commands, window


def test_generated_streams_exercise_rejects_trades_and_several_segments(
    journaled: tuple[Path, list[Command], int],
) -> None:
    data_dir, commands, window = journaled
    exchange = Exchange(window)
    kinds = {type(e).__name__ for cmd in commands for e in exchange.submit(cmd)}
    assert {"Rejected", "Fill", "Cancelled", "Replaced", "BalanceChanged"} <= kinds
    assert len(list(journal_dir(data_dir).glob("journal-*.log"))) > 5


def test_replay_from_start_equals_the_in_process_run(
    journaled: tuple[Path, list[Command], int],
) -> None:
    data_dir, commands, window = journaled
    exchange, digest = run_in_process(commands, window)
    rebuilt = rebuild(data_dir, from_start=True)
    assert rebuilt.feedback_window == window
    assert (rebuilt.commands, rebuilt.last_seq, rebuilt.snapshot_seq) == (6000, 6000, None)
    assert rebuilt.exchange.state_hash() == exchange.state_hash()
    assert rebuilt.digest == digest
    assert rebuilt.tail_damage is None


def test_replay_from_start_equals_sequex_simulate(
    journaled: tuple[Path, list[Command], int],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data_dir, commands, window = journaled
    source = tmp_path / "commands.jsonl"
    source.write_text("".join(json.dumps(command_to_json(c)) + "\n" for c in commands))
    args = ["--in", str(source), "--out", str(tmp_path / "events.jsonl")]
    assert main(["simulate", *args, "--feedback-window", str(window)]) == 0
    simulated = _summary(capsys.readouterr().out)
    assert main(["replay", str(data_dir), "--from-start"]) == 0
    replayed = _summary(capsys.readouterr().out)
    assert replayed["state_hash"] == simulated["state_hash"]
    assert replayed["digest"] == simulated["digest"]
    assert replayed["commands"] == simulated["commands"] == "6000"
    assert replayed["events"] == simulated["events"]


@pytest.mark.parametrize("cut", [1, 17, 430, 431, 2999, 5999, 6000])
def test_snapshot_at_any_cut_plus_tail_replay_reaches_the_same_state(
    journaled: tuple[Path, list[Command], int], tmp_path: Path, cut: int
) -> None:
    source_dir, commands, window = journaled
    data_dir = tmp_path / "data"
    journal_dir(data_dir).mkdir(parents=True)
    for segment in journal_dir(source_dir).iterdir():
        (journal_dir(data_dir) / segment.name).write_bytes(segment.read_bytes())
    prefix, _ = run_in_process(commands[:cut], window)
    take_snapshot(prefix, cut, data_dir)
    full, _ = run_in_process(commands, window)
    tail_exchange = Exchange.restore(prefix.snapshot())
    tail_digest = OutputDigest()
    for cmd in commands[cut:]:
        tail_digest.update(cmd.seq_no, tail_exchange.submit(cmd))

    rebuilt = rebuild(data_dir)
    assert rebuilt.snapshot_seq == cut
    assert rebuilt.commands == len(commands) - cut
    assert rebuilt.last_seq == len(commands)
    assert rebuilt.exchange.state_hash() == full.state_hash()
    assert rebuilt.digest == tail_digest.hexdigest()  # the digest covers the tail only


def test_snapshots_written_during_replay_resume_where_they_left_off(
    journaled: tuple[Path, list[Command], int], tmp_path: Path
) -> None:
    source_dir, commands, window = journaled
    data_dir = tmp_path / "data"
    write_journal(data_dir, commands[:2500], window)
    first = rebuild(data_dir)
    take_snapshot(first.exchange, first.last_seq, data_dir)
    with JournalWriter(journal_dir(data_dir), segment_bytes=SEGMENT_BYTES) as writer:
        writer.append_fixed(RECORD_COMMAND, 2501, encode_commands(commands[2500:]), RECORD_SIZE)
        writer.commit()
    second = rebuild(data_dir)
    assert (second.snapshot_seq, second.commands) == (2500, 3500)
    assert second.exchange.state_hash() == rebuild(source_dir).exchange.state_hash()
