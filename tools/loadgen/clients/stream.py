"""The TCP plumbing every adapter shares: connect and log in under one deadline, write, flush,
read reports until the connection ends, heartbeat ticks, and a close that never hangs.

An adapter subclasses :class:`StreamClient` and supplies only its protocol:
``_login_bytes()`` / ``_login_answer(data)`` for the handshake, ``_parse(data, ts)`` turning
received bytes into reports (``data`` may be empty: parse what is already buffered), and
``_logout_bytes()``. ``_tick(now)`` (optional) returns bytes to send periodically, e.g.
heartbeats; it runs every :data:`TICK_SECONDS` while the connection is up.

Writes are queued (``_write``) and go out together: orders at the driver's ``flush`` (one
system call per burst, not per order), protocol answers right after the input that caused
them, heartbeats at their tick.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Final

from tools.loadgen.clients import ClientError, Report, now_ns

__all__ = ["READ_CHUNK", "TICK_SECONDS", "StreamClient"]

READ_CHUNK: Final = 256 * 1024
TICK_SECONDS: Final = 0.25


class StreamClient:
    """One TCP connection with a protocol on it; see the module docstring."""

    def __init__(self) -> None:
        self.close_reason: str | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._outbox = bytearray()
        self._ended = asyncio.Event()
        self._reading = False
        self._closing = False
        #: set by ``_parse`` when the protocol says the session is over (logout, fatal fault)
        self._finished = False

    # -- what an adapter supplies ----------------------------------------------------------

    def _login_bytes(self) -> bytes:
        raise NotImplementedError

    def _login_answer(self, data: bytes) -> bool:
        """Take bytes read during the login: True once logged in, False to read more;
        ClientError when refused. Bytes after the answer stay buffered for ``_parse``."""
        raise NotImplementedError

    def _parse(self, data: bytes, ts: int) -> list[Report]:
        raise NotImplementedError

    def _logout_bytes(self) -> bytes:
        raise NotImplementedError

    def _tick(self, now: int) -> bytes:
        return b""

    # -- the interface -----------------------------------------------------------------------

    async def connect(self, host: str, port: int, timeout: float) -> None:
        """Connect and log in within ``timeout`` seconds, or raise ClientError."""
        try:
            async with asyncio.timeout(timeout):
                self._reader, self._writer = await asyncio.open_connection(host, port)
                self._write(self._login_bytes())
                self._send_now()
                while True:
                    data = await self._reader.read(READ_CHUNK)
                    if not data:
                        raise ClientError("the server closed the connection during the login")
                    done = self._login_answer(data)
                    self._send_now()
                    if done:
                        break
        except TimeoutError:
            self._abort()
            raise ClientError(f"no login answer from {host}:{port} within {timeout:g} s") from None
        except OSError as exc:
            self._abort()
            raise ClientError(f"cannot connect to {host}:{port}: {exc}") from None
        except ClientError:
            self._abort()
            raise
        except ValueError as exc:  # a name or password the protocol cannot carry
            self._abort()
            raise ClientError(f"cannot log in: {exc}") from None
        self._ticker = asyncio.create_task(self._tick_loop())

    def _write(self, data: bytes) -> None:
        """Queue bytes; they go out at the next :meth:`flush` (or ``_send_now``)."""
        self._outbox += data

    def _send_now(self) -> None:
        if self._outbox and self._writer is not None and not self._writer.is_closing():
            self._writer.write(bytes(self._outbox))
        self._outbox.clear()

    async def flush(self) -> None:
        """Write what was queued (one system call for a burst of orders), then wait while the
        socket's send buffer is over its high-water mark."""
        self._send_now()
        if self._writer is not None and not self._writer.is_closing():
            with contextlib.suppress(ConnectionError):
                await self._writer.drain()

    async def reports(self) -> AsyncIterator[list[Report]]:
        assert self._reader is not None, "connect first"
        self._reading = True
        try:
            batch = self._parse(b"", now_ns())  # what arrived with the login answer
            if batch:
                yield batch
            while not self._finished:
                try:
                    data = await self._reader.read(READ_CHUNK)
                except (ConnectionError, OSError) as exc:
                    self._ended_by_peer(f"connection lost: {exc}")
                    break
                if not data:
                    self._ended_by_peer("the server closed the connection")
                    break
                batch = self._parse(data, now_ns())
                self._send_now()  # what the protocol answers at once (a Heartbeat, a gap fill)
                if batch:
                    yield batch
        finally:
            self._ended.set()

    async def close(self, timeout: float) -> None:
        """Log out, give the server ``timeout`` seconds to end the session, then close."""
        self._closing = True
        writer = self._writer
        if self._ticker is not None:
            self._ticker.cancel()
        if writer is None:
            return
        try:
            if not writer.is_closing() and not self._finished:
                self._write(self._logout_bytes())
                self._send_now()
                async with asyncio.timeout(timeout):
                    await writer.drain()
                    if self._reading:
                        await self._ended.wait()
        except (TimeoutError, ConnectionError, OSError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError, TimeoutError):
                async with asyncio.timeout(timeout):
                    await writer.wait_closed()

    # -- helpers -------------------------------------------------------------------------------

    def _ended_by_peer(self, reason: str) -> None:
        if not self._closing and self.close_reason is None:
            self.close_reason = reason

    def _end(self, reason: str | None) -> None:
        """The protocol ended the session (``reason`` None: the answer to our logout)."""
        self._finished = True
        if reason is not None:
            self._ended_by_peer(reason)

    async def _tick_loop(self) -> None:
        while not self._finished:
            await asyncio.sleep(TICK_SECONDS)
            self._write(self._tick(now_ns()))
            self._send_now()

    def _abort(self) -> None:
        if self._writer is not None:
            self._writer.transport.abort()
