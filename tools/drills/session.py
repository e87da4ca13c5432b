"""One recovering client session of a drill: connect, log in, resume after a drop, and tell the
ledger everything it reads. A protocol supplies only its bytes (``session_json``,
``session_ouch``, ``session_fix``).

Contract of :class:`DrillSession`:

* :meth:`maintain` runs for the session's life: it logs in to the endpoint its
  :class:`Target` names *now* (so a failover drill switches every session to the standby by
  switching the target), reads until the connection ends, and logs in again, asking for what it
  has not read (JSON ``"from"``, SoupBinTCP sequence, FIX NextExpectedMsgSeqNum). A login is
  retried every :data:`RETRY_SECONDS` until :attr:`Target.patience` seconds pass without one,
  then it gives up and says so (``failure``).
* :meth:`new_order`, :meth:`cancel`, :meth:`replace` wait until the session is logged in, then
  write; ``new_order`` records the order in the ledger before its bytes leave and returns a
  future that the order's answer (``"accepted"``, ``"rejected: ..."``) resolves, or
  ``"unanswered"`` when the session knows the order never reached the journal.
* After a login that follows a drop, orders still unanswered are the protocol's to settle
  (``_recovered``): resent where the protocol makes a repeat harmless, abandoned once the
  session has read every report stored for it where it does not.
* ``live`` maps each order id the session believes open to its current client order id;
  the load picks what to cancel and replace from it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import Final

from tools.drills.ledger import Ledger

__all__ = [
    "RETRY_SECONDS", "DrillSession", "LoginFailed", "Order", "SessionGone", "SessionSpec",
    "Target",
]  # fmt: skip

RETRY_SECONDS: Final = 0.05
READ_CHUNK: Final = 1 << 16


class SessionGone(Exception):
    """The session gave up (its ``failure`` says why): nothing more can be sent on it."""


class LoginFailed(Exception):
    """The host answered the login with a refusal (never retried: a config or drill bug)."""


@dataclass(frozen=True, slots=True)
class SessionSpec:
    name: str
    protocol: str
    firm: str
    password: str
    account: str


@dataclass(frozen=True, slots=True)
class Order:
    symbol: str
    side: str  # "buy" | "sell"
    qty: int
    price: int
    tif: str = "day"  # "day" | "ioc"


@dataclass(slots=True)
class Target:
    """Where the sessions connect: protocol -> (host, port). Every login attempt reads it, so
    after :meth:`switch` (a failover) each session's next attempt goes to the new host."""

    endpoints: dict[str, tuple[str, int]]
    #: seconds a session keeps retrying its login before it gives up
    patience: float = 120.0

    def switch(self, endpoints: dict[str, tuple[str, int]]) -> None:
        self.endpoints = dict(endpoints)


