"""docs/reporter.md: its session, journaled as a host journals it and followed into each
backend, answers every SQL example of the page with the table printed under it."""

from __future__ import annotations

import re
from pathlib import Path

from engine.canonical import CommandReader
from engine.domain.types import Command
from engine.reporter.follower import sync
from tests.engine.reporter.backends import Backend
from tests.engine.reporter.conftest import backend  # noqa: F401 (the fixture: every backend)
from tests.engine.reporter.journals import write_journal
from tools.report_cli import render

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "reporter.md").read_text(encoding="utf-8")
EXAMPLES = re.findall(r"```sql\n(.*?)```\n\n```text\n(.*?)```", DOC, re.S)


def session() -> list[Command]:
    (block,) = re.findall(r"```jsonl\n(.*?)```", DOC, re.S)
    reader = CommandReader()
    return [reader.read_line(line) for line in block.splitlines() if line.strip()]


def test_the_page_has_its_examples_and_asks_about_beta_at_seq_16() -> None:
    assert len(EXAMPLES) >= 6
    assert "WHERE seq_no = 16" in EXAMPLES[0][0]
    commands = session()
    assert commands[15].seq_no == 16 and getattr(commands[15], "firm", None) == "BETA"


def test_every_sql_example_prints_what_the_page_shows(backend: Backend) -> None:  # noqa: F811
    write_journal(backend.data_dir, session(), window=1)
    writer = backend.open()
    sync(backend.data_dir, writer)
    for sql, shown in EXAMPLES:
        assert render(*writer.query(sql)) == shown.rstrip("\n").split("\n"), sql
