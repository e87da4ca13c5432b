"""`Exchange`: the whole state machine in one process, emulating the pipeline exactly.

Wiring (the same as the multi-process pipeline, with direct calls in place of rings):

    command N ──► 1. RiskStage: refuse (one Rejected) | answer (wallet/limits admin)
                  | hold and forward
                        │
                        ▼
                  2. Matcher (owns every symbol here): the command's events
                        │
                        ▼
                  3. feedback queue ──► Settler (the risk stage's wallets and order table)

Exactly one of the two stages emits the events of any command, so the canonical stream
``(seq_no, sub_seq)`` does not depend on how symbols are sharded.

With W = 1 the hot commands (plain limit orders that pass risk, cancels by the owner) take
`engine.domain.serial.SerialPath`, which does 1-3 in one pass over the same state with
identical outputs; with W > 1 they take `engine.domain.windowed.WindowedPath`, which does 1-2
in one pass and queues the events for 3 exactly as below. Every other command goes through
the stages above. (`_FAST_WINDOWED`, private, turns the W > 1 fast path off: the
differential tests compare both.)

The feedback window W. Before the risk stage handles command N it has applied the matcher
events of every command with seq_no <= N - W, in seq order, and none later. `submit` keeps the
events of forwarded commands in a queue and, after command N, applies every entry with
seq_no <= N + 1 - W (all that the next command needs), so the state observed between commands
is the same whether or not W = 1. W = 1 is strictly serial: the feedback is applied at once and
the queue stays empty. The window changes outcomes only through the risk stage's view (holds,
reference prices), never the determinism: the same W gives the same outputs.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, NamedTuple

import xxhash

from engine.domain.codec import decode_state, encode_state
from engine.domain.invariants import check_exchange
from engine.domain.matcher import Matcher
from engine.domain.risk import RiskStage
from engine.domain.serial import SerialPath
from engine.domain.types import (
    CASH,
    AddSymbol,
    BookAdd,
    Cancelled,
    CancelOrder,
    Command,
    Deposit,
    EndOfDay,
    Event,
    Halt,
    NewOrder,
    Rejected,
    ReplaceOrder,
    Resume,
    SetRiskLimits,
    SetSelfTradePrevention,
    Side,
    TimeInForce,
    Withdraw,
)
from engine.domain.wallet import Balance
from engine.domain.windowed import WindowedPath

__all__ = ["Balance", "Exchange", "OrderView"]

#: Private test switch, read when an Exchange is built or restored: False sends every command
#: of a W > 1 exchange through the separable stages (the reference the fast path must equal).
_FAST_WINDOWED = True


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


class Exchange:
    """Risk stage + matcher + the feedback queue between them."""

    def __init__(self, feedback_window: int = 1) -> None:
        if feedback_window < 1:
            raise ValueError(f"feedback_window must be >= 1, got {feedback_window}")
        self.feedback_window = feedback_window
        self._risk = RiskStage(serial=feedback_window == 1)
        self._matcher = Matcher()
        #: (seq_no, events) of forwarded commands whose feedback is not yet applied
        self._queue: deque[tuple[int, list[Event]]] = deque()
        self._last_seq = 0
        self._bind()

    def _bind(self) -> None:
        risk = self._risk
        matcher = self._matcher
        self._apply = risk.settler.apply
        self._handlers: dict[type, Callable[[Any], list[Event]]] = {
            NewOrder: self._new_order,
            CancelOrder: self._cancel,
            ReplaceOrder: self._replace,
            Deposit: risk.deposit,
            Withdraw: risk.withdraw,
            SetRiskLimits: risk.set_limits,
            SetSelfTradePrevention: self._set_stp,
            AddSymbol: self._add_symbol,
            Halt: self._halt,
            Resume: self._resume,
            EndOfDay: self._end_of_day,
        }
        self._risk_new = risk.new_order
        self._match_new = matcher.new_order
        self._serial = self.feedback_window == 1
        self._fast: SerialPath | WindowedPath | None = None
        if not self._serial and _FAST_WINDOWED:
            # The W > 1 fast path: drains the same queue and hands over to these handlers.
            self._fast = WindowedPath(
                risk, matcher, self._queue, self.feedback_window, self._handlers, self._last_seq
            )
            self.submit = self._fast.submit  # type: ignore[method-assign]
        if self._serial:
            # Fast path with identical outputs: feedback applied inline, no queue checks, and
            # the commands of the bench's hot loop fused into one pass (engine.domain.serial).
            self._settle_end = risk.settler.ended
            # SerialPath.submit takes NewOrder itself and CancelOrder by one call; the other
            # commands go to the handlers, bound to the separable path as for W > 1.
            self._fast = SerialPath(
                risk,
                matcher,
                self._new_order_serial,
                self._cancel_serial,
                self._handlers,
                self._last_seq,
            )
            self.submit = self._fast.submit  # type: ignore[method-assign]

    # -- the command path -----------------------------------------------------------------

    def submit(self, cmd: Command) -> list[Event]:
        """Process one command; return its events in sub_seq order."""
        seq = cmd.seq_no
        queue = self._queue
        if queue and queue[0][0] <= seq - self.feedback_window:
            self._drain(seq - self.feedback_window)
        events = self._handlers[cmd.__class__](cmd)
        if queue and queue[0][0] <= seq + 1 - self.feedback_window:
            self._drain(seq + 1 - self.feedback_window)
        self._last_seq = seq
        return events

    def _new_order_serial(self, cmd: NewOrder) -> list[Event]:
        cap = self._risk_new(cmd)
        if isinstance(cap, Rejected):
            return [cap]
        events = self._match_new(cmd, cap)
        # [Accepted, BookAdd] (it rested without trading) changes no wallet: skip the loop.
        if len(events) != 2 or events[1].__class__ is not BookAdd:
            self._apply(events)
        return events

    def _cancel_serial(self, cmd: CancelOrder) -> list[Event]:
        refused = self._risk.cancel(cmd)
        if refused is not None:
            return [refused]
        events = self._matcher.cancel(cmd)
        first = events[0]
        if isinstance(first, Cancelled):
            self._settle_end(first)
        return events

    def _drain(self, upto: int) -> None:
        queue = self._queue
        apply = self._apply
        while queue and queue[0][0] <= upto:
            apply(queue.popleft()[1])

    def _feedback(self, seq: int, events: list[Event]) -> None:
        if self._serial:
            self._apply(events)
        else:
            self._queue.append((seq, events))

    def _new_order(self, cmd: NewOrder) -> list[Event]:
        cap = self._risk_new(cmd)
        if isinstance(cap, Rejected):
            return [cap]
        events = self._match_new(cmd, cap)
        # W > 1 only: with W = 1, SerialPath takes NewOrder itself (slow_new: _new_order_serial)
        self._queue.append((cmd.seq_no, events))
        return events

    def _cancel(self, cmd: CancelOrder) -> list[Event]:
        refused = self._risk.cancel(cmd)
        if refused is not None:
            return [refused]
        events = self._matcher.cancel(cmd)
        self._feedback(cmd.seq_no, events)
        return events

    def _replace(self, cmd: ReplaceOrder) -> list[Event]:
        refused = self._risk.replace(cmd)
        if refused is not None:
            return [refused]
        events = self._matcher.replace(cmd)
        self._feedback(cmd.seq_no, events)
        return events

    def _set_stp(self, cmd: SetSelfTradePrevention) -> list[Event]:
        events = self._risk.set_stp(cmd)
        self._matcher.set_stp(cmd.firm, cmd.mode)
        return events

    def _add_symbol(self, cmd: AddSymbol) -> list[Event]:
        refused = self._risk.add_symbol(cmd)
        if refused is not None:
            return [refused]
        return self._matcher.add_symbol(cmd)

    def _halt(self, cmd: Halt) -> list[Event]:
        refused = self._risk.set_halted(cmd.seq_no, cmd.symbol, True)
        if refused is not None:
            return [refused]
        return self._matcher.set_halted(cmd.symbol, True)

    def _resume(self, cmd: Resume) -> list[Event]:
        refused = self._risk.set_halted(cmd.seq_no, cmd.symbol, False)
        if refused is not None:
            return [refused]
        return self._matcher.set_halted(cmd.symbol, False)

    def _end_of_day(self, cmd: EndOfDay) -> list[Event]:
        refused = self._risk.check_symbol(cmd.seq_no, cmd.symbol)
        if refused is not None:
            return [refused]
        events = self._matcher.end_of_day(cmd)
        self._feedback(cmd.seq_no, events)
        return events

    # -- state ----------------------------------------------------------------------------

    def snapshot(self) -> bytes:
        """A versioned, deterministic encoding of the whole state (see `engine.domain.codec`)."""
        fast = self._fast
        last_seq = self._last_seq if fast is None else fast.last_seq
        return encode_state(self.feedback_window, last_seq, self._risk, self._matcher, self._queue)

    @classmethod
    def restore(cls, data: bytes) -> Exchange:
        window, last_seq, risk, matcher, queue = decode_state(data)
        ex = cls(window)
        ex._risk = risk
        ex._matcher = matcher
        ex._queue = deque(queue)
        ex._last_seq = last_seq
        ex._bind()
        return ex

    def state_hash(self) -> int:
        """xxh3_64 of the snapshot encoding: equal states hash equal, whatever dict order."""
        return int(xxhash.xxh3_64_intdigest(self.snapshot()))

    def check_invariants(self) -> None:
        """O(n) structural check of books, order tables and wallets; AssertionError if broken."""
        check_exchange(self._risk, self._matcher, not self._queue)

    # -- queries --------------------------------------------------------------------------

    def balance(self, account: str, asset: str = CASH) -> Balance:
        acct = self._risk.accounts.get(account)
        return Balance(0, 0) if acct is None else acct.balance(asset)

    def accounts(self) -> list[str]:
        return sorted(self._risk.accounts)

    def symbols(self) -> list[str]:
        return sorted(self._risk.symbols)

    def open_order(self, order_id: int) -> OrderView | None:
        o = self._matcher.orders.get(order_id)
        if o is None:
            return None
        side = Side(o.side)
        return OrderView(
            o.order_id,
            o.account,
            o.firm,
            o.book.spec.symbol,
            side,
            o.price,
            o.qty,
            o.filled,
            o.leaves,
            TimeInForce(o.tif),
        )

    def depth(self, symbol: str, side: Side, levels: int = 10) -> list[tuple[int, int, int]]:
        book = self._matcher.books.get(symbol)
        if book is None:
            return []
        return book.side(side).depth(levels)

    def orders_at(self, symbol: str, side: Side, price: int) -> list[int]:
        book = self._matcher.books.get(symbol)
        level = None if book is None else book.side(side).levels.get(price)
        return [] if level is None else [o.order_id for o in level.orders()]

    def pending_feedback(self) -> int:
        """How many commands' matcher events the risk stage has not applied yet."""
        return len(self._queue)
