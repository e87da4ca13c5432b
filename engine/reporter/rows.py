"""The reporter's projection: one command and its events become rows of the schema.

Pure (no I/O, no clock): the rows are a function of the command, its ``origin`` (the gateway
session that sent it, ``engine.session_ids``), its events in ``sub_seq`` order, and the
account -> firm table the projection keeps (from ``AccountOpened`` events; a projection that
starts mid-journal is given the table its database holds, ``ReportWriter.account_firms``).

What becomes a row (``engine.reporter.schema``):

* every command: ``commands`` (who sent what at which seq_no; ``outcome`` is the type of its
  first execution report, or of its first event for an admin command; ``reason`` is the
  reject reason; ``detail`` the canonical JSON of the whole command);
* every accepted order: ``orders`` (its terms as entered);
* every Accepted, Rejected, Cancelled, Replaced and Expired: ``order_events``;
* every Fill (each side of a trade): ``executions``, with the UTC trade date of its ts;
* every AccountOpened: ``accounts``;
* every Obligation (a firm's net of one symbol and trade date, rules 3): ``obligations``;
* every AccountSettled (an account's settled trades of one symbol and date): ``settlements``.

Book events (market data) and balance changes (in the command's ``detail``) make no row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import IntEnum
from typing import Any, Final

from engine.canonical.commands import command_to_json
from engine.canonical.events import EVENT_TYPES
from engine.domain.types import (
    EXECUTION_REPORTS,
    Accepted,
    AccountOpened,
    AccountSettled,
    AddSymbol,
    Cancelled,
    CancelOrder,
    CancelReason,
    Command,
    Deposit,
    EndOfDay,
    Event,
    Expired,
    ExpireReason,
    Fill,
    Halt,
    Liquidity,
    NewOrder,
    Obligation,
    OpenAccount,
    OrderType,
    Rejected,
    RejectReason,
    Replaced,
    ReplaceOrder,
    Resume,
    SetRiskLimits,
    SetSelfTradePrevention,
    Settle,
    Side,
    TimeInForce,
    Withdraw,
)
from engine.reporter.schema import (
    ACCOUNTS,
    COMMANDS,
    EXECUTIONS,
    OBLIGATIONS,
    ORDER_EVENTS,
    ORDERS,
    SETTLEMENTS,
)

Row = tuple[Any, ...]
_NS_PER_DAY: Final = 86_400 * 1_000_000_000
_EPOCH: Final = date(1970, 1, 1)
_TYPE_NAME: Final = {cls: name for cls, name in EVENT_TYPES.items()}


@dataclass(slots=True)
class RowBatch:
    """The rows of consecutive commands, by table, and the last command seq they cover."""

    through_seq: int = 0
    rows: dict[str, list[Row]] = field(default_factory=dict)

    def add(self, table: str, row: Row) -> None:
        self.rows.setdefault(table, []).append(row)

    def count(self) -> int:
        return sum(len(rows) for rows in self.rows.values())


def _names(kind: type[IntEnum]) -> dict[int, str]:
    return {int(member): member.name.lower() for member in kind}


#: enum value -> its lower-case name; compiled stages may hand plain ints for enum fields
SIDE: Final = _names(Side)
ORDER_TYPE: Final = _names(OrderType)
TIF: Final = _names(TimeInForce)
LIQUIDITY: Final = _names(Liquidity)
REJECT: Final = _names(RejectReason)
CANCEL: Final = _names(CancelReason)
EXPIRE: Final = _names(ExpireReason)


def iso_date(yyyymmdd: int) -> str:
    """``YYYYMMDD`` (the domain's dates) as ISO text, like ``executions.trade_date``."""
    return f"{yyyymmdd // 10_000:04d}-{yyyymmdd // 100 % 100:02d}-{yyyymmdd % 100:02d}"


def trade_date(ts: int) -> str:
    """The UTC calendar date (ISO) of ``ts`` (ns since the epoch)."""
    return (_EPOCH + timedelta(days=ts // _NS_PER_DAY)).isoformat()


class Projector:
    """Turns commands and their events into rows (see the module contract)."""

    def __init__(self, firms: dict[str, str] | None = None) -> None:
        #: account -> firm, as opened
        self.firms: dict[str, str] = dict(firms or {})
        self._dates: dict[int, str] = {}

    def add(self, batch: RowBatch, cmd: Command, origin: int, events: list[Event]) -> None:
        """Append the rows of command ``cmd`` (sent by ``origin``) and its ``events``."""
        seq = cmd.seq_no
        firm = self._firm_of(cmd)
        for sub, event in enumerate(events):
            cls = type(event)
            if cls is Fill:
                self._fill(batch, seq, sub, event)  # type: ignore[arg-type]
            elif cls is Accepted:
                assert isinstance(cmd, NewOrder)
                self._accepted(batch, cmd, origin, sub)
            elif cls in EXECUTION_REPORTS:
                self._order_event(batch, cmd, seq, sub, event)
            elif cls is AccountOpened:
                assert isinstance(event, AccountOpened)
                self.firms[event.account] = event.firm
                batch.add(ACCOUNTS.name, (event.account, event.firm, seq))
            elif cls is Obligation:
                o: Obligation = event  # type: ignore[assignment]
                batch.add(
                    OBLIGATIONS.name,
                    (
                        seq, sub, iso_date(o.trade_date), iso_date(o.settle_date), o.firm,
                        o.symbol, o.shares, o.cash,
                    ),
                )  # fmt: skip
            elif cls is AccountSettled:
                a: AccountSettled = event  # type: ignore[assignment]
                batch.add(
                    SETTLEMENTS.name,
                    (
                        seq, sub, iso_date(a.trade_date), iso_date(a.settle_date),
                        self.firms.get(a.account), a.account, a.symbol, a.bought, a.sold,
                        a.paid, a.received,
                    ),
                )  # fmt: skip
        batch.add(COMMANDS.name, self._command_row(cmd, origin, firm, events))
        batch.through_seq = max(batch.through_seq, seq)

    def _firm_of(self, cmd: Command) -> str | None:
        if isinstance(cmd, NewOrder | SetSelfTradePrevention | OpenAccount):
            return cmd.firm
        account = getattr(cmd, "account", None)
        return None if account is None else self.firms.get(account)

    def _command_row(self, cmd: Command, origin: int, firm: str | None, events: list[Event]) -> Row:
        detail = command_to_json(cmd)
        kind = detail["type"]
        account = symbol = side = order_type = tif = client_order_id = None
        qty = price = order_id = post_only = None
        match cmd:
            case NewOrder():
                account, symbol, client_order_id = cmd.account, cmd.symbol, cmd.client_order_id
                side, order_type, tif = SIDE[cmd.side], ORDER_TYPE[cmd.order_type], TIF[cmd.tif]
                qty, price, post_only = cmd.qty, cmd.price, int(cmd.post_only)
                if events and type(events[0]) is Accepted:
                    order_id = cmd.seq_no
            case CancelOrder():
                account, order_id = cmd.account, cmd.order_id
                client_order_id = cmd.client_order_id
            case ReplaceOrder():
                account, order_id, qty, price = cmd.account, cmd.order_id, cmd.qty, cmd.price
                client_order_id = cmd.client_order_id
            case Deposit() | Withdraw() | SetRiskLimits() | OpenAccount():
                account = cmd.account
            case AddSymbol() | Halt() | Resume() | EndOfDay() | Settle():
                symbol = cmd.symbol
            case _:
                pass
        outcome, reason = _outcome(events)
        text = json.dumps(detail, separators=(",", ":"))
        return (
            cmd.seq_no, cmd.ts, origin, kind, firm, account, symbol, side, order_type, tif,
            qty, price, order_id, client_order_id, post_only, outcome, reason, text,
        )  # fmt: skip

    def _accepted(self, batch: RowBatch, cmd: NewOrder, origin: int, sub: int) -> None:
        seq = cmd.seq_no
        self.firms.setdefault(cmd.account, cmd.firm)  # rules 1: accounts are never opened
        side, otype, tif = SIDE[cmd.side], ORDER_TYPE[cmd.order_type], TIF[cmd.tif]
        batch.add(
            ORDERS.name,
            (
                seq, seq, cmd.ts, origin, cmd.firm, cmd.account, cmd.symbol, side, otype, tif,
                cmd.qty, cmd.price, cmd.client_order_id, int(cmd.post_only),
            ),
        )  # fmt: skip
        batch.add(
            ORDER_EVENTS.name,
            (
                seq, sub, "accepted", seq, cmd.firm, cmd.account, cmd.client_order_id, cmd.qty,
                cmd.price, cmd.qty, None, None,
            ),
        )  # fmt: skip

    def _order_event(self, batch: RowBatch, cmd: Command, seq: int, sub: int, e: Event) -> None:
        qty = price = leaves = reason = text = None
        clid: str | None = None
        match e:
            case Rejected():
                clid, reason, text = e.client_order_id, REJECT[e.reason], e.text
            case Cancelled():
                leaves, reason = e.remaining_qty, CANCEL[e.reason]
            case Expired():
                leaves, reason = e.remaining_qty, EXPIRE[e.reason]
            case Replaced():
                qty, price, leaves = e.qty, e.price, e.leaves_qty
                reason = "priority_kept" if e.priority_kept else "priority_lost"
            case _:
                return
        if not clid and isinstance(cmd, CancelOrder | ReplaceOrder):
            clid = cmd.client_order_id  # the request that caused it
        account: str = e.account
        order_id: int = e.order_id
        kind = _TYPE_NAME[type(e)]
        firm = self.firms.get(account)
        row = (seq, sub, kind, order_id, firm, account, clid, qty, price, leaves, reason, text)
        batch.add(ORDER_EVENTS.name, row)

    def _fill(self, batch: RowBatch, seq: int, sub: int, e: Fill) -> None:
        day = e.ts // _NS_PER_DAY
        when = self._dates.get(day)
        if when is None:
            when = self._dates[day] = trade_date(e.ts)
        batch.add(
            EXECUTIONS.name,
            (
                e.exec_id, SIDE[e.side], seq, sub, e.ts, when, e.order_id,
                self.firms.get(e.account), e.account, e.symbol, e.fill_qty, e.fill_price,
                e.leaves_qty, LIQUIDITY[e.liquidity],
            ),
        )  # fmt: skip


def _outcome(events: list[Event]) -> tuple[str | None, str | None]:
    """(the type of the first execution report, else of the first event; the reject reason)."""
    first = next((e for e in events if type(e) in EXECUTION_REPORTS), None)
    if first is None and events:
        first = events[0]
    if first is None:
        return None, None
    if isinstance(first, Rejected):
        return "rejected", REJECT[first.reason]
    return _TYPE_NAME[type(first)], None
