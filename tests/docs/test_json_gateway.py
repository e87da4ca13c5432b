"""docs/json-gateway.md, the JSON gateway's protocol: every error code the code can emit is
documented (and no other), the limits it quotes are the code's, and its example session runs
through a real gateway (over a fake pipeline) exactly as shown."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from engine.gateway import admission, fields, login_guard, server
from engine.protocols import json_session
from tests.engine.gateway_harness import gateway_host

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "json-gateway.md").read_text(encoding="utf-8")
#: where the JSON gateway's error codes come from
SOURCES = [
    ROOT / "engine" / "protocols" / "json_session.py",
    *(ROOT / "engine" / "gateway").glob("*.py"),
]
#: how a code appears in them: a session fault, a refusal, a wire line, a field problem, an
#: error or a refused login the server writes itself
PATTERNS = [
    r'_fault\(\s*"([a-z_]+)"',
    r'Refusal\(\s*"([a-z_]+)"',
    r'"code":\s*"([a-z_]+)"',
    r'send_error\(\s*\w+,\s*"([a-z_]+)"',
    r'send_login_rejected\(\s*"([a-z_]+)"',
]


def emitted_codes() -> set[str]:
    codes: set[str] = set()
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        for pattern in PATTERNS:
            codes.update(re.findall(pattern, text))
        for name in re.findall(r"FieldProblem\(([A-Z_]+)", text):
            codes.add(getattr(fields, name))
    return codes


def documented_codes() -> list[str]:
    section = DOC[DOC.index("## Error codes") :]
    return re.findall(r"^\| `([a-z_]+)` \|", section, re.M)


def test_the_scan_finds_the_codes_of_every_layer() -> None:
    """A guard on the scan itself: codes from the session, the login, validation, fields."""
    assert {
        "bad_json", "login_timeout", "bad_credentials", "wrong_firm", "out_of_range",
        "session_in_use", "throttled",
    } <= emitted_codes()  # fmt: skip


def test_every_error_code_the_gateway_can_emit_is_documented_once_and_no_other() -> None:
    documented = documented_codes()
    assert len(documented) == len(set(documented)), "a code documented twice"
    assert set(documented) == emitted_codes()


@pytest.mark.parametrize(
    ("value", "phrase"),
    [
        (json_session.MAX_LINE, "**64 KiB** (65,536 bytes"),
        (json_session.MAX_PENDING // 1024 // 1024, "| unread input | 1 MiB |"),
        (server.LOGIN_TIMEOUT, "| login timeout | 10 s"),
        (server.MAX_CONNECTIONS, "`[gateway] max_connections` (256)"),
        (server.WRITE_LIMIT // 1024 // 1024, "| unread output | 4 MiB |"),
        (server.REFUSE_LINGER, "for up to 2 s"),
        (admission.ADMIN_RESERVE, "| operator reserve | 4 connections"),
        (server.RESERVE_LOGIN_TIMEOUT, "the operator's login within 2 s"),
        (login_guard.BASE_DELAY, "`0.25 s * 2^(k-1)`"),
        (login_guard.MAX_DELAY, "at most 4 s"),
        (login_guard.FORGIVE_AFTER, "60 s without a failure"),
        (login_guard.MAX_ADDRESSES, "At most 4096 addresses"),
    ],
)
def test_a_limit_the_doc_quotes_is_the_codes(value: float, phrase: str) -> None:
    assert phrase in " ".join(DOC.split())  # wherever the lines wrap
    expected = {65536: "65,536", 0.25: "0.25"}.get(value, f"{value:g}")
    assert expected in phrase


def transcripts() -> list[list[tuple[str, dict[str, object] | str]]]:
    """Each transcript block: (">" or "<", the line's object), or ("#", a comment), which
    starts a new connection."""
    blocks = re.findall(r"```transcript\n(.*?)```", DOC, re.S)
    return [
        [
            (line[0], line[2:] if line[0] == "#" else json.loads(line[2:]))
            for line in block.splitlines()
            if line.strip()
        ]
        for block in blocks
    ]


def _timeless(obj: object) -> object:
    """A wire object without its ``ts`` (the gateway stamps the wall clock's)."""
    if isinstance(obj, dict):
        return {k: ("ts" if k == "ts" else v) for k, v in obj.items()}
    return obj


def test_the_doc_shows_an_anonymous_and_a_named_session() -> None:
    blocks = transcripts()
    assert len(blocks) == 2
    assert [d for d, _ in blocks[0]].count(">") >= 5
    named = [obj for d, obj in blocks[1] if d == ">" and isinstance(obj, dict)]
    assert sum(obj.get("type") == "login" and "session" in obj for obj in named) == 2


@pytest.mark.parametrize("block", range(2))
def test_the_example_sessions_run_as_shown(block: int) -> None:
    steps = transcripts()[block]
    with gateway_host() as host:
        client = host.client()
        for direction, obj in steps:
            if direction == "#":  # the previous connection ended: a new one
                assert client.is_closed()
                client.close()
                client = host.client()
            elif direction == ">":
                assert isinstance(obj, dict)
                client.send(obj)
            else:
                assert direction == "<"
                assert _timeless(client.read()) == _timeless(obj)
        assert client.is_closed()
        client.close()
