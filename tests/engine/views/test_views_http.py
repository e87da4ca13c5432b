"""The views stage in a host's pipeline (the in-process runner: the same stage objects as the
process host) and its HTTP server on a free port: every body is what the view holds, in the
shape the OpenAPI document gives; errors are JSON; the live stream sends a snapshot and then
updates; a restart shows the same state, with or without the saved history."""

from __future__ import annotations

import http.client
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi

from engine.domain.types import Command
from engine.stage_factories import InProcessRunner, in_process
from engine.stages.injector import encode_records
from engine.stages.views import ViewsAgent
from engine.start_point import prepare_start
from engine.topology import TopologySpec
from engine.views import documents as doc
from engine.views.candles import INTERVALS
from engine.views.projection import MarketView
from engine.views.rebuild import history_path
from engine.views.server import STATIC
from tests.engine.views.streams import fed, stream

OPENAPI = json.loads((STATIC / "openapi.json").read_text())
SYMBOL = "AAA"


def _spec(data_dir: Path, capacity: int = 65536) -> TopologySpec:
    return TopologySpec(
        capacity=capacity,
        prefix=f"sequex-vh{os.getpid()}-{uuid.uuid4().hex[:8]}-",
        data_dir=str(data_dir),
        feedback_window=4,
        journal_sync="none",
        snapshot_every=150,
        fused=True,
        http="127.0.0.1:0",
    )


@contextmanager
def host(data_dir: Path, capacity: int = 65536) -> Iterator[tuple[InProcessRunner, Client]]:
    """A host on ``data_dir`` (recovering its journal) with the views on a free port."""
    start = prepare_start(_spec(data_dir, capacity))
    with in_process(start.spec, start.state) as runner:
        views = runner.stages["views"]
        assert isinstance(views, ViewsAgent) and views.address is not None
        yield runner, Client(*views.address)


class Client:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    def request(self, path: str, method: str = "GET") -> tuple[int, str, Any]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(method, path)
            response = conn.getresponse()
            body = response.read()
            kind = response.getheader("Content-Type", "")
            return response.status, kind, json.loads(body) if "json" in kind else body
        finally:
            conn.close()

    def get(self, path: str) -> Any:
        status, _, body = self.request(path)
        assert status == 200, (path, body)
        return body


def trade(runner: InProcessRunner, commands: list[Command]) -> None:
    runner.publish(encode_records(commands))
    runner.pump()


def _schema(name: str) -> Draft202012Validator:
    return Draft202012Validator(
        {"$ref": f"#/components/schemas/{name}", "components": OPENAPI["components"]}
    )


#: a request for every (path, status) the OpenAPI document describes with a JSON body
EXAMPLES = {
    ("/symbols", "200"): "/symbols",
    ("/book/{symbol}", "200"): f"/book/{SYMBOL}?depth=3",
    ("/book/{symbol}", "400"): f"/book/{SYMBOL}?depth=0",
    ("/book/{symbol}", "404"): "/book/NOPE",
    ("/trades/{symbol}", "200"): f"/trades/{SYMBOL}?limit=5",
    ("/trades/{symbol}", "400"): f"/trades/{SYMBOL}?limit=x",
    ("/trades/{symbol}", "404"): "/trades/NOPE",
    ("/candles/{symbol}", "200"): f"/candles/{SYMBOL}?interval=1s",
    ("/candles/{symbol}", "400"): f"/candles/{SYMBOL}?interval=2m",
    ("/candles/{symbol}", "404"): "/candles/NOPE",
    ("/stream/{symbol}", "400"): f"/stream/{SYMBOL}?interval=7d",
    ("/stream/{symbol}", "404"): "/stream/NOPE",
    ("/health", "200"): "/health",
    ("/openapi.json", "200"): "/openapi.json",
}