class DrillSession:
    """One session; see the module docstring. Subclasses supply the protocol's bytes."""

    def __init__(self, spec: SessionSpec, ledger: Ledger) -> None:
        self.spec = spec
        self.ledger = ledger
        self.trace = ledger.trace(spec.name, spec.protocol)
        self.pending: dict[str, asyncio.Future[str]] = {}
        self.live: dict[int, str] = {}
        self.failure: str | None = None
        self.logged_in = asyncio.Event()
        self._gone = asyncio.Event()
        self._writer: asyncio.StreamWriter | None = None
        self._closing = False

    # -- what a protocol supplies -----------------------------------------------------------

    def _login_bytes(self, first: bool) -> bytes:
        raise NotImplementedError

    def _login_answer(self, data: bytes) -> bool:
        """Bytes read during the login: True once in (the rest stays buffered), LoginFailed."""
        raise NotImplementedError

    def _feed(self, data: bytes) -> bytes:
        """Bytes read after the login (b"" once: parse what is buffered); returns bytes to
        send back at once (a FIX gap fill)."""
        raise NotImplementedError

    def _recovered(self, doubtful: list[str]) -> bytes:
        """After a login that followed a drop: settle ``doubtful`` (new orders sent before the
        drop, unanswered); returns bytes to send (resends)."""
        raise NotImplementedError

    def _enter(self, cid: str, order: Order) -> bytes:
        raise NotImplementedError

    def _cancel(self, cid: str, order_id: int) -> bytes:
        raise NotImplementedError

    def _replace(self, cid: str, order_id: int, qty: int, price: int) -> bytes:
        raise NotImplementedError

    def _logout(self) -> bytes:
        return b""

    def _tick(self) -> bytes:
        return b""

    def _at_close(self) -> None:
        """Note as a fault whatever the protocol leaves unreconciled at the end."""

    # -- answers, for the protocols ---------------------------------------------------------

    def _answer(self, cid: str, outcome: str) -> None:
        future = self.pending.pop(cid, None)
        if future is not None and not future.done():
            future.set_result(outcome)
        if outcome != "accepted":
            entry = self.ledger.orders.get(cid)
            if entry is not None and outcome.startswith("rejected"):
                entry.rejected = outcome

    def _fault(self, text: str) -> None:
        self.trace.faults.append(text)

    # -- the interface ----------------------------------------------------------------------

    async def _ready(self) -> None:
        """Wait until logged in; SessionGone once the session gave up."""
        if not self.logged_in.is_set():
            gone = asyncio.create_task(self._gone.wait())
            ready = asyncio.create_task(self.logged_in.wait())
            await asyncio.wait((gone, ready), return_when=asyncio.FIRST_COMPLETED)
            gone.cancel()
            ready.cancel()
        if not self.logged_in.is_set():
            raise SessionGone(self.failure or "closed")

    async def new_order(self, cid: str, order: Order) -> asyncio.Future[str]:
        await self._ready()
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.pending[cid] = future
        self.ledger.sent(cid, self.spec.name)
        self._send(self._enter(cid, order))
        return future

    async def cancel(self, cid: str, order_id: int) -> None:
        await self._ready()
        self._send(self._cancel(cid, order_id))

    async def replace(self, cid: str, order_id: int, qty: int, price: int) -> None:
        await self._ready()
        self._send(self._replace(cid, order_id, qty, price))

    async def maintain(self, target: Target) -> None:
        """Stay logged in until :meth:`close` (or the target's patience runs out)."""
        try:
            await self._maintain(target)
        finally:
            self._gone.set()

    async def _maintain(self, target: Target) -> None:
        first = True
        while not self._closing:
            try:
                reader = await self._log_in(target, first)
            except (LoginFailed, TimeoutError) as exc:
                if self._closing:
                    return
                self.failure = f"{self.spec.name}: {exc}"
                if not first:
                    self._fault(f"could not log in again: {exc}")
                self._abandon_all()
                return
            if not first:
                doubtful = [cid for cid in self.pending]
                self._send(self._recovered(doubtful))
            first = False
            self.logged_in.set()
            await self._read(reader)
            self.logged_in.clear()

    async def close(self, timeout: float) -> None:
        """Log out and close (once; a second call does nothing)."""
        if self._closing:
            return
        self._closing = True
        self._at_close()
        writer = self._writer
        if writer is None or writer.is_closing():
            return
        with contextlib.suppress(ConnectionError, OSError, TimeoutError):
            writer.write(self._logout())
            async with asyncio.timeout(timeout):
                await writer.drain()
        writer.close()
        with contextlib.suppress(ConnectionError, OSError, TimeoutError):
            async with asyncio.timeout(timeout):
                await writer.wait_closed()

    # -- the connection ---------------------------------------------------------------------

    def _send(self, data: bytes) -> None:
        if data and self._writer is not None and not self._writer.is_closing():
            self._writer.write(data)

    async def _log_in(self, target: Target, first: bool) -> asyncio.StreamReader:
        deadline = time.monotonic() + target.patience
        last_error = "no attempt"
        while time.monotonic() < deadline and not self._closing:
            host, port = target.endpoints[self.spec.protocol]
            try:
                async with asyncio.timeout(max(0.1, deadline - time.monotonic())):
                    reader, writer = await asyncio.open_connection(host, port)
                    self._writer = writer
                    writer.write(self._login_bytes(first))
                    while True:
                        data = await reader.read(READ_CHUNK)
                        if not data:
                            raise ConnectionError("closed during the login")
                        if self._login_answer(data):
                            break
                self.trace.logins += 1
                return reader
            except (ConnectionError, OSError) as exc:
                last_error = str(exc) or type(exc).__name__
                await asyncio.sleep(RETRY_SECONDS)
        raise TimeoutError(
            f"no login to {self.spec.protocol} at {target.endpoints[self.spec.protocol]} within "
            f"{target.patience:g} s (last attempt: {last_error})"
        )

    async def _read(self, reader: asyncio.StreamReader) -> None:
        answer = self._feed(b"")
        self._send(answer)
        ticker = asyncio.create_task(self._ticks())
        try:
            while True:
                try:
                    data = await reader.read(READ_CHUNK)
                except (ConnectionError, OSError):
                    return
                if not data:
                    return
                self._send(self._feed(data))
        finally:
            ticker.cancel()
            if self._writer is not None:
                self._writer.close()

    async def _ticks(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            self._send(self._tick())

    def _abandon_all(self) -> None:
        for cid in list(self.pending):
            self._answer(cid, "unanswered")
