"""Which firm owns each account, as far as the gateway knows: a registry that only grows.

Accounts belong to the firm that opened them (`engine.domain.rules`, rules 2: the sequenced
``OpenAccount`` command). The exchange decides ownership in sequence; the gateway keeps its own
view to refuse, before sequencing, a command a firm sends for an account that is not its own
(``not_owner``) and to address each order report to the sessions of the firm that owns the
order's account (``engine.gateway.directory``).

Where the view comes from, in this order (a later source wins for an account):

1. the configuration's firms and accounts (what a fresh journal's setup opens);
2. the accounts the recovered exchange state holds with their firm, handed over by the host at
   start-up (so accounts opened at run time survive a restart);
3. every ``AccountOpened`` event the gateway reads from ring[events] while it runs.

The view may lag the exchange by the events not yet read: a command for an account opened a
moment ago can be refused here and succeed when sent again, never the other way round, since
the exchange checks ownership again. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


class AccountRegistry:
    """account -> firm."""

    def __init__(self, owners: Mapping[str, str] | None = None) -> None:
        self._firm_of: dict[str, str] = {}
        #: counts the changes of the view (a reader may keep what it derived from it until
        #: this moves)
        self.version = 0
        for account, firm in (owners or {}).items():
            self.register(firm, account)

    def register(self, firm: str, account: str) -> None:
        """``account`` belongs to ``firm`` (an empty firm: an account of rules 1 that no firm
        opened; it is left out, and the configuration's owner, if any, stands)."""
        if firm and self._firm_of.get(account) != firm:
            self._firm_of[account] = firm
            self.version += 1

    def register_all(self, firm: str, accounts: Iterable[str]) -> None:
        for account in accounts:
            self.register(firm, account)

    def firm_of(self, account: str) -> str | None:
        return self._firm_of.get(account)

    def owns(self, firm: str | None, account: str) -> bool:
        return firm is not None and self._firm_of.get(account) == firm

    def __len__(self) -> int:
        return len(self._firm_of)
