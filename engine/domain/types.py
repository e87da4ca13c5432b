"""Commands into and events out of the exchange state machine.

Units (never floats):
  * price: integer *price units*, 1/10,000 of the currency unit (the ITCH 5.0 convention). A
    symbol's tick size is a multiple of the price unit; a price must be a multiple of the tick.
  * qty: integer shares. A symbol's lot size is a share count; a qty must be a positive multiple.
  * cash: integer price units x shares, i.e. also 1/10,000 of the currency unit.
    ``PRICE_UNITS_PER_CURRENCY_UNIT`` is that scale, for whoever converts to and from people.
  * ts: integer nanoseconds since the Unix epoch, stamped by the gateway and carried by the
    journal. The domain never reads a clock: ``ts`` is data.

Every command carries the global ``seq_no`` given by the sequencer and the ``ts``. The state
machine answers each command with a list of events; an event's position in that list is its
sub-sequence, so the canonical output stream is the events ordered by ``(seq_no, sub_seq)``.

Identifiers derive from ``seq_no`` only, so a replay produces the same ids:
  * ``order_id`` of a NewOrder = its ``seq_no``.
  * ``exec_id`` of the k-th trade (k = 0, 1, ...) caused by command ``seq_no`` =
    ``seq_no * EXEC_IDS_PER_COMMAND + k``; both sides of one trade share the exec id.

Commands and events are NamedTuples: immutable, cheap to build on the hot path, and matchable
with ``match`` by class pattern. Enumerations are IntEnums so they serialise as small integers.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final, NamedTuple, TypeAlias

#: exec ids of one command's trades are seq_no * EXEC_IDS_PER_COMMAND + k.
EXEC_IDS_PER_COMMAND = 1_000_000

#: The asset name under which an account's cash balance is kept.
CASH = "CASH"

#: Price units (and cash units) in one unit of the currency: prices and cash carry 4 decimals.
PRICE_UNITS_PER_CURRENCY_UNIT: Final = 10_000

#: A SetRiskLimits field of this value leaves that limit as it is. Not an integer, so no limit a
#: journal holds can mean it: the record marks a kept limit in a field older journals leave 0
#: (``engine.records``), and they replay as they did.
KEEP_LIMIT: Final = None


class Side(IntEnum):
    BUY = 1
    SELL = 2


class OrderType(IntEnum):
    LIMIT = 1
    #: A market order trades at any price within the symbol's protection band, never beyond it.
    MARKET = 2


class TimeInForce(IntEnum):
    #: Rests until cancelled or until the EndOfDay command for its symbol.
    DAY = 1
    #: Good till cancelled: survives EndOfDay.
    GTC = 2
    #: Immediate or cancel: what does not trade at once expires.
    IOC = 3
    #: Fill or kill: trades its whole qty at once or nothing at all; never rests.
    FOK = 4


class SelfTradePrevention(IntEnum):
    """What happens when an incoming order would trade with a resting order of the same firm."""

    CANCEL_RESTING = 1
    CANCEL_INCOMING = 2
    CANCEL_BOTH = 3


class Liquidity(IntEnum):
    MAKER = 1
    TAKER = 2


class RejectReason(IntEnum):
    """Why a command was refused; the numbers are stable and appear on the wire and in reports."""

    UNKNOWN_SYMBOL = 1
    SYMBOL_HALTED = 2
    INVALID_QTY = 3  # not a positive multiple of the lot size
    QTY_ABOVE_LIMIT = 4  # above the account's max order qty
    PRICE_OFF_TICK = 5
    PRICE_OUTSIDE_BAND = 6
    NOTIONAL_ABOVE_LIMIT = 7  # qty x price above the account's max notional
    TOO_MANY_OPEN_ORDERS = 8
    INSUFFICIENT_CASH = 9
    INSUFFICIENT_SHARES = 10
    UNKNOWN_ORDER = 11  # no live order with that id
    NOT_ORDER_OWNER = 12  # the order belongs to another account
    POST_ONLY_WOULD_TAKE = 13
    INVALID_PRICE = 14  # a limit price that is not positive, or a price on a market order
    INVALID_ORDER = 15  # a combination the exchange does not accept, e.g. a market DAY order
    DUPLICATE_SYMBOL = 16
    INVALID_SYMBOL_SPEC = 17  # tick, lot, reference price or band not positive
    INVALID_AMOUNT = 18  # deposit or withdrawal amount not positive
    UNKNOWN_ASSET = 19  # deposit or withdrawal of an asset that is neither cash nor a symbol
    INVALID_LIMITS = 20  # a negative risk limit
    AMOUNT_TOO_LARGE = 21  # a deposit would take the asset's total supply past a signed 64-bit int
    # Since rules version 2 (engine.domain.rules):
    NOT_FIRMS_ACCOUNT = 22  # a NewOrder for an account its firm has not opened
    UNKNOWN_ACCOUNT = 23  # a deposit, withdrawal or limits change for an account never opened
    DUPLICATE_ACCOUNT = 24  # OpenAccount of an account that exists
    # Since rules version 3:
    UNSUPPORTED_COMMAND = 25  # a command the journal's rules version does not have (Settle)
    INVALID_SETTLEMENT = 26  # a trade or settlement date that is not a date, or out of order
    ALREADY_SETTLED = 27  # a Settle of a trade date the symbol has settled already
    UNSETTLED = 28  # a withdrawal that needs cash or shares not settled yet


class NoteKind(IntEnum):
    """What a ``SessionNote`` records about a gateway session (docs/commands-jsonl.md; the
    record layout: ``engine.records``)."""

    #: the gateway refused a message of the session before it could become a command:
    #: ``a`` = the protocol's own reason code (OUCH: the reject letter's ord), ``token`` = the
    #: refused message's token (OUCH) or ClOrdID, ``account`` = the session's account
    REFUSED = 1
    #: a FIX session sent reports of its report store as consecutive MsgSeqNums: ``a`` = the
    #: first MsgSeqNum, ``b`` = the first report's number, ``c`` = how many, ``d`` = the
    #: SendingTime (ns) of the first (OrigSendingTime on a resend); ``engine.gateway.fix_marks``
    FIX_SENT = 2
    #: where a FIX session's numbers stand after bytes the gateway is about to write: ``a`` =
    #: the next MsgSeqNum we send, ``b`` = the next we expect, ``c`` = reports sent
    FIX_MARK = 3


class CancelReason(IntEnum):
    USER = 1  # CancelOrder
    SELF_TRADE = 2  # self-trade prevention
    REPLACED_AWAY = 3  # a replace reduced the qty to or below the filled qty


class ExpireReason(IntEnum):
    IOC = 1  # the unfilled remainder of an IOC order
    FOK = 2  # a FOK order that could not fill completely
    MARKET = 3  # the remainder of a market order (book empty or band reached)
    END_OF_DAY = 4  # a DAY order at its symbol's EndOfDay


# ---------------------------------------------------------------------------------------------
# Commands. The first two fields are always seq_no and ts.
# ---------------------------------------------------------------------------------------------


class NewOrder(NamedTuple):
    seq_no: int
    ts: int
    firm: str
    account: str
    symbol: str
    side: Side
    order_type: OrderType
    tif: TimeInForce
    qty: int
    #: Limit price in price units; 0 for a market order.
    price: int
    client_order_id: str
    #: Rejected with POST_ONLY_WOULD_TAKE instead of trading on arrival (limit orders only).
    post_only: bool = False


class CancelOrder(NamedTuple):
    seq_no: int
    ts: int
    account: str
    order_id: int
    #: the client's id of this request (FIX ClOrdID of a cancel; journaled, not decided on)
    client_order_id: str = ""
    #: the client's id of the order as the request named it (FIX OrigClOrdID; journaled, not
    #: decided on): what a refusal echoes when the order it names was never live
    orig_client_order_id: str = ""


class ReplaceOrder(NamedTuple):
    """Change a live limit order. ``qty`` is the new *total* order qty, filled part included.

    A pure size decrease keeps time priority; a price change or a size increase loses it. A new
    qty at or below the filled qty ends the order (Cancelled with REPLACED_AWAY).
    """

    seq_no: int
    ts: int
    account: str
    order_id: int
    qty: int
    price: int
    #: the client's id of the order from now on (FIX ClOrdID, OUCH replacement token);
    #: journaled, not decided on
    client_order_id: str = ""
    #: the client's id of the order as the request named it (FIX OrigClOrdID; journaled, not
    #: decided on): what a refusal echoes when the order it names was never live
    orig_client_order_id: str = ""


class AddSymbol(NamedTuple):
    seq_no: int
    ts: int
    symbol: str
    tick_size: int
    lot_size: int
    #: The price the protection band is centred on until the first trade; then the last trade.
    reference_price: int
    #: Half-width of the band in basis points of the reference price.
    band_bps: int


class Deposit(NamedTuple):
    """Credit an account with cash (asset CASH) or shares (asset = a symbol)."""

    seq_no: int
    ts: int
    account: str
    asset: str
    amount: int


class Withdraw(NamedTuple):
    """Debit an account; only what is free (owned and not held for an order) can leave."""

    seq_no: int
    ts: int
    account: str
    asset: str
    amount: int


class Halt(NamedTuple):
    """Stop trading a symbol: new orders and replaces are rejected; cancels still work."""

    seq_no: int
    ts: int
    symbol: str


class Resume(NamedTuple):
    seq_no: int
    ts: int
    symbol: str


class SetRiskLimits(NamedTuple):
    """An account's limits; 0 means no limit for that field, KEEP_LIMIT keeps its value (the
    LimitsSet event reports the limits in force after the command, kept ones included)."""

    seq_no: int
    ts: int
    account: str
    max_order_qty: int | None
    max_notional: int | None
    max_open_orders: int | None


class SetSelfTradePrevention(NamedTuple):
    """The self-trade prevention mode applied when this firm's incoming order meets its own."""

    seq_no: int
    ts: int
    firm: str
    mode: SelfTradePrevention


