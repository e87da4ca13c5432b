"""A promoted standby publishes the primary's feed on, serves its views, reports without
duplicates, and takes a standby of its own (real processes on loopback).

A primary and a ``--promote`` standby, both with the feed, the views and the reporter (the
standby on the primary's multicast group, its own retransmission and snapshot ports). A
listener follows the primary's feed while firms trade; the primary is SIGKILLed; the promoted
standby's feed continues the same MoldUDP64 session: the listener, asking the new host for what
it missed, applies every message once, from 1 on, equal to the feed regenerated from the
promoted host's journal (read back by the independent parser ``itchfeed``), and its books are
the engine's. The views answer; the reports database holds each row once (an offline replay
of the journal gives the same tables); a second standby follows the promoted host to the same
journal and live state hash.
"""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from itch.parser import MessageParser

from engine.config import ReporterConfig
from engine.domain.exchange import Exchange
from engine.journal_format import journal_dir
from engine.marketdata.itch_projection import ItchProjection
from engine.records import CommandDecoder
from engine.reporter.follower import sync
from engine.reporter.writer import open_writer
from journal import JournalReader
from sequex.feed import FeedClient, fetch_snapshot
from tests.demo_config import demo_text
from tests.engine.marketdata.test_itch_rebuild import assert_same_books
from tests.engine.mdfeed.journals import feed_messages
from tests.engine.reporter.backends import dump
from tests.integration.replication_pair import (
    TIMEOUT,
    Trader,
    journal_bytes,
    live_hash,
    spawn,
    stop,
    wait_line,
)

WINDOW = 1


def _config(path: Path, data_dir: Path, *, replicating: bool) -> tuple[Path, dict[str, str]]:
    text, endpoints = demo_text(data_dir, window=WINDOW)
    text = text.replace('topology = "sharded"', 'topology = "fused"')
    if replicating:
        text = text.replace(
            "enabled = false            # true: a standby", "enabled = true  # a standby"
        )
    path.write_text(text)
    return path, endpoints


def _address(endpoint: str) -> tuple[str, int]:
    host, _, port = endpoint.rpartition(":")
    return host, int(port)


def _get(endpoint: str, path: str) -> Any:
    with urllib.request.urlopen(f"http://{endpoint}{path}", timeout=TIMEOUT) as answer:
        return json.loads(answer.read())


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"not in time: {what}"
        time.sleep(0.05)


def _trade(port: int, round_: int) -> int:
    """ALPHA rests sells, BETA buys through some of them; the last seq."""
    alpha, beta = Trader(port), Trader(port, "BETA", "beta-pass")
    for k in range(6):
        alpha.send(qty=10, price=1_050_000 + 100 * k + 1_000 * round_)
        alpha.acked()
    beta.send(side="buy", qty=25, price=1_050_200 + 1_000 * round_)
    seq: int = beta.acked()["seq_no"]
    return seq


def _follow(feed: FeedClient, glimpse: str) -> str:
    """Pump until the listener holds every message the host's snapshot service says exists;
    the session."""
    snapshot = fetch_snapshot(_address(glimpse), TIMEOUT)
    done = lambda: (  # noqa: E731
        feed.next_sequence is not None
        and feed.next_sequence >= snapshot.next_sequence
        and feed.caught_up()
    )
    assert feed.run_until(done, TIMEOUT), (feed.next_sequence, snapshot.next_sequence)
    return snapshot.session


def _journal(data_dir: Path) -> list[Any]:
    decode = CommandDecoder().decode_many
    return [c for r in JournalReader(journal_dir(data_dir)).records() for c in decode(r[2])]


