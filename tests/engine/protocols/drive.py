"""Drivers shared by the protocol tests: feed chunks to a session, collect every event."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from engine.protocols.soupbin import NEED_DATA, PAUSED, ConnectionClosed, LoginRequest

#: a SoupBinTCP session end, or an OUCH one built on it (same driving methods)
AnyServer = Any
AnyClient = Any


def drive_server(
    session: AnyServer,
    chunks: Iterable[bytes],
    *,
    accept_from: int = 1,
    eof: bool = True,
    limit: int = 100_000,
) -> tuple[list[object], bytes]:
    """Feed chunks (then end of input), answer every LoginRequest with accept_login; return
    the events and the bytes the session asked us to write. Never loops forever."""
    events: list[object] = []
    written = bytearray()
    for chunk in [*(c for c in chunks if c), *([b""] if eof else [])]:
        session.receive_data(chunk)
        for _ in range(limit):
            event = session.next_event()
            if event is NEED_DATA:
                break
            assert event is not PAUSED, "a login must be answered before the next event"
            events.append(event)
            if isinstance(event, LoginRequest):
                written += session.accept_login("SESSION1", accept_from)
            if isinstance(event, ConnectionClosed):
                return events, bytes(written)
        else:
            raise AssertionError("next_event did not settle")
    return events, bytes(written)


def drive_client(
    session: AnyClient, chunks: Iterable[bytes], *, eof: bool = True, limit: int = 100_000
) -> list[object]:
    events: list[object] = []
    for chunk in [*(c for c in chunks if c), *([b""] if eof else [])]:
        session.receive_data(chunk)
        for _ in range(limit):
            event = session.next_event()
            if event is NEED_DATA:
                break
            events.append(event)
            if isinstance(event, ConnectionClosed):
                return events
        else:
            raise AssertionError("next_event did not settle")
    return events


def bytewise(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]
