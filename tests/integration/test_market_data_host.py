"""The ITCH feed of a real host (`sequex run`): trade over the JSON gateway, rebuild every book
from the multicast feed through forced gaps, take a late joiner's snapshot, restart the host
and keep the numbers, and `sequex md watch` against it.

The listeners join the host's multicast group on loopback (a port of its own: demo_text) and
drop every third datagram before the MoldUDP64 receiver sees it, so the books are rebuilt
through gaps recovered by the retransmission server. At the end the host is stopped and its
journal replayed: the engine's books (``engine.rebuild``) and the feed regenerated from the
journal (``engine.mdfeed.journal_feed``) must equal what the listener built and received,
message for message, across the restart.
"""

from __future__ import annotations

import itertools
import random
import re
import time
from pathlib import Path

from engine.domain.rules import CURRENT_RULES
from engine.marketdata.feed_encoder import FeedEncoder
from engine.marketdata.itch_projection import ItchProjection
from engine.mdfeed.journal_feed import JournalFeed
from engine.rebuild import rebuild
from sequex.feed import FeedClient, Snapshot, fetch_snapshot
from tests.engine.marketdata.test_feed_encoder import messages_of
from tests.engine.marketdata.test_itch_rebuild import assert_same_books
from tests.integration.test_gateway_host import Firm, host_config, running_host, sequex

SYMBOLS = {"ACME": (1_000_000, 1), "GLOBEX": (250_000, 10)}  # reference price, lot


def address(endpoint: str) -> tuple[str, int]:
    host, _, port = endpoint.rpartition(":")
    return host, int(port)


def trade(endpoint: str, rng: random.Random, count: int) -> None:
    """``count`` commands of two firms: resting and crossing orders, cancels, replaces."""
    firms = [Firm(endpoint, "ALPHA", "alpha-pass"), Firm(endpoint, "BETA", "beta-pass")]
    accounts = ["ALPHA-1", "BETA-1"]
    live: list[list[tuple[int, str]]] = [[], []]
    for i in range(count):
        k = rng.randrange(2)
        firm, account = firms[k], accounts[k]
        roll = rng.random()
        if roll < 0.2 and live[k]:
            order_id, symbol = live[k].pop(rng.randrange(len(live[k])))
            ref, lot = SYMBOLS[symbol]
            command = {"type": "replace_order", "account": account, "order_id": order_id,
                       "qty": lot * rng.randint(1, 20),
                       "price": ref + 100 * rng.randint(-8, 8)}  # fmt: skip
        elif roll < 0.3 and live[k]:
            order_id, symbol = live[k].pop(rng.randrange(len(live[k])))
            command = {"type": "cancel_order", "account": account, "order_id": order_id}
        else:
            symbol = rng.choice(list(SYMBOLS))
            ref, lot = SYMBOLS[symbol]
            command = {"type": "new_order", "account": account, "symbol": symbol,
                       "side": rng.choice(("buy", "sell")), "order_type": "limit",
                       "tif": rng.choice(("day", "day", "gtc", "ioc")),
                       "qty": lot * rng.randint(1, 20), "price": ref + 100 * rng.randint(-5, 5),
                       "client_order_id": f"c{i}"}  # fmt: skip
        firm.send(command)
        seq = firm.until("sequenced")["seq"]
        if command["type"] == "new_order":
            live[k].append((seq, symbol))
    for firm in firms:
        firm.close()


def follow_to(feed: FeedClient, snapshot: Snapshot, timeout: float = 30.0) -> None:
    """Pump ``feed`` until it has applied everything up to the snapshot's number."""
    assert feed.run_until(
        lambda: (feed.next_sequence or 0) >= snapshot.next_sequence and feed.caught_up(),
        timeout,
    ), f"feed at {feed.next_sequence}, snapshot at {snapshot.next_sequence}: {feed.faults[:3]}"


