"""Asking the other host of a pair for its epoch: the probe, and the watch of a primary.

A host that starts as the primary, with ``[replication] peer`` set, cannot tell by itself
whether its peer was promoted meanwhile (it died, or a partition cut it off, and the standby
took over). It asks: it connects to the peer's replication endpoint and sends PROBE (a HELLO
that does not follow, ``journal.replication``) with its own epoch; a promoted peer answers with
its epoch (START, DIVERGED or REFUSE, as to a HELLO). A higher epoch means this host was
superseded: it is fenced (``engine.fencing``) and its gateways refuse every order.

:func:`probe` asks once. :class:`PeerWatch` asks every ``interval`` seconds, in a thread of
the host's main process, for as long as the host runs, and fences it as soon as an answer says
so (a partition that heals brings the answer). Liveness only: nothing here decides an outcome.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engine.fencing import mark_fenced
from engine.replication.handshake import fenced_by
from engine.replication.link import LinkClosed, connect
from journal.replication import Diverged, Hello, ProtocolError, Refuse, Start

#: Seconds between two probes of the watch.
PROBE_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class PeerAnswer:
    """What a probe learned: the peer's epoch (None: it did not say) and, when it did not,
    why (unreachable, refused, not a sequex host)."""

    epoch: int | None
    detail: str = ""


def probe(peer: str, hello: Hello, timeout: float = 2.0) -> PeerAnswer:
    """Ask ``peer`` once, saying ``hello`` (sent as PROBE)."""
    probe_hello = Hello(hello.last_seq, hello.last_digest, hello.epoch, hello.header, probe=True)
    try:
        link = connect(peer, timeout=timeout)
    except OSError as exc:
        return PeerAnswer(None, str(exc))
    try:
        link.send(probe_hello)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            frame = link.receive_one(0.05)
            if isinstance(frame, Start | Diverged):
                return PeerAnswer(frame.epoch)
            if isinstance(frame, Refuse):
                return PeerAnswer(None, f"{peer} refused the probe: {frame.reason}")
            if frame is not None:
                return PeerAnswer(None, f"{peer} answered {type(frame).__name__}")
        return PeerAnswer(None, f"{peer} did not answer within {timeout:g} s")
    except (LinkClosed, ProtocolError) as exc:
        return PeerAnswer(None, f"{peer}: {exc}")
    finally:
        link.close()


def log(message: str) -> None:
    print(f"sequex run: {message}", file=sys.stderr, flush=True)


class PeerWatch:
    """Probes ``peer`` every ``interval`` seconds and fences the host of ``data_dir`` (whose
    epoch ``hello`` says) when the peer's epoch is higher; ``on_fenced`` is then called with
    the reason (once)."""

    def __init__(
        self,
        peer: str,
        data_dir: str | Path,
        hello: Callable[[], Hello],
        on_fenced: Callable[[str], None],
        interval: float = PROBE_SECONDS,
    ) -> None:
        self._peer = peer
        self._data_dir = data_dir
        self._hello = hello
        self._on_fenced = on_fenced
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="peer-watch", daemon=True)
        self.probes = 0

    def start(self) -> PeerWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5.0)

    def check(self, answer: PeerAnswer, epoch: int) -> str | None:
        """Fence the host if ``answer`` says so; the reason (None: not fenced)."""
        if answer.epoch is None:
            return None
        reason = fenced_by(epoch, answer.epoch, self._peer)
        if reason is not None:
            mark_fenced(self._data_dir, reason)
            self._on_fenced(reason)
        return reason

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            hello = self._hello()
            self.probes += 1
            if self.check(probe(self._peer, hello), hello.epoch) is not None:
                return
