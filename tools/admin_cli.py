"""`sequex admin`: send one operator command to a running host over the JSON lines gateway.

Logs in as the operator (``--password`` or ``$SEQUEX_ADMIN_PASSWORD``), sends one command,
prints the lines the exchange answers with (canonical event lines) and logs out. Exit codes:
0 the command took effect, 1 the exchange (or the gateway's validation) refused it, with the
reason on stderr, 2 usage or connection trouble (a malformed amount, refused login, timeout,
host gone).

Amounts are typed in the units people use and converted exactly (:mod:`tools.amounts`): cash,
notional and prices in currency units with at most 4 decimals (``--cash 0.50`` is 5000 price
units), shares and counts as whole numbers. ``limits`` sends only the limits given; the
exchange keeps the others (``engine.domain.types.KEEP_LIMIT``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import sys
import time
from collections.abc import Sequence
from typing import Any

from tools.amounts import AmountError, argument, cash_units, whole_number

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
    {
        "balance_changed",
        "symbol_added",
        "trading_status",
        "limits_set",
        "stp_set",
        "day_ended",
        "account_opened",
        "settlement_done",
    }
)

DESCRIPTION = """\
Send one operator command to a running exchange host and print the exchange's answer.

Cash, notional and prices are in currency units with at most 4 decimals (0.50 is fifty
cents); shares and counts are whole numbers.

examples:
  sequex admin deposit BETA-2 --cash 0.50
  sequex admin deposit BETA-2 --shares ACME 100
  sequex admin withdraw BETA-2 --cash 1250
  sequex admin limits BETA-1 --max-qty 1000 --max-open 50
  sequex admin add-symbol WIDGET --tick 0.01 --lot 1 --reference 50.00 --band-bps 1000
  sequex admin halt ACME

exit status: 0 done, 1 refused by the exchange (the reason on stderr),
2 a usage error or trouble reaching the host"""

_CASH = argument(cash_units, allow_zero=False)
_CASH_OR_ZERO = argument(cash_units, allow_zero=True)
_WHOLE = argument(whole_number, allow_zero=False)
_WHOLE_OR_ZERO = argument(whole_number, allow_zero=True)


class Trouble(Exception):
    """Usage or connection trouble: exit code 2 with this message."""


class _SharesAction(argparse.Action):
    """``--shares SYMBOL QTY`` -> (SYMBOL, whole QTY); a bad QTY is a usage error."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        assert isinstance(values, list) and len(values) == 2, values
        symbol, qty = values
        if symbol == "CASH":
            raise argparse.ArgumentError(self, "CASH is not a symbol: use --cash AMOUNT")
        try:
            setattr(namespace, self.dest, (symbol, whole_number(qty)))
        except AmountError as exc:
            raise argparse.ArgumentError(self, str(exc)) from None


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "admin",
        help="send one operator command to a running host",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--endpoint",
        default=DEFAULT_ENDPOINT,
        metavar="HOST:PORT",
        help=f"the host's JSON gateway (default {DEFAULT_ENDPOINT})",
    )
    parser.add_argument("--password", help=f"operator password (default: ${PASSWORD_ENV})")
    parser.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long to wait for the answer (default 10)",
    )
    actions = parser.add_subparsers(
        dest="action", metavar="ACTION", required=True, help="what to do ('ACTION --help': more)"
    )
    p = actions.add_parser(
        "open-account",
        help="open a new account for a firm",
        description="Open a new account for a firm. Only that firm may then order for it, and "
        "deposits, withdrawals and limits need an opened account.",
    )
    p.add_argument("firm", help="the firm that will own the account")
    p.add_argument("account", help="the new account's name (unique across the exchange)")
    for name, verb in (("deposit", "credit"), ("withdraw", "debit")):
        p = actions.add_parser(
            name,
            help=f"{verb} an account with cash or shares",
            description=f"{verb.capitalize()} an account with cash (in currency units) or "
            "with shares of a symbol (whole shares).",
        )
        p.add_argument("account", help=f"the account to {verb}")
        what = p.add_mutually_exclusive_group(required=True)
        what.add_argument(
            "--cash", type=_CASH, metavar="AMOUNT", help="cash in currency units, e.g. 0.50"
        )
        what.add_argument(
            "--shares",
            action=_SharesAction,
            nargs=2,
            metavar=("SYMBOL", "QTY"),
            help="QTY whole shares of SYMBOL",
        )
    p = actions.add_parser(
        "add-symbol",
        help="list a new symbol",
        description="List a new symbol for trading. Prices are in currency units.",
    )
    p.add_argument("symbol", help="the new symbol's name")
    p.add_argument(
        "--tick",
        type=_CASH,
        required=True,
        metavar="PRICE",
        help="price increment in currency units, e.g. 0.01",
    )
    p.add_argument(
        "--lot", type=_WHOLE, required=True, metavar="SHARES", help="order size increment in shares"
    )
    p.add_argument(
        "--reference",
        type=_CASH,
        required=True,
        metavar="PRICE",
        help="reference price in currency units (centre of the price band)",
    )
    p.add_argument(
        "--band-bps",
        type=_WHOLE,
        required=True,
        metavar="BPS",
        help="price band around the reference or last price, in basis points",
    )
    for name, what in (
        ("halt", "stop trading a symbol"),
        ("resume", "resume trading a halted symbol"),
        ("end-of-day", "end a symbol's trading day (day orders expire)"),
    ):
        p = actions.add_parser(name, help=what, description=what.capitalize() + ".")
        p.add_argument("symbol", help="the symbol")
    p = actions.add_parser(
        "limits",
        help="set some or all of an account's risk limits",
        description="Set an account's risk limits; the limits not given keep their current "
        "values, and 0 means no limit.",
    )
    p.add_argument("account", help="the account to limit")
    p.add_argument(
        "--max-qty", type=_WHOLE_OR_ZERO, metavar="SHARES", help="largest order, in shares"
    )
    p.add_argument(
        "--max-notional",
        type=_CASH_OR_ZERO,
        metavar="AMOUNT",
        help="largest order value (qty x price), in currency units",
    )
    p.add_argument(
        "--max-open", type=_WHOLE_OR_ZERO, metavar="ORDERS", help="most orders open at once"
    )
    p = actions.add_parser(
        "stp",
        help="set a firm's self-trade prevention mode",
        description="Set what happens when a firm's order would trade with its own.",
    )
    p.add_argument("firm", help="the firm")
    p.add_argument(
        "mode",
        choices=STP_MODES,
        help="cancel the resting order, the incoming one, or both",
    )
    parser.set_defaults(func=run)


