"""Pictures of a load report (matplotlib): latency over time and the percentile distribution.

``.png`` / ``.svg`` / ``.pdf`` write one image with both charts; ``.html`` writes a
self-contained page (the chart inlined as SVG, the summary and the assertions as tables).
"""

from __future__ import annotations

import html
import io
from pathlib import Path
from typing import Any

from ocelot_cli.errors import UsageProblem
from ocelot_cli.load import stats

FORMATS = (".png", ".svg", ".pdf", ".html")
_SERIES = (("e2e_p50_ms", "end to end p50"), ("e2e_p99_ms", "end to end p99"), ("e2e_max_ms", "end to end max"),
           ("confirm_p99_ms", "confirm p99"))  # fmt: skip


def check_target(path: str) -> None:
    if Path(path).suffix.lower() not in FORMATS:
        raise UsageProblem(f"--plot {path}: unknown picture type", hint=f"name a file ending in {', '.join(FORMATS)}")


def _figure(report: dict[str, Any]) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, LogLocator

    figure = Figure(figsize=(11, 8), layout="constrained")
    over_time, distribution = figure.subplots(2, 1)
    series = report.get("series", [])
    for key, label in _SERIES:
        points = [(row["second"], row[key]) for row in series if row.get(key) is not None]
        if points:
            xs, ys = zip(*points, strict=True)
            over_time.plot(xs, ys, marker=".", label=label)
    warmup = report.get("warmup_s", 0)
    if warmup:
        over_time.axvspan(0, warmup, color="0.9", label="warm-up")
    over_time.set_yscale("log")
    plain = FuncFormatter(lambda y, _pos: f"{y:g}")
    # Labels at 1, 2 and 5 of each decade only: labelling every minor tick of a log axis makes
    # them overlap as soon as the latencies span more than a decade.
    over_time.yaxis.set_major_locator(LogLocator(base=10))
    over_time.yaxis.set_minor_locator(LogLocator(base=10, subs=(2.0, 5.0)))
    over_time.yaxis.set_major_formatter(plain)
    over_time.yaxis.set_minor_formatter(plain)
    over_time.set_xlabel("second of intended send time")
    over_time.set_ylabel("latency (ms)")
    target = report.get("target_rate")
    target_text = f"{target:g} msg/s" if isinstance(target, int | float) else "max rate"
    over_time.set_title(f"latency over time (run {report.get('run_id')}, target {target_text})")
    over_time.grid(True, which="both", alpha=0.3)
    over_time.legend(loc="upper left", fontsize="small")

    for name, encoded in report.get("histograms", {}).items():
        hist = stats.new_histogram()
        stats.decode_into(hist, encoded)
        xs, ys = [], []
        for item in hist.get_percentile_iterator(5):
            p = item.percentile_level_iterated_to / 100.0
            if p >= 1.0:
                break
            xs.append(1.0 / (1.0 - p))
            ys.append(item.value_iterated_to / 1000.0)
        if xs:
            distribution.plot(xs, ys, label=name.replace("_", " "))
    distribution.set_xscale("log")
    distribution.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{100 - 100 / x:g}%"))
    distribution.set_xlabel("percentile")
    distribution.set_ylabel("latency (ms)")
    distribution.set_title("latency by percentile (HdrHistogram, from the intended send time)")
    distribution.grid(True, which="both", alpha=0.3)
    distribution.legend(loc="upper left", fontsize="small")
    return figure


def write(report: dict[str, Any], path: str, summary_lines: list[str]) -> None:
    """Write the picture(s) of ``report`` to ``path`` (format from the suffix)."""
    target = Path(path)
    figure = _figure(report)
    try:
        if target.suffix.lower() == ".html":
            svg = io.StringIO()
            figure.savefig(svg, format="svg")
            target.write_text(_page(report, svg.getvalue(), summary_lines), encoding="utf-8")
        else:
            figure.savefig(target, dpi=110)
    except OSError as exc:
        raise UsageProblem(f"--plot {path}: cannot write it: {exc.strerror}") from None


def _page(report: dict[str, Any], svg: str, summary_lines: list[str]) -> str:
    svg = svg[svg.find("<svg") :]  # drop the XML prolog and doctype
    title = f"ocelot load run {report.get('run_id')}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em;max-width:1100px}pre{background:#f6f6f6;padding:1em}"
        "</style></head><body>"
        f"<h1>{html.escape(title)}</h1><pre>{html.escape(chr(10).join(summary_lines))}</pre>{svg}</body></html>\n"
    )
