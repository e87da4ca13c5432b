"""The ``--plot`` picture of a load run: a PNG with two panels (matplotlib, Agg backend).

* Latency over time: per timeline bucket, the ack p50, p99 and max and the fill p99 (log
  scale, us) against seconds since the start, with the orders sent per second on a second axis.
* Latency distribution: the classic HdrHistogram percentile plot of the whole run (ack, fill
  and taker fill): latency against percentile on a log axis of 1 / (1 - p), so p90, p99,
  p99.9 and p99.99 are equally spaced and the tail is as visible as the median.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, Final

from tools.loadgen.report import Latency, TimelinePoint

__all__ = ["PERCENTILE_TICKS", "save_plot"]

#: Percentiles marked on the distribution's x axis
PERCENTILE_TICKS: Final = (0.0, 90.0, 99.0, 99.9, 99.99, 99.999)
_MAX_INVERSE: Final = 1e6  # the axis ends at 1 / (1 - 99.9999%)


def _distribution(latency: Latency) -> tuple[list[float], list[int]]:
    """(1 / (1 - p), value) at percentiles from 0 to the max, denser towards the tail."""
    h = latency.total
    if h.get_total_count() == 0:
        return [], []
    xs: list[float] = []
    ys: list[int] = []
    p = 0.0
    while p < 99.9999:
        xs.append(1.0 / (1.0 - p / 100.0))
        ys.append(h.get_value_at_percentile(p))
        p += (100.0 - p) / 20.0  # 20 points per decade of the tail
    xs.append(_MAX_INVERSE)
    ys.append(h.get_max_value())
    return xs, ys


def save_plot(
    path: Path,
    timeline: list[TimelinePoint],
    latencies: dict[str, Latency],
    title: str,
) -> None:
    """Write the PNG to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (over_time, distribution) = plt.subplots(2, 1, figsize=(10, 9))
    fig.suptitle(title)
    _over_time(over_time, timeline)
    for name, label in (
        ("ack", "order -> ack"),
        ("fill", "order -> fill"),
        ("taker_fill", "order -> fill, as taker"),
    ):
        xs, ys = _distribution(latencies[name])
        if xs:
            distribution.plot(xs, ys, label=label)
    distribution.set_xscale("log")
    distribution.set_yscale("log")
    # beyond 1 / count the percentiles repeat the max: end the axis a decade after it
    samples = max(latencies["ack"].total.get_total_count(), 1)
    right = min(_MAX_INVERSE, max(100.0, 10.0 * samples))
    percentiles = [p for p in PERCENTILE_TICKS if 1.0 / (1.0 - p / 100.0) <= right]
    ticks = [1.0 / (1.0 - p / 100.0) for p in percentiles]
    distribution.set_xticks(ticks, [f"{p:g}%" for p in percentiles])
    distribution.set_xlim(1.0, right)
    distribution.set_xlabel("percentile")
    distribution.set_ylabel("latency (us)")
    distribution.set_title("latency distribution (whole run)")
    distribution.grid(True, which="major", alpha=0.4)
    distribution.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _over_time(ax: Any, timeline: list[TimelinePoint]) -> None:
    ts = [p.t for p in timeline]
    series = (
        ("ack p50", [p.ack.p50 for p in timeline]),
        ("ack p99", [p.ack.p99 for p in timeline]),
        ("ack max", [p.ack.max_us for p in timeline]),
        ("fill p99", [p.fill.p99 for p in timeline]),
    )
    for label, values in series:
        points = [(t, v) for t, v in zip(ts, values, strict=True) if v > 0]
        if points:
            ax.plot([t for t, _ in points], [v for _, v in points], label=label, marker=".")
    ax.set_yscale("log")
    ax.set_xlabel("seconds since the start")
    ax.set_ylabel("latency (us)")
    ax.set_title("latency over time (from each order's intended send time)")
    ax.grid(True, alpha=0.4)
    ax.legend(loc="upper left")
    if len(timeline) > 1:
        rate = ax.twinx()
        widths = [b.t - a.t for a, b in itertools.pairwise(timeline)]
        widths.insert(0, timeline[0].t or widths[0])
        sent = [p.sent / w if w > 0 else 0 for p, w in zip(timeline, widths, strict=True)]
        rate.plot(ts, sent, color="grey", alpha=0.5, linewidth=1, label="sent/s")
        rate.set_ylabel("orders sent per second")
        rate.set_ylim(bottom=0)
