"""The TCP plumbing every adapter shares: connect and log in under one deadline, write, flush,
hand reports on as the bytes arrive, heartbeat ticks, and a close that never hangs.

An adapter subclasses :class:`StreamClient` and supplies only its protocol:
``_login_bytes()`` / ``_login_answer(data)`` for the handshake, ``_parse(data, ts)`` turning
received bytes into reports (``data`` may be empty: parse what is already buffered), and
``_logout_bytes()``. ``_tick(now)`` (optional) returns bytes to send periodically, e.g.
heartbeats; it runs every :data:`TICK_SECONDS` while the connection is up.

Writes are queued (``_write``) and go out together: orders at the driver's ``write_out`` or
``flush`` (one system call per burst, not per order), protocol answers right after the input
that caused them, heartbeats at their tick.

Reading is an asyncio ``Protocol``, not a stream: each chunk the socket gives is parsed in
``data_received`` and its reports go straight to the sink the caller set (:meth:`on_reports`),
with no future, task switch or generator between the socket and the sink; that is most of
what a report costs a load generator in Python. :meth:`reports` offers the same batches as
an async iterator. The sender's flow control is the transport's: ``pause_writing`` /
``resume_writing`` (the send buffer over its high-water mark, then drained).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Final

from tools.loadgen.clients import NUMBER_DIGITS, ClientError, OrderSpec, Report, now_ns

__all__ = ["TICK_SECONDS", "StreamClient"]

TICK_SECONDS: Final = 0.25


class _Wire(asyncio.Protocol):
    """The socket's callbacks, handed to the client."""

    def __init__(self, client: StreamClient) -> None:
        self.client = client

    def data_received(self, data: bytes) -> None:
        self.client._received(data)

    def eof_received(self) -> bool:
        self.client._ended_by_peer("the server closed the connection")
        self.client._stop()
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            self.client._ended_by_peer(f"connection lost: {exc}")
        else:
            self.client._ended_by_peer("the server closed the connection")
        self.client._lost()

    def pause_writing(self) -> None:
        self.client._paused = True

    def resume_writing(self) -> None:
        self.client._resume()


