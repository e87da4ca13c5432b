"""The pure domain core of sequex: order books, matching, risk and wallets.

Nothing here does I/O, reads a clock or a random source, or knows about processes: every
decision is a function of the sequenced commands alone. `engine.domain.types` is the
vocabulary (commands in, events out); `engine.domain.exchange.Exchange` is the entry point.
"""
