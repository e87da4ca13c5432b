"""Whatever the peer sends, the session answers with events and valid FIX, never an exception;
and how the bytes are chunked never changes what it does."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.protocols.fix.events import (
    ApplicationMessage,
    LogonRequest,
    SessionClosed,
    SessionNotice,
)
from engine.protocols.fix.session import FixSession
from tests.engine.protocols.fix.peer import T0, Peer, drain, logged_on, new_session

S = 10**9
ALLOWED = (LogonRequest, ApplicationMessage, SessionNotice, SessionClosed)


def script() -> list[bytes]:
    """A conversation that exercises every path: logon, orders, a gap, a test request, a
    resend request, a sequence reset, a logout."""
    peer = Peer()
    order = [
        (11, "c"),
        (55, "ACME"),
        (54, "1"),
        (38, "1"),
        (40, "2"),
        (44, "1"),
        (60, "20240301-12:00:00"),
    ]
    msgs = [peer.logon(), peer.build("D", order), peer.build("1", [(112, "t")])]
    peer.next_seq += 1  # a gap
    msgs += [peer.build("0"), peer.build("4", [(123, "Y"), (36, "6")], seq=4, poss_dup=True)]
    msgs += [peer.build("2", [(7, "1"), (16, "0")]), peer.build("4", [(36, "20")])]
    peer.next_seq = 20
    msgs += [peer.build("F", [(41, "c"), (11, "d"), (55, "ACME"), (54, "1")]), peer.build("5")]
    return msgs


SCRIPT = b"".join(script())


def run(data: bytes, cuts: list[int], ticks: bool = False) -> tuple[list[object], bytes]:
    """Feed ``data`` in chunks, accepting any logon; all events and all output bytes."""
    session = new_session(max_message_size=2048, max_pending=8192)
    events: list[object] = []
    output = b""
    start, now = 0, T0
    for cut in [*sorted(set(cuts)), len(data)]:
        session.receive_data(data[start:cut], now)
        start = cut
        events += pump(session)
        if ticks:
            now += 7 * S
            if session.tick(now) is not None:
                events.append("closed by tick")
        output += session.data_to_send()
        if session.closed:
            break
    return events, output


def pump(session: FixSession) -> list[object]:
    """The events, comparable: a FixMessage compares by identity, so its bytes stand in."""
    out: list[object] = []
    for event in drain(session):
        assert isinstance(event, ALLOWED), event
        out.append(("app", event.message.raw) if isinstance(event, ApplicationMessage) else event)
        if isinstance(event, LogonRequest):
            session.accept_logon(T0)
            out += pump(session)
    return out


def assert_valid_fix(output: bytes) -> None:
    if output:
        for message in Peer().read(output):
            assert message.get(49) == "SEQUEX" and message.seq_num is not None


def test_the_script_runs_to_its_logout() -> None:
    events, output = run(SCRIPT, [])
    assert isinstance(events[-1], SessionClosed) and "logout" in events[-1].reason
    assert sum(isinstance(e, tuple) for e in events) == 2
    assert_valid_fix(output)


def test_byte_by_byte_input_does_exactly_what_whole_input_does() -> None:
    assert run(SCRIPT, list(range(1, len(SCRIPT)))) == run(SCRIPT, [])


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=len(SCRIPT) - 1), max_size=40))
def test_any_chunking_does_what_whole_input_does(cuts: list[int]) -> None:
    assert run(SCRIPT, cuts) == run(SCRIPT, [])


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.binary(max_size=600), st.lists(st.integers(min_value=0, max_value=600), max_size=6))
def test_random_bytes_before_logon_never_raise(junk: bytes, cuts: list[int]) -> None:
    _, output = run(junk, [c for c in cuts if c < len(junk)], ticks=True)
    assert_valid_fix(output)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_after_logon_never_raise(junk: bytes) -> None:
    session, _ = logged_on()
    session.receive_data(junk, T0)
    pump(session)
    session.tick(T0 + 100 * S)
    assert_valid_fix(session.data_to_send())


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.data())
def test_mutated_conversations_never_raise(data: st.DataObject) -> None:
    stream = bytearray(SCRIPT)
    for _ in range(data.draw(st.integers(min_value=1, max_value=8))):
        i = data.draw(st.integers(min_value=0, max_value=len(stream) - 1))
        op = data.draw(st.sampled_from(["flip", "delete", "insert", "digit"]))
        if op == "flip":
            stream[i] = data.draw(st.integers(min_value=0, max_value=255))
        elif op == "delete":
            del stream[i : i + data.draw(st.integers(min_value=1, max_value=20))]
        elif op == "insert":
            stream[i:i] = data.draw(st.binary(min_size=1, max_size=30))
        else:  # a digit changed keeps the framing plausible: numbers, lengths, sums
            stream[i] = data.draw(st.sampled_from(b"0123456789"))
    cuts = data.draw(st.lists(st.integers(min_value=1, max_value=max(1, len(stream) - 1))))
    _, output = run(bytes(stream), cuts, ticks=data.draw(st.booleans()))
    assert_valid_fix(output)
