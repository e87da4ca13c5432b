"""The GLIMPSE-style book snapshot service: a TCP listener speaking SoupBinTCP 3.0.

The exchange of one connection (framing: ``engine.protocols.soupbin``; messages:
``engine.protocols.itch``)::

    client ── Login Request (any username/password: the snapshot is public) ──► server
    client ◄── Login Accepted (session = the feed's MoldUDP64 session, sequence 1)
    client ◄── Sequenced Data: each symbol's Stock Directory (R) and Trading Action (H),
               then an Add Order (A) for every resting order, in time priority
    client ◄── Sequenced Data: End of Snapshot (G) = the MoldUDP64 sequence number of the
               first live message the snapshot does not include
    client ◄── End of Session (Z); the server closes the connection

The snapshot is taken when the Login Request arrives, between two polls of the publisher, so
the books and the number agree exactly: a late joiner applies the snapshot and then the live
feed from that number (retransmission fills what it missed in between) with no gap and
nothing twice.

Never blocking (the publisher's loop drives it): :meth:`SnapshotServer.poll` accepts, reads,
answers and writes what each socket takes now. At most ``max_connections`` at once (one more
is closed at once); a connection that sends no Login Request within ``login_timeout_ns``, or
that a fault ends, is closed.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from engine.protocols.soupbin import NEED_DATA, LoginRequest, PacketFault, ServerSession

__all__ = ["Snapshot", "SnapshotServer"]

#: (session name, the snapshot's messages, End of Snapshot included), taken on demand
Snapshot = Callable[[], tuple[str, list[bytes]]]
LOGIN_TIMEOUT_NS: Final = 5_000_000_000


@dataclass
class _Connection:
    sock: socket.socket
    opened_ns: int
    session: ServerSession = field(default_factory=ServerSession)
    out: bytearray = field(default_factory=bytearray)
    done: bool = False  # everything queued: close once it is written


class SnapshotServer:
    """Serves :data:`Snapshot` s on ``address`` (module docstring)."""

    def __init__(
        self,
        address: tuple[str, int],
        snapshot: Snapshot,
        *,
        max_connections: int = 16,
        login_timeout_ns: int = LOGIN_TIMEOUT_NS,
    ) -> None:
        self._snapshot = snapshot
        self._max = max_connections
        self._login_timeout = login_timeout_ns
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._listener.bind(address)
            self._listener.listen(16)
            self._listener.setblocking(False)
        except BaseException:
            self._listener.close()
            raise
        self.address: tuple[str, int] = self._listener.getsockname()
        self._connections: list[_Connection] = []
        self.served = 0

    def fileno(self) -> int:
        return self._listener.fileno()

    def busy(self) -> bool:
        """Whether a connection is open (the publisher then polls the sockets more often)."""
        return bool(self._connections)

    def poll(self, now_ns: int) -> int:
        """Accept, read, answer and write what can be now; returns the work done."""
        work = self._accept(now_ns)
        for conn in list(self._connections):
            work += self._serve(conn, now_ns)
        return work

    def _accept(self, now_ns: int) -> int:
        accepted = 0
        while True:
            try:
                sock, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return accepted
            except OSError:
                return accepted
            accepted += 1
            if len(self._connections) >= self._max:
                sock.close()
                continue
            sock.setblocking(False)
            self._connections.append(_Connection(sock, now_ns))

    def _serve(self, conn: _Connection, now_ns: int) -> int:
        work = 0
        if not conn.done:
            work += self._read(conn, now_ns)
        if conn.out:
            try:
                sent = conn.sock.send(conn.out)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                self._drop(conn)
                return work + 1
            del conn.out[:sent]
            work += sent > 0
        if conn.done and not conn.out:
            self._drop(conn)
        return work

    def _read(self, conn: _Connection, now_ns: int) -> int:
        try:
            data = conn.sock.recv(4096)
        except (BlockingIOError, InterruptedError):
            if conn.session.is_awaiting_login and now_ns - conn.opened_ns > self._login_timeout:
                self._drop(conn)
            return 0
        except OSError:
            data = b""
        conn.session.receive_data(data)
        while True:
            event = conn.session.next_event()
            if isinstance(event, LoginRequest):
                self._answer(conn)
                break
            if isinstance(event, PacketFault) and not event.fatal:
                continue
            if event is NEED_DATA:
                break
            self._drop(conn)  # closed, a fatal fault, or anything else before login
            break
        return 1

    def _answer(self, conn: _Connection) -> None:
        name, messages = self._snapshot()
        session = conn.session
        conn.out += session.accept_login(name, 1)
        conn.out += session.send_many(messages)
        conn.out += session.end_of_session()
        conn.done = True
        self.served += 1

    def _drop(self, conn: _Connection) -> None:
        conn.sock.close()
        if conn in self._connections:
            self._connections.remove(conn)

    def close(self) -> None:
        for conn in list(self._connections):
            self._drop(conn)
        self._listener.close()