#: ``limits`` flag (its namespace attribute) -> the set_risk_limits field it sets
_LIMIT_FIELDS = {
    "max_qty": "max_order_qty",
    "max_notional": "max_notional",
    "max_open": "max_open_orders",
}


def command_of(args: argparse.Namespace) -> dict[str, Any]:
    """The JSON command object of the parsed arguments (no seq_no / ts: the exchange's), its
    amounts in the exchange's integers."""
    action = args.action
    if action == "open-account":
        return {"type": "open_account", "firm": args.firm, "account": args.account}
    if action in ("deposit", "withdraw"):
        asset, amount = ("CASH", args.cash) if args.shares is None else args.shares
        return {"type": action, "account": args.account, "asset": asset, "amount": amount}
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
        given = {
            field: getattr(args, flag)
            for flag, field in _LIMIT_FIELDS.items()
            if getattr(args, flag) is not None
        }
        if not given:
            raise Trouble("limits: give at least one of --max-qty, --max-notional, --max-open")
        return {"type": "set_risk_limits", "account": args.account, **given}
    assert action == "stp", action
    return {"type": "set_self_trade_prevention", "firm": args.firm, "mode": args.mode}


class LineClient:
    """Blocking JSON lines over one TCP connection, every read bounded by one deadline."""

    def __init__(self, endpoint: str, timeout: float) -> None:
        from engine.gateway.server import parse_endpoint

        try:
            host, port = parse_endpoint(endpoint)
        except ValueError as exc:
            raise Trouble(str(exc)) from None
        self._deadline = time.monotonic() + timeout
        try:
            self._sock = socket.create_connection((host, port), timeout=timeout)
        except OSError as exc:
            raise Trouble(f"cannot connect to {endpoint}: {exc}") from None
        self._buf = b""

    def send(self, obj: dict[str, Any]) -> None:
        try:
            self._sock.sendall(json.dumps(obj, separators=(",", ":")).encode() + b"\n")
        except OSError as exc:
            raise Trouble(f"connection lost: {exc}") from None

    def read(self) -> tuple[str, dict[str, Any]]:
        """The next line, raw and parsed."""
        while b"\n" not in self._buf:
            remaining = self._deadline - time.monotonic()
            if remaining <= 0:
                raise Trouble("timed out waiting for the exchange")
            self._sock.settimeout(remaining)
            try:
                chunk = self._sock.recv(65536)
            except TimeoutError:
                raise Trouble("timed out waiting for the exchange") from None
            except OSError as exc:
                raise Trouble(f"connection lost: {exc}") from None
            if not chunk:
                raise Trouble("the gateway closed the connection")
            self._buf += chunk
        raw, _, self._buf = self._buf.partition(b"\n")
        try:
            obj = json.loads(raw)
        except ValueError:
            raise Trouble(f"unreadable line from the gateway: {raw[:200]!r}") from None
        if not isinstance(obj, dict):
            raise Trouble(f"unexpected line from the gateway: {raw[:200]!r}")
        return raw.decode("ascii", "replace"), obj

    def close(self) -> None:
        self._sock.close()


def run(args: argparse.Namespace) -> int:
    password = args.password if args.password is not None else os.environ.get(PASSWORD_ENV)
    try:
        if password is None:
            raise Trouble(f"no operator password: use --password or ${PASSWORD_ENV}")
        if not 0 < args.timeout < MAX_TIMEOUT:  # also refuses nan
            raise Trouble(f"--timeout must be a number of seconds in (0, {MAX_TIMEOUT:g})")
        return _session(args.endpoint, args.timeout, password, command_of(args))
    except Trouble as exc:
        print(f"sequex admin: {exc}", file=sys.stderr)
        return EXIT_TROUBLE


def _session(endpoint: str, timeout: float, password: str, command: dict[str, Any]) -> int:
    client = LineClient(endpoint, timeout)
    try:
        client.send({"type": "login", "admin": True, "password": password})
        _, reply = client.read()
        if reply.get("type") != "login_ok":
            raise Trouble(f"login refused: {reply.get('code')}: {reply.get('text')}")
        client.send(command)
        code = _await_result(client)
        with contextlib.suppress(Trouble):  # the outcome is known: a lost connection now
            client.send({"type": "logout"})  # changes nothing about it
        return code
    finally:
        client.close()


def _await_result(client: LineClient) -> int:
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
