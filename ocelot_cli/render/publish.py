"""Progress and summary of publishing, on stderr (the JSON summary goes to stdout with --json)."""

from __future__ import annotations

from ocelot_cli.render.output import Output
from ocelot_cli.transports.messages import PublishReport


class ProgressLine:
    """One status line rewritten in place on a terminal; silent when stderr is not a terminal."""

    def __init__(self, output: Output, total: int | None, label: str = "published") -> None:
        self.output = output
        self.total = total
        self.label = label
        self.active = output.stderr.isatty() and not output.quiet
        self._shown = False

    def update(self, report: PublishReport) -> None:
        if not self.active:
            return
        done = report.published
        of = f"/{self.total:,}" if self.total else ""
        rate = report.confirmed / report.elapsed if report.elapsed else 0
        line = f"{self.label} {done:,}{of}  confirmed {report.confirmed:,}  {rate:,.0f}/s"
        if report.unroutable:
            line += f"  unroutable {report.unroutable:,}"
        if report.republished:
            line += f"  republished {report.republished:,}"
        if self.total and rate > 0 and done < self.total:
            line += f"  ETA {(self.total - done) / rate:,.0f}s"
        self.output.stderr.write("\r\x1b[2K" + line)
        self.output.stderr.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self.output.stderr.write("\r\x1b[2K")
            self.output.stderr.flush()


def summary_line(report: PublishReport, target: str, *, channels: bool = False) -> str:
    """``published 100, confirmed 100, unroutable 0, ... in 0.42s (238/s) to EXCHANGE at URL``.

    published = confirmed + unroutable + nacked + unconfirmed (sent, never answered); what was
    taken but not sent is "not sent". On real-time channels "confirmed" means at least one
    subscriber received the message.
    """
    parts = [
        f"published {report.published:,}",
        f"{'received' if channels else 'confirmed'} {report.confirmed:,}",
        f"{'no subscriber' if channels else 'unroutable'} {report.unroutable:,}",
        f"nacked {report.nacked:,}",
        f"unconfirmed {report.unconfirmed:,}",
    ]
    if report.unsent:
        parts.append(f"not sent {report.unsent:,}")
    if report.republished or report.reconnects:
        parts.append(f"republished {report.republished:,} after {report.reconnects} reconnect(s)")
    if report.possible_duplicates:
        parts.append(f"possible duplicates {report.possible_duplicates:,} (their ids: --json)")
    moved = [f for f in report.failovers if f["from"] != f["to"]]
    if moved:
        windows = ", ".join(f"{f['window_s']:.2f}s" if f.get("settled", True) else "no ack since" for f in moved)
        parts.append(f"failed over {len(moved)}x to {moved[-1]['to']} (window {windows})")
    return f"{', '.join(parts)} in {report.elapsed:.2f}s ({report.rate:,.0f}/s) to {target}"


def print_summary(output: Output, report: PublishReport, target: str, *, channels: bool = False) -> None:
    line = summary_line(report, target, channels=channels)
    if report.ok:
        output.success(line)
    else:
        output.failure(line)
