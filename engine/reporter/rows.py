"""The reporter's projection: one command and its events become rows of the schema.

Pure (no I/O, no clock): the rows are a function of the command, its ``origin`` (the gateway
session that sent it, ``engine.session_ids``), its events in ``sub_seq`` order, and the
account -> firm table the projection keeps (from ``AccountOpened`` events; a projection that
starts mid-journal is given the table its database holds, ``ReportWriter.account_firms``).

What becomes a row (``engine.reporter.schema``):

* every command: ``commands`` (who sent what at which seq_no; ``outcome`` is the type of its
  first execution report, or of its first event for an admin command; ``reason`` is the
  reject reason; ``detail`` the canonical JSON of the whole command where the columns do not
  hold it, NULL for a new, cancel or replace order); an accepted order's row is also its
  row of the ``orders`` view (schema version 2: no table of its own);
* every Accepted, Rejected, Cancelled, Replaced and Expired: ``order_events``;
* every Fill (each side of a trade): ``executions``, with the UTC trade date of its ts;
* every AccountOpened: ``accounts``;
* every Obligation (a firm's net of one symbol and trade date, rules 3): ``obligations``;
* every AccountSettled (an account's settled trades of one symbol and date): ``settlements``.

Book events (market data) and balance changes (in the command's ``detail``) make no row. A
``SessionNote`` (a gateway session's journaled fact, e.g. an OUCH message the gateway refused)
is a command like any other: its ``commands`` row (outcome ``session_noted``, the note's
account and firm, the whole note in ``detail``) and nothing else; its event makes no row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import IntEnum
from typing import Any, Final

from engine.canonical.commands import COMMAND_SPECS, command_to_json
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
    SessionNote,
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
    COMMANDS_CANCEL,
    COMMANDS_ORDER,
    EXECUTIONS,
    OBLIGATIONS,
    ORDER_EVENTS,
    ORDER_EVENTS_ACCEPTED,
    ORDER_EVENTS_CLOSED,
    SETTLEMENTS,
    SHAPES,
)

Row = tuple[Any, ...]
_NS_PER_DAY: Final = 86_400 * 1_000_000_000
_EPOCH: Final = date(1970, 1, 1)
_TYPE_NAME: Final = {cls: name for cls, name in EVENT_TYPES.items()}


@dataclass(slots=True)
class RowBatch:
    """The rows of consecutive commands, by shape (``engine.reporter.schema.SHAPES``: a
    table's name for rows of every column, or a narrower shape of it), and the last command
    seq they cover."""

    through_seq: int = 0
    rows: dict[str, list[Row]] = field(default_factory=dict)

    def add(self, shape: str, row: Row) -> None:
        self.rows.setdefault(shape, []).append(row)

    def count(self) -> int:
        return sum(len(rows) for rows in self.rows.values())

    def table_rows(self) -> dict[str, list[Row]]:
        """Every row as a row of all its table's columns, by table, in key order (what a
        query of the stored rows gives)."""
        out: dict[str, list[Row]] = {}
        for name, rows in self.rows.items():
            shape = SHAPES[name]
            into = out.setdefault(shape.table.name, [])
            full = shape.full_row if shape.columns != shape.table.columns else tuple
            into.extend(full(row) for row in rows)
        for table, rows in out.items():
            key = [SHAPES[table].column_names.index(name) for name in SHAPES[table].table.key]
            rows.sort(key=lambda row: [row[at] for at in key])
        return out


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


#: the shapes a projector appends to, in the order it binds them
_ORDER: Final = (
    COMMANDS, ORDER_EVENTS, EXECUTIONS, ACCOUNTS, OBLIGATIONS, SETTLEMENTS, COMMANDS_ORDER,
    COMMANDS_CANCEL, ORDER_EVENTS_ACCEPTED, ORDER_EVENTS_CLOSED,
)  # fmt: skip
#: what an event becomes: no row (book and balance events), an execution, an accepted order,
#: another order event, an account, an obligation, an account's settlement (the last three
#: are no execution reports: never a command's outcome ahead of its first event)
_NO_ROW, _FILL, _ACCEPTED, _ORDER_EVENT, _OPENED, _OBLIGATION, _SETTLED = range(7)
_KIND: Final[dict[type[Any], int]] = {
    Fill: _FILL,
    Accepted: _ACCEPTED,
    Rejected: _ORDER_EVENT,
    Cancelled: _ORDER_EVENT,
    Replaced: _ORDER_EVENT,
    Expired: _ORDER_EVENT,
    AccountOpened: _OPENED,
    Obligation: _OBLIGATION,
    AccountSettled: _SETTLED,
}
assert {cls for cls, kind in _KIND.items() if kind < _OPENED} == EXECUTION_REPORTS
_COMMAND_NAME: Final = {cls: name for cls, (name, _) in COMMAND_SPECS.items()}
_REQUESTS: Final = (CancelOrder, ReplaceOrder)
# The projector unpacks these NamedTuples by position: their field order is part of it.
assert NewOrder._fields[2:] == (
    "firm", "account", "symbol", "side", "order_type", "tif", "qty", "price", "client_order_id",
    "post_only",
)  # fmt: skip
assert CancelOrder._fields[2:] == ("account", "order_id", "client_order_id", "orig_client_order_id")
assert ReplaceOrder._fields[2:] == (
    "account", "order_id", "qty", "price", "client_order_id", "orig_client_order_id",
)  # fmt: skip
assert Fill._fields == (
    "order_id", "account", "symbol", "side", "fill_qty", "fill_price", "leaves_qty", "ts",
    "liquidity", "exec_id",
)  # fmt: skip
assert AccountOpened._fields == ("firm", "account")


def iso_date(yyyymmdd: int) -> str:
    """``YYYYMMDD`` (the domain's dates) as ISO text, like ``executions.trade_date``."""
    return f"{yyyymmdd // 10_000:04d}-{yyyymmdd // 100 % 100:02d}-{yyyymmdd % 100:02d}"


def trade_date(ts: int) -> str:
    """The UTC calendar date (ISO) of ``ts`` (ns since the epoch)."""
    return (_EPOCH + timedelta(days=ts // _NS_PER_DAY)).isoformat()


class Projector:
    """Turns commands and their events into rows (see the module contract).

    Written for the catch-up rate (docs/performance.md, "The reporter"): one dispatch by
    class per event, rows built straight from the unpacked NamedTuples (their field order is
    checked at import), the batch's table lists bound once per batch, and no ``detail`` text
    for the order commands (their columns hold them).
    """

    def __init__(self, firms: dict[str, str] | None = None) -> None:
        #: account -> firm, as opened
        self.firms: dict[str, str] = dict(firms or {})
        self._dates: dict[int, str] = {}
        self._batch: RowBatch | None = None
        self._lists: tuple[list[Row], ...] = ()

    def _bind(self, batch: RowBatch) -> tuple[list[Row], ...]:
        rows = batch.rows
        self._batch = batch
        self._lists = tuple(rows.setdefault(shape.name, []) for shape in _ORDER)
        return self._lists

    def add(self, batch: RowBatch, cmd: Command, origin: int, events: list[Event]) -> None:
        """Append the rows of command ``cmd`` (sent by ``origin``) and its ``events``."""
        lists = self._lists if batch is self._batch else self._bind(batch)
        # the full commands list (0) and the narrow ones (6, 7): ``_command_row`` appends
        order_events, executions, accounts, obligations, settlements = lists[1:6]
        accepted_events, closed_events = lists[8], lists[9]
        seq = cmd.seq_no
        firms = self.firms
        report: Event | None = None  # the first execution report: the command's outcome
        c: Any = cmd  # unpacked by position below (no typing.cast: compiled, it is a call)
        for sub, event in enumerate(events):
            kind = _KIND.get(type(event), _NO_ROW)
            if kind == _NO_ROW:
                continue
            e: Any = event
            if report is None and kind < _OPENED:
                report = event
            if kind == _FILL:
                executions.append(self._fill(seq, sub, event))
            elif kind == _ACCEPTED:
                # the command is a NewOrder; its commands row is its orders row
                _, _, firm, account, _, _, _, _, qty, price, clid, _ = c
                firms.setdefault(account, firm)  # rules 1: accounts are never opened
                accepted_events.append(  # ORDER_EVENTS_ACCEPTED: no reason, no text
                    (seq, sub, "accepted", seq, firm, account, clid, qty, price, qty)
                )
            elif kind == _OPENED:
                firm, account = e
                firms[account] = firm
                accounts.append((account, firm, seq))
            elif kind == _OBLIGATION:
                firm, symbol, traded, settles, shares, cash = e
                obligations.append(
                    (seq, sub, iso_date(traded), iso_date(settles), firm, symbol, shares, cash)
                )
            elif kind == _SETTLED:
                account, symbol, traded, settles, *figures = e
                settlements.append(
                    (
                        seq, sub, iso_date(traded), iso_date(settles), firms.get(account),
                        account, symbol, *figures,
                    )
                )  # fmt: skip
            elif type(event) is Cancelled or type(event) is Expired:
                closed_events.append(self._closed_event(cmd, seq, sub, event))
            else:
                order_events.append(self._order_event(cmd, seq, sub, event))
        if report is None and events:
            report = events[0]
        accepted = bool(events) and type(events[0]) is Accepted
        self._command_row(lists, cmd, origin, report, accepted)
        if seq > batch.through_seq:
            batch.through_seq = seq

    def _command_row(
        self,
        lists: tuple[list[Row], ...],
        cmd: Command,
        origin: int,
        report: Event | None,
        accepted: bool,
    ) -> None:
        """Append the command's row: a new order or a cancel not rejected in its narrow
        shape (``COMMANDS_ORDER``, ``COMMANDS_CANCEL``), any other with every column."""
        cls = type(cmd)
        outcome = reason = None
        if report is not None:
            outcome = _TYPE_NAME[type(report)]
            if isinstance(report, Rejected):
                reason = REJECT[report.reason]
        kind = _COMMAND_NAME[cls]
        c: Any = cmd  # unpacked by position: mypy does not narrow on ``type(cmd) is``
        if cls is NewOrder:
            seq, ts, firm, account, symbol, side, otype, tif, qty, price, clid, post = _order_terms(
                c
            )
            order_id = seq if accepted else None
            if reason is None:
                lists[6].append(
                    (
                        seq, ts, origin, kind, firm, account, symbol, side, otype, tif, qty,
                        price, order_id, clid, post, outcome,
                    )
                )  # fmt: skip
                return
            lists[0].append(
                (
                    seq, ts, origin, kind, firm, account, symbol, side, otype, tif, qty, price,
                    order_id, clid, post, outcome, reason, None,
                )
            )  # fmt: skip
            return
        if cls is CancelOrder:
            seq, ts, account, order_id, clid, _ = c
            firm = self.firms.get(account)
            if reason is None:
                lists[7].append((seq, ts, origin, kind, firm, account, order_id, clid, outcome))
                return
            lists[0].append(
                (
                    seq, ts, origin, kind, firm, account, None, None, None, None, None, None,
                    order_id, clid, None, outcome, reason, None,
                )
            )  # fmt: skip
            return
        if cls is ReplaceOrder:
            seq, ts, account, order_id, qty, price, clid, _ = c
            lists[0].append(
                (
                    seq, ts, origin, kind, self.firms.get(account), account, None, None, None,
                    None, qty, price, order_id, clid, None, outcome, reason, None,
                )
            )  # fmt: skip
            return
        detail = json.dumps(command_to_json(cmd), separators=(",", ":"))
        lists[0].append(self._admin_row(cmd, origin, kind, outcome, reason, detail))

    def _admin_row(
        self, cmd: Command, origin: int, kind: str, outcome: str | None, reason: str | None,
        detail: str,
    ) -> Row:  # fmt: skip
        firm = account = symbol = None
        match cmd:
            case OpenAccount():
                firm, account = cmd.firm, cmd.account
            case SetSelfTradePrevention():
                firm = cmd.firm
            case Deposit() | Withdraw() | SetRiskLimits() | SessionNote():
                account = cmd.account
                firm = self.firms.get(account)
            case AddSymbol() | Halt() | Resume() | EndOfDay() | Settle():
                symbol = cmd.symbol
            case _:
                pass
        return (
            cmd.seq_no, cmd.ts, origin, kind, firm, account, symbol, None, None, None, None,
            None, None, None, None, outcome, reason, detail,
        )  # fmt: skip

    def _order_event(self, cmd: Command, seq: int, sub: int, e: Event) -> Row:
        """A Rejected or Replaced event, every column (Cancelled, Expired: ``_closed_event``)."""
        qty = price = leaves = reason = text = None
        clid: str | None = None
        match e:
            case Rejected():
                clid, reason, text = e.client_order_id, REJECT[e.reason], e.text
            case Replaced():
                qty, price, leaves = e.qty, e.price, e.leaves_qty
                reason = "priority_kept" if e.priority_kept else "priority_lost"
        if not clid and type(cmd) in _REQUESTS:
            clid = cmd.client_order_id  # type: ignore[union-attr]  # the request that caused it
        account: str = e.account  # type: ignore[union-attr]
        order_id: int = e.order_id  # type: ignore[union-attr]
        kind = _TYPE_NAME[type(e)]
        firm = self.firms.get(account)
        return (seq, sub, kind, order_id, firm, account, clid, qty, price, leaves, reason, text)

    def _closed_event(self, cmd: Command, seq: int, sub: int, e: Any) -> Row:
        """A Cancelled or Expired event in ``ORDER_EVENTS_CLOSED``'s shape."""
        reason = CANCEL[e.reason] if type(e) is Cancelled else EXPIRE[e.reason]
        clid = None
        if type(cmd) in _REQUESTS:
            c: Any = cmd
            clid = c.client_order_id  # the request that caused it
        account: str = e.account
        kind = _TYPE_NAME[type(e)]
        return (seq, sub, kind, e.order_id, self.firms.get(account), account, clid,
                e.remaining_qty, reason)  # fmt: skip

    def _fill(self, seq: int, sub: int, e: Any) -> Row:
        order_id, account, symbol, side, qty, price, leaves, ts, liquidity, exec_id = e
        day = ts // _NS_PER_DAY
        when = self._dates.get(day)
        if when is None:
            when = self._dates[day] = trade_date(ts)
        return (
            exec_id, SIDE[side], seq, sub, ts, when, order_id, self.firms.get(account), account,
            symbol, qty, price, leaves, LIQUIDITY[liquidity],
        )  # fmt: skip


def _order_terms(cmd: Any) -> Row:
    """A NewOrder's fields, enums as their names and ``post_only`` as 0/1 (as stored)."""
    seq, ts, firm, account, symbol, side, otype, tif, qty, price, clid, post = cmd
    return (
        seq, ts, firm, account, symbol, SIDE[side], ORDER_TYPE[otype], TIF[tif], qty, price,
        clid, int(post),
    )  # fmt: skip
