"""Latency histograms (HdrHistogram, microseconds) and counters, per second and in total.

Worker processes record into ``Buckets`` (one per second of intended send time) and send
deltas; the coordinator adds them into an ``Aggregate``. Histograms cross process and
machine boundaries in HdrHistogram's compressed encoding, so adding them is lossless: the
merged histogram is exactly the one all the values would have made.
"""

from __future__ import annotations

import io
from collections import Counter
from typing import Any

from hdrh.histogram import HdrHistogram

LOWEST_US, HIGHEST_US, DIGITS = 1, 3_600_000_000, 3  # 1 us .. 1 hour, 3 significant digits
PERCENTILES = (50.0, 90.0, 99.0, 99.9)
LATENCIES = ("end_to_end", "confirm", "send_delay")


def new_histogram() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, DIGITS)


def record_ns(histogram: HdrHistogram, nanoseconds: int) -> None:
    """Record a latency given in nanoseconds (clamped to the histogram's range)."""
    micros = nanoseconds // 1000
    histogram.record_value(LOWEST_US if micros < LOWEST_US else HIGHEST_US if micros > HIGHEST_US else micros)


def encode(histogram: HdrHistogram) -> str:
    return histogram.encode().decode("ascii")


def decode_into(histogram: HdrHistogram, text: str) -> None:
    histogram.decode_and_add(text.encode("ascii"))


def summary(histogram: HdrHistogram) -> dict[str, Any]:
    """count, mean, p50 .. p99.9 and max in milliseconds (None when nothing was recorded)."""
    count = histogram.get_total_count()
    result: dict[str, Any] = {"count": count}
    for p in PERCENTILES:
        key = "p" + (f"{p:g}".replace(".", "_"))
        result[key + "_ms"] = histogram.get_value_at_percentile(p) / 1000 if count else None
    result["max_ms"] = histogram.get_max_value() / 1000 if count else None
    result["mean_ms"] = round(histogram.get_mean_value() / 1000, 3) if count else None
    return result


def percentile_distribution(histogram: HdrHistogram) -> str:
    """The ``.hgrm`` text (HdrHistogram's percentile distribution, values in milliseconds)."""
    out = io.BytesIO()
    histogram.output_percentile_distribution(out, 1000)
    return out.getvalue().decode("ascii")


class Bucket:
    """Counters and latency histograms of one second."""

    __slots__ = ("counts", "hists")

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.hists: dict[str, HdrHistogram] = {}

    def hist(self, name: str) -> HdrHistogram:
        h = self.hists.get(name)
        if h is None:
            h = self.hists[name] = new_histogram()
        return h

    def to_delta(self, second: int) -> dict[str, Any]:
        return {"sec": second, "counts": dict(self.counts), "hists": {k: encode(h) for k, h in self.hists.items()}}


class Buckets:
    """What one worker process recorded since its last flush, by second after the origin."""

    def __init__(self) -> None:
        self.pending: dict[int, Bucket] = {}

    def at(self, second: int) -> Bucket:
        bucket = self.pending.get(second)
        if bucket is None:
            bucket = self.pending[second] = Bucket()
        return bucket

    def flush(self) -> list[dict[str, Any]]:
        deltas = [bucket.to_delta(sec) for sec, bucket in sorted(self.pending.items())]
        self.pending = {}
        return deltas


class Aggregate:
    """Everything a run measured: totals, per-second series and total histograms (measured window only)."""

    def __init__(self, warmup: float = 0.0) -> None:
        self.warmup = warmup
        self.counts: Counter[str] = Counter()
        self.totals: dict[str, HdrHistogram] = {name: new_histogram() for name in LATENCIES}
        self.series: dict[int, Bucket] = {}

    def add_delta(self, delta: dict[str, Any]) -> None:
        second = int(delta["sec"])
        bucket = self.series.get(second)
        if bucket is None:
            bucket = self.series[second] = Bucket()
        bucket.counts.update(delta.get("counts", {}))
        self.counts.update(delta.get("counts", {}))
        measured = second >= self.warmup  # buckets are whole seconds; warm-up is whole seconds too
        for name, text in delta.get("hists", {}).items():
            decode_into(bucket.hist(name), text)
            if measured:
                decode_into(self.totals.setdefault(name, new_histogram()), text)

    def add(self, other: Aggregate) -> None:
        self.counts.update(other.counts)
        for name, hist in other.totals.items():
            self.totals.setdefault(name, new_histogram()).add(hist)
        for second, bucket in other.series.items():
            mine = self.series.get(second)
            if mine is None:
                mine = self.series[second] = Bucket()
            mine.counts.update(bucket.counts)
            for name, hist in bucket.hists.items():
                mine.hist(name).add(hist)
