"""The real host behind its JSON-lines gateway: admin, order entry, acks and a maker's fill.

`sequex run` starts every stage and the gateway as processes; `sequex admin` and raw firm
sessions talk to it over loopback; SIGTERM stops it cleanly, and a replay of its journal
reaches the state the host reported at the stop. A firm's order reports reach the firm's
session of the moment: after it logged in again, and after the host restarted.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from disruptor import list_names
from tests.demo_config import demo_text

ROOT = Path(__file__).resolve().parents[2]


def host_config(tmp_path: Path, window: int = 1) -> tuple[Path, str]:
    """The demo config with its data in ``tmp_path`` and the gateway on a free port."""
    text, endpoints = demo_text(tmp_path / "var", window)
    path = tmp_path / "host.toml"
    path.write_text(text)
    return path, endpoints["json"]


class Firm:
    """A raw JSON-lines session of one firm."""

    def __init__(self, endpoint: str, firm: str, password: str) -> None:
        host, _, port = endpoint.rpartition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.lines = self.sock.makefile("rb")
        self.send({"type": "login", "firm": firm, "password": password})
        assert self.next()["type"] == "login_ok"

    def send(self, obj: dict[str, Any]) -> None:
        self.sock.sendall(json.dumps(obj).encode() + b"\n")

    def next(self) -> dict[str, Any]:
        line = self.lines.readline()
        assert line, "the gateway closed the session"
        reply: dict[str, Any] = json.loads(line)
        return reply

    def until(self, kind: str, **fields: Any) -> dict[str, Any]:
        while True:
            reply = self.next()
            if reply["type"] == kind and all(reply.get(k) == v for k, v in fields.items()):
                return reply

    def close(self) -> None:
        self.lines.close()
        self.sock.close()


def order(
    firm: str, account: str, side: str, qty: int, price: int, tif: str, cid: str
) -> dict[str, Any]:
    return {
        "type": "new_order",
        "firm": firm,
        "account": account,
        "symbol": "ACME",
        "side": side,
        "order_type": "limit",
        "tif": tif,
        "qty": qty,
        "price": price,
        "client_order_id": cid,
    }


def sequex(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@dataclass
class HostRun:
    """What ``sequex run`` printed: the banner up to "press Ctrl-C", then the rest at exit."""

    banner: list[str]
    out: str = ""
    pid: int = 0


@contextmanager
def running_host(config: Path) -> Iterator[HostRun]:
    """``sequex run`` on ``config``, up and serving; SIGTERM on exit, which must end it cleanly
    (exit 0, nothing left in /dev/shm)."""
    prefix = f"sequex-gw{time.monotonic_ns() % 10**9}-"
    host = subprocess.Popen(
        [sys.executable, "-m", "tools.cli", "run", "--config", str(config), "--prefix", prefix],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    run = HostRun([], pid=host.pid)
    try:
        assert host.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = host.stdout.readline()
            assert line, f"host exited early: {host.stderr.read() if host.stderr else ''}"
            run.banner.append(line)
            if line.startswith("press Ctrl-C"):
                break
        assert any(line.startswith("  JSON lines on ") for line in run.banner)
        yield run
    finally:
        host.send_signal(signal.SIGTERM)
        run.out, err = host.communicate(timeout=60)
    assert host.returncode == 0, err
    assert list_names(prefix) == []


def test_orders_and_admin_flow_through_the_gateway_of_a_live_host(tmp_path: Path) -> None:
    config, endpoint = host_config(tmp_path)
    with running_host(config) as run:
        admin = sequex("admin", "--endpoint", endpoint, "--password", "admin-pass")
        assert admin.returncode == 2  # no command: a usage error, never a traceback
        deposit = sequex(
            "admin", "--endpoint", endpoint, "--password", "admin-pass",
            "deposit", "BETA-2", "--cash", "0.50",
        )  # fmt: skip
        assert deposit.returncode == 0, deposit.stderr
        assert '"type":"balance_changed","account":"BETA-2","asset":"CASH","amount":5000' in (
            deposit.stdout
        )
        for flags, limits in (
            (["--max-qty", "900", "--max-notional", "100000.25"], (900, 1_000_002_500, 0)),
            (["--max-open", "5"], (900, 1_000_002_500, 5)),  # kept through journal and risk
        ):
            limited = sequex("admin", "--endpoint", endpoint, "--password", "admin-pass",
                             "limits", "BETA-1", *flags)  # fmt: skip
            assert limited.returncode == 0, limited.stderr
            event = json.loads(limited.stdout)
            assert (event["max_order_qty"], event["max_notional"], event["max_open_orders"]) == (
                limits
            )
        refused = sequex(
            "admin", "--endpoint", endpoint, "--password", "admin-pass", "halt", "NOPE"
        )
        assert refused.returncode == 1

        alpha = Firm(endpoint, "ALPHA", "alpha-pass")
        beta = Firm(endpoint, "BETA", "beta-pass")
        alpha.send(order("ALPHA", "ALPHA-1", "sell", 100, 1_000_000, "day", "a1"))
        seq = alpha.until("sequenced")["seq"]
        assert alpha.until("accepted")["order_id"] == seq  # the ack {order_id, seq_no}
        beta.send(order("BETA", "BETA-1", "buy", 30, 1_010_000, "ioc", "b1"))
        taker = beta.until("fill")
        assert (taker["fill_qty"], taker["fill_price"], taker["liquidity"]) == (
            30,
            1_000_000,
            "taker",
        )
        maker = alpha.until("fill")  # caused by BETA's command, delivered to ALPHA's session
        assert (maker["order_id"], maker["leaves_qty"], maker["liquidity"]) == (seq, 70, "maker")
        beta.send(order("ALPHA", "ALPHA-1", "buy", 1, 1_000_000, "day", "x"))
        assert beta.until("error")["code"] == "wrong_firm"  # refused before ring[in]
        alpha.close()
        beta.close()
    values = dict(
        line.split(" ", 1) for line in run.out.splitlines() if line.startswith(("live_", "last_"))
    )
    replay = sequex("replay", str(tmp_path / "var"), "--from-start")
    assert replay.returncode == 0, replay.stderr
    replayed = dict(line.split(" ", 1) for line in replay.stdout.splitlines() if " " in line)
    assert replayed["last_seq"] == values["last_seq"]
    assert replayed["state_hash"] == values["live_state_hash"]  # W = 1: the same state


def rest_alpha_sell(endpoint: str) -> int:
    """ALPHA rests a day sell of 100 at 100.00, then disconnects; the order id."""
    alpha = Firm(endpoint, "ALPHA", "alpha-pass")
    alpha.send(order("ALPHA", "ALPHA-1", "sell", 100, 1_000_000, "day", "a1"))
    seq: int = alpha.until("sequenced")["seq"]
    assert alpha.until("accepted")["order_id"] == seq
    alpha.close()
    return seq


def beta_takes_30_and_alpha_sees_the_maker_fill(endpoint: str, maker_order: int) -> None:
    """A new ALPHA session, then BETA's IOC buy of 30: ALPHA's maker fill reaches the new
    session, BETA sees only its own reports."""
    alpha = Firm(endpoint, "ALPHA", "alpha-pass")
    beta = Firm(endpoint, "BETA", "beta-pass")
    beta.send(order("BETA", "BETA-1", "buy", 30, 1_010_000, "ioc", "b1"))
    taker_seq = beta.until("sequenced")["seq"]
    assert beta.next()["type"] == "accepted"
    taker = beta.next()
    assert (taker["type"], taker["liquidity"], taker["account"]) == ("fill", "taker", "BETA-1")
    maker = alpha.next()  # the first line after login: nothing else was addressed to ALPHA
    assert (maker["type"], maker["seq"], maker["account"]) == ("fill", taker_seq, "ALPHA-1")
    assert (maker["order_id"], maker["leaves_qty"], maker["liquidity"]) == (
        maker_order,
        70,
        "maker",
    )
    for firm in (alpha, beta):  # nothing more for either (no copy, no leak)
        firm.send({"type": "logout"})
        assert firm.next() == {"type": "logged_out"}
        firm.close()


def test_a_firm_that_logs_in_again_gets_the_maker_fill_of_its_resting_order(
    tmp_path: Path,
) -> None:
    config, endpoint = host_config(tmp_path)
    with running_host(config):
        maker_order = rest_alpha_sell(endpoint)
        beta_takes_30_and_alpha_sees_the_maker_fill(endpoint, maker_order)


def test_a_maker_fill_after_a_host_restart_reaches_the_makers_firm(tmp_path: Path) -> None:
    config, endpoint = host_config(tmp_path)
    with running_host(config):
        maker_order = rest_alpha_sell(endpoint)
    with running_host(config) as run:  # recovers from the journal: the order rests again
        assert any("recovered through seq" in line for line in run.banner)
        beta_takes_30_and_alpha_sees_the_maker_fill(endpoint, maker_order)
