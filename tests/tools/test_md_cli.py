"""`sequex md watch` against an in-process host: the snapshot's book with --once, the live
feed with --count, the whole session from message 1 with --from-start, and its errors."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from engine.domain.types import Command, Side
from tests.engine.mdfeed.harness import FeedHost, exchange_after, feed_settings
from tests.engine.mdfeed.journals import generate_commands
from tools.cli import main
from tools.md_view import price_text

COMMANDS = generate_commands(1_500, seed=3)


def watch(host: FeedHost, *args: str, publish: list[Command] | None = None) -> int:
    """Run ``sequex md watch`` in a thread while this one serves the host (and publishes
    ``publish`` once the watcher took its snapshot)."""
    md = host.md
    endpoints = [
        "--group", f"{host.settings.group[0]}:{host.settings.group[1]}",
        "--retransmit", f"127.0.0.1:{md.requests.address[1]}",
        "--snapshot", f"127.0.0.1:{md.snapshots.address[1]}",
    ]  # fmt: skip
    result: list[int] = []
    argv = ["md", "watch", *args, *endpoints]
    thread = threading.Thread(target=lambda: result.append(main(argv)))
    served = md.snapshots.served
    thread.start()
    while thread.is_alive():
        host.poll()
        if publish and md.snapshots.served > served:
            host.publish(publish)
            publish = None
        thread.join(0.002)
    return result[0]


def test_once_prints_the_snapshots_book(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    host = FeedHost(tmp_path, feed_settings())
    try:
        host.publish(COMMANDS[:1_000])
        assert watch(host, "BBB", "--once", "--levels", "3") == 0
        out = capsys.readouterr().out
        assert f"session {host.md.session}, next message {host.md.encoder.next_sequence}" in out
        engine = exchange_after(COMMANDS[:1_000])
        rows = out.splitlines()[2:5]
        bids, asks = engine.depth("BBB", Side.BUY, 3), engine.depth("BBB", Side.SELL, 3)
        for row, bid, ask in zip(rows, bids, asks, strict=True):
            assert row.split() == [
                str(bid[2]), str(bid[1]), price_text(bid[0]),
                price_text(ask[0]), str(ask[1]), str(ask[2]),
            ]  # fmt: skip
    finally:
        host.close()


def test_count_follows_the_live_feed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    host = FeedHost(tmp_path, feed_settings())
    try:
        host.publish(COMMANDS[:500])
        code = watch(host, "AAA", "--count", "40", "--timeout", "20", publish=COMMANDS[500:])
        assert code == 0
        out = capsys.readouterr().out
        assert " @ " in out  # trades were seen
        for line in out.splitlines()[2:]:
            if line.strip().startswith("trades"):
                break
            assert any(c.isdigit() for c in line)
    finally:
        host.close()


def test_from_start_rebuilds_the_session_from_message_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    host = FeedHost(tmp_path, feed_settings())
    try:
        host.publish(COMMANDS)
        assert watch(host, "BBB", "--once", "--from-start", "--timeout", "20") == 0
        out = capsys.readouterr().out
        assert f"next message {host.md.encoder.next_sequence}" in out
        best = exchange_after(COMMANDS).depth("BBB", Side.BUY, 1)[0]
        assert out.splitlines()[2].split()[:3] == [str(best[2]), str(best[1]), price_text(best[0])]
    finally:
        host.close()


def test_usage_and_connection_errors_have_their_exit_codes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["md", "watch", "AAA", "--group", "10.0.0.1:5"]) == 2
    assert "not a multicast group" in capsys.readouterr().err
    assert main(["md", "watch", "AAA", "--snapshot", "127.0.0.1:1", "--timeout", "2"]) == 1
    assert "no snapshot" in capsys.readouterr().err
    assert main(["md"]) == 2
    assert price_text(1_000_050) == "100.0050"


def test_the_live_view_draws_the_ladder_and_the_tape(tmp_path: Path) -> None:
    import io

    from rich.console import Console

    from tools.md_view import book_panel

    host = FeedHost(tmp_path, feed_settings())
    try:
        host.publish(COMMANDS[:1_000])
        feed = host.listener()
        feed.start(host.snapshot())
        host.publish(COMMANDS[1_000:])
        host.follow(feed, host.caught_up(feed))
        console = Console(file=io.StringIO(), width=100, record=True)
        console.print(book_panel(feed, "BBB", levels=3))
        text = console.export_text()
        best = exchange_after(COMMANDS).depth("BBB", Side.BUY, 1)[0]
        assert price_text(best[0]) in text and f"session {host.md.session}" in text
        assert "resting side" in text and ("buy" in text or "sell" in text)
        feed.close()
    finally:
        host.close()
