"""A primary (`sequex run` with [replication] enabled) and a standby (`sequex standby`) as real
processes on loopback, for the replication tests: their configurations (the demo's, fused,
on free ports, with no feed or reporter to spare the cores), starting, stopping, and a JSON
client that places orders."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.journal_format import journal_dir
from journal import JournalReader
from tests.demo_config import ROOT, demo_text
from tests.engine.gateway_harness import Client, order

TIMEOUT = 60.0


@dataclass
class Pair:
    primary_config: Path
    standby_config: Path
    primary_dir: Path
    standby_dir: Path
    endpoints: dict[str, str]
    standby_endpoints: dict[str, str]

    @property
    def replication(self) -> str:
        return self.endpoints["replication"]

    @property
    def json_port(self) -> int:
        return int(self.endpoints["json"].rpartition(":")[2])


def _trim(text: str, snapshot_every: int | None) -> str:
    """Fused, no feed, no reporter; snapshots every ``snapshot_every`` commands if given."""
    for line, replacement in (
        ('topology = "sharded"', 'topology = "fused"'),
        ("enabled = true\nheartbeat_ms = 1000", "enabled = false\nheartbeat_ms = 1000"),
        ("enabled = true             # a reporter", "enabled = false            # a reporter"),
    ):
        assert line in text, line
        text = text.replace(line, replacement)
    if snapshot_every is not None:
        text = text.replace("snapshot_every = 1000000", f"snapshot_every = {snapshot_every}")
    return text


def make_pair(tmp_path: Path, *, snapshot_every: int | None = None, window: int = 1) -> Pair:
    primary_dir, standby_dir = tmp_path / "primary", tmp_path / "standby"
    text, endpoints = demo_text(primary_dir, window=window)
    text = _trim(text, snapshot_every).replace(
        "enabled = false            # true: a standby", "enabled = true  # true: a standby"
    )
    primary = tmp_path / "primary.toml"
    primary.write_text(text)
    standby_text, standby_endpoints = demo_text(standby_dir, window=window)
    standby = tmp_path / "standby.toml"
    standby.write_text(_trim(standby_text, None))
    return Pair(primary, standby, primary_dir, standby_dir, endpoints, standby_endpoints)


def spawn(args: list[str], err: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tools.cli", *args], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=err.open("w"), text=True, start_new_session=True,
    )  # fmt: skip


def wait_line(proc: subprocess.Popen[str], prefix: str, err: Path) -> list[str]:
    """The lines up to the first that starts with ``prefix``."""
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        assert line, f"exited early ({proc.wait()}): {lines} {err.read_text()}"
        lines.append(line)
        if line.startswith(prefix):
            return lines
    raise AssertionError(f"no line {prefix!r} in time: {lines}")


def start_primary(pair: Pair, prefix: str) -> subprocess.Popen[str]:
    err = pair.primary_dir.parent / "primary.err"
    proc = spawn(["run", "--config", str(pair.primary_config), "--prefix", prefix], err)
    wait_line(proc, "sequex run: waiting for a standby", err)
    return proc


def start_standby(pair: Pair, prefix: str, name: str = "standby") -> subprocess.Popen[str]:
    err = pair.primary_dir.parent / f"{name}.err"
    args = ["standby", "--primary", pair.replication, str(pair.standby_config), "--prefix", prefix]
    proc = spawn(args, err)
    wait_line(proc, "press Ctrl-C", err)
    return proc


def stop(proc: subprocess.Popen[str]) -> str:
    """SIGTERM, then what it printed after; it must stop cleanly."""
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0, out
    return out


def live_hash(out: str) -> str:
    return next(line.split()[1] for line in out.splitlines() if line.startswith("live_state_hash"))


def journal_bytes(data_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(journal_dir(data_dir).glob("*.log"))}


def journaled_seqs(data_dir: Path) -> int:
    directory = journal_dir(data_dir)
    return sum(1 for _ in JournalReader(directory).records()) if directory.is_dir() else 0


class Trader:
    """A logged-in JSON session placing orders and reading their answers."""

    def __init__(
        self, port: int, firm: str = "ALPHA", password: str = "alpha-pass", host: str = "127.0.0.1"
    ) -> None:
        self.client = Client(port, timeout=TIMEOUT, host=host)
        assert self.client.login(firm, password)["type"] == "login_ok"
        self.firm = firm
        self.count = 0

    def send(self, side: str = "sell", qty: int = 10, price: int = 1_050_000) -> int:
        """Send an order; returns its seq (the `sequenced` answer)."""
        self.count += 1
        account = f"{self.firm}-1"
        self.client.send(
            order(
                side, qty, price, firm=self.firm, account=account, client_order_id=f"o{self.count}"
            )
        )
        line = self.client.read()
        assert line["type"] == "sequenced", line
        seq: int = line["seq"]
        return seq

    def acked(self) -> dict[str, Any]:
        lines = self.client.read_until(lambda line: line["type"] in ("accepted", "rejected"))
        assert lines[-1]["type"] == "accepted", lines
        return lines[-1]

    def nothing_pending(self) -> bool:
        """No answer waiting on the socket now."""
        sock = self.client.sock
        sock.setblocking(False)
        try:
            return not sock.recv(1, 2)  # MSG_PEEK: b"" only when closed
        except BlockingIOError:
            return True
        finally:
            sock.settimeout(TIMEOUT)