class StreamClient:
    """One TCP connection with a protocol on it; see the module docstring."""

    def __init__(self) -> None:
        self.close_reason: str | None = None
        self._transport: asyncio.Transport | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._outbox = bytearray()
        #: set when the connection ends (the protocol's end, the peer's, or ours)
        self._ended = asyncio.Event()
        #: set when the transport is gone
        self._gone = asyncio.Event()
        self._closing = False
        #: set by ``_parse`` when the protocol says the session is over (logout, fatal fault)
        self._finished = False
        self._paused = False
        self._drained: asyncio.Future[None] | None = None
        #: the login's outcome while it runs (None once logged in)
        self._login: asyncio.Future[None] | None = None
        self._live = False
        #: where each read's reports go (None: queued for :meth:`reports`)
        self._sink: Callable[[list[Report]], None] | None = None
        self._queue: asyncio.Queue[list[Report] | None] = asyncio.Queue()

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

    def send_new_order(self, order: OrderSpec) -> str:
        raise NotImplementedError

    def send_new_orders(self, order: OrderSpec, count: int) -> int:
        """``count`` orders, one by one (an adapter may encode a burst at once); the number
        of the first."""
        first = self.send_new_order(order)
        for _ in range(count - 1):
            self.send_new_order(order)
        return int(first[-NUMBER_DIGITS:])

    # -- the interface -----------------------------------------------------------------------

    async def connect(self, host: str, port: int, timeout: float) -> None:
        """Connect and log in within ``timeout`` seconds, or raise ClientError."""
        loop = asyncio.get_running_loop()
        self._login = loop.create_future()
        try:
            async with asyncio.timeout(timeout):
                transport, _ = await loop.create_connection(lambda: _Wire(self), host, port)
                self._transport = transport
                self._write(self._login_bytes())
                self._send_now()
                await self._login
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
        finally:
            self._login = None
        self._live = True
        self._ticker = asyncio.create_task(self._tick_loop())

    def _write(self, data: bytes) -> None:
        """Queue bytes; they go out at the next :meth:`write_out` or :meth:`flush`."""
        self._outbox += data

    def _send_now(self) -> None:
        transport = self._transport
        if self._outbox and transport is not None and not transport.is_closing():
            transport.write(bytes(self._outbox))
        self._outbox.clear()

    def write_out(self) -> bool:
        """Write what was queued (one system call for a burst of orders); whether the
        socket's send buffer is over its high-water mark (then :meth:`flush` waits for it)."""
        self._send_now()
        return self._paused and not self._gone.is_set()

    async def flush(self) -> None:
        """Write what was queued, then wait while the socket's send buffer is over its
        high-water mark (or until the connection is gone)."""
        if self.write_out():
            if self._drained is None or self._drained.done():
                self._drained = asyncio.get_running_loop().create_future()
            await self._drained

    def on_reports(self, sink: Callable[[list[Report]], None]) -> None:
        """Hand every batch of reports to ``sink`` as it is read (those read already first).
        An exception in ``sink`` ends the connection (``close_reason`` names it)."""
        self._sink = sink
        while not self._queue.empty():
            batch = self._queue.get_nowait()
            if batch is not None:
                self._deliver(batch)
        if self._live and not self._finished:
            self._deliver(self._parse(b"", now_ns()))  # what came with the login answer

    async def reports(self) -> AsyncIterator[list[Report]]:
        """The batches of reports as they are read, until the connection ends."""
        assert self._transport is not None, "connect first"
        first = self._parse(b"", now_ns())  # what arrived with the login answer
        if first:
            yield first
        while (batch := await self._queue.get()) is not None:
            yield batch

    async def wait_ended(self) -> None:
        """Until the connection ends (the session's end, the peer's, or our close)."""
        await self._ended.wait()

    async def close(self, timeout: float) -> None:
        """Log out, give the server ``timeout`` seconds to end the session, then close."""
        self._closing = True
        transport = self._transport
        if self._ticker is not None:
            self._ticker.cancel()
        if transport is None:
            return
        try:
            if not transport.is_closing() and not self._finished:
                self._write(self._logout_bytes())
                self._send_now()
                async with asyncio.timeout(timeout):
                    await self._ended.wait()
        except TimeoutError:
            pass
        finally:
            transport.close()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._gone.wait()
            if not self._gone.is_set():
                transport.abort()
            self._stop()

    # -- the socket's side ---------------------------------------------------------------------

    def _received(self, data: bytes) -> None:
        login = self._login
        if login is not None:
            if login.done():
                return
            try:
                if self._login_answer(data):
                    login.set_result(None)
            except (ClientError, ValueError) as exc:
                login.set_exception(exc)
            self._send_now()
            return
        if self._finished or not self._live:
            return
        try:
            batch = self._parse(data, now_ns())
            self._send_now()  # what the protocol answers at once (a Heartbeat, a gap fill)
            if batch:
                self._deliver(batch)
        except Exception as exc:  # an adapter's or a sink's bug: end this connection, visibly
            self._ended_by_peer(f"client failure: {exc!r}")
            self._finished = True
        if self._finished:
            self._stop()

    def _deliver(self, batch: list[Report]) -> None:
        if not batch:
            return
        sink = self._sink
        if sink is None:
            self._queue.put_nowait(batch)
        else:
            sink(batch)

    def _stop(self) -> None:
        """The report stream is over."""
        if not self._ended.is_set():
            self._ended.set()
            self._queue.put_nowait(None)

    def _lost(self) -> None:
        self._gone.set()
        self._resume()
        if self._login is not None and not self._login.done():
            self._login.set_exception(
                ClientError("the server closed the connection during the login")
            )
        self._stop()

    def _resume(self) -> None:
        self._paused = False
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    # -- helpers -------------------------------------------------------------------------------

    def _ended_by_peer(self, reason: str) -> None:
        if not self._closing and not self._finished and self.close_reason is None:
            self.close_reason = reason

    def _end(self, reason: str | None) -> None:
        """The protocol ended the session (``reason`` None: the answer to our logout)."""
        if reason is not None:
            self._ended_by_peer(reason)
        self._finished = True

    async def _tick_loop(self) -> None:
        while not self._finished and not self._gone.is_set():
            await asyncio.sleep(TICK_SECONDS)
            self._write(self._tick(now_ns()))
            self._send_now()

    def _abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()
