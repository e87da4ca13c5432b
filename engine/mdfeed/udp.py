"""The feed's UDP sockets: the multicast sender and the retransmission request port.

Socket code lives here and in ``engine.mdfeed.glimpse_server`` only (an import-linter
contract); what goes into the datagrams is decided elsewhere.

* :class:`MulticastSender` sends to the group with ``IP_MULTICAST_IF`` set to the configured
  interface (127.0.0.1 keeps the feed on this host: no route to 239.0.0.0/8 is needed),
  ``IP_MULTICAST_LOOP`` on (listeners on this host hear it) and the configured TTL (0: the
  datagrams never leave the host). The socket is non-blocking with a large send buffer: a
  datagram the kernel cannot take now is dropped and counted, never waited for (the publisher
  must not stall the pipeline); listeners recover it through retransmission.
* :class:`RequestPort` is the MoldUDP64 re-request server's unicast socket: it hands out the
  requests that arrived (at most ``limit`` per call, never blocking) and sends the answers back
  to each requester, also non-blocking.
"""

from __future__ import annotations

import select
import socket
from collections.abc import Iterable
from typing import Final

__all__ = ["MulticastSender", "RequestPort", "readable"]

#: Bytes of kernel buffer asked for each socket (the kernel may grant less).
SOCKET_BUFFER: Final = 4 * 1024 * 1024


class MulticastSender:
    """Datagrams to one multicast group:port, out of one interface."""

    def __init__(self, group: tuple[str, int], interface: str, ttl: int) -> None:
        self.group = group
        self.sent = 0
        self.dropped = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        try:
            sock = self._sock
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(interface))
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER)
            sock.setblocking(False)
        except BaseException:
            self._sock.close()
            raise

    def send(self, datagrams: Iterable[bytes]) -> None:
        sendto, group = self._sock.sendto, self.group
        for datagram in datagrams:
            try:
                sendto(datagram, group)
                self.sent += 1
            except (BlockingIOError, InterruptedError):
                self.dropped += 1  # listeners ask the retransmission server for it

    def close(self) -> None:
        self._sock.close()


class RequestPort:
    """The retransmission server's UDP socket, bound to ``address``."""

    def __init__(self, address: tuple[str, int]) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        try:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER)
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 256 * 1024)
            self._sock.bind(address)
            self._sock.setblocking(False)
        except BaseException:
            self._sock.close()
            raise
        self.address: tuple[str, int] = self._sock.getsockname()
        self.dropped = 0

    def fileno(self) -> int:
        return self._sock.fileno()

    def receive(self, limit: int = 64) -> list[tuple[bytes, tuple[str, int]]]:
        """The requests that arrived (datagram, sender), at most ``limit``; never blocks."""
        out: list[tuple[bytes, tuple[str, int]]] = []
        while len(out) < limit:
            try:
                data, peer = self._sock.recvfrom(64)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                continue  # e.g. an ICMP error of an earlier answer: not this request's fault
            out.append((data, peer))
        return out

    def answer(self, peer: tuple[str, int], datagrams: Iterable[bytes]) -> None:
        for datagram in datagrams:
            try:
                self._sock.sendto(datagram, peer)
            except OSError:
                self.dropped += 1  # the requester asks again after its timeout

    def close(self) -> None:
        self._sock.close()


def readable(*fds: int) -> bool:
    """Whether any of the sockets ``fds`` has something to read now (never blocks)."""
    ready, _, _ = select.select(fds, (), (), 0)
    return bool(ready)
