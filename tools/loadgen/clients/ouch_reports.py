"""The OUCH load client's fast lane: reports read straight from the received bytes.

:func:`scan_sequenced` reads the SoupBinTCP Sequenced Data packets at the front of a read,
while each is whole and not empty, and appends each one's :data:`Report` to ``out``:

* an Accepted (66 bytes) whose token is printable and not blank: ``(ACK, token, ts, "")``
  (only the token is read: a load generator's business is timing, not checking each field);
* an Executed (40 bytes) of such a token whose liquidity flag is an ASCII letter or digit:
  ``(FILL, token, ts, TAKER / MAKER / "")`` (R: it removed liquidity, A: it added it);
* a Canceled (28 bytes) of such a token whose reason is a letter or digit:
  ``(DONE, token, ts, "canceled: <reason>")``;
* anything else: ``other(message, ts)`` says (the full decoder: a Rejected, a Replaced, a
  message that does not decode), and its report is appended unless it is None.

The token is the message's 14 bytes with the trailing spaces cut, as the full decoder gives
it. It returns ``(where it stopped, how many packets it read)``: the first packet that is not
Sequenced Data, is empty (a fault: the session's to report) or is not whole yet is left where
it is. ``tests/tools/loadgen/test_ouch_client.py`` holds it to the full decoder.

Compiled (Cython, pure-Python mode: ``engine.native.COMPILED_MODULES``): this loop sees
every report of a run; the same source runs uncompiled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import cython

from tools.loadgen.clients import ACK, DONE, FILL, MAKER, TAKER, Report

_SEQUENCED: Final = 0x53  # "S"
_ACCEPTED: Final = 0x41  # "A"
_EXECUTED: Final = 0x45  # "E"
_CANCELED: Final = 0x43  # "C"
_ACCEPTED_SIZE: Final = 66
_EXECUTED_SIZE: Final = 40
_CANCELED_SIZE: Final = 28
_TOKEN_AT: Final = 9  # after the type byte and the 8-byte timestamp
_TOKEN_WIDTH: Final = 14
_LIQUIDITY_AT: Final = 31
_REASON_AT: Final = 27
#: liquidity flag -> the fill's detail
_LIQUIDITY: Final = {ord("A"): MAKER, ord("R"): TAKER}
#: reason byte -> the end's detail
_CANCEL_DETAIL: Final = {
    ord(code): f"canceled: {code}"
    for code in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
}


@cython.cfunc
@cython.inline
def _is_code(c: cython.uchar) -> cython.bint:
    """An ASCII letter or digit: a flag or reason the full decoder takes as it is."""
    return (0x30 <= c <= 0x39) or (0x41 <= c <= 0x5A) or (0x61 <= c <= 0x7A)


@cython.cfunc
@cython.inline
def _token(buf: bytes, at: cython.Py_ssize_t) -> str | None:
    """The token at ``buf[at:]`` with trailing spaces cut, or None when a byte of it is not
    printable ASCII or it is all spaces."""
    end: cython.Py_ssize_t = at + _TOKEN_WIDTH
    last: cython.Py_ssize_t = at - 1
    i: cython.Py_ssize_t
    c: cython.uchar
    for i in range(at, end):
        c = buf[i]
        if c < 0x20 or c > 0x7E:
            return None
        if c != 0x20:
            last = i
    if last < at:
        return None
    return buf[at : last + 1].decode("ascii")


def scan_sequenced(
    buf: bytes,
    ts: int,
    out: list[Report],
    other: Callable[[bytes, int], Report | None],
) -> tuple[int, int]:
    """Append the reports of the Sequenced Data packets at the front of ``buf`` to ``out``;
    ``(where it stopped, packets read)`` (module docstring)."""
    pos: cython.Py_ssize_t = 0
    end: cython.Py_ssize_t = len(buf)
    count: cython.Py_ssize_t = 0
    stop: cython.Py_ssize_t
    at: cython.Py_ssize_t
    size: cython.Py_ssize_t
    kind: cython.uchar
    flag: cython.uchar
    token: str | None
    report: Report | None
    while pos + 3 <= end and buf[pos + 2] == _SEQUENCED:
        stop = pos + 2 + ((buf[pos] << 8) | buf[pos + 1])
        if stop > end or stop <= pos + 3:  # not whole yet, or empty: the session's
            break
        at = pos + 3
        size = stop - at
        kind = buf[at]
        report = None
        token = None
        if size >= _TOKEN_AT + _TOKEN_WIDTH:
            token = _token(buf, at + _TOKEN_AT)
        if token is not None and kind == _ACCEPTED and size == _ACCEPTED_SIZE:
            report = (ACK, token, ts, "")
        elif token is not None and kind == _EXECUTED and size == _EXECUTED_SIZE:
            flag = buf[at + _LIQUIDITY_AT]
            if _is_code(flag):
                report = (FILL, token, ts, _LIQUIDITY.get(flag, ""))
            else:
                report = other(buf[at:stop], ts)
        elif token is not None and kind == _CANCELED and size == _CANCELED_SIZE:
            flag = buf[at + _REASON_AT]
            if _is_code(flag):
                report = (DONE, token, ts, _CANCEL_DETAIL[flag])
            else:
                report = other(buf[at:stop], ts)
        else:
            report = other(buf[at:stop], ts)
        if report is not None:
            out.append(report)
        count += 1
        pos = stop
    return pos, count