def settle(snapshot_at: tuple[str, int], *feeds: FeedClient) -> Snapshot:
    """Once trading stopped: the snapshot after the last command's messages (the number no
    longer moves), with every feed caught up to it. The gateway's acks run ahead of the
    pipeline, so the first snapshot after them may not have everything yet."""
    previous = -1
    deadline = time.monotonic() + 60
    while True:
        assert time.monotonic() < deadline, "the feed never settled"
        snapshot = fetch_snapshot(snapshot_at)
        for feed in feeds:
            follow_to(feed, snapshot)
        if snapshot.next_sequence == previous:
            return snapshot
        previous = snapshot.next_sequence
        time.sleep(0.5)


def same_depth(a: FeedClient, b: FeedClient) -> None:
    for symbol in SYMBOLS:
        for side in "BS":
            assert a.book.depth(symbol, side, 1000) == b.book.depth(symbol, side, 1000)
            for price, _, _ in a.book.depth(symbol, side, 1000):
                assert a.book.level(symbol, side, price) == b.book.level(symbol, side, price)


def test_the_feed_of_a_live_host_rebuilds_its_books_across_a_restart(tmp_path: Path) -> None:
    config, endpoints = host_config_with_feed(tmp_path)
    group, retransmit = address(endpoints["itch_multicast"]), address(endpoints["mold_retransmit"])
    snapshot_at = address(endpoints["glimpse"])
    rng = random.Random(7)
    received: dict[int, bytes] = {}
    feed = FeedClient(group, retransmit)
    counter = itertools.count()
    feed.drop = lambda datagram: next(counter) % 3 == 2
    feed.on_message = lambda number, payload: received.setdefault(number, payload)
    feed.start(None)  # from message 1: the setup's symbols came before it joined
    try:
        with running_host(config) as first:
            trade(endpoints["json"], rng, 150)
            late = FeedClient(group, retransmit)
            late.start(fetch_snapshot(snapshot_at))  # a late joiner, mid-session
            trade(endpoints["json"], rng, 150)
            snapshot = settle(snapshot_at, feed, late)
            assert feed.next_sequence == late.next_sequence == snapshot.next_sequence
            same_depth(feed, late)
            assert not late.faults
            late.close()
            watch = sequex("md", "watch", "ACME", "--config", str(config), "--once")
            assert watch.returncode == 0, watch.stderr
            assert f"session {snapshot.session}" in watch.stdout
        stop = re.search(r"market data: session (\w+), through seq (\d+), next message (\d+)",
                         first.out)  # fmt: skip
        assert stop is not None, first.out
        assert stop.group(1) == snapshot.session
        assert feed.run_until(lambda: feed.ended is not None, 10.0)  # End of Session
        stopped_at = int(stop.group(3))
        assert feed.ended is not None and feed.ended.next_sequence == stopped_at
        with running_host(config) as second:  # the same journal: the same session goes on
            assert any("recovered through seq" in line for line in second.banner)
            trade(endpoints["json"], rng, 200)
            snapshot = settle(snapshot_at, feed)
            assert snapshot.session == stop.group(1) and snapshot.next_sequence > stopped_at
        assert feed.dropped > 3 and feed.requests > 0 and not feed.faults
    finally:
        feed.close()
    # the engine's books, and the feed regenerated from the journal, match what was received
    data_dir = tmp_path / "var"
    rebuilt = rebuild(data_dir, from_start=True, digest=False)
    encoder = FeedEncoder(ItchProjection(), snapshot.session)
    journal_feed = JournalFeed(data_dir, 1, CURRENT_RULES, encoder, 0)
    regenerated: list[bytes] = []
    while journal_feed.step(rebuilt.last_seq, 4096):
        regenerated += messages_of(encoder.flush())
    journal_feed.close()
    assert_same_books(rebuilt.exchange, encoder.projection, feed.book)
    assert sorted(received) == list(range(1, len(regenerated) + 1))
    assert [received[n] for n in sorted(received)] == regenerated


def host_config_with_feed(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The demo config (W = 1) with every endpoint on a port of its own."""
    from tests.demo_config import demo_text

    text, endpoints = demo_text(tmp_path / "var", 1)
    path = tmp_path / "host.toml"
    path.write_text(text)
    return path, endpoints


__all__ = ["host_config", "host_config_with_feed"]