class OpenAccount(NamedTuple):
    """Open ``account`` for ``firm``: from rules version 2 on, only the firm that opened an
    account may order for it, and deposits, withdrawals and limits need an opened account."""

    seq_no: int
    ts: int
    firm: str
    account: str


class Settle(NamedTuple):
    """Settle ``symbol``'s trades of every trade date up to ``trade_date`` not settled yet, on
    ``settle_date`` (rules version 3). Dates are integers ``YYYYMMDD`` (UTC calendar dates; a
    trade's date is that of its command's ``ts``). The business-day calendar is not the
    domain's: whoever sends the command (``sequex settle``) computes which trade date settles
    on ``settle_date``. One symbol per command, like EndOfDay, so that its events come from
    the one matcher shard that owns the symbol."""

    seq_no: int
    ts: int
    symbol: str
    trade_date: int
    settle_date: int


class EndOfDay(NamedTuple):
    """Expire every resting DAY order of ``symbol``.

    One symbol per command, so that every command's events come from exactly one matcher shard
    and the canonical order ``(seq_no, sub_seq)`` does not depend on the shard count.
    """

    seq_no: int
    ts: int
    symbol: str


class Fence(NamedTuple):
    """A fencing token: the host that journals it is the primary from this seq on, in
    ``epoch`` (docs/replication.md). A promoted standby journals ``Fence(its epoch + 1)`` as
    the first command of its reign. No trading matter: it changes no book or wallet and has
    no event; it sets the epoch of the state (an epoch never goes down)."""

    seq_no: int
    ts: int
    epoch: int


