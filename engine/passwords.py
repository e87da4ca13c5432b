"""Password hashes: how the configuration keeps a secret without holding it.

A password is kept only as a salted scrypt hash (RFC 7914, ``hashlib.scrypt``), written as one
self-describing ASCII string that carries everything needed to check a guess::

    scrypt$<n>$<r>$<p>$<salt>$<hash>

    scrypt$16384$8$1$qXQ1k0m1W6qL3uQ9b2mM4A==$5o2P...Q=     (one line; salt and hash shortened)

* ``n``, ``r``, ``p``: the scrypt cost parameters, decimal. ``n`` is a power of two.
* ``salt``, ``hash``: standard base64 (RFC 4648, ``+/`` and ``=`` padding) of the random salt
  and of the derived key; the key's length is the length of ``hash``.
* The password is hashed as its UTF-8 bytes (a lone surrogate, which JSON can carry, as the
  bytes ``surrogatepass`` gives it, so every string has exactly one encoding).

:func:`hash_password` makes new hashes with :data:`DEFAULT_N`, :data:`DEFAULT_R`,
:data:`DEFAULT_P` (2**14, 8, 1: 16 MiB and about 0.1 s per check on this project's 2-core
machines, the interactive-login parameters of the scrypt paper) over a 16-byte salt from
``secrets`` into a 32-byte key. :func:`parse_password_hash` reads the string and refuses
parameters that would make one check too costly (memory ``128 * n * r`` above
:data:`MAX_MEMORY`, or work ``n * r * p`` above :data:`MAX_WORK`): a login must never be able to
exhaust the host. Cheaper parameters than the defaults are accepted (tests use them);
``sequex passwd`` never writes them.

:meth:`PasswordHash.verify` derives the key of a guess and compares it with
:func:`hmac.compare_digest`: the time taken does not depend on how many bytes matched. It
costs one scrypt derivation: callers on an event loop run it in a worker thread
(``engine.gateway.logins``). Pure apart from the salt's randomness in :func:`hash_password`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Final

SCHEME: Final = "scrypt"
DEFAULT_N: Final = 2**14
DEFAULT_R: Final = 8
DEFAULT_P: Final = 1
SALT_BYTES: Final = 16
KEY_BYTES: Final = 32
#: Largest memory one check may take (scrypt needs about ``128 * n * r`` bytes).
MAX_MEMORY: Final = 64 * 1024 * 1024
#: Largest work one check may take, ``n * r * p`` (32 times the defaults: a few seconds).
MAX_WORK: Final = 32 * DEFAULT_N * DEFAULT_R * DEFAULT_P
MIN_SALT_BYTES: Final = 8
MAX_SALT_BYTES: Final = 64
MIN_KEY_BYTES: Final = 16
MAX_KEY_BYTES: Final = 64
#: What the format looks like, for error messages.
FORMAT: Final = "scrypt$<n>$<r>$<p>$<salt base64>$<hash base64>"


class PasswordHashError(ValueError):
    """A string is not a usable password hash; the message says which part and why."""


@dataclass(frozen=True, slots=True)
class PasswordHash:
    """One parsed hash: the scrypt parameters, the salt and the derived key."""

    n: int
    r: int
    p: int
    salt: bytes = field(repr=False)
    key: bytes = field(repr=False)

    def encode(self) -> str:
        """The string form (the inverse of :func:`parse_password_hash`)."""
        salt = base64.b64encode(self.salt).decode("ascii")
        key = base64.b64encode(self.key).decode("ascii")
        return f"{SCHEME}${self.n}${self.r}${self.p}${salt}${key}"

    def verify(self, password: str) -> bool:
        """True when ``password`` is the one this hash was made from (constant-time compare)."""
        return hmac.compare_digest(self.derive(password), self.key)

    def derive(self, password: str) -> bytes:
        """The key ``password`` derives with this hash's salt and parameters."""
        return _scrypt(password, self.salt, self.n, self.r, self.p, len(self.key))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    secret = password.encode("utf-8", "surrogatepass")
    # OpenSSL wants a little more than 128 * n * r * (plus the p blocks) as its memory bound
    maxmem = 128 * r * (n + p + 2) + 1024 * 1024
    return hashlib.scrypt(secret, salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=length)


def hash_password(
    password: str,
    *,
    n: int = DEFAULT_N,
    r: int = DEFAULT_R,
    p: int = DEFAULT_P,
    salt: bytes | None = None,
) -> str:
    """A new hash of ``password`` in the string form (a fresh random salt unless given)."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    _check_parameters(n, r, p)
    _check_length("salt", salt, MIN_SALT_BYTES, MAX_SALT_BYTES)
    return PasswordHash(n, r, p, salt, _scrypt(password, salt, n, r, p, KEY_BYTES)).encode()


def parse_password_hash(text: str) -> PasswordHash:
    """The hash ``text`` holds; :class:`PasswordHashError` naming what is wrong otherwise."""
    parts = text.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        raise PasswordHashError(f"not a password hash of the form {FORMAT}")
    n, r, p = (_decimal(name, value) for name, value in zip("nrp", parts[1:4], strict=True))
    _check_parameters(n, r, p)
    salt, key = _base64("salt", parts[4]), _base64("hash", parts[5])
    _check_length("salt", salt, MIN_SALT_BYTES, MAX_SALT_BYTES)
    _check_length("hash", key, MIN_KEY_BYTES, MAX_KEY_BYTES)
    return PasswordHash(n, r, p, salt, key)


def _decimal(name: str, value: str) -> int:
    if not value.isascii() or not value.isdigit() or len(value) > 12:
        raise PasswordHashError(f"{name} must be a positive decimal integer")
    return int(value)


def _base64(name: str, value: str) -> bytes:
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise PasswordHashError(f"{name} is not standard base64") from None


def _check_parameters(n: int, r: int, p: int) -> None:
    if n < 2 or n & (n - 1):
        raise PasswordHashError(f"n must be a power of two of at least 2, not {n}")
    if r < 1 or p < 1:
        raise PasswordHashError("r and p must be at least 1")
    if 128 * n * r > MAX_MEMORY:
        raise PasswordHashError(f"n * r above {MAX_MEMORY // 128}: a check needs too much memory")
    if n * r * p > MAX_WORK:
        raise PasswordHashError(f"n * r * p above {MAX_WORK}: one check would take too long")


def _check_length(name: str, value: bytes, low: int, high: int) -> None:
    if not low <= len(value) <= high:
        raise PasswordHashError(f"{name} must be {low} to {high} bytes, not {len(value)}")
