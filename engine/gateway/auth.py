"""Authentication: a login line becomes a :class:`Principal` or a refusal. Pure, no I/O.

A firm logs in with its configured password; the operator with ``[admin] password`` (no such
key: no operator login). Passwords are compared with :func:`hmac.compare_digest` so the time
taken does not reveal how much of a guess was right, and an unknown firm is compared against a
dummy so that it costs the same as a wrong password (firm names do not leak through timing).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from engine.config import HostConfig
from engine.protocols.json_session import Login


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a session speaks for: a firm and its accounts, or the operator (``firm`` None)."""

    firm: str | None
    accounts: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return self.firm is None


@dataclass(frozen=True, slots=True)
class LoginRefusal:
    code: str
    text: str


BAD_CREDENTIALS = LoginRefusal("bad_credentials", "unknown firm or wrong password")
ADMIN_DISABLED = LoginRefusal("admin_disabled", "operator login is not configured")
OPERATOR = Principal(None, frozenset())


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


class Authenticator:
    """Checks logins against one configuration (built once per gateway)."""

    def __init__(self, config: HostConfig) -> None:
        self._firms = {
            f.firm: (f.password, Principal(f.firm, frozenset(a.account for a in f.accounts)))
            for f in config.firms
        }
        self._admin_password = config.admin_password

    def authenticate(self, login: Login) -> Principal | LoginRefusal:
        if login.firm is None:
            if self._admin_password is None:
                return ADMIN_DISABLED
            return OPERATOR if _same(login.password, self._admin_password) else BAD_CREDENTIALS
        entry = self._firms.get(login.firm)
        if entry is None:
            _same(login.password, "\0" * 16)  # same work as a wrong password
            return BAD_CREDENTIALS
        password, principal = entry
        return principal if _same(login.password, password) else BAD_CREDENTIALS