def test_the_openapi_document_is_valid_and_describes_every_route() -> None:
    validate_openapi(OPENAPI)
    documented = {
        (path, status)
        for path, item in OPENAPI["paths"].items()
        for status, response in item["get"]["responses"].items()
        if "application/json" in response.get("content", {})
    }
    assert documented == set(EXAMPLES)


def test_every_answer_has_the_shape_the_openapi_document_gives(tmp_path: Path) -> None:
    with host(tmp_path) as (runner, client):
        trade(runner, stream(300))
        for (path, status), url in EXAMPLES.items():
            got, kind, body = client.request(url)
            assert (str(got), kind.split(";")[0]) == (status, "application/json"), (url, body)
            schema = OPENAPI["paths"][path]["get"]["responses"][status]["content"][
                "application/json"
            ]["schema"]
            if "$ref" in schema:
                _schema(schema["$ref"].rsplit("/", 1)[1]).validate(body)
        for interval in INTERVALS:
            _schema("Candles").validate(client.get(f"/candles/{SYMBOL}?interval={interval}"))


def test_the_bodies_show_what_the_engine_did(tmp_path: Path) -> None:
    commands = stream(300)
    with host(tmp_path) as (runner, client):
        trade(runner, commands)
        book = client.get(f"/book/{SYMBOL}?depth=100")
        trades = client.get(f"/trades/{SYMBOL}?limit=500")["trades"]
        candles = client.get(f"/candles/{SYMBOL}?interval=1m&limit=600")["candles"]
    assert book["seq_no"] == commands[-1].seq_no
    assert [b["price"] for b in book["bids"]] == sorted(
        (b["price"] for b in book["bids"]), reverse=True
    )
    assert [a["price"] for a in book["asks"]] == sorted(a["price"] for a in book["asks"])
    assert book["bids"][0]["price"] < book["asks"][0]["price"], "a book at rest never crosses"
    assert all(
        x["price_str"] == f"{x['price'] // 10000}.{x['price'] % 10000:04d}" for x in book["bids"]
    )
    assert trades and book["last_trade"] == trades[0]
    assert sum(c["volume"] for c in candles) == sum(t["qty"] for t in trades)
    assert sum(c["trades"] for c in candles) == len(trades)


def test_errors_are_json_with_what_would_have_been_right(tmp_path: Path) -> None:
    with host(tmp_path) as (runner, client):
        trade(runner, stream(50))
        status, _, body = client.request(f"/candles/{SYMBOL}?interval=2m")
        assert status == 400 and body["error"]["code"] == "bad_interval"
        assert body["error"]["allowed"] == ["1s", "1m", "5m", "1h"]
        status, _, body = client.request("/book/NOPE")
        assert status == 404 and body["error"]["code"] == "unknown_symbol"
        assert body["error"]["symbols"] == ["AAA", "BBB"]
        status, _, body = client.request(f"/book/{SYMBOL}?depth=101")
        assert (status, body["error"]["code"], body["error"]["maximum"]) == (400, "bad_depth", 100)
        status, _, body = client.request(f"/book/{SYMBOL}", method="POST")
        assert (status, body["error"]["code"]) == (405, "method_not_allowed")
        status, _, body = client.request("/nothing/here")
        assert (status, body["error"]["code"]) == (404, "not_found")


def test_the_page_and_its_files_are_served(tmp_path: Path) -> None:
    with host(tmp_path) as (_, client):
        status, kind, page = client.request("/")
        assert status == 200 and kind.startswith("text/html")
        for asset in (b"/static/app.js", b"/static/style.css"):
            assert asset in page
            assert client.request(asset.decode())[0] == 200
        assert client.request("/static/../server.py")[0] == 404


def test_health_reports_the_stages_and_no_lag_once_drained(tmp_path: Path) -> None:
    commands = stream(100)
    with host(tmp_path) as (runner, client):
        trade(runner, commands)
        health = client.get("/health")
    assert health["status"] == "ok"
    assert health["seq"] == dict.fromkeys(
        ("injected", "durable", "published", "views"), len(commands)
    )
    assert health["views"] == {"through_seq": len(commands), "lag": 0}
    assert set(health["stages"]) == {"journaler", "core", "auditor", "snapshotter", "views"}
    assert all(s["alive"] is None for s in health["stages"].values())  # in-process: unknown
    assert health["stages"]["views"]["lag"] == {"events": 0}


