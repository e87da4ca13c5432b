"""The views' HTTP server (aiohttp): JSON endpoints, the live page, Server-Sent Events.

Contract. :class:`ViewServer` serves one :class:`ViewSource` (the market view, the lock that
guards it, the health probe) on its own thread and event loop, so the stage's thread that
feeds the view never waits for a client:

==========================================  ==============================================
``GET /``                                   the page (``static/index.html``, ``app.js``,
                                            ``style.css``: written here, no CDN)
``GET /symbols``                            every symbol, its tick and lot size, halted
``GET /book/{symbol}?depth=N``              L2: the best N levels a side (1..100, 10)
``GET /trades/{symbol}?limit=N``            the last N trades, newest first (1..500, 50)
``GET /candles/{symbol}?interval=I&limit=N``  OHLCV, I in 1s 1m 5m 1h (1m), N 1..600 (120)
``GET /stream/{symbol}?interval=I&depth=N`` Server-Sent Events: ``snapshot`` then ``update``
``GET /health``                             stages alive, lags (``engine.views.health``)
``GET /openapi.json``                       the OpenAPI 3.1 description of all of it
==========================================  ==============================================

Bodies and units: ``engine.views.documents``. Every error is a JSON body: an unknown symbol
404 (with the known ones), a bad interval 400 (with the allowed ones), a bad number 400, an
unknown path 404, a wrong method 405. Each request holds the view's lock only while it
copies what it shows (bounded: at most 100 levels, 500 trades, 600 candles).

Live updates: the feeding thread calls :meth:`ViewServer.notify` after a batch that changed
something (coalesced: one wake-up of the loop however many batches came meanwhile). Each
``/stream`` client then gets an ``update`` if its symbol's version moved: the book, the trades
after the last one it was sent, and the newest two candles of its interval (the open one and
the one it may just have closed), at most :data:`MAX_UPDATES_PER_S` a second; a comment line
every :data:`KEEPALIVE_S` seconds keeps idle connections open. A symbol's version is the seq_no
of the last command that changed it; a client sent that version before the command was
applied whole (its events spanned two polls) gets one more update once it is.

The only module that imports aiohttp.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Final, Protocol

from aiohttp import web

from engine.views import documents as doc
from engine.views.projection import MarketView

__all__ = ["KEEPALIVE_S", "MAX_UPDATES_PER_S", "STATIC", "ViewServer", "ViewSource"]

STATIC: Final = Path(__file__).resolve().parent / "static"
MAX_UPDATES_PER_S: Final = 10
KEEPALIVE_S: Final = 15.0
#: seconds a start may take to bind, a stop to close every connection
START_TIMEOUT: Final = 10.0
STOP_TIMEOUT: Final = 5.0


class ViewSource(Protocol):
    """What the server shows: the view (read under ``lock``) and the health document."""

    lock: threading.Lock
    view: MarketView

    def health(self) -> dict[str, Any]: ...


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _dumps(body: Any) -> str:
    return json.dumps(body, separators=(",", ":"))


@web.middleware
async def _json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except doc.ViewsError as exc:
        return web.json_response(exc.body(), status=exc.status, dumps=_dumps)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status, "http_error")
        body = {
            "error": {"code": code, "message": f"{exc.reason}: {request.method} {request.path}"}
        }
        return web.json_response(body, status=exc.status, dumps=_dumps)


class ViewServer:
    """aiohttp on a thread of its own (see the module contract)."""

    def __init__(self, source: ViewSource, host: str, port: int) -> None:
        self._source = source
        self._host = host
        self._port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._pending = threading.Event()  # a wake-up is on its way to the loop
        self._tick: asyncio.Event | None = None
        #: wake-ups so far (on the loop's thread only)
        self._generation = 0
        self._closing: asyncio.Event | None = None
        #: live streams (/stream) open now; with none, a change wakes nobody
        self._streams = 0
        self._stopped: asyncio.Future[None] | None = None
        self.address: tuple[str, int] | None = None

    # -- the thread --------------------------------------------------------------------------

    def start(self) -> tuple[str, int]:
        """Serve; returns the bound (host, port). Raises what binding raised (e.g. OSError:
        address in use), or TimeoutError."""
        self._thread = threading.Thread(target=self._run, name="views-http", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT):
            raise TimeoutError(f"the views server did not start in {START_TIMEOUT:g} s")
        if self._failure is not None:
            raise self._failure
        assert self.address is not None
        return self.address

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to start() (binding) or lost at stop
            self._failure = exc
        finally:
            self._ready.set()
            loop.close()

    async def _serve(self) -> None:
        self._tick = asyncio.Event()
        self._closing = asyncio.Event()
        self._stopped = asyncio.get_running_loop().create_future()
        runner = web.AppRunner(
            self._app(), access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._host, self._port)
            await site.start()
            host, port = runner.addresses[0][:2]  # the port bound (port 0: a free one)
            self.address = (str(host), int(port))
            self._ready.set()
            await self._stopped
        finally:
            self._closing.set()
            self._tick.set()
            await runner.cleanup()

    def notify(self) -> None:
        """The view changed (any thread): wake the live streams, once per pending wake-up."""
        loop = self._loop
        # no stream to wake (a request reads the view when it comes): skip the loop's wake-up,
        # which the feed's stage would otherwise pay on every poll under load
        if loop is None or not self._streams or self._pending.is_set():
            return
        self._pending.set()
        with contextlib.suppress(RuntimeError):  # the loop is closed: we are stopping
            loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        self._pending.clear()
        self._generation += 1  # a stream busy sending sees it when it looks again
        tick, self._tick = self._tick, asyncio.Event()
        if tick is not None:
            tick.set()

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return

        def _stop() -> None:
            if self._stopped is not None and not self._stopped.done():
                self._stopped.set_result(None)

        with contextlib.suppress(RuntimeError):  # already closed
            loop.call_soon_threadsafe(_stop)
        thread.join(STOP_TIMEOUT)

    # -- the application ---------------------------------------------------------------------

    def _app(self) -> web.Application:
        app = web.Application(middlewares=[_json_errors])
        app.router.add_get("/", self._index)
        app.router.add_get("/openapi.json", self._openapi)
        app.router.add_get("/symbols", self._symbols)
        app.router.add_get("/book/{symbol}", self._book)
        app.router.add_get("/trades/{symbol}", self._trades)
        app.router.add_get("/candles/{symbol}", self._candles)
        app.router.add_get("/stream/{symbol}", self._stream)
        app.router.add_get("/health", self._health)
        app.router.add_static("/static/", STATIC, show_index=False)
        return app

    def _read(self, build: Callable[..., Any], *args: Any) -> Any:
        """``build(view, *args)`` under the view's lock."""
        with self._source.lock:
            return build(self._source.view, *args)

    @staticmethod
    def _json(body: Any) -> web.Response:
        return web.json_response(body, dumps=_dumps, headers={"Cache-Control": "no-store"})

    async def _index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def _openapi(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(
            STATIC / "openapi.json", headers={"Content-Type": "application/json"}
        )

    async def _symbols(self, request: web.Request) -> web.StreamResponse:
        return self._json(self._read(doc.symbols_body))

    async def _book(self, request: web.Request) -> web.StreamResponse:
        symbol = request.match_info["symbol"]
        depth = doc.bounded(request.query.get("depth"), "depth", doc.DEFAULT_DEPTH, doc.MAX_DEPTH)
        return self._json(self._read(doc.book_body, symbol, depth))

    async def _trades(self, request: web.Request) -> web.StreamResponse:
        symbol = request.match_info["symbol"]
        limit = doc.bounded(request.query.get("limit"), "limit", doc.DEFAULT_TRADES, doc.MAX_TRADES)
        return self._json(self._read(doc.trades_body, symbol, limit))

    async def _candles(self, request: web.Request) -> web.StreamResponse:
        symbol = request.match_info["symbol"]
        interval = doc.interval_of(request.query.get("interval"))
        limit = doc.bounded(
            request.query.get("limit"), "limit", doc.DEFAULT_CANDLES, doc.MAX_CANDLES
        )
        return self._json(self._read(doc.candles_body, symbol, interval, limit))

    async def _health(self, request: web.Request) -> web.StreamResponse:
        return self._json(self._source.health())

    # -- Server-Sent Events ------------------------------------------------------------------

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        symbol = request.match_info["symbol"]
        interval = doc.interval_of(request.query.get("interval"))
        depth = doc.bounded(request.query.get("depth"), "depth", doc.DEFAULT_DEPTH, doc.MAX_DEPTH)
        self._streams += 1  # first: a change from here on wakes this stream
        try:
            return await self._serve_stream(request, symbol, interval, depth)
        finally:
            self._streams -= 1

    async def _serve_stream(
        self, request: web.Request, symbol: str, interval: str, depth: int
    ) -> web.StreamResponse:
        seen = self._generation  # before the snapshot: a change after it is not missed
        snapshot = self._read(_snapshot, symbol, interval, depth)  # an unknown symbol: 404
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        await _send(response, "snapshot", snapshot)
        version, last_exec = snapshot["version"], snapshot["last_exec_id"]
        whole = snapshot["seq_no"] >= version  # else the rest of command `version` is owed
        gap = 1.0 / MAX_UPDATES_PER_S
        assert self._closing is not None
        while not self._closing.is_set():
            if seen == self._generation:  # nothing new since the last look: wait for it
                tick = self._tick
                assert tick is not None
                try:
                    await asyncio.wait_for(tick.wait(), KEEPALIVE_S)
                except TimeoutError:
                    await response.write(b": keepalive\n\n")
                continue
            seen = self._generation
            update = self._read(_update, symbol, interval, depth, version, whole, last_exec)
            if update is None:
                continue
            version, last_exec = update["version"], update["last_exec_id"]
            whole = update["seq_no"] >= version
            await _send(response, "update", update)
            await asyncio.sleep(gap)  # a rate limit, not a wait for something
        return response


async def _send(response: web.StreamResponse, event: str, body: Any) -> None:
    await response.write(f"event: {event}\ndata: {_dumps(body)}\n\n".encode())


def _snapshot(view: MarketView, symbol: str, interval: str, depth: int) -> dict[str, Any]:
    book = doc.book_body(view, symbol, depth)
    trades = doc.trades_body(view, symbol, doc.DEFAULT_TRADES)["trades"]
    candles = doc.candles_body(view, symbol, interval, doc.DEFAULT_CANDLES)
    return {
        "symbol": symbol,
        "seq_no": view.through_seq,
        "version": view.version(symbol),
        "last_exec_id": trades[0]["exec_id"] if trades else 0,
        "interval": interval,
        "width_ns": candles["width_ns"],
        "book": book,
        "trades": trades,
        "candles": candles["candles"],
    }


def _update(
    view: MarketView,
    symbol: str,
    interval: str,
    depth: int,
    version: int,
    whole: bool,
    last_exec: int,
) -> dict[str, Any] | None:
    """The update owed to a client sent ``version`` (``whole``: with all of that command's
    events), or None when nothing it shows has changed since."""
    now = view.version(symbol)
    if now == version and (whole or view.through_seq < version):
        return None
    trades = doc.trades_since(view, symbol, last_exec)[::-1]  # newest first, as everywhere
    candles = doc.candles_body(view, symbol, interval, 2)["candles"]
    return {
        "symbol": symbol,
        "seq_no": view.through_seq,
        "version": now,
        "last_exec_id": trades[0]["exec_id"] if trades else last_exec,
        "book": doc.book_body(view, symbol, depth),
        "trades": trades,
        "candles": candles,
    }
