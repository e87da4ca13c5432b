"""`sequex loadgen`: a load generator for a running host, over JSON lines, OUCH 4.2 or FIX 4.4.

* :mod:`.cli` - the subcommand: options, progress line, output;
* :mod:`.plan` - the schedule (open loop) and the order flow: who sends what, when;
* :mod:`.driver` - runs the plan over the connections: coordinated-omission-aware latency,
  correlation of reports to orders, bounds on every wait;
* :mod:`.report` - latency histograms (HdrHistogram), counts, the JSON summary and text report;
* :mod:`.plot` - the ``--plot`` PNG;
* :mod:`.clients` - the adapter interface and one adapter per protocol.
"""
