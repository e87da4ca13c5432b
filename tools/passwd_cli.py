"""`sequex passwd`: print the hash of a password, to paste into the host's configuration.

The configuration never holds a password, only its salted scrypt hash (``engine.passwords``):
a firm's ``password_hash`` and ``[admin] password_hash``. This command reads the password from
a prompt, twice (getpass: nothing is echoed), or from the first line of standard input with
``--stdin`` (for scripts; no confirmation), and prints one line: the hash. Each run draws a new
salt, so the same password never prints the same hash twice. Exit codes: 0 printed, 2 no
password (empty, end of input) or the two entries differ.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

EXIT_OK = 0
EXIT_TROUBLE = 2

DESCRIPTION = """\
Print the hash of a password, to paste into the host's configuration file. The
configuration keeps only salted scrypt hashes, never the passwords themselves:

  [admin]
  password_hash = "scrypt$16384$8$1$..."       the operator's (sequex admin)

  [[firms]]
  firm = "ALPHA"
  password_hash = "scrypt$16384$8$1$..."       the firm's login

The password is asked twice at a prompt that does not echo it, or read from the
first line of standard input with --stdin. Every run uses a new random salt, so
hashing the same password again prints a different line; both are valid.

examples:
  sequex passwd
  printf '%s\\n' "$NEW_PASSWORD" | sequex passwd --stdin

exit status: 0 printed, 2 no password given or the two entries differ"""


class _Trouble(Exception):
    """No usable password: exit code 2 with this message."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "passwd",
        help="print a password hash for the configuration file",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--stdin",
        action="store_true",
        help="read the password from the first line of standard input, without a prompt "
        "or confirmation (its line ending is not part of it)",
    )
    parser.set_defaults(func=run)


def read_password(from_stdin: bool) -> str:
    """The password to hash; _Trouble when there is none or the confirmation differs."""
    if from_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        password = password[:-1] if password.endswith("\r") else password
    else:
        try:
            password = getpass.getpass("New password: ")
            again = getpass.getpass("Same password again: ")
        except EOFError:
            raise _Trouble("no password given (end of input)") from None
        if password != again:
            raise _Trouble("the two passwords differ; nothing printed")
    if not password:
        raise _Trouble("the password is empty; nothing printed")
    return password


def run(args: argparse.Namespace) -> int:
    from engine.passwords import hash_password

    try:
        password = read_password(args.stdin)
    except _Trouble as exc:
        print(f"sequex passwd: {exc}", file=sys.stderr)
        return EXIT_TROUBLE
    print(hash_password(password), flush=True)
    return EXIT_OK
