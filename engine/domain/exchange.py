"""`Exchange`: the whole state machine in one process, emulating the pipeline exactly.

Wiring (the same as the multi-process pipeline, with direct calls in place of rings):

    command N ──► 1. RiskStage: refuse (one Rejected) | answer (wallet/limits admin)
                  | hold and forward
                        │
                        ▼
                  2. Matcher (owns every symbol here): the command's events
                        │
                        ▼
                  3. fill feedback ──► FillFeedback (the risk stage's wallets and order table)

Exactly one of the two stages emits the events of any command, so the canonical stream
``(seq_no, sub_seq)`` does not depend on how symbols are sharded. Every command takes this one
path whatever the window; compiled, the stages are called at C level with the command's fields
unpacked once.

The feedback window W. Before the risk stage handles command N it has applied the matcher
events of every command with seq_no <= N - W, in seq order, and none later. `submit` keeps the
events of forwarded commands in a queue and, after command N, applies every entry with
seq_no <= N + 1 - W (all that the next command needs), so the state observed between commands
is the same whether or not W = 1. W = 1 is strictly serial: :meth:`Exchange.feed` applies the
feedback at once and the queue stays empty; that method is where W = 1 and W > 1 part ways
(the other effect of W, on replace holds, is `FillFeedback.replace_qty`). The window changes
outcomes only through the risk stage's view (holds, reference prices), never the determinism:
the same W gives the same outputs.

Integers. Compiled, prices, quantities and seq_nos are signed 64-bit integers. A command whose
seq_no, side, order type, time in force, qty or price is not one (or whose seq_no is so large
that its trades' exec ids would not be) is refused by :meth:`Exchange.submit` with ValueError
before anything changes, in the compiled build and the uncompiled one alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import cython
import xxhash

from engine.domain.codec import decode_state, encode_state
from engine.domain.invariants import check_exchange
from engine.domain.matcher import Matcher
from engine.domain.risk import RiskStage
from engine.domain.rules import CURRENT_RULES
from engine.domain.types import (
    CASH,
    EXEC_IDS_PER_COMMAND,
    AddSymbol,
    CancelOrder,
    Command,
    Deposit,
    EndOfDay,
    Event,
    Fence,
    Halt,
    NewOrder,
    OpenAccount,
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
from engine.domain.wallet import Balance

__all__ = ["Balance", "Exchange", "OrderView"]

_MAX_INT64 = 2**63 - 1
#: The largest seq_no whose trades' exec ids (seq_no * EXEC_IDS_PER_COMMAND + k) fit in 64 bits.
MAX_SEQ_NO = (_MAX_INT64 - (EXEC_IDS_PER_COMMAND - 1)) // EXEC_IDS_PER_COMMAND

_MAX_SEQ: cython.longlong = MAX_SEQ_NO  # the same, as a C constant
_NONE_DUE: cython.longlong = MAX_SEQ_NO + 1  # "no feedback pending" (beyond every seq_no)

#: The command fields the compiled build reads as 64-bit integers, by command class.
_INT_FIELDS: dict[type, tuple[int, ...]] = {NewOrder: (0, 5, 6, 7, 8, 9), ReplaceOrder: (0, 4, 5)}


def _int64_error(cmd: Any) -> ValueError | None:
    """The error of a command with a field the compiled build cannot hold, or None."""
    for index in _INT_FIELDS.get(type(cmd), (0,)):
        value = cmd[index]
        if not isinstance(value, int) or not -_MAX_INT64 - 1 <= value <= _MAX_INT64:
            name = cmd._fields[index]
            return ValueError(
                f"{type(cmd).__name__} seq_no {cmd[0]!r}: {name} = {value!r} is not a signed "
                f"64-bit integer"
            )
    if not -MAX_SEQ_NO <= cmd[0] <= MAX_SEQ_NO:
        return ValueError(
            f"{type(cmd).__name__} seq_no {cmd[0]!r} is beyond {MAX_SEQ_NO}: its exec ids would "
            f"not fit in 64 bits"
        )
    return None


class OrderView(NamedTuple):
    order_id: int
    account: str
    firm: str
    symbol: str
    side: Side
    price: int
    qty: int
    filled: int
    leaves: int
    tif: TimeInForce


_KIND_NEW: cython.longlong = 1
_KIND_CANCEL: cython.longlong = 2
_KIND_REPLACE: cython.longlong = 3
_KIND_OTHER: cython.longlong = 4
_COMMANDS = frozenset(
    {
        NewOrder,
        CancelOrder,
        ReplaceOrder,
        AddSymbol,
        Deposit,
        Withdraw,
        Halt,
        Resume,
        SetRiskLimits,
        SetSelfTradePrevention,
        EndOfDay,
        OpenAccount,
        Settle,
        Fence,
        SessionNote,
    }
)


@cython.final
@cython.cclass
class Exchange:
    """Risk stage + matcher + the feedback queue between them."""

    feedback_window: cython.longlong
    risk: RiskStage
    matcher: Matcher
    #: the feedback queue: seq_nos and events of forwarded commands whose feedback is not yet
    #: applied, from index ``head`` on (a FIFO of two lists: appends and pops cost no call)
    pending_seqs: list[int]
    pending_events: list[list[Event]]
    head: cython.Py_ssize_t
    #: the seq_no of the oldest pending entry (MAX_SEQ_NO + 1 when none): one compare per
    #: command decides whether anything is due
    due: cython.longlong
    last_seq: cython.longlong
    admin: dict[type, Callable[[Any], list[Event]]]

    def __init__(
        self, feedback_window: cython.longlong = 1, rules: cython.longlong = CURRENT_RULES
    ) -> None:
        if feedback_window < 1:
            raise ValueError(f"feedback_window must be >= 1, got {feedback_window}")
        self.feedback_window = feedback_window
        self.risk = RiskStage(feedback_window == 1, rules)
        self.matcher = Matcher(rules)
        self.pending_seqs = []
        self.pending_events = []
        self.head = 0
        self.due = _NONE_DUE
        self.last_seq = 0
        self.admin = {
            Deposit: self._deposit,
            Withdraw: self._withdraw,
            SetRiskLimits: self._set_limits,
            SetSelfTradePrevention: self._set_stp,
            AddSymbol: self._add_symbol,
            Halt: self._halt,
            Resume: self._resume,
            EndOfDay: self._end_of_day,
            OpenAccount: self._open_account,
            Settle: self._settle,
            Fence: self._fence,
            SessionNote: self._session_note,
        }

    # -- the command path -----------------------------------------------------------------

    @cython.ccall
    def submit(self, cmd: Command) -> list[Event]:
        """Process one command; return its events in sub_seq order."""
        cls = type(cmd)
        kind: cython.longlong
        if cls is NewOrder:
            kind = _KIND_NEW
        elif cls is CancelOrder:
            kind = _KIND_CANCEL
        elif cls is ReplaceOrder:
            kind = _KIND_REPLACE
        elif cls in _COMMANDS:
            kind = _KIND_OTHER
        else:
            raise TypeError(f"not a command: {cmd!r}")
        c: tuple = cython.cast(tuple, cmd)
        if not cython.compiled:
            error = _int64_error(cmd)
            if error is not None:
                raise error
        seq: cython.longlong
        try:
            seq = c[0]
        except (OverflowError, TypeError):
            raise _int64_error(cmd) from None  # type: ignore[misc]
        if seq > _MAX_SEQ or seq < -_MAX_SEQ:
            raise _int64_error(cmd)  # type: ignore[misc]
        window: cython.longlong = self.feedback_window
        if seq - window >= self.due:
            self.drain(seq - window)
        events: list[Event]
        if kind == _KIND_NEW:
            events = self.new_order(c)
        elif kind == _KIND_CANCEL:
            events = self.cancel(c)
        elif kind == _KIND_REPLACE:
            events = self.replace(c)
        else:
            events = self.admin[cls](cmd)
        if seq + 1 - window >= self.due:
            self.drain(seq + 1 - window)
        self.last_seq = seq
        return events

    @cython.cfunc
    def new_order(self, c: tuple) -> list[Event]:
        side: cython.longlong
        otype: cython.longlong
        tif: cython.longlong
        qty: cython.longlong
        price: cython.longlong
        try:
            side = c[5]
            otype = c[6]
            tif = c[7]
            qty = c[8]
            price = c[9]
        except (OverflowError, TypeError):
            raise _int64_error(c) from None  # type: ignore[misc]
        seq = c[0]
        account: str = c[3]
        symbol: str = c[4]
        clid = c[10]
        post_only: cython.bint = c[11]
        cap: cython.longlong = self.risk.hold_new(
            seq, c[2], account, symbol, side, otype, tif, qty, price, clid, post_only
        )
        if cap == 0:
            return [self.risk.last_reject]
        events: list[Event] = self.matcher.match_new(
            seq, c[1], c[2], account, symbol, side, otype, tif, qty, price, clid, post_only, cap
        )
        self.feed(seq, events)
        return events

    @cython.cfunc
    def cancel(self, c: tuple) -> list[Event]:
        seq = c[0]
        account: str = c[2]
        oid = c[3]
        refused = self.risk.check_cancel(seq, account, oid)
        if refused is not None:
            return [refused]
        events: list[Event] = self.matcher.cancel_order(seq, account, oid)
        self.feed(seq, events)
        return events

    @cython.cfunc
    def replace(self, c: tuple) -> list[Event]:
        qty: cython.longlong
        price: cython.longlong
        try:
            qty = c[4]
            price = c[5]
        except (OverflowError, TypeError):
            raise _int64_error(c) from None  # type: ignore[misc]
        seq = c[0]
        account: str = c[2]
        oid = c[3]
        refused = self.risk.check_replace(seq, account, oid, qty, price)
        if refused is not None:
            return [refused]
        events: list[Event] = self.matcher.replace_order(seq, c[1], account, oid, qty, price)
        self.feed(seq, events)
        return events

    @cython.ccall
    def feed(self, seq: Any, events: list[Event]) -> cython.void:
        """Fill feedback of a forwarded command: applied at once (W = 1) or queued until the
        window lets it through. The one place where W = 1 and W > 1 differ in flow."""
        if self.feedback_window == 1:
            self.risk.feedback.apply(events)
        else:
            if self.head == len(self.pending_seqs):
                self.due = seq
            self.pending_seqs.append(seq)
            self.pending_events.append(events)

    @cython.ccall
    def drain(self, upto: cython.longlong) -> cython.void:
        """Apply the queued feedback of every command with seq_no <= ``upto``, in order."""
        seqs = self.pending_seqs
        events = self.pending_events
        feedback = self.risk.feedback
        head: cython.Py_ssize_t = self.head
        size: cython.Py_ssize_t = len(seqs)
        seq: cython.longlong
        while head < size:
            seq = seqs[head]
            if seq > upto:
                break
            feedback.apply(events[head])
            events[head] = None  # type: ignore[call-overload]
            head += 1
        if head > 4096 and 2 * head > size:  # drop the applied prefix, now and then
            del seqs[:head]
            del events[:head]
            size -= head
            head = 0
        self.head = head
        self.due = seqs[head] if head < size else _NONE_DUE

    @property
    def queue(self) -> list[tuple[int, list[Event]]]:
        """The pending feedback as (seq_no, events), oldest first (snapshots, tests)."""
        head = self.head
        return list(zip(self.pending_seqs[head:], self.pending_events[head:], strict=True))

    # -- administration (cold) ------------------------------------------------------------

    def _open_account(self, cmd: OpenAccount) -> list[Event]:
        return self.risk.open_account(cmd)

    def _deposit(self, cmd: Deposit) -> list[Event]:
        return self.risk.deposit(cmd)

    def _withdraw(self, cmd: Withdraw) -> list[Event]:
        return self.risk.withdraw(cmd)

    def _set_limits(self, cmd: SetRiskLimits) -> list[Event]:
        return self.risk.set_limits(cmd)

    def _set_stp(self, cmd: SetSelfTradePrevention) -> list[Event]:
        events = self.risk.set_stp(cmd)
        self.matcher.set_stp(cmd.firm, cmd.mode)
        return events

    def _add_symbol(self, cmd: AddSymbol) -> list[Event]:
        refused = self.risk.add_symbol(cmd)
        if refused is not None:
            return [refused]
        return self.matcher.add_symbol(cmd)

    def _halt(self, cmd: Halt) -> list[Event]:
        refused = self.risk.set_halted(cmd.seq_no, cmd.symbol, True)
        if refused is not None:
            return [refused]
        return self.matcher.set_halted(cmd.symbol, True)

    def _resume(self, cmd: Resume) -> list[Event]:
        refused = self.risk.set_halted(cmd.seq_no, cmd.symbol, False)
        if refused is not None:
            return [refused]
        return self.matcher.set_halted(cmd.symbol, False)

    def _end_of_day(self, cmd: EndOfDay) -> list[Event]:
        refused = self.risk.check_symbol(cmd.seq_no, cmd.symbol)
        if refused is not None:
            return [refused]
        events = self.matcher.end_of_day(cmd)
        self.feed(cmd.seq_no, events)
        return events

    def _settle(self, cmd: Settle) -> list[Event]:
        refused = self.risk.check_settle(cmd)
        if refused is not None:
            return [refused]
        events = self.matcher.settle(cmd)
        self.feed(cmd.seq_no, events)
        return events

    def _fence(self, cmd: Fence) -> list[Event]:
        return self.risk.fence(cmd)  # through self.risk: restore replaces it

    def _session_note(self, cmd: SessionNote) -> list[Event]:
        return self.risk.session_note(cmd)  # its one event, as the sharded risk stage emits it

    # -- state ----------------------------------------------------------------------------

    def snapshot(self) -> bytes:
        """A versioned, deterministic encoding of the whole state (see `engine.domain.codec`)."""
        return encode_state(
            self.feedback_window, self.last_seq, self.risk, self.matcher, self.queue
        )

    @property
    def rules(self) -> int:
        """The rules version (`engine.domain.rules`) this exchange runs."""
        return int(self.risk.rules)

    @classmethod
    def restore(cls, data: bytes) -> Exchange:
        window, last_seq, risk, matcher, queue = decode_state(data)
        ex = Exchange(window, risk.rules)
        ex.risk = risk
        ex.matcher = matcher
        ex.pending_seqs = [seq for seq, _ in queue]
        ex.pending_events = [events for _, events in queue]
        ex.head = 0
        ex.due = ex.pending_seqs[0] if queue else _NONE_DUE
        ex.last_seq = last_seq
        return ex

    def state_hash(self) -> int:
        """xxh3_64 of the snapshot encoding: equal states hash equal, whatever dict order."""
        return int(xxhash.xxh3_64_intdigest(self.snapshot()))

    def check_invariants(self) -> None:
        """O(n) structural check of books, order tables and wallets; AssertionError if broken."""
        check_exchange(self.risk, self.matcher, self.head == len(self.pending_seqs))

    # -- queries --------------------------------------------------------------------------

    def balance(self, account: str, asset: str = CASH) -> Balance:
        acct = self.risk.accounts.get(account)
        return Balance(0, 0) if acct is None else acct.balance(asset)

    def accounts(self) -> list[str]:
        return sorted(self.risk.accounts)

    def symbols(self) -> list[str]:
        return sorted(self.risk.symbols)

    def open_order(self, order_id: int) -> OrderView | None:
        o = self.matcher.orders.get(order_id)
        if o is None:
            return None
        return OrderView(
            o.order_id,
            o.account,
            o.firm,
            o.book.spec.symbol,
            Side(o.side),
            o.price,
            o.qty,
            o.filled,
            o.leaves,
            TimeInForce(o.tif),
        )

    def depth(self, symbol: str, side: Side, levels: int = 10) -> list[tuple[int, int, int]]:
        book = self.matcher.books.get(symbol)
        if book is None:
            return []
        return book.side(side).depth(levels)

    def orders_at(self, symbol: str, side: Side, price: int) -> list[int]:
        book = self.matcher.books.get(symbol)
        level = None if book is None else book.side(side).levels.get(price)
        return [] if level is None else [o.order_id for o in level.orders()]

    def pending_feedback(self) -> int:
        """How many commands' matcher events the risk stage has not applied yet."""
        return len(self.pending_seqs) - self.head
