"""What README.md and docs/ quote of the command line is what the command line does."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from engine.canonical import CommandFormatError, command_from_json
from tools.admin_cli import command_of
from tools.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
ADMIN_LINES = re.findall(r"^\.venv/bin/sequex (admin .*)$", README, re.M)


def test_the_readme_shows_admin_examples() -> None:
    assert len(ADMIN_LINES) >= 4
    assert any("--cash 0.50" in line for line in ADMIN_LINES)


@pytest.mark.parametrize("line", ADMIN_LINES)
def test_a_readme_admin_example_parses_as_written(line: str) -> None:
    argv = shlex.split(line)
    args = build_parser(argv).parse_args(argv)  # a usage error exits: the test fails
    command = command_of(args)
    command_from_json(command, seq_no=1)  # and the gateway would take the command it makes


def test_the_readme_cash_example_means_fifty_cents() -> None:
    argv = ["admin", "deposit", "BETA-2", "--cash", "0.50"]
    assert command_of(build_parser(argv).parse_args(argv))["amount"] == 5_000


def test_the_error_quoted_by_the_commands_doc_is_the_one_printed() -> None:
    doc = (ROOT / "docs" / "commands-jsonl.md").read_text(encoding="utf-8")
    (quoted,) = re.findall(r"`commands\.jsonl:7: (qty: [^`]*)`", doc)
    order = {"type": "replace_order", "account": "A", "order_id": 1, "qty": "10", "price": 1}
    with pytest.raises(CommandFormatError) as info:
        command_from_json(order, seq_no=1)
    assert str(info.value) == quoted
