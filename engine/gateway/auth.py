"""Authentication: a firm name and a password, or the operator's password, become a
:class:`Principal` or a :class:`LoginFailure`. Protocol-neutral (JSON, FIX Logon, SoupBinTCP
Login Request all end here) and pure apart from its cost: no I/O, no clock.

Contract.

* A firm logs in with its ``password_hash`` of the configuration, the operator with ``[admin]
  password_hash`` (no such key: no operator login). Only hashes are held
  (``engine.passwords``); a check derives the guess's scrypt key and compares in constant time.
* Every failure has the same answer on the wire, :data:`BAD_CREDENTIALS`, whichever part was
  wrong (unknown firm, wrong password, operator login not configured or wrong, a named JSON
  session the firm does not have): a caller learns
  nothing about which firms exist or how the operator is set up. :attr:`LoginFailure.reason`
  says what was wrong, for the server's log only.
* Every attempt costs one scrypt derivation, a failing one too: an unknown firm or a disabled
  operator login is checked against a dummy hash with the default parameters, so the time taken
  does not tell an unknown firm from a wrong password.
* A check takes about 0.1 s of CPU (``engine.passwords``): servers on an event loop call it in a
  worker thread and apply the failed-login slow-down (``engine.gateway.logins``,
  ``engine.gateway.login_guard``).

FIX and OUCH sessions call :meth:`Authenticator.authenticate_firm` only: the operator's way in
is the JSON gateway (:meth:`Authenticator.authenticate_operator`), and a username that happens
to be missing must never mean "the operator".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from engine.config import HostConfig
from engine.passwords import (
    DEFAULT_N,
    DEFAULT_P,
    DEFAULT_R,
    KEY_BYTES,
    SALT_BYTES,
    PasswordHash,
)


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
    """What a refused login is told: one code and text for every kind of failure."""

    code: str
    text: str


@dataclass(frozen=True, slots=True)
class LoginFailure:
    """A failed login: ``reason`` (one of :data:`FAILURE_REASONS`) is for the log, never the
    wire; :attr:`refusal` is what the peer is told."""

    reason: str

    @property
    def refusal(self) -> LoginRefusal:
        return BAD_CREDENTIALS


BAD_CREDENTIALS: Final = LoginRefusal("bad_credentials", "login refused: bad credentials")
UNKNOWN_FIRM: Final = LoginFailure("unknown firm")
WRONG_PASSWORD: Final = LoginFailure("wrong password")
OPERATOR_DISABLED: Final = LoginFailure("operator login is not configured")
WRONG_OPERATOR_PASSWORD: Final = LoginFailure("wrong operator password")
#: the firm and password are right, but the firm has no named JSON session of that name
UNKNOWN_SESSION: Final = LoginFailure("unknown session")
FAILURE_REASONS: Final = frozenset(
    f.reason
    for f in (
        UNKNOWN_FIRM, WRONG_PASSWORD, OPERATOR_DISABLED, WRONG_OPERATOR_PASSWORD, UNKNOWN_SESSION,
    )
)  # fmt: skip
OPERATOR: Final = Principal(None, frozenset())

#: Checked when there is no real hash to check against, so that a failure costs what a wrong
#: password costs. No password derives an all-zero key (that would be a preimage of scrypt).
_DUMMY: Final = PasswordHash(DEFAULT_N, DEFAULT_R, DEFAULT_P, bytes(SALT_BYTES), bytes(KEY_BYTES))


class Authenticator:
    """Checks logins against one configuration (built once per gateway)."""

    def __init__(self, config: HostConfig) -> None:
        self._firms: dict[str, tuple[PasswordHash, Principal]] = {
            f.firm: (f.password_hash, Principal(f.firm, frozenset(a.account for a in f.accounts)))
            for f in config.firms
        }
        self._json_sessions = {
            (f.firm, s.name) for f in config.firms for s in f.sessions if s.protocol == "json"
        }
        self._operator = config.admin_password_hash

    def authenticate(self, firm: str | None, password: str) -> Principal | LoginFailure:
        """A firm's login (``firm`` given) or the operator's (``firm`` None)."""
        if firm is None:
            return self.authenticate_operator(password)
        return self.authenticate_firm(firm, password)

    def authenticate_firm(
        self, firm: str, password: str, json_session: str | None = None
    ) -> Principal | LoginFailure:
        """A firm's login; ``json_session``: the named JSON session it logs in as, which the
        firm must have (checked after the password: the same work either way)."""
        entry = self._firms.get(firm)
        if entry is None:
            _DUMMY.verify(password)  # same work as a wrong password
            return UNKNOWN_FIRM
        password_hash, principal = entry
        if not password_hash.verify(password):
            return WRONG_PASSWORD
        if json_session is not None and (firm, json_session) not in self._json_sessions:
            return UNKNOWN_SESSION
        return principal

    def authenticate_operator(self, password: str) -> Principal | LoginFailure:
        if self._operator is None:
            _DUMMY.verify(password)
            return OPERATOR_DISABLED
        return OPERATOR if self._operator.verify(password) else WRONG_OPERATOR_PASSWORD
