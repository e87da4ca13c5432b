"""`sequex admin`: send one operator command to a running host over the JSON lines gateway.

Logs in as the operator (``--password`` or ``$SEQUEX_ADMIN_PASSWORD``), sends one command,
prints the lines the exchange answers with (canonical event lines) and logs out. Exit codes:
0 the command took effect, 1 the exchange (or the gateway's validation) refused it, with the
reason on stderr, 2 usage or connection trouble (refused login, timeout, host gone).

    sequex admin deposit ALPHA-1 CASH 1000000
    sequex admin add-symbol WIDGET --tick 100 --lot 1 --reference 500000 --band-bps 1000
    sequex admin halt ACME
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import sys
import time
from typing import Any

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_TROUBLE = 2
DEFAULT_ENDPOINT = "127.0.0.1:9877"
PASSWORD_ENV = "SEQUEX_ADMIN_PASSWORD"
#: Above this a socket timeout no longer fits the OS (and nobody waits a year for an answer).
MAX_TIMEOUT = 365 * 86400.0
STP_MODES = ("cancel_resting", "cancel_incoming", "cancel_both")
#: The event that reports an admin command's effect (the last line we wait for).
RESULT_TYPES = frozenset(
    {"balance_changed", "symbol_added", "trading_status", "limits_set", "stp_set", "day_ended"}
)


class _Trouble(Exception):
    """Usage or connection trouble: exit code 2 with this message."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "admin",
        help="send one operator command to a running host",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--endpoint", default=DEFAULT_ENDPOINT, help="gateway HOST:PORT")
    parser.add_argument("--password", help=f"operator password (default: ${PASSWORD_ENV})")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait (10)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name in ("deposit", "withdraw"):
        p = actions.add_parser(name, help=f"{name} cash (CASH) or shares (a symbol)")
        p.add_argument("account")
        p.add_argument("asset")
        p.add_argument("amount", type=int)
    p = actions.add_parser("add-symbol", help="list a new symbol")
    p.add_argument("symbol")
    for flag in ("--tick", "--lot", "--reference", "--band-bps"):
        p.add_argument(flag, type=int, required=True)
    for name in ("halt", "resume", "end-of-day"):
        actions.add_parser(name, help=f"{name} a symbol").add_argument("symbol")
    p = actions.add_parser("limits", help="set an account's risk limits (0: no limit)")
    p.add_argument("account")
    for flag in ("--max-qty", "--max-notional", "--max-open"):
        p.add_argument(flag, type=int, required=True)
    p = actions.add_parser("stp", help="set a firm's self-trade prevention mode")
    p.add_argument("firm")
    p.add_argument("mode", choices=STP_MODES)
    parser.set_defaults(func=run)


def command_of(args: argparse.Namespace) -> dict[str, Any]:
    """The JSON command object of the parsed arguments (no seq_no / ts: the exchange's)."""
    action = args.action
    if action in ("deposit", "withdraw"):
        return {"type": action, "account": args.account, "asset": args.asset, "amount": args.amount}
    if action == "add-symbol":
        return {
            "type": "add_symbol",
            "symbol": args.symbol,
            "tick_size": args.tick,
            "lot_size": args.lot,
            "reference_price": args.reference,
            "band_bps": args.band_bps,
        }
    if action in ("halt", "resume", "end-of-day"):
        return {"type": action.replace("-", "_"), "symbol": args.symbol}
    if action == "limits":
        return {
            "type": "set_risk_limits",
            "account": args.account,
            "max_order_qty": args.max_qty,
            "max_notional": args.max_notional,
            "max_open_orders": args.max_open,
        }
    assert action == "stp", action
    return {"type": "set_self_trade_prevention", "firm": args.firm, "mode": args.mode}


class _LineClient:
    """Blocking JSON lines over one TCP connection, every read bounded by one deadline."""

    def __init__(self, endpoint: str, timeout: float) -> None:
        from engine.gateway.server import parse_endpoint

        try:
            host, port = parse_endpoint(endpoint)
        except ValueError as exc:
            raise _Trouble(str(exc)) from None
        self._deadline = time.monotonic() + timeout
        try:
            self._sock = socket.create_connection((host, port), timeout=timeout)
        except OSError as exc:
            raise _Trouble(f"cannot connect to {endpoint}: {exc}") from None
        self._buf = b""

    def send(self, obj: dict[str, Any]) -> None:
        try:
            self._sock.sendall(json.dumps(obj, separators=(",", ":")).encode() + b"\n")
        except OSError as exc:
            raise _Trouble(f"connection lost: {exc}") from None

    def read(self) -> tuple[str, dict[str, Any]]:
        """The next line, raw and parsed."""
        while b"\n" not in self._buf:
            remaining = self._deadline - time.monotonic()
            if remaining <= 0:
                raise _Trouble("timed out waiting for the exchange")
            self._sock.settimeout(remaining)
            try:
                chunk = self._sock.recv(65536)
            except TimeoutError:
                raise _Trouble("timed out waiting for the exchange") from None
            except OSError as exc:
                raise _Trouble(f"connection lost: {exc}") from None
            if not chunk:
                raise _Trouble("the gateway closed the connection")
            self._buf += chunk
        raw, _, self._buf = self._buf.partition(b"\n")
        try:
            obj = json.loads(raw)
        except ValueError:
            raise _Trouble(f"unreadable line from the gateway: {raw[:200]!r}") from None
        if not isinstance(obj, dict):
            raise _Trouble(f"unexpected line from the gateway: {raw[:200]!r}")
        return raw.decode("ascii", "replace"), obj

    def close(self) -> None:
        self._sock.close()


def run(args: argparse.Namespace) -> int:
    password = args.password if args.password is not None else os.environ.get(PASSWORD_ENV)
    try:
        if password is None:
            raise _Trouble(f"no operator password: use --password or ${PASSWORD_ENV}")
        if not 0 < args.timeout < MAX_TIMEOUT:  # also refuses nan
            raise _Trouble(f"--timeout must be a number of seconds in (0, {MAX_TIMEOUT:g})")
        return _session(args.endpoint, args.timeout, password, command_of(args))
    except _Trouble as exc:
        print(f"sequex admin: {exc}", file=sys.stderr)
        return EXIT_TROUBLE


def _session(endpoint: str, timeout: float, password: str, command: dict[str, Any]) -> int:
    client = _LineClient(endpoint, timeout)
    try:
        client.send({"type": "login", "admin": True, "password": password})
        _, reply = client.read()
        if reply.get("type") != "login_ok":
            raise _Trouble(f"login refused: {reply.get('code')}: {reply.get('text')}")
        client.send(command)
        code = _await_result(client)
        with contextlib.suppress(_Trouble):  # the outcome is known: a lost connection now
            client.send({"type": "logout"})  # changes nothing about it
        return code
    finally:
        client.close()


def _await_result(client: _LineClient) -> int:
    """Read until the command's own outcome: a refusal, a rejected event or its result."""
    seq_no: int | None = None
    while True:
        raw, obj = client.read()
        kind = obj.get("type")
        if seq_no is None:
            if kind == "error":
                print(f"refused: {obj.get('code')}: {obj.get('text')}", file=sys.stderr)
                return EXIT_REJECTED
            if kind == "sequenced":
                seq_no = obj.get("seq")
            continue
        if obj.get("seq") != seq_no:
            continue  # not about our command
        print(raw, flush=True)
        if kind == "rejected":
            print(f"rejected: {obj.get('reason')}: {obj.get('text')}", file=sys.stderr)
            return EXIT_REJECTED
        if kind in RESULT_TYPES:
            return EXIT_OK
