"""`--help` of every command this module set owns is written for an operator: a description
that is not a module docstring, no internal names, and a help line for every argument.
(`sequex journal` and `sequex replay` are checked by their own owner's tests.)"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from tools.bench_cli import HARNESSES, harness_parser
from tools.cli import build_parser, main

OWNED = (
    "admin", "run", "simulate", "drill", "bench", "passwd", "loadgen", "md", "report", "settle",
    "latency",
)  # fmt: skip
#: What gives away a developer's text: reST markup, module paths, ring names, stage internals.
INTERNAL = ("``", ":mod:", ":class:", ":func:", "engine.", "tools.", "ring[", "__", "supervisor")


def _subparsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.values()


def _parsers_of(command: str) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    top = build_parser([command])
    (parser,) = [p for p in _subparsers(top) if p.prog == f"sequex {command}"]
    todo = [parser]
    while todo:
        current = todo.pop()
        yield current.prog, current
        todo.extend(_subparsers(current))


def _all_parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    found = [("sequex", build_parser([]))]
    for command in OWNED:
        found.extend(_parsers_of(command))
    found.extend((f"sequex bench {name}", harness_parser(name)[1]) for name in HARNESSES)
    return found


PARSERS = _all_parsers()


def test_every_owned_command_and_action_is_checked() -> None:
    progs = {prog for prog, _ in PARSERS}
    assert {"sequex admin deposit", "sequex admin limits", "sequex drill damage"} <= progs
    assert "sequex drill crash" in progs
    assert {"sequex run", "sequex simulate", "sequex bench pipeline", "sequex loadgen"} <= progs
    assert {"sequex md", "sequex md watch", "sequex bench md"} <= progs


@pytest.mark.parametrize(("prog", "parser"), PARSERS, ids=[prog for prog, _ in PARSERS])
def test_the_description_is_for_an_operator(prog: str, parser: argparse.ArgumentParser) -> None:
    text = parser.description or ""
    assert len(text) > 20, f"{prog} has no description"
    assert not [word for word in INTERNAL if word in text], text


@pytest.mark.parametrize(("prog", "parser"), PARSERS, ids=[prog for prog, _ in PARSERS])
def test_every_argument_has_a_help_line(prog: str, parser: argparse.ArgumentParser) -> None:
    # help=argparse.SUPPRESS is an option hidden on purpose (a benchmark's own child process)
    missing = [action.dest for action in parser._actions if not action.help]
    assert missing == [], f"{prog}: no help for {missing}"


def test_run_help_names_no_internals_and_says_how_it_ends(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["run", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "Start the exchange host" in out and "until Ctrl-C" in out
    assert "exit status: 0 stopped cleanly" in out
    for word in ("`sequex run --config FILE`", "ring[in]", "engine.", "prepare_start", "W from"):
        assert word not in out, word
