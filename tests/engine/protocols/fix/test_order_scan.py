"""The NewOrderSingle lane (``engine.protocols.fix.order_scan``) changes no outcome:
``parse_utc`` is ``parse_utc_timestamp`` for any text, and ``parse_application`` of random
NewOrderSingles, valid and not, is what the generic parser makes of them, lane or not.
Compiled, these compare the C code with the reference; in the SEQUEX_PURE run, the same
source uncompiled."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.protocols.fix import messages
from engine.protocols.fix.codec import FixMessage, encode
from engine.protocols.fix.framer import FixFramer
from engine.protocols.fix.messages import NewOrderSingle, parse_application
from engine.protocols.fix.order_scan import new_order_fields, parse_utc
from engine.protocols.fix.timestamps import format_utc_timestamp, parse_utc_timestamp

_STAMPS = st.one_of(
    st.integers(-(2**62), 2**62).map(lambda ns: _safe_format(ns)),
    st.integers(0, 2**63 - 1).map(lambda ns: _safe_format(ns)),
    st.sampled_from(
        [
            "20240229-12:00:00",
            "20230229-12:00:00",
            "20240301-23:59:60.999999999",
            "20240301-24:00:00",
            "20240301-12:60:00",
            "20241301-12:00:00",
            "20240100-12:00:00",
            "20240301-12:00:00.",
            "20240301-12:00:00.1234567890",
            "20240301-12:00:00,5",
            "2024030-12:00:00.000",
            "+2024031-12:00:00",
            "00000101-00:00:00",
            "99991231-23:59:59.9",
            "19691231-23:59:59.999",
            "22001231-23:59:59",
            "22010101-00:00:00",
            "2024O301-12:00:00",
            "20240301-12:00:00.1",
            "20240301-12:00:00.12345678",
            "20240301 12:00:00",
        ]
    ),
    st.text(alphabet="0123456789-:. ", min_size=15, max_size=28),
)


def _safe_format(ns: int) -> str:
    try:
        return format_utc_timestamp(ns)
    except ValueError:
        return "00000101-00:00:00"


@settings(max_examples=2000, deadline=None)
@given(_STAMPS, st.sampled_from(["", "0", "12", "123456789"]))
def test_parse_utc_is_the_reference(text: str, digits: str) -> None:
    assert parse_utc(text) == parse_utc_timestamp(text)
    longer = text + ("." + digits if digits else "")
    assert parse_utc(longer) == parse_utc_timestamp(longer)


_VALUES: dict[int, Any] = {
    11: st.sampled_from(["c1", "abcd0000000001", "x" * 40]),
    1: st.sampled_from(["ALPHA-1", "B"]),
    55: st.sampled_from(["ACME", "BOLT"]),
    54: st.sampled_from(["1", "2", "3", "B", "11"]),
    60: _STAMPS,
    38: st.sampled_from(
        [
            "100",
            "1",
            "0",
            "-5",
            "1.0",
            "1.5",
            "0100",
            "1e3",
            "9" * 15,
            "9" * 16,
            "\xb2",
            " 10",
            "10 ",
        ]
    ),
    40: st.sampled_from(["1", "2", "3", "P"]),
    44: st.sampled_from(
        [
            "100.25",
            "1",
            "0",
            "0.0001",
            "0.00001",
            "1.25000",
            "1.",
            ".5",
            "-1",
            "12345678901234",
            "123456789012345",
            "1.2.3",
            "1,5",
            "+1",
            "1.2500",
            "99999999999999.9999",
        ]
    ),
    59: st.sampled_from(["0", "1", "2", "3", "4", "6", "03"]),
    18: st.sampled_from(["6", "6 6", "5", "6 5", ""]),
}
_REQUIRED = (11, 55, 54, 60, 38, 40)


@st.composite
def _orders(draw: st.DrawFn) -> bytes:
    body = [(49, "ALPHAFIX"), (56, "SEQUEX"), (34, str(draw(st.integers(1, 99))))]
    body.append((52, "20240301-12:00:00.000"))
    if draw(st.booleans()):
        body.append((43, "Y"))
    if draw(st.booleans()):
        body.append((97, draw(st.sampled_from(["Y", "N"]))))
    for tag, values in _VALUES.items():
        present = draw(st.integers(0, 9)) > (0 if tag in _REQUIRED else 4)
        if present:
            value = draw(values)
            if value:
                body.append((tag, value))
    return encode("D", body)


def _parsed(raw: bytes, lane: bool) -> Any:
    framer = FixFramer()
    framer.receive_data(raw)
    message = framer.next_event()
    assert isinstance(message, FixMessage)
    if lane:
        return parse_application(message)
    plain = messages.new_order_fields
    messages.new_order_fields = lambda get: None  # type: ignore[assignment]
    try:
        return parse_application(message)
    finally:
        messages.new_order_fields = plain  # type: ignore[assignment]


@settings(max_examples=2000, deadline=None)
@given(_orders())
def test_a_new_order_single_parses_the_same_with_the_lane_as_without(raw: bytes) -> None:
    assert _parsed(raw, lane=True) == _parsed(raw, lane=False)


def test_the_orders_a_client_sends_take_the_lane() -> None:
    order = [(11, "c1"), (1, "A-1"), (55, "ACME"), (54, "2"), (60, "20240301-12:00:00.000"),
             (38, "100"), (40, "2"), (44, "100.25"), (59, "3"), (18, "6")]  # fmt: skip
    fields = dict(order)
    taken = new_order_fields(fields.get)
    assert taken is not None
    parsed = _parsed(encode("D", [(34, "7"), *order]), lane=False)
    assert isinstance(parsed, NewOrderSingle)
    assert taken == (
        parsed.cl_ord_id, parsed.account, parsed.symbol, parsed.side, parsed.order_type,
        parsed.tif, parsed.qty, parsed.price, parsed.post_only, parsed.transact_time_ns,
    )  # fmt: skip
    assert (parsed.price, parsed.post_only) == (1_002_500, True)


def test_the_tests_above_compare_the_c_code_unless_pure_is_asked_for() -> None:
    from engine import native
    from engine.protocols.fix import order_scan

    assert (not order_scan.__file__.endswith(".py")) == (not native.pure_requested())
