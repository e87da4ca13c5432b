"""Drills that break a real host under a real load and prove nothing acknowledged was lost or
doubled: the parts a drill is built of, each usable alone.

* :mod:`.host`: a host's config and its process tree (start, kill, restart, stop, accepting);
* :mod:`.session` and ``session_*``: recovering client sessions, one module per protocol;
* :mod:`.load`: the scripted load over those sessions, and the target they connect to;
* :mod:`.ledger`: what the clients were told; :mod:`.facts`: what the journal says;
* :mod:`.verify`: the verdict, a pure function of the two;
* :mod:`.crash`: the single-host crash drill; :mod:`.report`: its report; :mod:`.cli`: the
  ``sequex drill crash`` command;
* :mod:`.pair`: a primary and its hot standby; :mod:`.failover` and :mod:`.standby_restart`:
  the drills that kill one of them; :mod:`.pair_report` and :mod:`.pair_cli`: their reports
  and the ``sequex drill failover`` and ``sequex drill standby-restart`` commands.
"""
