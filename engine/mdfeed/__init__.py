"""The market-data feed of a host: ITCH 5.0 in MoldUDP64 multicast, retransmission, snapshots.

::

    ring[events] ──► publisher (a stage process) ──► multicast group (MoldUDP64 datagrams)
        │              │  FeedEncoder: ITCH projection + datagrams (engine.marketdata)
        │              ├── retransmission server (UDP): recent datagrams, or the journal
        │              └── snapshot service (TCP, SoupBinTCP): every book + where the feed goes on
        └── when it falls behind: lets go of the ring and catches up from the journal

* :mod:`~engine.mdfeed.publisher` - the stage: reads ring[events], sends, serves, saves;
* :mod:`~engine.mdfeed.catch_up` - letting go of the ring, rejoining it;
* :mod:`~engine.mdfeed.journal_feed` - the feed regenerated from the journal;
* :mod:`~engine.mdfeed.feed_state` - sessions and sequence numbers across restarts;
* :mod:`~engine.mdfeed.retransmission` - which request gets which datagrams;
* :mod:`~engine.mdfeed.udp`, :mod:`~engine.mdfeed.glimpse_server` - the sockets (only there);
* :mod:`~engine.mdfeed.settings` - endpoints and knobs from the configuration.

docs/market-data.md describes the feed as a listener sees it.
"""
