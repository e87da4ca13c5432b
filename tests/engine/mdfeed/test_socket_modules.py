"""Sockets only in the feed's server modules: everything else in the market-data packages
works on bytes and objects (the import linter does not see the standard library, so this
test reads the imports itself)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("engine/mdfeed", "engine/marketdata", "engine/protocols/itch",
            "engine/protocols/moldudp64")  # fmt: skip
NETWORK = {"socket", "select", "selectors", "asyncio", "ssl"}
SERVERS = {"engine/mdfeed/udp.py", "engine/mdfeed/glimpse_server.py"}


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_server_modules_open_sockets() -> None:
    users = {
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).glob("*.py")
        if imported(path) & NETWORK
    }
    assert users == SERVERS
