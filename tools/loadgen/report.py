"""What a load run measured: latency histograms, counts, the timeline, and their report.

Latencies are microseconds in HdrHistograms (1 us to 1 hour, 3 significant digits). Recording
one value into an HdrHistogram costs about 1 us in Python, too much on the hot path of a load
generator that shares 2 cores with the host, so :class:`Latency` appends each value to an array
(tens of ns) and :meth:`Latency.fold` moves the array every tick into a count per histogram
index (numpy computes the index of each value as the histogram does, :func:`counts_indexes`);
the histogram gets them when it is read (``Latency.total``), each index once with its count.
The histogram is the one recording every value would give. The timeline's per-bucket p50 /
p99 / max are exact, from the bucket's own values.

:func:`summary` builds the one JSON object of ``--json`` (its keys are a contract: scripts and
the benchmark notes read them); :func:`render` turns it into the text report.
"""

from __future__ import annotations

from array import array
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

import numpy as np
from hdrh.histogram import HdrHistogram  # type: ignore[import-untyped]

__all__ = [
    "LATENCY_MAX_US",
    "PERCENTILES",
    "Counts",
    "Interval",
    "Latency",
    "TimelinePoint",
    "counts_indexes",
    "render",
    "summary",
]

LATENCY_MAX_US: Final = 3_600_000_000
#: (key suffix, percentile) of every latency reported
PERCENTILES: Final = (("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("p999", 99.9))


class Interval(NamedTuple):
    """One timeline bucket of one latency: how many, and p50 / p99 / max in us (0 if none)."""

    samples: int
    p50: int
    p99: int
    max_us: int


class Latency:
    """One latency metric: the whole run's histogram, and the current interval's values."""

    def __init__(self) -> None:
        self._total = HdrHistogram(1, LATENCY_MAX_US, 3)
        #: values in us not yet folded in; hot paths bind ``buffer.append``
        self.buffer: array[int] = array("q")
        self._interval: list[np.ndarray[Any, np.dtype[np.int64]]] = []
        #: exact sum of the values folded in (the histogram's own mean walks every bucket)
        self._sum = 0
        # folded values not yet in the histogram: a count per histogram index, and a value
        # of each index (any value of an index records the same)
        self._pending = np.zeros(self._total.counts_len, dtype=np.int64)
        self._value_of = np.zeros(self._total.counts_len, dtype=np.int64)

    @property
    def total(self) -> HdrHistogram:
        """The whole run's histogram (what is pending recorded first: once per distinct
        index, however many folds it spans)."""
        pending = self._pending
        indexes = np.flatnonzero(pending)
        if len(indexes):
            record = self._total.record_value
            values, counts = self._value_of[indexes].tolist(), pending[indexes].tolist()
            for value, count in zip(values, counts, strict=True):
                record(value, count)
            pending[indexes] = 0
        return self._total

    def fold(self) -> None:
        """Move the buffered values into the histogram's pending counts (and the current
        interval)."""
        if not self.buffer:
            return
        values = np.clip(np.array(self.buffer, dtype=np.int64), 1, LATENCY_MAX_US)
        del self.buffer[:]  # in place: the bound ``append`` stays valid
        self._interval.append(values)
        self._sum += int(values.sum())
        indexes = counts_indexes(self._total, values)
        self._pending += np.bincount(indexes, minlength=len(self._pending))
        self._value_of[indexes] = values

    def take_interval(self) -> Interval:
        """The interval since the last call (after a fold), and start a new one."""
        if not self._interval:
            return Interval(0, 0, 0, 0)
        values = np.concatenate(self._interval)
        self._interval = []
        p50, p99 = np.percentile(values, [50.0, 99.0], method="higher").tolist()
        return Interval(len(values), int(p50), int(p99), int(values.max()))

    def percentiles(self) -> dict[str, float]:
        """p50, p90, p99, p999, max and mean in us, and count (all 0 when nothing was recorded)."""
        h = self.total
        count = h.get_total_count()
        out: dict[str, float] = {
            name: (h.get_value_at_percentile(p) if count else 0) for name, p in PERCENTILES
        }
        out["max"] = h.get_max_value() if count else 0
        out["mean"] = round(self._sum / count, 1) if count else 0.0
        out["count"] = count
        return out


def counts_indexes(
    histogram: HdrHistogram, values: np.ndarray[Any, np.dtype[np.int64]]
) -> np.ndarray[Any, np.dtype[np.int64]]:
    """The index of each value (1 or more) in ``histogram``'s counts: what its
    ``record_value`` computes one value at a time, for an array at once."""
    h = histogram
    # the bucket: the value's magnitude over the sub-buckets' (the smallest power of 2 that
    # holds value | sub_bucket_mask)
    magnitude = np.floor(np.log2(values | h.sub_bucket_mask)).astype(np.int64) + 1
    bucket = magnitude - h.unit_magnitude - (h.sub_bucket_half_count_magnitude + 1)
    sub_bucket = values >> (bucket + h.unit_magnitude)
    indexes: np.ndarray[Any, np.dtype[np.int64]] = (
        ((bucket + 1) << h.sub_bucket_half_count_magnitude) + sub_bucket - h.sub_bucket_half_count
    )
    return indexes


class TimelinePoint(NamedTuple):
    """One bucket of the run: its end (seconds from the start), orders sent in it, and the
    ack and fill latencies of the reports that arrived in it."""

    t: float
    sent: int
    ack: Interval
    fill: Interval


@dataclass
class Counts:
    """Every order planned ends up in exactly one of: unsent, unanswered, rejected, refused,
    acked (``filled`` and ``ended`` count acked orders further)."""

    planned: int = 0
    sent: int = 0
    unsent: int = 0
    acked: int = 0
    #: acked orders that had a fill (at least a partial one)
    filled: int = 0
    #: acked orders that ended without a fill: cancelled (self-trade prevention) or expired
    ended: int = 0
    rejected: int = 0
    refused: int = 0
    unanswered: int = 0
    disconnects: int = 0
    #: "kind: reason" -> how many (rejects, refusals, ends, disconnects)
    reasons: Counter[str] = field(default_factory=Counter)

    @property
    def errors(self) -> int:
        return self.rejected + self.refused + self.unanswered + self.disconnects


def summary(
    settings: dict[str, Any],
    counts: Counts,
    latencies: dict[str, Latency],
    *,
    elapsed_s: float,
    orders_per_s: float,
    offered_per_s: float,
    cpu_s: float = 0.0,
) -> dict[str, Any]:
    """The JSON object of a run: settings, counts, rates and every latency's percentiles as
    ``<metric>_<p50|p90|p99|p999|max|mean>_us`` and ``<metric>_count`` (metrics: ack, fill,
    taker_fill, service_ack, send_lag)."""
    out: dict[str, Any] = dict(settings)
    out["latency_from"] = "intended send time (coordinated omission corrected)"
    out["elapsed_s"] = round(elapsed_s, 3)
    out["orders_per_s"] = round(orders_per_s, 1)
    out["offered_per_s"] = round(offered_per_s, 1)
    # what the load generator itself cost: on a shared machine it competes with the host
    out["loadgen_cpu_s"] = round(cpu_s, 3)
    out["loadgen_cpu_us_per_order"] = round(cpu_s * 1e6 / counts.sent, 2) if counts.sent else 0.0
    for name in (
        "planned", "sent", "unsent", "acked", "filled", "ended", "rejected", "refused",
        "unanswered", "disconnects",
    ):  # fmt: skip
        out[name] = getattr(counts, name)
    out["errors"] = counts.errors
    out["reasons"] = dict(counts.reasons.most_common(20))
    for metric, latency in latencies.items():
        for key, value in latency.percentiles().items():
            out[f"{metric}_{key}" if key == "count" else f"{metric}_{key}_us"] = value
    return out


_ROWS: Final = (
    ("ack", "order -> ack"),
    ("fill", "order -> fill"),
    ("taker_fill", "  as taker"),
    ("service_ack", "write -> ack"),
    ("send_lag", "send lag"),
)


def render(s: dict[str, Any]) -> str:
    """The text report of a :func:`summary`."""
    lines = [
        f"sequex loadgen: {s['protocol']} to {s['endpoint']}, {s['connections']} connections, "
        f"{s['rate']:,} orders/s for {s['duration_s']:g} s ({s['elapsed_s']:.1f} s in all)",
        f"orders: {s['planned']:,} planned, {s['sent']:,} sent, {s['acked']:,} acked, "
        f"{s['filled']:,} filled, {s['ended']:,} ended unfilled, {s['unsent']:,} not sent in time",
        f"throughput: {s['orders_per_s']:,.1f} orders/s acked "
        f"(offered {s['offered_per_s']:,.1f}/s); this process's CPU "
        f"{s['loadgen_cpu_us_per_order']:,.2f} us an order",
        "latency in us from each order's intended send time (write -> ack: from the actual",
        "write; send lag: how late the writes were; as taker: orders that traded on arrival):",
        f"  {'':15}{'p50':>10}{'p90':>10}{'p99':>10}{'p99.9':>10}{'max':>10}{'count':>10}",
    ]
    for metric, label in _ROWS:
        values = [s[f"{metric}_{key}_us"] for key in ("p50", "p90", "p99", "p999", "max")]
        row = "".join(f"{v:>10,}" for v in values)
        lines.append(f"  {label:15}{row}{s[f'{metric}_count']:>10,}")
    lines.append(
        f"errors: {s['errors']:,} ({s['rejected']:,} rejected, {s['refused']:,} refused, "
        f"{s['unanswered']:,} unanswered, {s['disconnects']:,} disconnects)"
    )
    if s["reasons"]:
        lines.append("reasons given (rejects, refusals, unfilled ends, disconnects):")
        lines.extend(f"  {count:>8,}  {reason}" for reason, count in s["reasons"].items())
    return "\n".join(lines)