class SessionNote(NamedTuple):
    """A fact of a gateway session, journaled so that a standby or a replay rebuilds that
    session exactly (its report numbering): not a trading matter. It changes no book, wallet,
    limit or state hash and is valid in every rules version; its one event,
    ``SessionNoted``, is addressed to the session that sent it (the record's ``origin``).
    What ``account``, ``token`` and ``a`` .. ``d`` (non-negative) mean is the ``note``'s
    (``NoteKind``)."""

    seq_no: int
    ts: int
    note: NoteKind
    account: str
    token: str
    a: int
    b: int
    c: int
    d: int


Command: TypeAlias = (
    NewOrder
    | CancelOrder
    | ReplaceOrder
    | AddSymbol
    | Deposit
    | Withdraw
    | Halt
    | Resume
    | SetRiskLimits
    | SetSelfTradePrevention
    | EndOfDay
    | OpenAccount
    | Settle
    | Fence
    | SessionNote
)

# ---------------------------------------------------------------------------------------------
# Events: execution events (to the firm that owns the order) ...
# ---------------------------------------------------------------------------------------------


class Accepted(NamedTuple):
    """A NewOrder passed risk and entered matching: the acknowledgement {order_id, seq_no}."""

    order_id: int
    seq_no: int
    account: str
    client_order_id: str


