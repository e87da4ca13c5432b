"""Stages: the adapters between the rings and the pure domain (one process each in the host).

* :mod:`engine.stages.slots`: the ring[risk] slot layout, routing targets, the symbol -> shard map;
* :mod:`engine.stages.waiting`: blocking with a re-check across rings (``park``);
* :mod:`engine.stages.injector`: publishes command records into ring[in] (bench, tests, admin);
* :mod:`engine.stages.journaler`: ring[in] -> journal, publishes durable_seq;
* :mod:`engine.stages.risk`: durable commands -> RiskStage -> ring[risk], applies fill feedback;
* :mod:`engine.stages.matcher`: ring[risk] -> Matcher of one shard -> ring[out_k];
* :mod:`engine.stages.publisher`: merges the outputs into the canonical order, digest, routing.

Every stage has the same shape: ``poll() -> int`` does all the work available now without
waiting (so one thread can drive every stage in turn), ``wait()`` blocks until there may be more,
and ``do_work()`` = poll, then wait when nothing was done: the agent interface that
``disruptor.AgentRunner`` drives in a process. ``halt()`` makes a blocked ``wait`` raise
``AlertException``.
"""
