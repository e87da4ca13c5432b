"""The help of `sequex journal` and `sequex replay` is written for an operator: every command
has a description and every option a help line, none of them a module docstring or an
internal name."""

from __future__ import annotations

import argparse
import importlib
import re

import pytest

from tools.cli import SUBCOMMANDS, build_parser, main

#: what an operator's help text never shows: reST literals, module paths, private names
INTERNAL = re.compile(r"``|\b(?:engine|tools|journal|disruptor)\.\w|\b_\w")


def _parsers(command: str) -> list[tuple[str, argparse.ArgumentParser]]:
    """The parser of ``command`` and of each of its subcommands, by name."""
    root = build_parser([command])
    found: list[tuple[str, argparse.ArgumentParser]] = []

    def walk(name: str, parser: argparse.ArgumentParser) -> None:
        found.append((name, parser))
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub, child in action.choices.items():
                    walk(f"{name} {sub}", child)

    sub = next(a for a in root._actions if isinstance(a, argparse._SubParsersAction))
    walk(command, sub.choices[command])
    return found


PARSERS = _parsers("journal") + _parsers("replay")


def test_every_journal_and_replay_command_is_covered() -> None:
    names = [name for name, _ in PARSERS]
    assert names == [
        "journal",
        "journal dump",
        "journal verify",
        "journal repair",
        "journal stats",
        "replay",
    ]


@pytest.mark.parametrize(("name", "parser"), PARSERS, ids=[n for n, _ in PARSERS])
def test_a_command_has_a_description_for_operators(
    name: str, parser: argparse.ArgumentParser
) -> None:
    description = parser.description or ""
    assert len(description.split()) >= 5, name
    assert not INTERNAL.search(description), (name, description)
    module = importlib.import_module(SUBCOMMANDS[name.split()[0]][0])
    assert (module.__doc__ or "").splitlines()[0] not in description


@pytest.mark.parametrize(("name", "parser"), PARSERS, ids=[n for n, _ in PARSERS])
def test_every_option_has_a_help_line_without_internal_names(
    name: str, parser: argparse.ArgumentParser
) -> None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                assert choice.help and not INTERNAL.search(choice.help), (name, choice.dest)
            continue
        label = "/".join(action.option_strings) or action.dest
        assert action.help, f"{name}: {label} has no help line"
        assert not INTERNAL.search(action.help), (name, label, action.help)


def test_the_dump_help_names_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["journal", "dump", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for option in ("--json", "--events", "--seq", "--from", "--to", "--firm", "--account",
                   "--symbol", "--limit"):  # fmt: skip
        assert option in out
