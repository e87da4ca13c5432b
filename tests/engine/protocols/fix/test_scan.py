"""The framer's fast lane (``engine.protocols.fix.scan``) changes no outcome: for random
bodies, valid and not, ``plain_message`` is either None or exactly what ``decode_fields``
makes of the same bytes; ``byte_sum`` is the codec's ``checksum``; and the framer gives the
same events with and without the lane, fed whole or byte by byte, on random streams of good,
bad and mutated messages. Compiled, these compare the C loops with the generic parser; in
the SEQUEX_PURE run, the same source uncompiled."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.protocols.fix import framer as framer_module
from engine.protocols.fix.codec import FixMessage, checksum, decode_fields
from engine.protocols.fix.framer import FixFramer, FramerEvent
from engine.protocols.fix.scan import byte_sum, plain_message
from tests.engine.protocols.fix.peer import Peer
from tests.engine.protocols.fix.test_framer import drain

#: tags a client sends, the groups' and data fields' tags, and some nobody knows
_TAGS = st.sampled_from([35, 49, 56, 34, 52, 11, 1, 55, 54, 38, 40, 44, 59, 60, 43, 97, 122,
                         453, 448, 447, 452, 384, 372, 95, 96, 354, 355, 9999, 10])  # fmt: skip
_VALUES = st.one_of(
    st.sampled_from(["D", "8", "ALPHA", "1", "100.25", "20240301-12:00:00.000", "Y", "=", "a=b"]),
    st.text(alphabet=st.characters(max_codepoint=255, exclude_characters="\x01"), max_size=8),
)
_RAW_TAG = st.one_of(
    _TAGS.map(str),
    st.sampled_from(["", "0", "035", "-1", "1a", "1234567890", "00000000035", " 35"]),
)


def _same(fast: FixMessage, slow: FixMessage) -> None:
    assert fast.msg_type == slow.msg_type
    assert fast.fields == slow.fields
    assert fast.problem is None and slow.problem is None
    assert fast.groups == slow.groups == {}
    assert fast.raw == slow.raw
    assert fast._index == slow._index
    assert [fast.seq_num, fast.poss_dup, fast.poss_resend] == [
        slow.seq_num,
        slow.poss_dup,
        slow.poss_resend,
    ]


@st.composite
def _bodies(draw: st.DrawFn) -> bytes:
    """A body of tag=value fields: mostly plain, sometimes with any fault the parser knows."""
    fields = [("35", draw(st.sampled_from(["D", "8", "0", "A", "j"])))]
    for _ in range(draw(st.integers(0, 12))):
        fields.append((str(draw(_TAGS)), draw(_VALUES)))
    if draw(st.booleans()):
        at = draw(st.integers(0, len(fields)))
        fields.insert(at, (draw(_RAW_TAG), draw(_VALUES)))
    text = "".join(f"{tag}={value}\x01" for tag, value in fields)
    if draw(st.integers(0, 9)) == 0:
        text = text.replace("=", "", 1)  # a field without '='
    return text.encode("latin-1")


@settings(max_examples=1500, deadline=None)
@given(_bodies(), st.binary(max_size=4))
def test_a_plain_message_is_the_generic_parsers_and_any_other_is_left_to_it(
    body: bytes, before: bytes
) -> None:
    raw = before + body + b"10=000\x01"
    slow = decode_fields(body, raw)
    fast = plain_message(raw, len(before), len(before) + len(body))
    if fast is not None:
        _same(fast, slow)
    elif slow.problem is None and not slow.groups and slow.fields[0][0] == 35:
        special = {453, 384, 90, 93, 95, 212, 354}
        assert special & {tag for tag, _ in slow.fields}, slow.fields  # only these go slow


def test_the_messages_a_client_sends_are_plain() -> None:
    peer = Peer()
    order = [(11, "c1"), (1, "A-1"), (55, "ACME"), (54, "1"), (60, "20240301-12:00:00.000")]
    for raw in (peer.logon(), peer.build("D", [*order, (38, "100"), (40, "2"), (44, "1.5")])):
        start = raw.index(b"\x0135=") + 1
        end = raw.rindex(b"10=")
        fast = plain_message(raw, start, end)
        assert fast is not None
        _same(fast, decode_fields(raw[start:end], raw))


def test_a_range_outside_the_message_is_our_bug() -> None:
    with pytest.raises(ValueError):
        plain_message(b"35=0\x01", 0, 6)
    with pytest.raises(ValueError):
        byte_sum(bytearray(b"abc"), 2, 1)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.data())
def test_the_byte_sum_is_the_checksum(data: bytes, draw: st.DataObject) -> None:
    start = draw.draw(st.integers(0, len(data)))
    stop = draw.draw(st.integers(start, len(data)))
    assert byte_sum(bytearray(data), start, stop) == checksum(data[start:stop])


def _events(data: bytes, cuts: list[int], lane: bool) -> list[Any]:
    framer = FixFramer(max_message_size=4096, max_pending=64 * 1024)
    if not lane:  # neither the framing pass nor the fields' (the framer's own code only)
        framer_module_plain = framer_module.plain_message
        framer_module_frame = framer_module.frame_plain
        framer_module.plain_message = lambda raw, start, end: None  # type: ignore[assignment]
        framer_module.frame_plain = lambda buf, pos, size: None  # type: ignore[assignment]
    try:
        events: list[FramerEvent] = []
        start = 0
        for cut in [*sorted(set(cuts)), len(data)]:
            framer.receive_data(data[start:cut])
            start = cut
            events += drain(framer)
    finally:
        if not lane:
            framer_module.plain_message = framer_module_plain  # type: ignore[assignment]
            framer_module.frame_plain = framer_module_frame  # type: ignore[assignment]
    return [_key(e) for e in events]


def _key(event: FramerEvent) -> Any:
    if isinstance(event, FixMessage):
        return ("msg", event.msg_type, event.fields, event.problem, event.groups, event.raw,
                event._index)  # fmt: skip
    return event


@st.composite
def _streams(draw: st.DrawFn) -> bytes:
    """Whole messages of random bodies, some with a bad CheckSum or mutated bytes."""
    parts = []
    for _ in range(draw(st.integers(1, 5))):
        body = draw(_bodies())
        head = b"8=FIX.4.4\x019=%d\x01" % len(body)
        message = head + body
        message += b"10=%03d\x01" % checksum(message)
        if draw(st.integers(0, 5)) == 0:
            message = message[:-2] + b"9\x01"  # a CheckSum that may be wrong
        if draw(st.integers(0, 9)) == 0:  # a BodyLength off by a little, or zero-padded
            length = b"%d" % (len(body) + draw(st.integers(-2, 2)))
            length = b"0" * draw(st.integers(0, 9)) + length
            message = b"8=FIX.4.4\x019=" + length + message[len(head) - 1 :]
        if draw(st.integers(0, 7)) == 0:
            at = draw(st.integers(0, len(message) - 1))
            message = message[:at] + bytes([draw(st.integers(0, 255))]) + message[at + 1 :]
        parts.append(message)
    return b"".join(parts)


@settings(max_examples=400, deadline=None)
@given(_streams(), st.lists(st.integers(0, 2000), max_size=6))
def test_the_framer_gives_the_same_events_with_the_lane_as_without(
    stream: bytes, cuts: list[int]
) -> None:
    assert _events(stream, [], lane=True) == _events(stream, [], lane=False)
    cuts = [c for c in cuts if 0 < c < len(stream)]  # (a fatal error quotes what arrived)
    assert _events(stream, cuts, lane=True) == _events(stream, cuts, lane=False)


def test_a_stream_fed_byte_by_byte_through_the_lane_gives_the_same_events() -> None:
    peer = Peer()
    order = [(11, "c1"), (55, "ACME"), (54, "1"), (38, "100"), (40, "2"), (44, "1.5")]
    stream = peer.logon() + b"".join(peer.build("D", order) for _ in range(3))
    every = list(range(1, len(stream)))
    slow = _events(stream, [], lane=False)
    assert len(slow) == 4
    assert _events(stream, every, lane=True) == slow


def test_the_tests_above_compare_the_c_loops_unless_pure_is_asked_for() -> None:
    from engine import native
    from engine.protocols.fix import scan

    assert (not scan.__file__.endswith(".py")) == (not native.pure_requested())
