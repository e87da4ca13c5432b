"""Sans-IO protocol cores: codecs and session state machines over bytes, no sockets, no clock.

Each protocol object takes bytes in (``receive_data``), hands parsed messages out
(``next_event``) and turns outgoing messages into bytes (``send_*``); the server that owns the
socket only moves those bytes. Imports: engine types and ``engine.canonical`` only.

* :mod:`engine.protocols.json_session`: the JSON lines session (login, commands, logout).
* :mod:`engine.protocols.soupbin`: SoupBinTCP 3.0 packets, framer, server and client sessions.
* :mod:`engine.protocols.ouch`: OUCH 4.2 messages over SoupBinTCP, their engine terms and codes.
* :mod:`engine.protocols.fix`: FIX 4.4, acceptor side: framer, codec, session state machine,
  order messages and execution reports (validated against QuickFIX's FIX44.xml in the tests).
* :mod:`engine.protocols.itch`: Nasdaq TotalView-ITCH 5.0 market data messages.
* :mod:`engine.protocols.moldudp64`: MoldUDP64 packets, sender, gap-filling receiver,
  re-request answer (the transport of the ITCH feed).
"""