def _sse_events(response: http.client.HTTPResponse, count: int) -> list[tuple[str, Any]]:
    events: list[tuple[str, Any]] = []
    kind = None
    while len(events) < count:
        line = response.readline().decode().rstrip("\n")
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            events.append((str(kind), json.loads(line[6:])))
    return events


def test_the_stream_sends_a_snapshot_then_an_update_when_the_symbol_changes(
    tmp_path: Path,
) -> None:
    commands = stream(300)
    with host(tmp_path) as (runner, client):
        trade(runner, commands[:200])
        conn = http.client.HTTPConnection(client.host, client.port, timeout=30)
        conn.request("GET", f"/stream/{SYMBOL}?interval=1s&depth=5")
        response = conn.getresponse()
        assert response.getheader("Content-Type") == "text/event-stream"
        ((kind, snap),) = _sse_events(response, 1)
        assert kind == "snapshot" and snap["book"] == client.get(f"/book/{SYMBOL}?depth=5")
        _schema("StreamSnapshot").validate(snap)
        trade(runner, commands[200:])
        ((kind, update),) = _sse_events(response, 1)
        conn.close()
        _schema("StreamUpdate").validate(update)
        assert kind == "update" and update["version"] > snap["version"]
        new = [t["exec_id"] for t in update["trades"]]
        assert all(e > snap["last_exec_id"] for e in new)
        assert update["last_exec_id"] == (new[0] if new else snap["last_exec_id"])


def _everything(client: Client) -> dict[str, Any]:
    out = {"symbols": client.get("/symbols")}
    for symbol in ("AAA", "BBB"):
        out[f"book {symbol}"] = client.get(f"/book/{symbol}?depth=100")
        out[f"trades {symbol}"] = client.get(f"/trades/{symbol}?limit=500")
        for interval in INTERVALS:
            out[f"candles {symbol} {interval}"] = client.get(
                f"/candles/{symbol}?interval={interval}&limit=600"
            )
    return out


@pytest.mark.parametrize("keep_history", [True, False])
def test_a_restarted_host_shows_the_same_state(tmp_path: Path, keep_history: bool) -> None:
    commands = stream(400)
    with host(tmp_path) as (runner, client):
        trade(runner, commands[:250])
    with host(tmp_path) as (runner, client):
        trade(runner, commands[250:])
        before = _everything(client)
    assert history_path(tmp_path).exists()
    if not keep_history:
        history_path(tmp_path).unlink()  # the journal alone must give the same view
    with host(tmp_path) as (runner, client):
        after = _everything(client)
    assert after == before
    assert before["book AAA"]["seq_no"] == len(commands)


def _expected(view: MarketView) -> dict[str, Any]:
    """What the endpoints of ``_everything`` answer for ``view``, built without a server."""
    out: dict[str, Any] = {"symbols": doc.symbols_body(view)}
    for symbol in ("AAA", "BBB"):
        out[f"book {symbol}"] = doc.book_body(view, symbol, 100)
        out[f"trades {symbol}"] = doc.trades_body(view, symbol, 500)
        for interval in INTERVALS:
            out[f"candles {symbol} {interval}"] = doc.candles_body(view, symbol, interval, 600)
    return json.loads(json.dumps(out))


@pytest.mark.parametrize("capacity", [8, 65536])
def test_the_views_equal_a_view_fed_the_whole_stream_however_the_polls_cut_it(
    tmp_path: Path, capacity: int
) -> None:
    commands = stream(300)
    with host(tmp_path, capacity) as (runner, client):
        trade(runner, commands)
        served = _everything(client)
    assert served == _expected(fed(commands))