@pytest.mark.timeout(400)
def test_a_promoted_standby_continues_the_feed_serves_views_and_takes_a_standby(
    tmp_path: Path,
) -> None:
    dirs = {name: tmp_path / name for name in ("primary", "standby", "second")}
    primary_config, ends = _config(tmp_path / "p.toml", dirs["primary"], replicating=True)
    standby_config, sends = _config(tmp_path / "s.toml", dirs["standby"], replicating=True)
    text = standby_config.read_text().replace(sends["itch_multicast"], ends["itch_multicast"])
    standby_config.write_text(text)  # the listeners' group: the standby is muted until promoted
    second_config, _ = _config(tmp_path / "2.toml", dirs["second"], replicating=False)
    tag = f"sequex-smd{os.getpid()}"
    procs = []
    feed = FeedClient(_address(ends["itch_multicast"]), _address(ends["mold_retransmit"]))
    applied: list[tuple[int, bytes]] = []
    feed.on_message = lambda number, payload: applied.append((number, payload))
    feed.start(None)
    try:
        err = {name: tmp_path / f"{name}.err" for name in dirs}
        primary = spawn(
            ["run", "--config", str(primary_config), "--prefix", f"{tag}p-"], err["primary"]
        )
        procs.append(primary)
        wait_line(primary, "sequex run: waiting for a standby", err["primary"])
        standby = spawn(
            ["standby", "--promote", "--primary", ends["replication"], str(standby_config),
             "--prefix", f"{tag}s-"],
            err["standby"],
        )  # fmt: skip
        procs.append(standby)
        wait_line(standby, "press Ctrl-C", err["standby"])
        wait_line(primary, "press Ctrl-C", err["primary"])
        _trade(int(ends["json"].rpartition(":")[2]), 0)
        session = _follow(feed, ends["glimpse"])
        # the standby's views, read-only (they follow its journal: they may lag a loaded host)
        _until(lambda: _get(sends["http"], "/symbols")["seq_no"] > 0, "the standby's views")

        os.killpg(primary.pid, signal.SIGKILL)
        primary.wait(timeout=TIMEOUT)
        wait_line(standby, "  now serving:", err["standby"])
        feed.retransmit = _address(sends["mold_retransmit"])  # ask the new host from here on
        last = _trade(int(sends["json"].rpartition(":")[2]), 1)
        # The views show ``last`` only once the feed's stage has encoded it (the same step,
        # engine.mdfeed.publisher): from then on the snapshot's next number covers its
        # messages. A snapshot taken before could end short of them (seen once, under load).
        _until(lambda: _get(sends["http"], "/book/ACME")["seq_no"] == last, "the views at last")
        assert _follow(feed, sends["glimpse"]) == session
        book = _get(sends["http"], "/book/ACME")
        assert book["seq_no"] == last and book["asks"], book
        assert _get(sends["http"], "/trades/ACME")["trades"]

        second = spawn(
            ["standby", "--primary", sends["replication"], str(second_config), "--prefix",
             f"{tag}2-"],
            err["second"],
        )  # fmt: skip
        procs.append(second)
        wait_line(second, "press Ctrl-C", err["second"])
        taken = Trader(int(sends["json"].rpartition(":")[2]))
        taken.send(price=1_070_000)
        taken.acked()  # sync again: the second standby journaled it first
        second_out = stop(second)
        standby_out = stop(standby)
    finally:
        feed.close()
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert not feed.faults
    assert live_hash(second_out) == live_hash(standby_out)
    assert journal_bytes(dirs["second"]) == journal_bytes(dirs["standby"])
    assert "sync replication from now on" in err["standby"].read_text()

    # every message once, in order, as the promoted host's journal makes it
    commands = _journal(dirs["standby"])
    upto = max(i for i, c in enumerate(commands) if c.seq_no == last) + 1
    numbers = [number for number, _ in applied]
    assert numbers == list(range(1, len(applied) + 1))
    payloads = [payload for _, payload in applied]
    assert payloads == feed_messages(commands[:upto], WINDOW)
    framed = b"".join(len(p).to_bytes(2, "big") + p for p in payloads)
    assert [m.to_bytes() for m in MessageParser().parse_stream(framed)] == payloads
    exchange, projection = Exchange(WINDOW), ItchProjection()
    for command in commands[:upto]:
        projection.apply(command.seq_no, command.ts, exchange.submit(command))
    assert_same_books(exchange, projection, feed.book)

    # the reporter went on from where the standby's stood: each row once
    reports = open_writer(ReporterConfig(), dirs["standby"])
    reference_dir = tmp_path / "reference"
    reference_dir.mkdir()
    reference = open_writer(ReporterConfig(), reference_dir)
    try:
        sync(dirs["standby"], reference, use_snapshots=False)
        tables, expected = dump(reports), dump(reference)
    finally:
        reports.close()
        reference.close()
    assert tables == expected and tables["executions"]
