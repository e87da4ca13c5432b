"""A promoted standby's answer to the hosts that ask for its epoch (docs/replication.md).

A standby promoted by ``sequex standby --promote`` runs no replicator, yet its former primary,
coming back with ``[replication] peer`` set to this host's replication endpoint, must learn
that it was superseded. :class:`EpochResponder` listens on that endpoint (a thread of the
standby's process) and answers each connection's first frame, then closes it:

* PROBE: START with this host's epoch (the prober compares it with its own);
* HELLO of a host whose tail a fence of ours superseded: DIVERGED with that fence's seq (it
  can quarantine its tail at once);
* any other HELLO: REFUSE, saying that this host serves no standby until it is restarted as a
  primary with ``[replication] enabled`` (whose replicator answers the same way and serves).
"""

from __future__ import annotations

import threading
import time

from engine.replication.handshake import Fences, divergence_seq, epoch_of
from engine.replication.link import Link, LinkClosed, listen
from journal.replication import MODE_SYNC, Diverged, Frame, Hello, ProtocolError, Refuse, Start

#: Seconds a connection has to say its first frame.
FIRST_FRAME_SECONDS = 5.0


def answer_peer(hello: Hello, fences: Fences, header: bytes) -> Start | Diverged | Refuse:
    """What this promoted host (of ``fences``) answers ``hello``."""
    epoch = epoch_of(fences)
    parting = divergence_seq(fences, hello.epoch)
    if hello.probe:
        return Start(epoch, 0, 0, 0, 0, MODE_SYNC, header)
    if parting is not None and hello.last_seq >= parting:
        return Diverged(epoch, parting)
    return Refuse(
        f"this host (epoch {epoch}) was promoted and serves no standby yet: restart it as a "
        "primary with [replication] enabled, then start the standby again"
    )


class EpochResponder:
    """Answers on ``endpoint`` until :meth:`close` (see the module docstring)."""

    def __init__(self, endpoint: str, fences: Fences, header: bytes) -> None:
        self._fences = tuple(fences)
        self._header = header
        self._listener = listen(endpoint)
        self._listener.settimeout(0.2)
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="epoch-responder", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._closed.is_set():
            try:
                sock, address = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed
            sock.setblocking(True)
            link = Link(sock, f"{address[0]}:{address[1]}")
            try:
                frame = self._first_frame(link)
                if isinstance(frame, Hello):
                    link.send(answer_peer(frame, self._fences, self._header))
            except (LinkClosed, ProtocolError):
                pass
            finally:
                link.close()

    def _first_frame(self, link: Link) -> Frame | None:
        """The connection's first frame (None: none within FIRST_FRAME_SECONDS)."""
        deadline = time.monotonic() + FIRST_FRAME_SECONDS
        while not self._closed.is_set() and time.monotonic() < deadline:
            frame = link.receive_one(0.1)
            if frame is not None:
                return frame
        return None

    def close(self) -> None:
        self._closed.set()
        self._listener.close()
        self._thread.join(timeout=2.0)
