"""Views: what a person watching the market sees, over HTTP JSON and a live web page.

::

    ring[events] ──► ViewsAgent (engine.stages.views) ──► MarketView ──► ViewServer (aiohttp)
                      decode market kinds, batch/poll      depth, tape,    /book /trades /candles
                                                           candles         /health /  + SSE

Pure projections (no I/O, no clock, integer prices; ``tests`` compare them with reference
models): ``depth`` (L2 levels from the order-level book events), ``tape`` (the last trades),
``candles`` (OHLCV at 1 s, 1 min, 5 min, 1 h from the trades' ``ts``), ``projection`` (the
three together, fed each command's events in canonical order). ``documents`` turns them into
the JSON bodies (units: integer price units and decimal strings, never floats). Host code:
``rebuild`` (the state at a restart, from the journal), ``health`` (stages and lags),
``server`` (the only module that imports aiohttp). The page and the OpenAPI document live in
``static/`` and ship with the package. See docs/views.md.
"""
