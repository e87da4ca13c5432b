"""Market data: what fans out of the canonical event stream to the public (pure projections).

* :mod:`~engine.marketdata.itch_projection` - engine events to ITCH 5.0 messages;
* :mod:`~engine.marketdata.itch_book` - order books rebuilt from ITCH messages (a consumer's
  view: terminal watchers, snapshot checks, tests).
"""
