"""The load report: JSON-able, self-contained (histograms included), and mergeable without loss.

``build`` turns an Aggregate into the report; ``aggregate_of`` turns a report back into an
Aggregate, so ``merge`` of the reports of several machines is the report of the whole run.
"""

from __future__ import annotations

import math
from typing import Any

from ocelot_cli.errors import InputError
from ocelot_cli.load import stats
from ocelot_cli.load.stats import Aggregate, Bucket

FORMAT = "ocelot-load/1"


def measured_seconds(warmup: float, duration: float) -> range:
    start = math.ceil(warmup)
    return range(start, start + max(1, math.ceil(duration)))


def build(agg: Aggregate, meta: dict[str, Any]) -> dict[str, Any]:
    """The report of ``agg``; ``meta`` holds run_id, plan, duration, warmup, workers, cpu, notes ..."""
    duration = float(meta["duration"])
    window = measured_seconds(float(meta.get("warmup", 0.0)), duration)
    measured = float(meta.get("measured_s") or duration)  # shorter when the run was interrupted
    in_window: Any = stats.Counter()
    for second in window:
        bucket = agg.series.get(second)
        if bucket is not None:
            in_window.update(bucket.counts)
    c = agg.counts
    latency = {name: stats.summary(hist) for name, hist in agg.totals.items() if hist.get_total_count()}
    series = []
    for second in sorted(agg.series):
        bucket = agg.series[second]
        row: dict[str, Any] = {"second": second, "measured": second in window}
        row.update({k: bucket.counts.get(k, 0) for k in ("sent", "acked", "received")})
        for name, short in (("end_to_end", "e2e"), ("confirm", "confirm"), ("send_delay", "send_delay")):
            hist = bucket.hists.get(name)
            if hist is not None and hist.get_total_count():
                row[f"{short}_p50_ms"] = hist.get_value_at_percentile(50) / 1000
                row[f"{short}_p99_ms"] = hist.get_value_at_percentile(99) / 1000
                row[f"{short}_max_ms"] = hist.get_max_value() / 1000
        row["hists"] = {k: stats.encode(h) for k, h in bucket.hists.items()}
        series.append(row)
    report = {
        "format": FORMAT,
        "run_id": meta.get("run_id"),
        "started_at": meta.get("started_at"),
        "workers": meta.get("workers", 1),
        "mode": meta.get("mode", "amqp"),
        "target_rate": meta.get("target_rate"),
        "duration_s": duration,
        "measured_s": round(measured, 3),
        "warmup_s": float(meta.get("warmup", 0.0)),
        "plan": meta.get("plan", {}),
        "published": {
            "sent": c["sent"],
            "acked": c["acked"],
            "nacked": c["nacked"],
            "returned": c["returned"],
            "unsettled": c["unsettled"],
            "rate": round(in_window["sent"] / measured, 2),
        },
        "consumed": {
            "received": c["received"],
            "duplicates": c["duplicates"],
            "foreign": c["foreign"],
            "rate": round(in_window["received"] / measured, 2),
        },
        "lost": c["lost"] if meta.get("consumed", True) else None,  # None: nothing consumed (--consumers 0)
        # A cluster node lost mid-run: each publisher's failover (from, to, loss to first ack); the
        # schedule went on meanwhile, so the pause is in the latencies (coordinated omission).
        "failovers": list(meta.get("failovers", [])),
        "failover_window_s": max((f["window_s"] for f in meta.get("failovers", [])), default=None),
        **({"gateways": meta["gateways"]} if meta.get("gateways") else {}),  # --ws-url: what each gateway delivered
        "latency": latency,
        "histograms": {name: stats.encode(h) for name, h in agg.totals.items() if h.get_total_count()},
        "series": series,
        "cpu": meta.get("cpu", {}),
        "interrupted": bool(meta.get("interrupted", False)),
        **({"stopped_by": meta["stopped_by"]} if meta.get("stopped_by") else {}),  # 130 Ctrl-C, 143 SIGTERM
        "notes": list(meta.get("notes", [])),
    }
    return report


