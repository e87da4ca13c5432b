"""Logins for asyncio servers: the password check off the event loop, the failed-login
slow-down applied, every failure logged with the peer's address. Protocol-neutral: the JSON
gateway uses it, and so can the FIX and OUCH servers (one :class:`LoginDesk` per server, or one
shared by several, since it keeps no per-connection state).

Contract of :meth:`LoginDesk.login_firm` / :meth:`LoginDesk.login_operator` (awaited by the
connection's own task; other connections go on meanwhile):

1. A login from an address that failed recently first waits what
   :meth:`engine.gateway.login_guard.LoginGuard.delay` says (asyncio sleep: never the loop).
2. The check (one scrypt derivation, ``engine.gateway.auth``) runs in a small thread pool of
   its own (``workers`` threads), so a burst of logins neither stalls the loop nor takes the
   threads ``asyncio.to_thread`` users need. ``hashlib.scrypt`` releases the GIL.
3. Success: the address's failures are forgiven; the :class:`Principal` is returned.
4. Failure: logged as a warning on the ``sequex.gateway`` logger (the address and port, the
   firm name cut short, the true reason, which the peer never learns), recorded in the guard,
   and the refusal is returned only after the guard's new delay. The refusal is
   :data:`engine.gateway.auth.BAD_CREDENTIALS` whatever was wrong.

The clock is the running loop's (``loop.time()``, monotonic), the one its sleeps use.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from engine.canonical.shown import shown
from engine.gateway.auth import Authenticator, LoginFailure, LoginRefusal, Principal
from engine.gateway.login_guard import LoginGuard

log = logging.getLogger("sequex.gateway")

#: Threads that check passwords at once (each check takes ~16 MiB and a core for ~0.1 s).
AUTH_WORKERS = 2


def describe_peer(peername: object) -> tuple[str, str]:
    """``(address, printable)`` of a socket's ``peername``: the address (IP without the port)
    keys the slow-down; the printable form, with the port, goes in the log."""
    if isinstance(peername, tuple) and len(peername) >= 2:
        host, port = str(peername[0]), peername[1]
        return host, (f"[{host}]:{port}" if ":" in host else f"{host}:{port}")
    text = str(peername) if peername else "unknown peer"
    return text, text


class LoginDesk:
    """Authenticates logins for one or more servers (see the module's contract)."""

    def __init__(
        self,
        authenticator: Authenticator,
        guard: LoginGuard | None = None,
        *,
        workers: int = AUTH_WORKERS,
        protocol: str = "json",
    ) -> None:
        self._auth = authenticator
        self.guard = guard if guard is not None else LoginGuard()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sequex-auth")
        self._protocol = protocol
        #: logins that waited for the slow-down before their check, and failed logins
        self.delayed = self.failed = 0

    async def login_firm(
        self, peername: object, firm: str, password: str, *, session: str | None = None
    ) -> Principal | LoginRefusal:
        """A firm's login from ``peername`` (a socket's ``get_extra_info("peername")``), as
        its named JSON session ``session`` if given."""
        who = f"firm {shown(firm)}" + ("" if session is None else f" session {shown(session)}")
        return await self._login(peername, who, self._check_firm(firm, password, session))

    async def login_operator(self, peername: object, password: str) -> Principal | LoginRefusal:
        """The operator's login from ``peername``."""
        return await self._login(peername, "the operator", self._check_operator(password))

    async def check_firm(self, firm: str, password: str) -> bool:
        """Only the check, off the loop, a failure logged without an address and not slowed
        down: for a caller that cannot name the peer. Prefer :meth:`login_firm`."""
        result = await asyncio.get_running_loop().run_in_executor(
            self._pool, self._check_firm(firm, password)
        )
        if isinstance(result, Principal):
            return True
        self.failed += 1
        log.warning(
            "sequex gateway: failed %s login as firm %s: %s",
            self._protocol, shown(firm), result.reason,
        )  # fmt: skip
        return False

    def close(self) -> None:
        """Stop the worker threads (checks not started are dropped)."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _check_firm(
        self, firm: str, password: str, session: str | None = None
    ) -> Callable[[], Principal | LoginFailure]:
        return lambda: self._auth.authenticate_firm(firm, password, session)

    def _check_operator(self, password: str) -> Callable[[], Principal | LoginFailure]:
        return lambda: self._auth.authenticate_operator(password)

    async def _login(
        self, peername: object, who: str, check: Callable[[], Principal | LoginFailure]
    ) -> Principal | LoginRefusal:
        loop = asyncio.get_running_loop()
        address, peer = describe_peer(peername)
        wait = self.guard.delay(address, loop.time())
        if wait > 0:
            self.delayed += 1
            await asyncio.sleep(wait)
        result = await loop.run_in_executor(self._pool, check)
        if isinstance(result, Principal):
            self.guard.succeeded(address)
            return result
        self.failed += 1
        hold = self.guard.failed(address, loop.time())
        log.warning(
            "sequex gateway: failed %s login from %s as %s: %s (%d in a row from %s; "
            "answered and next considered after %.2f s)",
            self._protocol, peer, who, result.reason,
            self.guard.failures(address, loop.time()), address, hold,
        )  # fmt: skip
        if hold > 0:
            await asyncio.sleep(hold)
        return result.refusal
