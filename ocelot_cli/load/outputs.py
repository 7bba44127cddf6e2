"""The files a load run leaves for later: the JSON report, HdrHistogram percentile files, pictures."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ocelot_cli.errors import InputError
from ocelot_cli.load import stats


@dataclass
class LoadOutputs:
    """Where to write: ``--report`` (``-`` for stdout), ``--hgrm`` prefix, ``--plot`` files."""

    report_file: str | None = None
    hgrm: str | None = None
    plots: list[str] = field(default_factory=list)

    def check(self) -> None:
        """Refuse unusable output paths before the run, not after it."""
        from ocelot_cli.load import plots as plotting

        for path in self.plots:
            plotting.check_target(path)
        from ocelot_cli.formats.writable import check_writable

        named = (("--report", self.report_file), ("--hgrm", self.hgrm and f"{self.hgrm}.end_to_end.hgrm"),
                 *(("--plot", p) for p in self.plots))  # fmt: skip
        for option, path in named:
            if path and path != "-":
                check_writable(option, path)


def report_text(report: dict[str, Any]) -> str:
    """The report as the JSON ``--report`` writes."""
    return json.dumps(report, indent=1) + "\n"


def write_files(report: dict[str, Any], outputs: LoadOutputs, summary_lines: list[str]) -> list[str]:
    """Write every output file that was asked for (not ``--report -``); what was written, for people."""
    written = []
    if outputs.report_file and outputs.report_file != "-":
        _write(Path(outputs.report_file).expanduser(), report_text(report), "utf-8")
        written.append(f"report written to {outputs.report_file}")
    if outputs.hgrm:
        for name, encoded in report.get("histograms", {}).items():
            hist = stats.new_histogram()
            stats.decode_into(hist, encoded)
            path = Path(f"{outputs.hgrm}.{name}.hgrm").expanduser()
            _write(path, stats.percentile_distribution(hist), "ascii")
            written.append(f"percentile distribution written to {path}")
    for target in outputs.plots:
        from ocelot_cli.load import plots as plotting

        plotting.write(report, target, summary_lines)
        written.append(f"pictures written to {target}")
    return written


def _write(path: Path, text: str, encoding: str) -> None:
    """Write ``text``; an OSError names the file even when the failure came on write, not open (a full disk)."""
    try:
        path.write_text(text, encoding=encoding)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from exc


def without_series_histograms(report: dict[str, Any]) -> dict[str, Any]:
    """The report as ``--json`` prints it: the per-second series without their encoded histograms."""
    series = [{k: v for k, v in row.items() if k != "hists"} for row in report["series"]]
    return {k: v for k, v in report.items() if k != "series"} | {"series": series}


def read_reports(files: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """The reports of ``ocelot load merge``, each with its file name; InputError naming a bad file."""
    reports = []
    for name in files:
        try:
            data = json.loads(Path(name).read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(f"{name}: cannot read it: {exc.strerror}") from None
        except ValueError as exc:
            raise InputError(f"{name}: not JSON ({exc})", hint="give files written by 'ocelot load --report'") from None
        reports.append((name, data))
    return reports
