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
"""

from __future__ import annotations

from typing import Final

#: The first edition: what every journal written before rules versions existed ran.
RULES_V1: Final = 1
#: Accounts belong to firms; post-only holds on replace.
RULES_V2: Final = 2
#: What a new journal runs.
CURRENT_RULES: Final = RULES_V2
#: Every version this build can run.
KNOWN_RULES: Final = frozenset({RULES_V1, RULES_V2})


def check_rules(rules: int) -> int:
    """``rules`` if this build knows that version, else ValueError saying which it knows."""
    if rules not in KNOWN_RULES:
        known = ", ".join(str(r) for r in sorted(KNOWN_RULES))
        raise ValueError(f"rules version {rules} is not one this build runs ({known})")
    return rules
