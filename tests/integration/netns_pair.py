"""Two hosts in two network namespaces, for the partition drills (docs/replication.md).

::

     test process (root namespace)
        │ veth .1/.2 (/30)            │ veth .5/.6 (/30)
        ▼                             ▼
     namespace A: primary ◄──── veth .9/.10 (/30) ────► namespace B: standby
                           (replication; the link a partition cuts)

Clients reach each host's JSON gateway from the root namespace; replication and the fencing
probes go over the A-B link only, so taking that link down partitions the pair while both
hosts stay reachable. Names and addresses derive from the test process's pid, so parallel
runs do not clash; :meth:`NetnsPair.close` deletes the namespaces (and with them every veth)
whatever happened.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.demo_config import ROOT


def ip(*args: str, netns: str | None = None) -> None:
    command = ["ip", *args] if netns is None else ["ip", "netns", "exec", netns, "ip", *args]
    subprocess.run(command, check=True, capture_output=True, timeout=30)


class NetnsPair:
    """Namespaces ``a`` and ``b`` joined to the root namespace and to each other."""

    def __init__(self, tag: str | None = None) -> None:
        pid = os.getpid()
        self.tag = tag or f"sqx{pid % 100000}"
        base = f"10.{100 + pid % 150}.{(pid // 150) % 250}"
        self.a, self.b = f"{self.tag}a", f"{self.tag}b"
        #: the root namespace's way to each host, and each host's address on the A-B link
        self.a_public, self.b_public = f"{base}.2", f"{base}.6"
        self.a_link, self.b_link = f"{base}.9", f"{base}.10"
        self._created: list[str] = []
        self._root_ends = (f"{self.tag}ra", f"{self.tag}rb")
        self.cut_end = f"{self.tag}xa"  # A's end of the A-B link
        try:
            for ns in (self.a, self.b):
                ip("netns", "add", ns)
                self._created.append(ns)
                ip("link", "set", "lo", "up", netns=ns)
            self._veth(self._root_ends[0], f"{base}.1", f"{self.tag}ar", self.a, self.a_public)
            self._veth(self._root_ends[1], f"{base}.5", f"{self.tag}br", self.b, self.b_public)
            self._veth(self.cut_end, self.a_link, f"{self.tag}xb", self.b, self.b_link, self.a)
        except BaseException:
            self.close()
            raise

    def _veth(
        self,
        near: str,
        near_ip: str,
        far: str,
        far_ns: str,
        far_ip: str,
        near_ns: str | None = None,
    ) -> None:
        ip("link", "add", near, "type", "veth", "peer", "name", far)
        if near_ns is not None:
            ip("link", "set", near, "netns", near_ns)
        ip("link", "set", far, "netns", far_ns)
        ip("addr", "add", f"{near_ip}/30", "dev", near, netns=near_ns)
        ip("link", "set", near, "up", netns=near_ns)
        ip("addr", "add", f"{far_ip}/30", "dev", far, netns=far_ns)
        ip("link", "set", far, "up", netns=far_ns)

    def partition(self) -> None:
        """Cut the A-B link (both hosts stay up and reachable from here)."""
        ip("link", "set", self.cut_end, "down", netns=self.a)

    def heal(self) -> None:
        ip("link", "set", self.cut_end, "up", netns=self.a)

    def spawn(self, ns: str, args: list[str], err: Path) -> subprocess.Popen[str]:
        """``sequex ARGS`` in namespace ``ns`` (its own process group)."""
        return subprocess.Popen(
            ["ip", "netns", "exec", ns, sys.executable, "-m", "tools.cli", *args],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=err.open("w"), text=True,
            start_new_session=True,
        )  # fmt: skip

    def close(self) -> None:
        for ns in reversed(self._created):
            subprocess.run(["ip", "netns", "delete", ns], capture_output=True, timeout=30)
        self._created.clear()
        for end in self._root_ends:  # gone with the namespaces; a half-made pair may leave one
            subprocess.run(["ip", "link", "delete", end], capture_output=True, timeout=30)