def aggregate_of(report: dict[str, Any], source: str = "report") -> Aggregate:
    """The Aggregate a report was built from (lossless: histograms travel encoded)."""
    if not isinstance(report, dict) or report.get("format") != FORMAT:
        raise InputError(f"{source}: not an ocelot load report (no \"format\": \"{FORMAT}\")",
                         hint="give files written by 'ocelot load --report FILE'")  # fmt: skip
    agg = Aggregate(float(report.get("warmup_s", 0.0)))
    pub, con = report.get("published", {}), report.get("consumed", {})
    for key in ("sent", "acked", "nacked", "returned", "unsettled"):
        agg.counts[key] = int(pub.get(key, 0))
    for key in ("received", "duplicates", "foreign"):
        agg.counts[key] = int(con.get(key, 0))
    agg.counts["lost"] = int(report.get("lost") or 0)
    try:
        for name, text in report.get("histograms", {}).items():
            stats.decode_into(agg.totals.setdefault(name, stats.new_histogram()), text)
        for row in report.get("series", []):
            bucket = agg.series.setdefault(int(row["second"]), Bucket())
            for key in ("sent", "acked", "received"):
                bucket.counts[key] = int(row.get(key, 0))
            for name, text in row.get("hists", {}).items():
                stats.decode_into(bucket.hist(name), text)
    except (ValueError, TypeError, KeyError) as exc:
        raise InputError(f"{source}: a histogram in the report cannot be decoded ({exc})") from None
    return agg


def merge(reports: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """One report for several workers of a run (or several runs side by side): counts and histograms add."""
    first = reports[0][1]
    total = Aggregate(float(first.get("warmup_s", 0.0)))
    cpu: dict[str, list[float]] = {}
    notes: list[str] = []
    workers = 0
    rates: list[float] = []
    for source, report in reports:
        total.add(aggregate_of(report, source))
        workers += int(report.get("workers", 1))
        for role, values in report.get("cpu", {}).items():
            cpu.setdefault(role, []).extend(values)
        notes += [f"{source}: {n}" for n in report.get("notes", [])]
        if isinstance(report.get("target_rate"), int | float):
            rates.append(float(report["target_rate"]))
        if report.get("duration_s") != first.get("duration_s") or report.get("warmup_s") != first.get("warmup_s"):
            notes.append(f"{source}: duration or warm-up differs from {reports[0][0]}; rates use the first file's")
    target: Any = sum(rates) if len(rates) == len(reports) else first.get("target_rate")
    meta = {
        "run_id": first.get("run_id"),
        "started_at": first.get("started_at"),
        "workers": workers,
        "mode": first.get("mode"),
        "target_rate": target,
        "duration": first.get("duration_s", 1.0),
        "warmup": first.get("warmup_s", 0.0),
        "plan": first.get("plan", {}),
        "cpu": cpu,
        "interrupted": any(r.get("interrupted") for _s, r in reports),
        "notes": notes,
        "gateways": _merged_gateways([r.get("gateways") or [] for _s, r in reports]),
        "failovers": [f for _s, r in reports for f in r.get("failovers") or []],
    }
    return build(total, meta)


def _merged_gateways(lists: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The gateways of several reports, one row per URL: clients and counts add (lost unknown if unknown anywhere)."""
    rows: dict[str, dict[str, Any]] = {}
    for gateways in lists:
        for gateway in gateways:
            row = rows.setdefault(gateway["url"], {"url": gateway["url"], "clients": 0, "received": 0,
                                                   "duplicates": 0, "lost": 0})  # fmt: skip
            for key in ("clients", "received", "duplicates"):
                row[key] += int(gateway.get(key) or 0)
            lost = gateway.get("lost")
            row["lost"] = None if lost is None or row["lost"] is None else row["lost"] + int(lost)
    return list(rows.values())
