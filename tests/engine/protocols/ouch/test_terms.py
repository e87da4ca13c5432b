"""OUCH orders in engine terms (TIF, FOK, post-only, sizes) and engine reasons in OUCH codes."""

from __future__ import annotations

import pytest

from engine.domain.types import (
    CancelReason,
    ExpireReason,
    Liquidity,
    OrderType,
    RejectReason,
    Side,
    TimeInForce,
)
from engine.protocols.ouch.codes import (
    CANCEL_REASONS,
    REJECT_REASONS,
    cancel_reason,
    expire_reason,
    liquidity_flag,
    reject_reason,
)
from engine.protocols.ouch.fields import MARKET_PRICE
from engine.protocols.ouch.inbound import CancelOrder, EnterOrder, ReplaceOrder
from engine.protocols.ouch.terms import (
    CancelAll,
    NoChange,
    OrderTerms,
    ReduceTo,
    Refused,
    ReplaceTerms,
    cancel_terms,
    display_char,
    enter_terms,
    price_field,
    replace_terms,
    side_char,
    tif_field,
)


def enter(**fields: object) -> EnterOrder:
    base: dict[str, object] = {
        "token": "T1",
        "side": "B",
        "shares": 100,
        "stock": "AAPL",
        "price": 1_500_000,
        "time_in_force": 99_998,
    }
    return EnterOrder(**{**base, **fields})  # type: ignore[arg-type]


def refused(result: object, reason: str) -> None:
    assert isinstance(result, Refused), result
    assert result.reason == reason and result.reason in REJECT_REASONS


# -- time in force -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tif", "minimum", "expected"),
    [
        (0, 0, TimeInForce.IOC),
        (0, 100, TimeInForce.FOK),  # IOC with Minimum Quantity = Shares is fill or kill
        (99_998, 0, TimeInForce.DAY),
        (99_999, 0, TimeInForce.GTC),
    ],
)
def test_time_in_force_maps_onto_the_engines(tif: int, minimum: int, expected: TimeInForce) -> None:
    terms = enter_terms(enter(time_in_force=tif, minimum_quantity=minimum))
    assert isinstance(terms, OrderTerms) and terms.tif is expected


@pytest.mark.parametrize("tif", [1, 30, 3600, 99_997, 100_000, 0xFFFF_FFFF])
def test_timed_orders_are_refused(tif: int) -> None:
    refused(enter_terms(enter(time_in_force=tif)), "O")


@pytest.mark.parametrize(
    ("tif", "minimum"), [(0, 1), (0, 99), (0, 101), (99_998, 100), (99_999, 1)]
)
def test_a_minimum_quantity_other_than_fill_or_kill_is_refused(tif: int, minimum: int) -> None:
    refused(enter_terms(enter(time_in_force=tif, minimum_quantity=minimum)), "N")


@pytest.mark.parametrize("tif", list(TimeInForce))
def test_the_tif_echoed_back_reads_as_the_same_tif(tif: TimeInForce) -> None:
    minimum = 100 if tif is TimeInForce.FOK else 0
    terms = enter_terms(enter(time_in_force=tif_field(tif), minimum_quantity=minimum))
    assert isinstance(terms, OrderTerms) and terms.tif is tif


# -- display, side, cross, price -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("display", "post_only"), [("A", False), ("Y", False), ("P", True), ("L", True)]
)
def test_post_only_displays_set_the_post_only_flag(display: str, post_only: bool) -> None:
    terms = enter_terms(enter(display=display))
    assert isinstance(terms, OrderTerms) and terms.post_only is post_only


@pytest.mark.parametrize("display", list("NIMWOTQZ"))
def test_non_displayed_and_pegged_types_are_refused(display: str) -> None:
    refused(enter_terms(enter(display=display)), "D")


def test_display_char_shows_an_orders_post_only_flag() -> None:
    for post_only in (False, True):
        terms = enter_terms(enter(display=display_char(post_only)))
        assert isinstance(terms, OrderTerms) and terms.post_only is post_only


def test_buy_and_sell_map_and_short_sales_are_refused() -> None:
    assert enter_terms(enter(side="B")) == OrderTerms(
        Side.BUY, OrderType.LIMIT, TimeInForce.DAY, 100, 1_500_000, False
    )
    terms = enter_terms(enter(side="S"))
    assert isinstance(terms, OrderTerms) and terms.side is Side.SELL
    assert side_char(Side.BUY) == "B" and side_char(Side.SELL) == "S"
    refused(enter_terms(enter(side="T")), "O")
    refused(enter_terms(enter(side="E")), "O")


@pytest.mark.parametrize("cross", list("OCHSR"))
def test_cross_orders_are_refused(cross: str) -> None:
    refused(enter_terms(enter(cross_type=cross)), "R")


def test_the_market_price_is_a_market_order_at_engine_price_zero() -> None:
    terms = enter_terms(enter(price=MARKET_PRICE, time_in_force=0))
    assert terms == OrderTerms(Side.BUY, OrderType.MARKET, TimeInForce.IOC, 100, 0, False)
    assert price_field(OrderType.MARKET, 0) == MARKET_PRICE
    assert price_field(OrderType.LIMIT, 1_500_000) == 1_500_000


