"""T+2 settlement: dates, the business calendar, and the netting as properties.

The properties run random trading days through the Exchange (rules 3) and through the plain
reference model (``tests.engine.reference_settlement``, inside ``ReferenceExchange``):

* the Settle events are the reference's, byte for byte, whatever the feedback window;
* every trade side appears in exactly one AccountSettled (per account, symbol and date its
  gross figures are the sums of its fills), and nothing is left once every date settled;
* per symbol and date the obligations sum to zero in shares and in cash, and each firm's
  obligation is the net of its accounts;
* no position's settled balance (total minus what is still to come, date by date) is ever
  below zero, however much was withdrawn.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.domain.dates import NS_PER_DAY, epoch_day, from_yyyymmdd, to_yyyymmdd
from engine.domain.exchange import Exchange
from engine.domain.rules import RULES_V2
from engine.domain.types import (
    CASH,
    AccountSettled,
    AddSymbol,
    Command,
    Deposit,
    Event,
    Fill,
    NewOrder,
    Obligation,
    OpenAccount,
    OrderType,
    Rejected,
    RejectReason,
    Settle,
    SettlementDone,
    Side,
    TimeInForce,
    Withdraw,
)
from engine.settlement.calendar import BusinessCalendar, CalendarError
from tests.engine.reference_model import ReferenceExchange

FIRMS = {"a1": "A", "a2": "A", "b1": "B", "c1": "C", "d1": "D"}
SYMBOLS = ("XYZ", "QRS")
LIMIT, GTC, IOC = OrderType.LIMIT, TimeInForce.GTC, TimeInForce.IOC
START = 20_430 * NS_PER_DAY  # 2025-12-08, a Monday


# -- dates and the calendar -------------------------------------------------------------------


@given(st.integers(-719_162, 2_932_896))
def test_epoch_days_and_yyyymmdd_agree_with_the_standard_library(day: int) -> None:
    when = date(1970, 1, 1) + timedelta(days=day)
    assert to_yyyymmdd(day) == when.year * 10_000 + when.month * 100 + when.day
    assert from_yyyymmdd(to_yyyymmdd(day)) == day


@given(st.integers(0, 99_999_999))
def test_an_integer_names_a_date_exactly_when_the_standard_library_agrees(value: int) -> None:
    try:
        when: date | None = date(value // 10_000, value // 100 % 100, value % 100)
    except ValueError:
        when = None
    day = from_yyyymmdd(value)
    assert (day is None) == (when is None)
    if when is not None:
        assert day == (when - date(1970, 1, 1)).days


def test_a_trade_date_is_the_utc_date_of_its_ts() -> None:
    assert epoch_day(0) == 0 and epoch_day(NS_PER_DAY - 1) == 0 and epoch_day(-1) == -1


XMAS = BusinessCalendar([date(2026, 12, 25), date(2027, 1, 1)])


def test_settlement_skips_weekends_and_holidays() -> None:
    assert XMAS.settlement_date(date(2026, 12, 7)) == date(2026, 12, 9)  # Mon -> Wed
    assert XMAS.settlement_date(date(2026, 12, 10)) == date(2026, 12, 14)  # Thu -> Mon
    assert XMAS.settlement_date(date(2026, 12, 23)) == date(2026, 12, 28)  # over Christmas
    assert XMAS.settlement_date(date(2026, 12, 12)) == date(2026, 12, 16)  # Sat counts as Mon
    assert BusinessCalendar(cycle_days=1).settlement_date(date(2026, 12, 11)) == date(2026, 12, 14)


def test_what_settles_on_a_date_is_everything_up_to_its_trade_date() -> None:
    assert XMAS.trade_date_through(date(2026, 12, 9)) == date(2026, 12, 7)
    assert XMAS.trade_date_through(date(2026, 12, 14)) == date(2026, 12, 10)
    assert XMAS.trade_date_through(date(2026, 12, 15)) == date(2026, 12, 11)  # Tue: Friday's
    # Wednesday: the weekend's (counted as Monday's) and Monday's
    assert XMAS.trade_date_through(date(2026, 12, 16)) == date(2026, 12, 14)
    assert XMAS.trade_date_through(date(2026, 12, 28)) == date(2026, 12, 23)
    for closed in (date(2026, 12, 12), date(2026, 12, 25)):
        try:
            XMAS.trade_date_through(closed)
        except CalendarError as exc:
            assert "not a business day" in str(exc)
        else:
            raise AssertionError(f"{closed} settles something")


@given(st.dates(date(2020, 1, 1), date(2030, 12, 31)), st.integers(1, 5))
def test_each_trade_date_settles_on_exactly_one_run(trade: date, cycle: int) -> None:
    calendar = BusinessCalendar([date(2026, 12, 25), date(2027, 1, 1)], cycle)
    due = calendar.settlement_date(trade)
    assert calendar.is_business_day(due) and due > trade
    through = calendar.trade_date_through(due)
    assert trade <= through  # settled by the run on its settlement date ...
    previous = due - timedelta(days=1)
    while not calendar.is_business_day(previous):
        previous -= timedelta(days=1)
    assert calendar.trade_date_through(previous) < trade  # ... and by no earlier run


# -- the netting, against the reference model ------------------------------------------------

steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("trade"), st.sampled_from(SYMBOLS), st.sampled_from(sorted(FIRMS)),
            st.sampled_from(sorted(FIRMS)), st.integers(1, 20), st.integers(-5, 5),
        ),
        st.tuples(st.just("time"), st.integers(1, 60)),
        st.tuples(st.just("settle"), st.sampled_from(SYMBOLS), st.integers(-1, 3)),
        st.tuples(
            st.just("withdraw"), st.sampled_from(sorted(FIRMS)),
            st.sampled_from((CASH, *SYMBOLS)), st.integers(1, 100),
        ),
    ),
    max_size=60,
)  # fmt: skip


def _script(plan: list[tuple[object, ...]], whole_runs: bool = False) -> list[Command]:
    """The commands of a plan: set-up, then trades (a resting sell met by an IOC buy), the
    clock moving on, settles through a recent date, withdrawals of part of a balance (which
    the exchange may refuse), and at the end a settle of every date of every symbol. With
    ``whole_runs`` a settle step settles every symbol through its date, as `sequex settle`
    does."""
    out: list[Command] = []
    ts = START

    def add(make: type, *fields: object) -> None:
        out.append(make(len(out) + 1, ts, *fields))

    for symbol in SYMBOLS:
        add(AddSymbol, symbol, 100, 10, 100_000, 5_000)
    for account, firm in FIRMS.items():
        add(OpenAccount, firm, account)
        add(Deposit, account, CASH, 50_000_000)
        for symbol in SYMBOLS:
            add(Deposit, account, symbol, 500)
    for step in plan:
        match step:
            case ("trade", str(symbol), str(seller), str(buyer), int(lots), int(ticks)):
                price, qty = 100_000 + ticks * 100, lots * 10
                add(NewOrder, FIRMS[seller], seller, symbol, Side.SELL, LIMIT, GTC, qty, price, "")
                add(NewOrder, FIRMS[buyer], buyer, symbol, Side.BUY, LIMIT, IOC, qty, price, "")
            case ("time", int(hours)):
                ts += hours * 3_600 * 10**9
            case ("settle", str(symbol), int(back)):
                day = ts // NS_PER_DAY - back
                for each in SYMBOLS if whole_runs else (symbol,):
                    add(Settle, each, to_yyyymmdd(day), to_yyyymmdd(day + 2))
            case ("withdraw", str(account), str(asset), int(percent)):
                whole = 50_000_000 if asset == CASH else 500
                add(Withdraw, account, asset, whole * percent // 100)
    last = ts // NS_PER_DAY + 10  # past any date a settle through "tomorrow" pushed trades to
    for symbol in SYMBOLS:
        add(Settle, symbol, to_yyyymmdd(last), to_yyyymmdd(last + 2))
    return out


def _run(commands: list[Command], window: int) -> list[list[Event]]:
    exchange = Exchange(feedback_window=window)
    answers = [exchange.submit(cmd) for cmd in commands]
    exchange.check_invariants()
    if window > 1:
        return answers  # the last W - 1 commands' feedback (the final settle's) is pending
    for account in FIRMS:
        for asset in (CASH, *SYMBOLS):
            pos = exchange.risk.accounts[account].positions.get(asset)
            assert pos is None or pos.receiving == 0, (account, asset, "left unsettled")
    return answers


def _comparable(events: list[Event]) -> list[Event]:
    return [e._replace(text="") if type(e) is Rejected else e for e in events]


def _check_netting(answers: list[list[Event]]) -> None:
    """Every side of every fill is in exactly one AccountSettled (by account, symbol and
    trade date, the date clamped past the symbol's last settled one), and each date's
    obligations sum to zero and are their firms' accounts' nets."""
    fills: dict[tuple[str, str, int], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    settled: dict[tuple[str, str, int], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    last: dict[str, int] = {}
    for events in answers:
        for e in events:
            if type(e) is Fill:
                day = max(e.ts // NS_PER_DAY, last.get(e.symbol, -(10**9)) + 1)
                row = fills[e.account, e.symbol, to_yyyymmdd(day)]
                k = 0 if e.side == Side.BUY else 1
                row[k] += e.fill_qty
                row[2 + k] += e.fill_qty * e.fill_price
            elif type(e) is AccountSettled:
                key = (e.account, e.symbol, e.trade_date)
                assert key not in settled, f"{key} settled twice"
                settled[key] = [e.bought, e.sold, e.paid, e.received]
            elif type(e) is SettlementDone:
                last[e.symbol] = from_yyyymmdd(e.trade_date)  # type: ignore[assignment]
        owed = [e for e in events if type(e) is Obligation]
        for when in {e.trade_date for e in owed}:
            of_day = [e for e in owed if e.trade_date == when]
            assert sum(e.shares for e in of_day) == 0 and sum(e.cash for e in of_day) == 0
            rows = [e for e in events if type(e) is AccountSettled and e.trade_date == when]
            for o in of_day:
                mine = [r for r in rows if FIRMS[r.account] == o.firm]
                assert o.shares == sum(r.bought - r.sold for r in mine)
                assert o.cash == sum(r.received - r.paid for r in mine)
    assert {k: v for k, v in settled.items()} == {k: v for k, v in fills.items()}


@settings(max_examples=60, deadline=None)
@given(steps)
def test_the_settlement_is_the_reference_models_and_nets_every_trade_once(
    plan: list[tuple[object, ...]],
) -> None:
    commands = _script(plan)
    reference = ReferenceExchange()
    answers = _run(commands, 1)
    for cmd, events in zip(commands, answers, strict=True):
        assert _comparable(events) == reference.submit(cmd), cmd
    assert reference.settlement.sides_settled == reference.settlement.sides_recorded
    assert reference.settlement.unsettled == []
    _check_netting(answers)


@settings(max_examples=25, deadline=None)
@given(steps)
def test_with_a_feedback_window_the_netting_is_still_exactly_the_trades(
    plan: list[tuple[object, ...]],
) -> None:
    """W changes which orders the risk stage accepts, so which trades happen, but never how
    they settle: the matchers net what they matched."""
    _check_netting(_run(_script(plan), 16))


@settings(max_examples=40, deadline=None)
@given(steps)
def test_no_settled_balance_ever_goes_below_zero(plan: list[tuple[object, ...]]) -> None:
    """Between settlement runs (each settles every symbol through one date, as `sequex
    settle` does), settling the pending dates one by one never takes a position's settled
    balance (total less the nets of the dates still to settle) below zero. (Cash is netted per
    symbol: in the middle of a run, after one symbol and before another of the same date, an
    account that bought with the proceeds of a sale can be short of settled cash for a while;
    it can withdraw nothing then, since its receipts are unsettled.)"""
    exchange = Exchange()
    commands = _script(plan, whole_runs=True)
    for index, cmd in enumerate(commands[: -len(SYMBOLS)]):
        exchange.submit(cmd)
        following = commands[index + 1]
        if type(cmd) is Settle and type(following) is Settle:
            continue  # in the middle of a run
        nets: dict[tuple[str, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for symbol, book in exchange.matcher.books.items():
            assert book.ledger is not None
            for day, cells in book.ledger.days.items():
                for account, cell in cells.items():
                    nets[account, symbol][day] += cell.bought - cell.sold
                    nets[account, CASH][day] += cell.received - cell.paid
        for (account, asset), by_day in nets.items():
            total = exchange.balance(account, asset).total
            still = sum(by_day.values())
            for day in sorted(by_day):  # settle the dates in order
                assert total - still >= 0, (account, asset, day)
                still -= by_day[day]


def test_rules_2_refuses_a_settle_and_keeps_receipts_free() -> None:
    commands = _script([("trade", "XYZ", "b1", "a1", 1, 0)])
    exchange = Exchange(rules=RULES_V2)
    answers = [exchange.submit(cmd) for cmd in commands]
    refused = answers[-1][0]
    assert type(refused) is Rejected and refused.reason == RejectReason.UNSUPPORTED_COMMAND
    out = exchange.submit(Withdraw(len(commands) + 1, START, "a1", "XYZ", 510))
    assert type(out[0]) is not Rejected  # the 10 bought are free at once under rules 2
