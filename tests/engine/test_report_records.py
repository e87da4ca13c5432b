"""``pack_reports`` (C stores when compiled) gives the reference's bytes, ``pack_report`` of
each report one after the other, and raises what the reference raises: on random reports
with every field at and beyond its range, text that is empty, at its field's length, longer
(``struct`` truncates) or not ASCII, and fields that are not integers."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import native
from engine.gateway.outbound import OrderReport, ReportKind
from engine.gateway.report_records import RECORD, pack_report, pack_reports
from engine.gateway.report_store import decode_report

_I64 = st.one_of(st.integers(-(2**63), 2**63 - 1), st.integers(-(2**70), 2**70))
_U32 = st.one_of(st.integers(0, 2**32 - 1), st.integers(-5, 2**33))
_U8 = st.one_of(st.integers(0, 255), st.integers(-3, 300), st.booleans())
_TEXT = st.one_of(
    st.text(alphabet=st.characters(max_codepoint=127), max_size=24),
    st.sampled_from(["", "A-1", "ACME", "t" * 20, "é", "x\u20ac", "a\0b"]),
)


@st.composite
def _reports(draw: st.DrawFn) -> OrderReport:
    kind = draw(st.sampled_from(list(ReportKind)))
    return OrderReport(
        kind, draw(_I64), draw(_U32), draw(_I64), draw(_I64), draw(_TEXT), draw(_TEXT),
        draw(_U8), draw(_U8), draw(_U8), draw(st.booleans()), draw(_TEXT), draw(_TEXT),
        draw(_I64), draw(_I64), draw(_I64), draw(_I64), draw(_I64), draw(_I64), draw(_I64),
        draw(_I64), draw(_U8), draw(_U32), draw(st.booleans()), draw(_I64),
    )  # fmt: skip


def _reference(reports: list[OrderReport]) -> bytes | type[BaseException]:
    try:
        return b"".join(pack_report(r) for r in reports)
    except Exception as error:  # the reference's own error, whatever it is
        return type(error)


def _fast(reports: list[OrderReport]) -> bytes | type[BaseException]:
    try:
        return pack_reports(reports)
    except Exception as error:
        return type(error)


@settings(max_examples=400, deadline=None)
@given(st.lists(_reports(), max_size=6))
def test_packed_reports_are_the_references_bytes_or_its_error(
    reports: list[OrderReport],
) -> None:
    assert _fast(reports) == _reference(reports)


@pytest.mark.parametrize(
    "change",
    [
        {"side": 2.0},
        {"price": "1"},
        {"account": b"A-1"},
        {"sub": -1},
        {"exec_id": 2**63},
        {"symbol": "TOOLONGSYM"},
    ],
)
def test_a_field_the_c_path_does_not_take_goes_through_the_reference(
    change: dict[str, Any],
) -> None:
    good = OrderReport(ReportKind.TRADE, 9, 1, 5, 7, "A-1", "ACME", 1, 1, 1, False, "c1", "",
                       10, 1000, 4, 6, 6000, 6, 1000, 3, 1, 0, False, 7)  # fmt: skip
    odd = replace(good, **change)
    assert _fast([good, odd, good]) == _reference([good, odd, good])


def test_common_reports_round_trip_through_their_records() -> None:
    reports = [
        OrderReport(ReportKind.NEW, 9, 0, 5, 9, "A-1", "ACME", 1, 1, 1, True, "c1", "", 10,
                    1000, 10, 0, 0, 0, 0, 0, 0, 0, False, 9),
        OrderReport(ReportKind.TRADE, 12, 1, 6, 9, "A-1", "ACME", 1, 1, 1, True, "c1", "o",
                    10, 1000, 4, 6, 6000, 6, 1000, 3, 2, 0, True, 9),
    ]  # fmt: skip
    data = pack_reports(reports)
    assert len(data) == 2 * RECORD.size == 352
    assert [decode_report(data[i : i + RECORD.size]) for i in (0, RECORD.size)] == reports


def test_the_tests_above_compare_the_c_path_unless_pure_is_asked_for() -> None:
    """``make test`` runs the compiled build: there the C path is what is compared."""
    from engine.gateway import report_records

    compiled = not report_records.__file__.endswith(".py")
    assert compiled == (not native.pure_requested())