def test_business_rules_stay_with_the_engine() -> None:
    # zero shares, a zero price, a market DAY order: expressible, so the engine decides
    assert isinstance(enter_terms(enter(shares=0)), OrderTerms)
    assert isinstance(enter_terms(enter(price=0)), OrderTerms)
    assert isinstance(enter_terms(enter(price=MARKET_PRICE)), OrderTerms)
    assert isinstance(enter_terms(enter(capacity="P", intermarket_sweep="Y")), OrderTerms)


# -- replace and cancel sizes ------------------------------------------------------------------

DAY_ORDER = OrderTerms(Side.BUY, OrderType.LIMIT, TimeInForce.DAY, 100, 1_500_000, False)


def test_a_replace_gives_the_engine_the_new_total_including_the_filled_part() -> None:
    # 100 entered, 30 traded; the client asks for 50 open at a new price
    msg = ReplaceOrder("T1", "T2", 50, 1_490_000, 99_998)
    assert replace_terms(msg, DAY_ORDER, filled_qty=30) == ReplaceTerms(80, 1_490_000)
    # zero open shares ends the order: the engine cancels a replace to the filled qty
    zero = ReplaceOrder("T1", "T2", 0, 1_490_000, 99_998)
    assert replace_terms(zero, DAY_ORDER, filled_qty=30) == ReplaceTerms(30, 1_490_000)


def test_a_replace_cannot_change_what_the_engine_cannot_change() -> None:
    refused(replace_terms(ReplaceOrder("T1", "T2", 50, 1, 99_999), DAY_ORDER, 0), "O")
    refused(replace_terms(ReplaceOrder("T1", "T2", 50, 1, 99_998, "P"), DAY_ORDER, 0), "D")
    refused(replace_terms(ReplaceOrder("T1", "T2", 50, 1, 99_998, "N"), DAY_ORDER, 0), "D")
    refused(replace_terms(ReplaceOrder("T1", "T2", 50, MARKET_PRICE, 99_998), DAY_ORDER, 0), "X")
    refused(
        replace_terms(ReplaceOrder("T1", "T2", 50, 1, 99_998, minimum_quantity=5), DAY_ORDER, 0),
        "N",
    )
    refused(replace_terms(ReplaceOrder("T1", "T2", 50, 1, 42), DAY_ORDER, 0), "O")


@pytest.mark.parametrize(
    ("shares", "expected"),
    [(0, CancelAll()), (20, ReduceTo(50)), (69, ReduceTo(99)), (70, NoChange()), (500, NoChange())],
)
def test_cancel_order_shares_are_the_new_open_size(shares: int, expected: object) -> None:
    # 100 entered, 30 traded, 70 open
    assert cancel_terms(CancelOrder("T1", shares), filled_qty=30, open_qty=70) == expected


# -- engine reasons in OUCH codes ---------------------------------------------------------------


def test_every_engine_reject_reason_has_an_ouch_reject_code() -> None:
    for reason in RejectReason:
        assert reject_reason(reason) in REJECT_REASONS


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        (RejectReason.UNKNOWN_SYMBOL, "S"),
        (RejectReason.SYMBOL_HALTED, "H"),
        (RejectReason.QTY_ABOVE_LIMIT, "Z"),
        (RejectReason.PRICE_OFF_TICK, "X"),
        (RejectReason.PRICE_OUTSIDE_BAND, "X"),
        (RejectReason.INVALID_PRICE, "X"),
        (RejectReason.NOTIONAL_ABOVE_LIMIT, "n"),
        (RejectReason.POST_ONLY_WOULD_TAKE, "D"),
        (RejectReason.INSUFFICIENT_CASH, "O"),
        (RejectReason.INVALID_QTY, "O"),
        (RejectReason.UNKNOWN_ORDER, "O"),
    ],
)
def test_engine_reject_reasons_map_onto_the_nearest_ouch_code(
    reason: RejectReason, code: str
) -> None:
    assert reject_reason(reason) == code


def test_every_engine_cancel_and_expiry_has_an_ouch_cancel_reason() -> None:
    assert {cancel_reason(r) for r in CancelReason} <= set(CANCEL_REASONS)
    assert {expire_reason(r) for r in ExpireReason} <= set(CANCEL_REASONS)
    assert cancel_reason(CancelReason.USER) == "U"
    assert cancel_reason(CancelReason.SELF_TRADE) == "Q"
    assert expire_reason(ExpireReason.IOC) == "I"
    assert expire_reason(ExpireReason.FOK) == "I"
    assert expire_reason(ExpireReason.END_OF_DAY) == "T"


def test_makers_added_and_takers_removed_liquidity() -> None:
    assert liquidity_flag(Liquidity.MAKER) == "A"
    assert liquidity_flag(Liquidity.TAKER) == "R"
