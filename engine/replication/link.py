"""One replication connection: a TCP socket, frames out, frames in (the socket code of both
sides; the protocol is ``journal.replication``).

Contract. Any number of threads may send (a lock keeps each frame whole on the wire); one
thread receives. ``receive(timeout)`` returns the frames that arrived within ``timeout``
seconds (possibly none); a closed connection raises :class:`LinkClosed`, a malformed stream
``journal.replication.ProtocolError`` (the caller drops the link). The clock is monotonic and
only decides liveness: ``idle_for()`` says how long nothing was sent (a heartbeat is due),
``silent_for()`` how long nothing arrived (the peer may be dead).
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from collections import deque
from collections.abc import Callable

from journal.replication import MAX_FRAME, Frame, FrameDecoder, encode

#: Bytes asked of the socket per receive call.
RECV_BYTES = 1 << 18
#: Socket buffers: a batch of records in flight each way without waiting on the peer's reads.
SOCKET_BUFFER = 1 << 21
#: A send that makes no way for this long means a peer gone without a word (a partition):
#: the link is dropped rather than the sender stuck (receiving never blocks: select).
SEND_SECONDS = 10.0


class LinkClosed(Exception):
    """The peer closed the connection, or it failed."""


def parse_endpoint(endpoint: str) -> tuple[str, int]:
    """``"HOST:PORT"`` -> (host, port); ValueError naming the endpoint otherwise."""
    host, sep, port = endpoint.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"endpoint {endpoint!r} is not HOST:PORT")
    return host, int(port)


def listen(endpoint: str) -> socket.socket:
    """A listening socket on ``endpoint`` (OSError naming the endpoint when it cannot be)."""
    host, port = parse_endpoint(endpoint)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(4)
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot listen for a standby on {endpoint}: {exc}") from None
    return sock


def connect(endpoint: str, timeout: float) -> Link:
    """A link to the primary at ``endpoint``; OSError naming it when it cannot be reached."""
    host, port = parse_endpoint(endpoint)
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise OSError(f"cannot reach the primary at {endpoint}: {exc}") from None
    return Link(sock, endpoint)


class Link:
    """A connected socket speaking replication frames."""

    def __init__(
        self,
        sock: socket.socket,
        peer: str,
        *,
        max_frame: int = MAX_FRAME,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER)
        sock.settimeout(SEND_SECONDS)
        self.peer = peer
        self._sock = sock
        self._decoder = FrameDecoder(max_frame)
        self._send_lock = threading.Lock()
        self._clock = clock
        self._last_sent = self._last_received = clock()
        self.closed = False
        #: bytes received so far (0: the peer never said anything)
        self.received = 0
        #: frames decoded and not yet returned (see receive_one)
        self._held: deque[Frame] = deque()

    def send(self, frame: Frame) -> None:
        self.send_bytes(encode(frame))

    def send_bytes(self, *parts: bytes | memoryview) -> None:
        """Send the parts as one frame's bytes (nothing of another frame between them)."""
        with self._send_lock:
            try:
                for part in parts:
                    self._sock.sendall(part)
            except OSError as exc:
                self.close()
                raise LinkClosed(f"sending to {self.peer}: {exc}") from None
            self._last_sent = self._clock()

    def receive(self, timeout: float) -> list[Frame]:
        """The frames that arrive within ``timeout`` seconds (maybe none)."""
        frames = self._take()
        if frames:
            return frames
        try:
            # select, not a socket timeout: that would also bound another thread's sendall
            readable, _, _ = select.select([self._sock], [], [], max(0.0, timeout))
            if not readable:
                return []
            data = self._sock.recv(RECV_BYTES)
        except (OSError, ValueError) as exc:  # ValueError: closed by another thread
            self.close()
            raise LinkClosed(f"receiving from {self.peer}: {exc}") from None
        if not data:
            self.close()
            raise LinkClosed(f"{self.peer} closed the connection")
        self._last_received = self._clock()
        self.received += len(data)
        self._decoder.receive_data(data)
        return self._take()

    def receive_one(self, timeout: float) -> Frame | None:
        """The next frame, if one arrives within ``timeout`` seconds; the frames that came
        with it stay for the next call (a handshake takes its answer, not what follows)."""
        if not self._held:
            self._held.extend(self.receive(timeout))
        return self._held.popleft() if self._held else None

    def _take(self) -> list[Frame]:
        frames = list(self._held)
        self._held.clear()
        while (frame := self._decoder.next_frame()) is not None:
            frames.append(frame)
        return frames

    def idle_for(self) -> float:
        """Seconds since the last frame was sent."""
        return self._clock() - self._last_sent

    def silent_for(self) -> float:
        """Seconds since anything arrived."""
        return self._clock() - self._last_received

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
