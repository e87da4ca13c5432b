"""The gateway: how firms (JSON lines, FIX 4.4, OUCH 4.2) and the operator reach the host.

* :mod:`engine.gateway.auth`: who is logging in (firm password or the operator's, checked
  against scrypt hashes); one answer for every failure.
* :mod:`engine.gateway.login_guard`: the per-address slow-down of repeated failed logins.
* :mod:`engine.gateway.logins`: both for asyncio servers: checks off the loop, failures logged.
* :mod:`engine.gateway.admission`: the connection cap and the operator's reserve beyond it.
* :mod:`engine.gateway.validate`: what that principal may send; builds the Command.
* :mod:`engine.gateway.fields`: every field fits its record slot (integer range, text length).
* :mod:`engine.gateway.disclosure`: what a firm may be told (another firm's order: unknown).
* :mod:`engine.gateway.router`: whom each execution report is addressed to (origin, owner firm).
* :mod:`engine.gateway.directory`: the logged-in sessions; resolves an address to sessions.
* :mod:`engine.gateway.events_reader`: the gateway's place on ring[events]; addresses reports.
* :mod:`engine.gateway.report_pump`: those reports into the gateway's event loop.
* :mod:`engine.gateway.publisher_port`: the gateway's single-writer port into ring[in].
* :mod:`engine.gateway.startup`: the endpoint, and the ts floor of a restarted host.
* :mod:`engine.gateway.server`: the asyncio TCP server, the only socket code;
  :mod:`engine.gateway.process` runs it as a process of the host.
* :mod:`engine.gateway.ledger`: the reports each configured (FIX/OUCH) session is owed
  (:mod:`~engine.gateway.outbound`, :mod:`~engine.gateway.report_store`).
* :mod:`engine.gateway.ouch_server`, :mod:`engine.gateway.fix_server`: the OUCH 4.2 and FIX 4.4
  listeners the server runs beside the JSON one. FIX's orders in are
  :mod:`~engine.gateway.fix_orders`, its reports out :mod:`~engine.gateway.fix_render`, what
  its sessions keep on disk :mod:`~engine.gateway.fix_files`.

auth, login_guard, admission, validate, fields, disclosure, router and directory are pure (no
clock, no I/O) and import nothing from the server. The protocol: ``docs/json-gateway.md``.
"""
