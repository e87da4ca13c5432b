"""Password hashes (engine.passwords): the documented format, verification, refused parameters."""

from __future__ import annotations

import base64
import hashlib

import pytest

from engine.passwords import (
    DEFAULT_N,
    DEFAULT_P,
    DEFAULT_R,
    KEY_BYTES,
    SALT_BYTES,
    PasswordHashError,
    hash_password,
    parse_password_hash,
)

#: cheap parameters: these tests are about the format, not the cost
CHEAP = {"n": 16, "r": 1, "p": 1}


def test_a_new_hash_has_the_documented_form_and_default_parameters() -> None:
    text = hash_password("alpha-pass")
    scheme, n, r, p, salt, key = text.split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", DEFAULT_N, DEFAULT_R, DEFAULT_P)
    assert (DEFAULT_N, DEFAULT_R, DEFAULT_P) == (2**14, 8, 1)
    assert len(base64.b64decode(salt)) == SALT_BYTES == 16
    assert len(base64.b64decode(key)) == KEY_BYTES == 32
    parsed = parse_password_hash(text)
    assert parsed.verify("alpha-pass") and not parsed.verify("alpha-pass ")


def test_the_key_is_plain_scrypt_of_the_utf8_password_so_other_tools_can_check_it() -> None:
    salt = b"0123456789abcdef"
    text = hash_password("p\u00e4ss", salt=salt, **CHEAP)
    key = hashlib.scrypt("p\u00e4ss".encode(), salt=salt, n=16, r=1, p=1, dklen=32)
    assert (
        text == f"scrypt$16$1$1${base64.b64encode(salt).decode()}${base64.b64encode(key).decode()}"
    )


def test_every_hash_has_its_own_salt() -> None:
    first, second = hash_password("same", **CHEAP), hash_password("same", **CHEAP)
    assert first != second
    assert parse_password_hash(first).verify("same") and parse_password_hash(second).verify("same")


@pytest.mark.parametrize("password", ["", "\u00e9", "\ud800", "x" * 10_000, "a\0b"])
def test_any_string_can_be_hashed_and_checked(password: str) -> None:
    parsed = parse_password_hash(hash_password(password, **CHEAP))
    assert parsed.verify(password)
    assert not parsed.verify(password + "x")


def test_parse_and_encode_round_trip_and_the_repr_shows_no_key() -> None:
    text = hash_password("pw", **CHEAP)
    parsed = parse_password_hash(text)
    assert parsed.encode() == text
    assert repr(parsed) == "PasswordHash(n=16, r=1, p=1)"


SALT = base64.b64encode(b"s" * 16).decode()
KEY = base64.b64encode(b"k" * 32).decode()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("alpha-pass", "not a password hash"),
        (f"bcrypt$16$1$1${SALT}${KEY}", "not a password hash"),
        (f"scrypt$16$1$1${SALT}", "not a password hash"),
        (f"scrypt$x$1$1${SALT}${KEY}", "n must be"),
        (f"scrypt$-16$1$1${SALT}${KEY}", "n must be"),
        (f"scrypt$12$1$1${SALT}${KEY}", "power of two"),
        (f"scrypt$1$1$1${SALT}${KEY}", "power of two"),
        (f"scrypt$16$0$1${SALT}${KEY}", "at least 1"),
        (f"scrypt$1048576$8$1${SALT}${KEY}", "too much memory"),
        (f"scrypt$16384$8$33${SALT}${KEY}", "too long"),
        (f"scrypt$16$1$1$not*b64${KEY}", "salt is not standard base64"),
        (f"scrypt$16$1$1${SALT}$AAAA", "hash must be 16 to 64 bytes"),
        (f"scrypt$16$1$1$AAAA${KEY}", "salt must be 8 to 64 bytes"),
        (f"scrypt$\u0661\u0666$1$1${SALT}${KEY}", "n must be"),  # Arabic-Indic digits
    ],
)
def test_a_bad_or_too_costly_hash_is_refused_saying_why(text: str, message: str) -> None:
    with pytest.raises(PasswordHashError, match=message):
        parse_password_hash(text)


def test_hash_password_refuses_parameters_it_would_refuse_to_read() -> None:
    with pytest.raises(PasswordHashError, match="power of two"):
        hash_password("pw", n=1000)
    with pytest.raises(PasswordHashError, match="salt"):
        hash_password("pw", salt=b"short", **CHEAP)
