"""Hot standby: the primary's replicator stage and the standby's receiver (docs/replication.md).

::

    primary                                              standby (`sequex standby`)
    ring[in] ──► replicator ══ TCP, journal.replication ══► receiver ──► ring[in] ──► journaler
        │            ▲  (RECORDS: slot ranges)                 │   (same seqs)     └► core ...
        │            └──── ACK durable_seq ◄───────────────────┘
        └──► journaler; core/risk wait for min(durable_seq, replicated_seq)

* ``settings``: what a spec carries about replication (endpoint, mode, heartbeat, timeout).
* ``handshake``: the pure decisions of the primary on a standby's HELLO.
* ``link``: the socket of either side (the only socket code here), frames in and out.
* ``replicator``: the primary's stage, a second reader of ring[in] (sync) or a follower of
  the journal (async); its ring sequence is the standby's acknowledged durable seq.
* ``standby``: the standby's receiver, the writer of its ring[in], and its acknowledgements.
* ``checks``: state hashes at snapshot points, compared across the pair.
* ``peer``: a primary's probe of its peer for a higher epoch (fencing), once and while it runs.
* ``fences``: a host's fencing history as the replicator and receiver learn it from records
  (a promoted standby's replicator answers those probes with it).
* ``rejoin``: a joining host's HELLO (or PROBE) and the quarantine of a divergent tail.
* ``notices``: CHECK and FEED frames; ``role``: a standby's promotion word in shared memory.
"""
