"""Check reports (``ocelot smoke``, ``ocelot doctor``) as text, JSON, JUnit XML and GitHub annotations."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

from ocelot_cli.render.output import Output
from ocelot_cli.render.safe_text import escape_control
from ocelot_cli.smoke.checks import FAILED, PASSED, SKIPPED, WARNED, Report

_LABEL = {PASSED: "ok", FAILED: "FAIL", SKIPPED: "skip", WARNED: "warn"}
_STYLE = {PASSED: "\x1b[32m", FAILED: "\x1b[31m", SKIPPED: "\x1b[2m", WARNED: "\x1b[33m"}


def text_lines(report: Report, *, color: bool = False) -> Iterator[str]:
    width = max((len(c.name) for c in report.checks), default=8)
    for check in report.checks:
        label = f"{_LABEL[check.outcome]:<4}"
        if color:
            label = f"{_STYLE[check.outcome]}{label}\x1b[0m"
        took = f"  ({check.seconds * 1000:.0f} ms)" if check.outcome in (PASSED, FAILED, WARNED) else ""
        name = escape_control(check.name, one_line=True)
        yield f"  {label}  {name:<{width}}  {escape_control(check.message, one_line=True)}{took}"
        if check.hint and check.outcome in (FAILED, WARNED):
            yield f"  {'':<4}  {'':<{width}}  fix: {escape_control(check.hint, one_line=True)}"
    counts = {o: sum(1 for c in report.checks if c.outcome == o) for o in (PASSED, WARNED, FAILED, SKIPPED)}
    parts = [f"{n} {'passed' if o == PASSED else o if o != WARNED else 'warnings'}" for o, n in counts.items() if n]
    yield f"{escape_control(report.title, one_line=True)}: {', '.join(parts) or 'no checks'}" + (
        "" if report.ok else f" (exit {int(report.exit_status)})"
    )


def junit_xml(report: Report) -> str:
    """One test suite, one test case per check (skipped checks are <skipped/>)."""
    root = ET.Element("testsuites", name=report.title)
    suite = ET.SubElement(root, "testsuite", name=report.title)
    failures = skipped = 0
    for check in report.checks:
        case = ET.SubElement(suite, "testcase", classname=report.title, name=check.name,
                             time=f"{check.seconds:.4f}")  # fmt: skip
        message = escape_control(check.message)
        if check.outcome == FAILED:
            failures += 1
            failure = ET.SubElement(case, "failure", message=message, type=f"exit-{int(check.status)}")
            failure.text = message + (f"\nfix: {escape_control(check.hint)}" if check.hint else "")
        elif check.outcome == SKIPPED:
            skipped += 1
            ET.SubElement(case, "skipped", message=message)
        else:
            ET.SubElement(case, "system-out").text = message
    for element in (root, suite):
        element.set("tests", str(len(report.checks)))
        element.set("failures", str(failures))
        element.set("errors", "0")
        element.set("skipped", str(skipped))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _gh(text: str) -> str:
    return escape_control(text, one_line=True).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_lines(report: Report) -> Iterator[str]:
    """``::error title=...::message`` per failed check, ``::warning`` per warning, a ``::notice`` summary."""
    for check in report.checks:
        if check.outcome in (FAILED, WARNED):
            level = "error" if check.outcome == FAILED else "warning"
            hint = f" (fix: {check.hint})" if check.hint else ""
            title = _gh(f"{report.title}: {check.name}").replace(":", "%3A").replace(",", "%2C")
            yield f"::{level} title={title}::{_gh(check.message + hint)}"
    summary = list(text_lines(report))[-1]
    yield f"::notice title={_gh(report.title).replace(':', '%3A')}::{_gh(summary)}"


def print_report(out: Output, report: Report, fmt: str) -> None:
    """A check report on stdout in the format asked for: text, json, junit or github."""
    if fmt == "json":
        out.json(report.to_dict())  # as every --json: indented on a terminal, one line when piped
    elif fmt == "junit":
        out.raw(junit_xml(report))
    elif fmt == "github":
        for line in github_lines(report):
            out.data(line)
    else:
        for line in text_lines(report, color=out.color_for(out.stdout)):  # escaped there, coloured after
            out.raw(line)