class Rejected(NamedTuple):
    """A command was refused; nothing changed. ``order_id`` is 0 for a refused NewOrder."""

    seq_no: int
    account: str
    client_order_id: str
    order_id: int
    reason: RejectReason
    text: str


class Fill(NamedTuple):
    """One side of one trade. ``leaves_qty`` is what stays open on the order after it."""

    order_id: int
    account: str
    symbol: str
    side: Side
    fill_qty: int
    fill_price: int
    leaves_qty: int
    ts: int
    liquidity: Liquidity
    exec_id: int


class Cancelled(NamedTuple):
    order_id: int
    account: str
    remaining_qty: int
    reason: CancelReason


class Replaced(NamedTuple):
    order_id: int
    account: str
    qty: int
    price: int
    leaves_qty: int
    priority_kept: bool


class Expired(NamedTuple):
    order_id: int
    account: str
    remaining_qty: int
    reason: ExpireReason


# ... book changes (order level, for market data: the ITCH A / E / X / D / U messages) ...


class BookAdd(NamedTuple):
    symbol: str
    order_id: int
    side: Side
    qty: int
    price: int


class BookExecute(NamedTuple):
    """A resting order traded ``qty`` at its own price ``price``."""

    symbol: str
    order_id: int
    qty: int
    price: int
    exec_id: int


class BookReduce(NamedTuple):
    """A resting order lost ``qty`` shares without trading and kept its place (size decrease)."""

    symbol: str
    order_id: int
    qty: int


class BookDelete(NamedTuple):
    """A resting order left the book without trading (cancel, expiry, self-trade prevention)."""

    symbol: str
    order_id: int


class BookReplace(NamedTuple):
    """A resting order took a new price and/or a larger qty and went to the back of its level."""

    symbol: str
    order_id: int
    side: Side
    qty: int
    price: int


# ... and administration.


class SymbolAdded(NamedTuple):
    symbol: str
    tick_size: int
    lot_size: int
    reference_price: int
    band_bps: int


class TradingStatus(NamedTuple):
    symbol: str
    halted: bool


class BalanceChanged(NamedTuple):
    """A deposit (positive) or withdrawal (negative) changed an account's balance to ``total``."""

    account: str
    asset: str
    amount: int
    total: int


class LimitsSet(NamedTuple):
    account: str
    max_order_qty: int
    max_notional: int
    max_open_orders: int


class StpSet(NamedTuple):
    firm: str
    mode: SelfTradePrevention


class DayEnded(NamedTuple):
    symbol: str


class AccountOpened(NamedTuple):
    firm: str
    account: str


class Obligation(NamedTuple):
    """A firm's net settlement of one symbol and trade date against the clearinghouse:
    ``shares`` it receives (negative: delivers) and ``cash`` it receives (negative: pays)."""

    firm: str
    symbol: str
    trade_date: int
    settle_date: int
    shares: int
    cash: int


class AccountSettled(NamedTuple):
    """An account's trades of one symbol and trade date, settled: shares ``bought`` and
    ``sold``, cash ``paid`` for the buys and ``received`` for the sales (all >= 0). What it
    receives (shares bought, cash received) is settled from now on: free to withdraw."""

    account: str
    symbol: str
    trade_date: int
    settle_date: int
    bought: int
    sold: int
    paid: int
    received: int


class SettlementDone(NamedTuple):
    """The last event of an accepted Settle: ``symbol`` is settled through ``trade_date``."""

    symbol: str
    trade_date: int
    settle_date: int


class SessionNoted(NamedTuple):
    """The one event of a ``SessionNote``: its fields, for the session that sent it (the gateway
    turns a REFUSED note into that session's Rejected report)."""

    seq_no: int
    note: NoteKind
    account: str
    token: str
    a: int
    b: int
    c: int
    d: int


Event: TypeAlias = (
    Accepted
    | Rejected
    | Fill
    | Cancelled
    | Replaced
    | Expired
    | BookAdd
    | BookExecute
    | BookReduce
    | BookDelete
    | BookReplace
    | SymbolAdded
    | TradingStatus
    | BalanceChanged
    | LimitsSet
    | StpSet
    | DayEnded
    | AccountOpened
    | Obligation
    | AccountSettled
    | SettlementDone
    | SessionNoted
)

#: The events a firm's session is told about: answers to its commands and its orders' fates.
EXECUTION_REPORTS: Final = frozenset({Accepted, Rejected, Fill, Cancelled, Replaced, Expired})
