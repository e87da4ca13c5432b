"""`sequex settle --date D`: settle, on settlement date D, the trades that settle on it.

Against a running host, like ``sequex admin``: the business calendar of the configuration
(``[settlement]``: weekends, ``holidays``, ``cycle_days``; ``engine.settlement.calendar``) says
which trade date T is the latest to settle on D; then, for every symbol (those the reporter's
database has seen listed, and the configuration's), one sequenced, journaled ``settle`` command
(symbol, T, D) goes through the operator's JSON session. Each settles the symbol's trades of
every date up to T not settled yet. The report printed is the exchange's answer: per firm and
symbol the obligation against the clearinghouse, per account what settled, and the check that
the obligations net to zero.

Exit status: 0 every symbol settled (or was settled already through T: running it twice is
harmless), 1 the exchange refused a settle, 2 usage or connection trouble. A D after today
(UTC) is refused unless ``--early`` (drills and tests): settling early frees receipts early.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from engine.config import ConfigError, HostConfig, load_config
from engine.settlement.calendar import BusinessCalendar, CalendarError
from tools.admin_cli import DEFAULT_ENDPOINT, PASSWORD_ENV, LineClient, Trouble
from tools.report_settlement import SettleAnswer, render_report, symbols_listed

DESCRIPTION = """\
Settle, on a settlement date, the trades due on it (T+2 business days), on a running host.

The configuration's calendar (weekends, [settlement] holidays and cycle_days) gives the
latest trade date that settles on the date; each symbol's trades up to it that are not settled
yet settle now, netted per firm against the clearinghouse. The report lists each firm's
obligation (shares and cash received; negative: delivered or paid) and what each account
settled. What an account received in those trades is free to withdraw from then on.

examples:
  sequex settle --config config/demo.toml --date 2026-12-09
  sequex settle --config config/demo.toml --date 2026-12-09 --dry-run

exit status: 0 settled (or settled already), 1 the exchange refused a settle,
2 a usage error or trouble reaching the host"""

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_TROUBLE = 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "settle",
        help="settle the trades due on a settlement date (T+2) on a running host",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", default="config/demo.toml", help="the host's configuration")
    parser.add_argument(
        "--date", type=date.fromisoformat, metavar="YYYY-MM-DD",
        help="the settlement date (default: today, UTC)",
    )  # fmt: skip
    parser.add_argument(
        "--endpoint", help=f"the JSON gateway (default: the config's, else {DEFAULT_ENDPOINT})"
    )
    parser.add_argument("--password", help=f"operator password (default: ${PASSWORD_ENV})")
    parser.add_argument(
        "--symbol", action="append", default=None, metavar="SYMBOL",
        help="settle only this symbol (repeat for more)",
    )  # fmt: skip
    parser.add_argument(
        "--timeout", type=float, default=30.0, metavar="SECONDS",
        help="how long to wait for each answer (default 30)",
    )  # fmt: skip
    parser.add_argument("--early", action="store_true", help="allow a date after today (UTC)")
    parser.add_argument(
        "--dry-run", action="store_true", help="print the trade date and the symbols; send nothing"
    )
    parser.set_defaults(func=run)


@dataclass
class Plan:
    settle_date: date
    trade_date: date
    symbols: list[str] = field(default_factory=list)


def plan(config: HostConfig, settle_date: date, symbols: list[str] | None) -> Plan:
    """Which trade date settles on ``settle_date``, and which symbols to settle."""
    calendar = BusinessCalendar(config.settlement.holidays, config.settlement.cycle_days)
    through = calendar.trade_date_through(settle_date)
    chosen = symbols if symbols else symbols_listed(config)
    return Plan(settle_date, through, sorted(set(chosen)))


def run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
        today = datetime.now(UTC).date()  # a tool's clock: it only guards the operator
        settle_date = args.date if args.date is not None else today
        if settle_date > today and not args.early:
            raise Trouble(f"{settle_date} is after today ({today}); --early to settle anyway")
        the_plan = plan(config, settle_date, args.symbol)
        print(
            f"settlement date {the_plan.settle_date}: trades through {the_plan.trade_date} "
            f"(T+{config.settlement.cycle_days} business days), symbols "
            f"{', '.join(the_plan.symbols) or '(none)'}"
        )
        if args.dry_run or not the_plan.symbols:
            return EXIT_OK
        password = args.password if args.password is not None else os.environ.get(PASSWORD_ENV)
        if password is None:
            raise Trouble(f"no operator password: use --password or ${PASSWORD_ENV}")
        endpoint = args.endpoint or config.endpoints.get("json", DEFAULT_ENDPOINT)
        answers = _settle_all(endpoint, args.timeout, password, the_plan)
    except (ConfigError, CalendarError, Trouble) as exc:
        print(f"sequex settle: {exc}", file=sys.stderr)
        return EXIT_TROUBLE
    print(render_report(answers), end="")
    refused = [a for a in answers if a.reason not in (None, "already_settled")]
    return EXIT_REJECTED if refused else EXIT_OK


def _settle_all(endpoint: str, timeout: float, password: str, the_plan: Plan) -> list[SettleAnswer]:
    client = LineClient(endpoint, timeout)
    try:
        client.send({"type": "login", "admin": True, "password": password})
        _, reply = client.read()
        if reply.get("type") != "login_ok":
            raise Trouble(f"login refused: {reply.get('code')}: {reply.get('text')}")
        answers = [_settle_one(client, symbol, the_plan) for symbol in the_plan.symbols]
        with contextlib.suppress(Trouble):
            client.send({"type": "logout"})
        return answers
    finally:
        client.close()


def _yyyymmdd(day: date) -> int:
    return day.year * 10_000 + day.month * 100 + day.day


def _settle_one(client: LineClient, symbol: str, the_plan: Plan) -> SettleAnswer:
    """Send one settle and read its events up to settlement_done or its refusal."""
    client.send(
        {
            "type": "settle",
            "symbol": symbol,
            "trade_date": _yyyymmdd(the_plan.trade_date),
            "settle_date": _yyyymmdd(the_plan.settle_date),
        }
    )
    answer = SettleAnswer(symbol)
    while True:
        _, obj = client.read()
        kind = obj.get("type")
        if answer.seq_no is None:
            if kind == "error":
                answer.reason = str(obj.get("code"))
                return answer
            if kind == "sequenced":
                answer.seq_no = obj.get("seq")
            continue
        if obj.get("seq") != answer.seq_no:
            continue
        answer.events.append(obj)
        if kind == "rejected":
            answer.reason = str(obj.get("reason"))
            return answer
        if kind == "settlement_done":
            return answer
