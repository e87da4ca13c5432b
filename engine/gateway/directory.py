"""Live sessions, and which of them a routed report reaches. Pure: no I/O, no clock.

The router (``engine.gateway.router``) addresses a report to ``(session, owner)``; only the
gateway process knows who is logged in, so it resolves that address here, at delivery time.
:class:`SessionDirectory` holds the logged-in sessions with their :class:`Principal`, an index
firm -> its open sessions, and the gateway's account registry (``engine.gateway.accounts``:
account -> the firm that owns it). A firm principal's configured accounts are registered when
it logs in; an ``AccountOpened`` report registers the account it opened before it is
delivered, whoever it is addressed to (one sent to nobody, from the setup, is not counted as
dropped).

Contract of :meth:`SessionDirectory.targets` (one report):

* ``session`` (when not 0 and still open) gets it, unless it is a firm session and the event
  is not about one of its firm's accounts: then it is withheld and counted in ``misrouted`` (defence
  in depth: the router never addresses such a session). The operator's session gets every
  report addressed to it (admin results; it owns no account, so never an order report).
* With ``owner``, every open session of the firm that owns ``event.account`` gets it too, in
  login order.
* Each session at most once (the origin of an order report is usually one of the owning
  firm's sessions). A report that reaches no session is counted in ``dropped``.

:meth:`SessionDirectory.deliveries` applies that to a batch and groups by session, keeping
each session's reports in batch order (which is ``(seq_no, sub)`` order).

A firm that logs in again gets a new session id; its firm's order reports reach the new
session from then on, since they are addressed to the firm, not to the session that entered
the order. Reports published while no session of the firm was logged in are not replayed to
these sessions (the anonymous JSON ones): a named JSON session, which is served from its store
(``engine.gateway.json_stores``) and is not in this directory, gets them when it comes back.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from engine.domain.types import AccountOpened, Event
from engine.gateway.accounts import AccountRegistry
from engine.gateway.auth import Principal
from engine.gateway.router import Report

#: What one session receives: (seq_no, sub, event).
Delivery = tuple[int, int, Event]


class SessionDirectory:
    """The logged-in sessions, by id and by firm; resolves report addresses."""

    def __init__(self, accounts: AccountRegistry | None = None) -> None:
        self._principals: dict[int, Principal] = {}
        #: firm -> its open sessions, in login order (dict as an ordered set)
        self._by_firm: dict[str, dict[int, None]] = {}
        self.accounts = accounts if accounts is not None else AccountRegistry()
        self.dropped = 0
        self.misrouted = 0

    def __contains__(self, session: int) -> bool:
        return session in self._principals

    def __len__(self) -> int:
        return len(self._principals)

    def open(self, session: int, principal: Principal) -> None:
        """``session`` logged in as ``principal``; ids are never reused while it is open."""
        if session in self._principals:
            raise ValueError(f"session {session} is already open")
        self._principals[session] = principal
        if principal.firm is not None:
            self.accounts.register_all(principal.firm, principal.accounts)
            self._by_firm.setdefault(principal.firm, {})[session] = None

    def close(self, session: int) -> None:
        """``session`` is gone (logout, disconnect, cut off); a no-op when it is not open."""
        principal = self._principals.pop(session, None)
        if principal is None or principal.firm is None:
            return
        sessions = self._by_firm[principal.firm]
        del sessions[session]
        if not sessions:
            del self._by_firm[principal.firm]

    def targets(self, session: int, owner: bool, event: Event) -> list[int]:
        """The open sessions one report reaches, each once, in the order of the contract."""
        account = getattr(event, "account", None)
        firm = None if account is None else self.accounts.firm_of(account)
        out: list[int] = []
        if isinstance(event, AccountOpened):
            self.accounts.register(event.firm, event.account)
            firm = self.accounts.firm_of(event.account)
            if not session:
                return out  # the setup's: addressed to nobody, and not lost
        if session:
            principal = self._principals.get(session)
            if principal is None:
                pass  # gone: the owner's sessions may still take it
            elif principal.is_admin or (firm is not None and principal.firm == firm):
                out.append(session)
            else:
                self.misrouted += 1
        if owner and firm is not None:
            out.extend(s for s in self._by_firm.get(firm, ()) if s != session)
        if not out:
            self.dropped += 1
        return out

    def deliveries(self, reports: Iterable[Report]) -> dict[int, list[Delivery]]:
        """session -> its reports of this batch, in batch order."""
        by_session: dict[int, list[Delivery]] = {}
        if not self._principals:
            # No session open (a gateway serving only FIX and OUCH): what ``targets`` does
            # then, without its lookups: learn the accounts, count every report dropped but
            # the setup's AccountOpened, which is addressed to nobody.
            register = self.accounts.register
            for session, _, _, _, event in reports:
                if isinstance(event, AccountOpened):
                    register(event.firm, event.account)
                    if not session:
                        continue
                self.dropped += 1
            return by_session
        targets = self.targets
        for session, owner, seq_no, sub, event in reports:
            for target in targets(session, owner, event):
                group = by_session.get(target)
                if group is None:
                    by_session[target] = [(seq_no, sub, event)]
                else:
                    group.append((seq_no, sub, event))
        return by_session


class SessionQueues:
    """An in-process ``ReportSink``: a queue of deliveries per open session, filled by a
    :class:`SessionDirectory` with the gateway's rules (for one-process hosts and tests)."""

    def __init__(self, accounts: AccountRegistry | None = None) -> None:
        self.directory = SessionDirectory(accounts)
        self.queues: dict[int, deque[Delivery]] = {}

    @property
    def dropped(self) -> int:
        return self.directory.dropped

    def open(self, session: int, principal: Principal) -> deque[Delivery]:
        self.directory.open(session, principal)
        return self.queues.setdefault(session, deque())

    def close(self, session: int) -> None:
        self.directory.close(session)
        self.queues.pop(session, None)

    def __call__(self, reports: list[Report]) -> None:
        for session, group in self.directory.deliveries(reports).items():
            self.queues[session].extend(group)
