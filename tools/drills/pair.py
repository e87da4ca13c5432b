"""A primary and its hot standby for a drill: their configs and their two process trees.

:func:`pair_configs` writes two drill configs (``tools.drills.host.drill_config``: the demo's,
every listener on a port the kernel just found free on loopback, so a drill runs beside a
running demo): the primary's with ``[replication] enabled`` (sync unless told otherwise), the
standby's with its own data directory and endpoints, the ones a promoted standby serves. Both
take a replication ``timeout_ms`` of :data:`TIMEOUT_MS` (see there).

:class:`Pair` runs them as two :class:`~tools.drills.host.HostController`: ``sequex run`` for
the primary, ``sequex standby --primary HOST:PORT CONFIG`` (with ``--promote`` if asked) for
the standby, each in a process group of its own so that one ``killpg`` takes one host whole.
:meth:`Pair.start` starts both at once and returns when both banners say they serve (the
primary's comes only once a standby has its setup: sync replication).

The primary's replicator logs to its stderr; :func:`replicator_lines` reads what it said
(``standby ... connected with its journal at seq N; M to send``, ``... in sync at seq N``):
how a drill sees that a standby came back, caught up and made replication synchronous again.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from disruptor.shm_claim import sweep_abandoned
from tools.drills.host import HostController, HostError, drill_config
from tools.run_cli import default_prefix

__all__ = [
    "PROTOCOLS", "TIMEOUT_MS", "Pair", "PairConfigs", "ReplicatorLine", "pair_configs",
    "replicator_lines", "wait_for_line",
]  # fmt: skip

PROTOCOLS: Final = ("json", "ouch", "fix")
_ENABLE: Final = "enabled = false            # true: a standby follows"
_TIMEOUT: Final = "timeout_ms = 500 "
#: the drills' replication timeout_ms: a SIGKILLed host is found lost by its closed connection
#: at once; the timeout only judges a silent peer, and on a loaded 2-core machine the default
#: 500 ms took a live primary for dead during a pair's start (load average about 25)
TIMEOUT_MS: Final = 5000
#: the standby's patience with a primary that is still starting (a loaded machine: tens of s)
CONNECT_SECONDS: Final = 120.0
_CONNECTED: Final = re.compile(r"standby (\S+) connected with its journal at seq (\d+); (\d+) to")
_IN_SYNC: Final = re.compile(r"standby (\S+) in sync at seq (\d+)")


@dataclass(frozen=True, slots=True)
class PairConfigs:
    primary: Path
    standby: Path
    primary_dir: Path
    standby_dir: Path
    #: protocol -> (host, port), and "replication" (the primary's)
    primary_endpoints: dict[str, tuple[str, int]]
    standby_endpoints: dict[str, tuple[str, int]]

    @property
    def replication(self) -> str:
        host, port = self.primary_endpoints["replication"]
        return f"{host}:{port}"


def pair_configs(
    workdir: Path, *, topology: str, window: int, shards: int, snapshot_every: int,
    mode: str = "sync",
) -> PairConfigs:  # fmt: skip
    """Write ``primary.toml`` and ``standby.toml`` in ``workdir`` (data in ``primary/`` and
    ``standby/``); HostError if the demo config lacks a line to set."""
    texts: dict[str, str] = {}
    endpoints: dict[str, dict[str, tuple[str, int]]] = {}
    for name in ("primary", "standby"):
        texts[name], endpoints[name] = drill_config(
            workdir / name, topology=topology, window=window, shards=shards,
            snapshot_every=snapshot_every,
        )  # fmt: skip
    primary = texts["primary"]
    if _ENABLE not in primary or 'mode = "sync"' not in primary:
        raise HostError("the demo config has no [replication] lines to enable it for the drill")
    primary = primary.replace(_ENABLE, _ENABLE.replace("false", "true ", 1))
    primary = primary.replace('mode = "sync"', f'mode = "{mode}"')
    for name in texts:
        if _TIMEOUT not in texts[name]:
            raise HostError("the demo config has no [replication] timeout_ms line to set")
    primary = primary.replace(_TIMEOUT, f"timeout_ms = {TIMEOUT_MS} ")
    texts["standby"] = texts["standby"].replace(_TIMEOUT, f"timeout_ms = {TIMEOUT_MS} ")
    paths = {name: workdir / f"{name}.toml" for name in texts}
    paths["primary"].write_text(primary)
    paths["standby"].write_text(texts["standby"])
    return PairConfigs(
        paths["primary"], paths["standby"], workdir / "primary", workdir / "standby",
        endpoints["primary"], endpoints["standby"],
    )  # fmt: skip


class Pair:
    """The two hosts of :class:`PairConfigs` as process trees (see the module docstring)."""

    def __init__(self, configs: PairConfigs, logs: Path, *, promote: bool) -> None:
        self.configs = configs
        self.primary = HostController(configs.primary, logs, name="primary")
        command = ["standby", "--primary", configs.replication, str(configs.standby)]
        command += ["--connect-timeout", f"{CONNECT_SECONDS:g}"]
        if promote:
            command.append("--promote")
        self.standby = HostController(configs.standby, logs, command=command, name="standby")

    async def start(self) -> None:
        """Start both at once; return when both serve (HostError otherwise)."""
        self.primary.spawn()
        self.standby.spawn()
        await asyncio.gather(self.primary.wait_banner(), self.standby.wait_banner())

    def endpoints(self, host: str) -> dict[str, tuple[str, int]]:
        """The client endpoints of ``host`` ("primary" or "standby")."""
        chosen = (
            self.configs.primary_endpoints if host == "primary" else self.configs.standby_endpoints
        )
        return {protocol: chosen[protocol] for protocol in PROTOCOLS}

    async def kill_all(self) -> None:
        """SIGKILL whatever still runs of either host, wait until it is gone, and remove the
        shared memory a killed host left (a primary killed for good is never restarted on its
        data directory, whose next start would sweep it)."""
        for host in (self.primary, self.standby):
            if host.running:
                host.kill()
                await host.wait_dead()
        for data_dir in (self.configs.primary_dir, self.configs.standby_dir):
            sweep_abandoned(default_prefix(data_dir))  # only names whose owner is gone


@dataclass(frozen=True, slots=True)
class ReplicatorLine:
    kind: str  # "connected" | "in sync"
    peer: str
    seq: int
    #: "connected": how many records the standby lacked
    behind: int = 0


def replicator_lines(err: Path, after: int = 0) -> list[ReplicatorLine]:
    """What the primary's replicator said about its standbys in ``err`` past byte ``after``,
    in order."""
    lines = []
    for line in err.read_bytes()[after:].decode(errors="replace").splitlines():
        if (found := _CONNECTED.search(line)) is not None:
            peer, seq, behind = found.groups()
            lines.append(ReplicatorLine("connected", peer, int(seq), int(behind)))
        elif (found := _IN_SYNC.search(line)) is not None:
            lines.append(ReplicatorLine("in sync", found[1], int(found[2])))
    return lines


async def wait_for_line(
    path: Path, pattern: str, *, after: int = 0, patience: float = 120.0, poll: float = 0.005
) -> tuple[float, str]:
    """Wait until a line matching ``pattern`` appears in ``path`` past byte ``after``; return
    the monotonic time it was seen (within ``poll`` seconds of its writing) and the line.
    HostError after ``patience`` seconds."""
    wanted = re.compile(pattern)
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        text = path.read_bytes()[after:].decode(errors="replace") if path.exists() else ""
        for line in text.splitlines():
            if wanted.search(line):
                return time.monotonic(), line
        await asyncio.sleep(poll)
    raise HostError(f"no line like {pattern!r} in {path} within {patience:g} s")
