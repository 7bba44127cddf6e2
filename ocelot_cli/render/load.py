"""``ocelot load`` on screen: the live dashboard (rich, on a terminal), progress lines, the summary."""

from __future__ import annotations

import time
from typing import Any

from ocelot_cli.load.stats import Aggregate
from ocelot_cli.render.output import Output
from ocelot_cli.render.safe_text import escape_control

_ROWS = (("end_to_end", "end to end"), ("confirm", "confirm"), ("send_delay", "send delay"))
_STATS = (("p50_ms", "p50"), ("p90_ms", "p90"), ("p99_ms", "p99"), ("p99_9_ms", "p99.9"), ("max_ms", "max"))


def _ms(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}" if value < 1000 else f"{value:.0f}"


class Dashboard:
    """Per-second view of a running load test: a rich Live panel on a terminal, else a line every 5 s."""

    def __init__(self, output: Output, *, target: str, total_time: float) -> None:
        self.out = output
        self.target = target
        self.total_time = total_time
        self.live: Any = None
        self._last_line = 0.0
        if not output.quiet and output.stderr.isatty():
            from rich.live import Live

            self.live = Live(console=output.console(stderr=True), refresh_per_second=4, transient=True)
            self.live.start()

    def update(self, agg: Aggregate, elapsed: float, live: dict[str, Any]) -> None:
        second = int(elapsed) - 1  # the last complete second
        bucket = agg.series.get(second)
        counts = bucket.counts if bucket else {}
        e2e = bucket.hists.get("end_to_end") if bucket else None
        confirm = bucket.hists.get("confirm") if bucket else None
        delay = bucket.hists.get("send_delay") if bucket else None

        def p(h: Any, q: float) -> str:
            return _ms(h.get_value_at_percentile(q) / 1000) if h is not None and h.get_total_count() else "-"

        def mx(h: Any) -> str:
            return _ms(h.get_max_value() / 1000) if h is not None and h.get_total_count() else "-"

        phase = live.get("phase", "")
        if elapsed < 0:
            phase, elapsed = f"starting in {-elapsed:.0f}s", 0.0
        clock = f"{min(elapsed, self.total_time):5.1f}/{self.total_time:g}s"
        if self.live is not None:
            from rich.console import Group
            from rich.table import Table
            from rich.text import Text

            rates = Table(box=None, pad_edge=False, show_edge=False)
            for name in ("", "last second", "total"):
                rates.add_column(name, justify="right" if name else "left")
            for label, key in (("sent", "sent"), ("acked", "acked"), ("received", "received")):
                rates.add_row(label, f"{counts.get(key, 0)}/s", str(agg.counts[key]))
            latency = Table(box=None, pad_edge=False, show_edge=False)
            for name in ("latency (ms)", "p50", "p99", "max"):
                latency.add_column(name, justify="right" if name != "latency (ms)" else "left")
            for label, hist in (("end to end", e2e), ("confirm", confirm), ("send delay", delay)):
                latency.add_row(label, p(hist, 50), p(hist, 99), mx(hist))
            title = Text(f"ocelot load  {phase}  {clock}  target {self.target}", style="bold")
            self.live.update(Group(title, rates, latency))
        elif not self.out.quiet and (time.monotonic() - self._last_line >= 5.0 or self.out.verbose):
            self._last_line = time.monotonic()
            self.out.status(
                f"load {phase} {clock}: {counts.get('sent', 0)} sent/s, {counts.get('received', 0)} received/s, "
                f"e2e p99 {p(e2e, 99)} ms, total {agg.counts['sent']} sent"
            )

    def notice(self, message: str) -> None:
        if self.live is not None:
            from rich.text import Text

            self.live.console.print(Text(f"warning: {message}", style="yellow"))
        else:
            self.out.warn(message)

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None


def _over(plan: dict[str, Any]) -> str:
    ws = plan.get("ws") or {}
    return f" over {ws['clients']} WebSocket connection(s)" if ws.get("clients") else ""


def _gateway_lines(report: dict[str, Any]) -> list[str]:
    """With several gateways (--ws-url URL1,URL2): what each one delivered (URLs already masked)."""
    gateways = report.get("gateways") or []
    if len(gateways) < 2:
        return []
    lines = []
    for number, gateway in enumerate(gateways, 1):
        lost = "?" if gateway.get("lost") is None else gateway["lost"]
        url = escape_control(str(gateway["url"]), one_line=True)
        lines.append(f"    gateway {number} {url}: {gateway['clients']} client(s), "
                     f"{gateway['received']} received, {gateway['duplicates']} duplicates, {lost} lost")  # fmt: skip
    return lines


def _failover_lines(report: dict[str, Any]) -> list[str]:
    """A cluster node lost mid-run: each failover and its window (loss to the first ack), URLs masked."""
    return [f"  failover   {escape_control(str(f['from']), one_line=True)} -> "
            f"{escape_control(str(f['to']), one_line=True)}: {f['window_s']:.2f}s without confirms, "
            "the schedule kept (the pause is in the latencies)" for f in report.get("failovers") or []]  # fmt: skip


def summary_text(report: dict[str, Any], where: str) -> list[str]:
    """The human summary of a report."""
    plan = report.get("plan", {})
    pub, con = report["published"], report["consumed"]
    target = report.get("target_rate")
    target_text = "max" if target in (None, "max") else f"{target:g} msg/s"
    lines = [
        f"ocelot load  run {report.get('run_id')}  {where}"
        + ("  (INTERRUPTED: partial report)" if report.get("interrupted") else ""),
        f"  target {target_text} for {report['duration_s']:g}s (warm-up {report['warmup_s']:g}s), "
        f"{plan.get('publishers', '?')} publisher(s), {plan.get('consumers', '?')} consumer process(es)"
        + (f", {report['workers']} workers" if report.get("workers", 1) > 1 else ""),
        f"  published  {pub['sent']} sent, {pub['acked']} acked, {pub['nacked']} nacked, {pub['returned']} unroutable"
        f"   rate {pub['rate']:.1f}/s",
        (
            f"  consumed   {con['received']} received{_over(plan)}, {con['duplicates']} duplicates, "
            f"{report['lost']} lost"
            + (f", {con['foreign']} foreign" if con.get("foreign") else "")
            + f"   rate {con['rate']:.1f}/s"
        )
        if report["lost"] is not None
        else "  consumed   nothing: publish only (--consumers 0)",
        *_gateway_lines(report),
        *_failover_lines(report),
        "  latency in ms, from the intended send time",
        f"    {'':<14}" + "".join(f"{label:>9}" for _k, label in _STATS),
    ]
    for key, label in _ROWS:  # 4 + 14 + 5 x 9 = 63 columns: fits a terminal of 80
        values = report["latency"].get(key)
        if values:
            lines.append(f"    {label:<14}" + "".join(f"{_ms(values.get(k)):>9}" for k, _l in _STATS))
    cpu = report.get("cpu", {})
    if cpu:
        parts = [f"{role} " + ", ".join(f"{v:.0f}%" for v in values if v is not None)
                 for role, values in cpu.items() if values]  # fmt: skip
        lines.append("  client CPU (100% = one core): " + "; ".join(parts))
    for note in report.get("notes", []):
        lines.append(f"  note: {note}")
    for result in report.get("assertions", []):
        verdict = "ok" if result["ok"] else "FAILED"
        lines.append(f"  assert {result['assert']}: {verdict} (actual {result['actual']})")
    return lines
