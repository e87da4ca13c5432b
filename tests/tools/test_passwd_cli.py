"""`sequex passwd`: a password in, one hash line out that the configuration accepts."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from engine.config import parse_config
from engine.passwords import parse_password_hash
from tools import passwd_cli
from tools.cli import main


def _prompts(monkeypatch: pytest.MonkeyPatch, answers: list[str]) -> list[str]:
    """Answer getpass prompts with ``answers``; returns the prompts shown."""
    shown: list[str] = []
    replies: Iterator[str] = iter(answers)

    def fake_getpass(prompt: str = "") -> str:
        shown.append(prompt)
        try:
            return next(replies)
        except StopIteration:
            raise EOFError from None

    monkeypatch.setattr(passwd_cli.getpass, "getpass", fake_getpass)
    return shown


def test_the_prompted_password_is_asked_twice_and_its_hash_printed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = _prompts(monkeypatch, ["alpha-pass", "alpha-pass"])
    assert main(["passwd"]) == 0
    out = capsys.readouterr().out
    assert len(shown) == 2 and out.count("\n") == 1
    assert parse_password_hash(out.strip()).verify("alpha-pass")
    # and the line is what the configuration takes as a firm's password_hash
    config = parse_config(f'[[firms]]\nfirm = "F"\npassword_hash = "{out.strip()}"\n')
    assert config.firms[0].password_hash.verify("alpha-pass")


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (["one", "two"], "the two passwords differ"),
        (["", ""], "the password is empty"),
        ([], "no password given"),
    ],
)
def test_no_usable_password_prints_nothing_and_exits_2(
    answers: list[str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _prompts(monkeypatch, answers)
    assert main(["passwd"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and message in captured.err


@pytest.mark.parametrize("text", ["beta-pass\nsecond line\n", "beta-pass\r\n", "beta-pass"])
def test_stdin_reads_the_first_line_without_its_line_ending(
    text: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    assert main(["passwd", "--stdin"]) == 0
    assert parse_password_hash(capsys.readouterr().out.strip()).verify("beta-pass")


def test_stdin_with_nothing_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["passwd", "--stdin"]) == 2
    assert "empty" in capsys.readouterr().err
