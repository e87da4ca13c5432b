"""Stable identities of gateway sessions: a firm plus a session name, as a u32 ``origin``.

Every command record carries the ``origin`` of the session that sent it (``engine.records``),
and every event it causes carries it too (``engine.event_codec``): that is how a report finds
its way back. Two kinds of origin share the u32:

* **stable** (top bit set): a configured session (``[[firms.sessions]]`` in the config: a FIX
  SenderCompID, an OUCH user or a named JSON session),
  ``0x8000_0000 | xxh32(firm "/" name) & 0x7FFF_FFFF``. The same firm and name give the same
  origin in every run, on every host, whatever the order of the config, so the journal alone
  says which session entered each order: the outbound report stores
  (``engine.gateway.outbound``) are a function of the journal, and a session that comes back
  after a disconnect or a host restart is owed exactly its own reports.
* **ephemeral** (top bit clear, not 0): a connection of the JSON gateway logged in without a
  session name, numbered from 1 by the gateway process; it lives as long as the connection.

0 is the host itself (the setup's admin commands): no session. The config refuses two
sessions whose stable origins collide (a 1 in 2**31 chance per pair: rename one).
"""

from __future__ import annotations

from typing import Final

import xxhash

#: The bit that marks a stable origin.
STABLE_BIT: Final = 0x8000_0000
#: The largest ephemeral origin (a JSON connection's number).
MAX_EPHEMERAL: Final = STABLE_BIT - 1


def session_origin(firm: str, name: str) -> int:
    """The stable origin of session ``name`` of ``firm``."""
    digest = xxhash.xxh32_intdigest(f"{firm}/{name}".encode())
    return STABLE_BIT | (digest & MAX_EPHEMERAL)


def is_stable(origin: int) -> bool:
    """Whether ``origin`` names a configured session (rather than a connection or the host)."""
    return bool(origin & STABLE_BIT)
