"""The views kept by the market-data stage (engine.views.host): whatever the feed does - read
the ring, let go of it and catch up from the journal, restart behind the host - the view equals
one fed the whole stream from seq 1, and the stage never holds the ring for them."""

from __future__ import annotations

import http.client
import json
from pathlib import Path

from engine.views.host import ViewsHost
from tests.engine.mdfeed.harness import WINDOW, FeedHost, feed_settings
from tests.engine.mdfeed.journals import generate_commands
from tests.engine.views.streams import fed, shown, spread

COMMANDS = spread(generate_commands(3_000, seed=11))


def _views(host: FeedHost) -> ViewsHost:
    views = host.md.views
    assert views is not None, "the feed's stage keeps the views when HTTP is configured"
    return views


def _settle(host: FeedHost, through: int) -> None:
    host.serve(lambda: host.md.catch_up is None and _views(host).view.through_seq >= through)


def test_the_views_follow_the_feed_through_its_catch_ups(tmp_path: Path) -> None:
    host = FeedHost(tmp_path, feed_settings(detach_lag=64), capacity=512, http="127.0.0.1:0")
    try:
        assert "views" not in host.runner.stages  # no reader of its own on ring[events]
        for lo in range(0, len(COMMANDS), 1_000):  # bursts of far more than 64 records a poll
            host.publish(COMMANDS[lo : lo + 1_000])
            host.serve(lambda: host.md.catch_up is None)
        _settle(host, len(COMMANDS))
        assert host.md.detaches >= 2
        views = _views(host)
        assert views.view.through_seq == len(COMMANDS)
        assert shown(views.view) == shown(fed(COMMANDS, WINDOW))
        # and served: the health document counts the view's place
        assert views.address is not None
        conn = http.client.HTTPConnection(*views.address, timeout=30)
        try:
            conn.request("GET", "/health")
            health = json.loads(conn.getresponse().read())
        finally:
            conn.close()
        assert health["views"]["through_seq"] == len(COMMANDS)
    finally:
        host.close()


def test_a_feed_behind_the_views_at_a_restart_does_not_apply_a_command_twice(
    tmp_path: Path,
) -> None:
    host = FeedHost(tmp_path, feed_settings(), http="127.0.0.1:0")
    try:
        host.publish(COMMANDS[:1_500])
        _settle(host, 1_500)
    finally:
        host.close()
    # the feed's state is lost: it starts a new session and replays the journal from seq 1,
    # while the views are rebuilt through the host's last command
    (tmp_path / "marketdata" / "feed.json").unlink()
    host = FeedHost(tmp_path, feed_settings(), http="127.0.0.1:0")
    try:
        assert host.md.catch_up is not None and _views(host).view.through_seq == 1_500
        host.publish(COMMANDS[1_500:])
        _settle(host, len(COMMANDS))
        assert host.md.through_seq == len(COMMANDS)
        assert shown(_views(host).view) == shown(fed(COMMANDS, WINDOW))
    finally:
        host.close()
