"""Rules versions: which edition of the exchange's rulebook (``docs/rules.md``) a journal runs.

A journal is a pure function of its commands *and of the rules they were decided under*. When a
rule changes an outcome, commands journaled before the change must still replay to the outcomes
they had, so the rules are versioned: a new journal records the current version in its header
(``engine.journal_format``), a journal written before versions existed reads as version 1, and
every stage and tool that rebuilds state from a journal runs that journal's version.

* **1**: accounts are created by their first deposit and belong to no firm; a NewOrder's
  ``firm`` is a free label (it only selects the self-trade prevention mode); a post-only order
  replaced to a price that crosses the book trades.
* **2**: accounts are opened by a sequenced ``OpenAccount(firm, account)`` and belong to that
  firm; a NewOrder whose firm does not own its account is rejected (NOT_FIRMS_ACCOUNT); a
  deposit, withdrawal or limits change for an account never opened is rejected
  (UNKNOWN_ACCOUNT); a replace that would make a post-only order take liquidity is rejected
  (POST_ONLY_WOULD_TAKE) and the order stays as it was.
* **3**: T+2 settlement (``docs/settlement.md``): every trade is recorded as unsettled under
  its trade date (the UTC date of its command's ts); a sequenced ``Settle(symbol, trade_date,
  settle_date)`` settles a symbol's trades through a trade date, netted per firm. A withdrawal
  may take only settled, free cash and shares: what an account receives from trades (shares
  bought, sale proceeds) is not withdrawable before it settles (UNSETTLED). Trading is as in
  rules 2: orders may use unsettled balances, which the clearinghouse nets. Under rules 1 and 2
  a Settle is rejected (UNSUPPORTED_COMMAND).
"""

from __future__ import annotations

from typing import Final

#: The first edition: what every journal written before rules versions existed ran.
RULES_V1: Final = 1
#: Accounts belong to firms; post-only holds on replace.
RULES_V2: Final = 2
#: T+2 settlement: trades settle by a Settle command; only settled assets may be withdrawn.
RULES_V3: Final = 3
#: What a new journal runs.
CURRENT_RULES: Final = RULES_V3
#: Every version this build can run.
KNOWN_RULES: Final = frozenset({RULES_V1, RULES_V2, RULES_V3})


def check_rules(rules: int) -> int:
    """``rules`` if this build knows that version, else ValueError saying which it knows."""
    if rules not in KNOWN_RULES:
        known = ", ".join(str(r) for r in sorted(KNOWN_RULES))
        raise ValueError(f"rules version {rules} is not one this build runs ({known})")
    return rules
