"""FIX 4.4, acceptor side, sans-IO: bytes and times in, events and bytes out; no sockets, no
clock, no threads. The gateway server owns the socket and calls these objects.

Modules, each with one job:

* :mod:`.tags`: tag numbers and enumerations (FIX 4.4 / QuickFIX FIX44.xml).
* :mod:`.codec`: tag=value encoding, :class:`~.codec.FixMessage`, field-level checks.
* :mod:`.framer`: the streaming framer (BeginString, BodyLength, CheckSum, size bounds).
* :mod:`.timestamps`: UTCTimestamp <-> ns since the epoch, by integer calendar arithmetic.
* :mod:`.decimals`: FIX decimal strings <-> integer price units and shares, exactly.
* :mod:`.session`: :class:`~.session.FixSession`, the acceptor state machine; its states in
  :mod:`.states`, its events and config in :mod:`.events`, the Logon checks in :mod:`.logon`,
  inbound numbering in :mod:`.sequencing`, outbound numbering and resends in
  :mod:`.outbound`, heartbeat timing in :mod:`.heartbeat`, the resend store in :mod:`.store`.
* :mod:`.admin`: session-level message builders (Logon, Heartbeat, Reject, ...).
* :mod:`.messages`: NewOrderSingle / OrderCancelRequest / OrderCancelReplaceRequest parsing
  and the answer to each refusal.
* :mod:`.reports`: ExecutionReport, OrderCancelReject and BusinessMessageReject builders.
"""
