"""A real host for a drill: its config, and start, kill, restart, stop, wait until accepting.

:func:`drill_config` writes the demo config (``config/demo.toml``) for a data directory of the
drill's, every listener on a port the kernel just found free on loopback, with a second
session per firm and protocol (so each firm has several sessions) and a snapshot every few
hundred commands (so a restart recovers from a snapshot plus a tail).

:class:`HostController` runs ``sequex run`` on it in a session of its own, so that
:meth:`~HostController.kill` SIGKILLs the whole process tree (the host and every stage it
spawned) with one ``killpg``, and only that tree. Every wait is bounded and says what it was
waiting for when it gives up (:class:`HostError`; the drill then exits 2, it could not run).
:meth:`~HostController.wait_accepting` is the restart's finish line: an order sent through the
gateway, anonymously, is acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from tools.demo_ports import DEMO, DEMO_LISTENERS, free_port
from tools.drills.ledger import Ledger

__all__ = ["DEMO", "SESSIONS", "HostController", "HostError", "drill_config"]

#: firm -> its sessions (name, protocol): the demo's first of each protocol, then the drill's
#: second (an OUCH name is a SoupBinTCP username, at most 6 characters)
_SUFFIXES: Final = (
    ("1", "ouch"), ("FIX", "fix"), ("JSON", "json"),
    ("2", "ouch"), ("FIX2", "fix"), ("JSON2", "json"),
)  # fmt: skip
SESSIONS: Final = {
    firm: tuple((f"{firm}{suffix}", protocol) for suffix, protocol in _SUFFIXES)
    for firm in ("ALPHA", "BETA")
}
START_SECONDS: Final = 120.0
STOP_SECONDS: Final = 120.0


class HostError(Exception):
    """The host would not start, stop or accept as the drill needs: the text says what."""


def drill_config(
    data_dir: Path, *, topology: str, window: int, shards: int, snapshot_every: int
) -> tuple[str, dict[str, tuple[str, int]]]:
    """The config text for ``data_dir`` and the endpoint each listener got."""
    text = DEMO.read_text()
    for old, new in (
        ('data_dir = "var"', f'data_dir = "{data_dir}"'),
        ('topology = "sharded"', f'topology = "{topology}"'),
        ("feedback_window = 1024", f"feedback_window = {window}"),
        ("matcher_shards = 2", f"matcher_shards = {shards}"),
        ("snapshot_every = 1000000", f"snapshot_every = {snapshot_every}"),
        ("capacity = 65536", "capacity = 4096"),
    ):
        if old not in text:
            raise HostError(f"{DEMO}: no line {old!r} to set for the drill")
        text = text.replace(old, new)
    endpoints: dict[str, tuple[str, int]] = {}
    for key, (line, host, kind) in DEMO_LISTENERS.items():
        if line not in text:
            raise HostError(f"{DEMO}: no line {line!r} to give a free port")
        endpoints[key] = (host, free_port(kind))
        text = text.replace(line, f'{key} = "{host}:{endpoints[key][1]}"')
    for firm, sessions in SESSIONS.items():
        last = f'name = "{firm}JSON"\nprotocol = "json"\naccount = "{firm}-1"\n'
        if last not in text:
            raise HostError(f"{DEMO}: no session {firm}JSON to add the drill's after")
        extra = "".join(
            f'\n[[firms.sessions]]\nname = "{name}"\nprotocol = "{protocol}"'
            f'\naccount = "{firm}-1"\n'
            for name, protocol in sessions[3:]
        )
        text = text.replace(last, last + extra)
    return text, endpoints


class HostController:
    """``sequex run --config CONFIG`` as a killable process tree; see the module docstring."""

    def __init__(
        self, config: Path, logs: Path, *, command: Sequence[str] = (), name: str = "host"
    ) -> None:
        self.config = config
        self.logs = logs
        #: the ``sequex`` arguments (default ``run --config CONFIG``; a standby's are
        #: ``standby --primary HOST:PORT CONFIG``)
        self.command = tuple(command) or ("run", "--config", str(config))
        self.name = name
        self.proc: subprocess.Popen[bytes] | None = None
        #: when the last probe of :meth:`wait_accepting` read its login_ok (monotonic)
        self.probe_login_at = 0.0
        self.starts = 0
        self._out = logs / f"{name}-0.out"
        self._err = logs / f"{name}-0.err"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def out(self) -> Path:
        """What the current (latest) start printed on stdout."""
        return self._out

    @property
    def err(self) -> Path:
        """What the current (latest) start printed on stderr (the replicator's log)."""
        return self._err

    async def start(self) -> None:
        """Start (or restart) the host; return once its banner says it serves."""
        self.spawn()
        await self.wait_banner()

    def spawn(self) -> None:
        """Start (or restart) the process, without waiting (:meth:`wait_banner` waits)."""
        self.starts += 1
        self._out = self.logs / f"{self.name}-{self.starts}.out"
        self._err = self.logs / f"{self.name}-{self.starts}.err"
        argv = [sys.executable, "-m", "tools.cli", *self.command]
        with open(self._out, "wb") as out, open(self._err, "wb") as err:
            self.proc = subprocess.Popen(
                argv,
                stdout=out,
                stderr=err,
                start_new_session=True,  # its own process group: killpg takes the whole tree
            )

    async def wait_banner(self) -> None:
        """Wait until the banner of the current start says it serves (HostError if it exits
        first or does not within START_SECONDS)."""
        assert self.proc is not None
        deadline = time.monotonic() + START_SECONDS
        while b"press Ctrl-C" not in self._out.read_bytes():
            if self.proc.poll() is not None:
                raise HostError(
                    f"the {self.name} exited with status {self.proc.returncode} while starting: "
                    f"{self._tail(self._err)}"
                )
            if time.monotonic() > deadline:
                raise HostError(
                    f"the {self.name}'s banner did not say it serves within {START_SECONDS:g} s "
                    f"(start {self.starts}): {self._tail(self._err)}"
                )
            await asyncio.sleep(0.01)

    def kill(self) -> float:
        """SIGKILL the host's whole process group; returns the monotonic time of the kill."""
        assert self.proc is not None
        at = time.monotonic()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        return at

    async def wait_dead(self) -> None:
        """Wait until no process of the killed group is left."""
        assert self.proc is not None
        deadline = time.monotonic() + 30
        while True:
            self.proc.poll()
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                return
            if time.monotonic() > deadline:
                raise HostError(f"process group {self.proc.pid} outlived SIGKILL by 30 s")
            await asyncio.sleep(0.005)

    async def stop(self) -> dict[str, str]:
        """SIGTERM, wait for the clean stop; return what it printed (``live_state_hash``,
        ``last_seq``). A stop that fails or prints no hash is a HostError."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                raise HostError(f"the host did not stop within {STOP_SECONDS:g} s of SIGTERM")
            await asyncio.sleep(0.02)
        if self.proc.returncode != 0:
            raise HostError(
                f"the host stopped with status {self.proc.returncode}: {self._tail(self._err)}"
            )
        printed = {}
        for line in self._out.read_text().splitlines():
            key, _, value = line.strip().partition(" ")
            if key in ("live_state_hash", "last_seq"):
                printed[key] = value
        if "live_state_hash" not in printed:
            raise HostError(f"the host's stop printed no live_state_hash: {self._tail(self._err)}")
        return printed

    async def wait_accepting(
        self,
        endpoint: tuple[str, int],
        ledger: Ledger,
        cid: str,
        patience: float = 120.0,
        retry: float = 0.02,
    ) -> float:
        """Send one order through the JSON gateway as an anonymous ALPHA session until it is
        acknowledged; return the monotonic time of the ack. The order (IOC, 1 share, below
        every offer) is recorded in ``ledger`` under the session "probe". A refused connection
        is tried again after ``retry`` seconds."""
        deadline = time.monotonic() + patience
        last = "no attempt"
        attempt = 0
        while time.monotonic() < deadline:
            attempt += 1  # a new id each time: the JSON gateway would enter a repeat again
            try:
                async with asyncio.timeout(max(0.1, deadline - time.monotonic())):
                    return await self._probe(endpoint, ledger, f"{cid}-{attempt}")
            except (ConnectionError, OSError, ValueError) as exc:
                last = str(exc) or type(exc).__name__
                await asyncio.sleep(retry)
        raise HostError(f"no order acknowledged at {endpoint} within {patience:g} s ({last})")

    async def _probe(self, endpoint: tuple[str, int], ledger: Ledger, cid: str) -> float:
        reader, writer = await asyncio.open_connection(*endpoint)
        try:
            login = {"type": "login", "firm": "ALPHA", "password": "alpha-pass"}
            order = {
                "type": "new_order", "account": "ALPHA-1", "symbol": "ACME", "side": "buy",
                "order_type": "limit", "tif": "ioc", "qty": 1, "price": 990_000,
                "client_order_id": cid,
            }  # fmt: skip
            writer.write(json.dumps(login).encode() + b"\n")
            ledger.sent(cid, "probe")
            writer.write(json.dumps(order).encode() + b"\n")
            while line := await reader.readline():
                answer = json.loads(line)
                if answer.get("type") == "login_ok":
                    self.probe_login_at = time.monotonic()
                if answer.get("type") == "accepted" and answer.get("client_order_id") == cid:
                    at = time.monotonic()
                    ledger.acked(cid, int(answer["order_id"]), int(answer["seq_no"]))
                    return at
                if answer.get("type") in ("error", "rejected", "login_rejected"):
                    raise ValueError(f"probe answered {line[:200]!r}")
            raise ConnectionError("the gateway closed the probe's connection")
        finally:
            writer.close()

    def _tail(self, path: Path) -> str:
        text = path.read_text(errors="replace").strip() if path.exists() else ""
        return text[-600:] or "(nothing on stderr)"
