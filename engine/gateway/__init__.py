"""The JSON lines gateway: how firms and the operator reach the running host.

* :mod:`engine.gateway.auth`: who is logging in (firm password or the operator's).
* :mod:`engine.gateway.validate`: what that principal may send; builds the Command.
* :mod:`engine.gateway.router`: whom each execution report is addressed to (origin, owner firm).
* :mod:`engine.gateway.directory`: the logged-in sessions; resolves an address to sessions.
* :mod:`engine.gateway.events_reader`: the gateway's place on ring[events]; addresses reports.
* :mod:`engine.gateway.report_pump`: those reports into the gateway's event loop.
* :mod:`engine.gateway.publisher_port`: the gateway's single-writer port into ring[in].
* :mod:`engine.gateway.server`: the asyncio TCP server, the only socket code.

auth, validate, router and directory are pure (no clock, no I/O) and import nothing from
the server.
"""
