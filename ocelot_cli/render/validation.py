"""Validation reports as text, JUnit XML and GitHub workflow annotations (JSON is report.to_dict())."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any
from xml.etree import ElementTree as ET

from ocelot_cli.envelope.validate import WARNING
from ocelot_cli.render.output import Output
from ocelot_cli.render.safe_text import escape_control
from ocelot_cli.validation.report import Problem, ValidationReport


def text_line(problem: Problem, *, color: bool = False) -> str:
    """``file:line: error: TYPE $.path: message``, every part from the input escaped, then coloured:
    ready for ``Output.raw``."""
    label = problem.severity
    if color:
        label = f"\x1b[{'33' if problem.severity == WARNING else '31'}m{label}\x1b[0m"
    subject = " ".join(part for part in (problem.event_type, problem.path) if part)
    subject = f"{subject}: " if subject else ""
    return f"{escape_control(problem.where, one_line=True)}: {label}: {escape_control(subject + problem.message)}"


def print_summary(output: Output, report: ValidationReport) -> None:
    """One line on stderr: how many events, invalid, warnings, unreadable inputs."""
    files = len(report.sources)
    parts = [f"{report.events} event{'s' if report.events != 1 else ''} in {files} source{'s' if files != 1 else ''}"]
    if report.invalid:
        parts.append(f"{report.invalid} invalid")
    if report.warnings:
        parts.append(f"{len(report.warnings)} warning{'s' if len(report.warnings) != 1 else ''}")
    if report.unreadable:
        parts.append(f"{len(report.unreadable)} input problem{'s' if len(report.unreadable) != 1 else ''}")
    line = ", ".join(parts)
    if report.exit_status == 0:
        output.success(f"ok: {line}")
    else:
        output.failure(f"failed: {line}")


def _problem_text(problem: Problem) -> str:
    return ": ".join(part for part in (problem.path, problem.message) if part)


def _xml_text(text: str) -> str:
    # XML 1.0 cannot carry most control characters at all; show them escaped.
    return escape_control(text)


def junit_xml(report: ValidationReport) -> str:
    """JUnit XML: a test suite per source, a test case per event, plus one per unreadable input."""
    root = ET.Element("testsuites", name="ocelot validate")
    suites: dict[str, ET.Element] = {}
    counts: dict[str, list[int]] = {}

    def suite_for(source: str) -> ET.Element:
        if source not in suites:
            suites[source] = ET.SubElement(root, "testsuite", name=_xml_text(source))
            counts[source] = [0, 0, 0]
        return suites[source]

    for source in report.sources:
        suite_for(source)
    for outcome in report.outcomes:
        suite = suite_for(outcome.source)
        label = " ".join(p for p in (outcome.event_type or "event", outcome.event_id) if p)
        case = ET.SubElement(
            suite,
            "testcase",
            classname=_xml_text(outcome.source),
            name=_xml_text(f"line {outcome.line}: {label}"),
            file=_xml_text(outcome.source),
            line=str(outcome.line),
        )
        counts[outcome.source][0] += 1
        errors = [p for p in outcome.problems if p.severity != WARNING]
        if errors:
            counts[outcome.source][1] += 1
            failure = ET.SubElement(
                case,
                "failure",
                message=_xml_text(_problem_text(errors[0])),
                type="invalid",
            )
            failure.text = _xml_text("\n".join(f"{p.where}: {_problem_text(p)}" for p in errors))
        warnings = [p for p in outcome.problems if p.severity == WARNING]
        if warnings:
            ET.SubElement(case, "system-out").text = _xml_text(
                "\n".join(f"warning: {_problem_text(p)}" for p in warnings)
            )
    for problem in report.unreadable:
        suite = suite_for(problem.source)
        case = ET.SubElement(
            suite, "testcase", classname=_xml_text(problem.source), name=_xml_text(f"read {problem.source}")
        )
        counts[problem.source][0] += 1
        counts[problem.source][2] += 1
        error = ET.SubElement(case, "error", message=_xml_text(problem.message), type=problem.kind)
        error.text = _xml_text(f"{problem.where}: {problem.message}")
    totals = [0, 0, 0]
    for source, suite in suites.items():
        tests, failures, errors = counts[source]
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", str(errors))
        totals = [totals[0] + tests, totals[1] + failures, totals[2] + errors]
    root.set("tests", str(totals[0]))
    root.set("failures", str(totals[1]))
    root.set("errors", str(totals[2]))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def gh_data(text: str) -> str:
    return escape_control(text, one_line=True).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def gh_property(text: str) -> str:
    return gh_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(report: ValidationReport) -> Iterator[str]:
    """GitHub Actions workflow commands: ``::error file=F,line=L,title=T::message``."""
    for problem in report.problems:
        level = "warning" if problem.severity == WARNING else "error"
        props = [f"file={gh_property(problem.source)}"]
        if problem.line is not None:
            props.append(f"line={problem.line}")
        if problem.column is not None:
            props.append(f"col={problem.column}")
        title = f"ocelot validate: {problem.event_type or problem.kind}"
        props.append(f"title={gh_property(title)}")
        subject = f"{problem.path}: " if problem.path else ""
        yield f"::{level} {','.join(props)}::{gh_data(subject + problem.message)}"


def print_report(out: Output, fmt: str, report: Any, *, junit: Callable[[Any], str],
                 github: Callable[[Any], Iterable[str]], text: Callable[[], Iterable[str]]) -> None:  # fmt: skip
    """A report on stdout in ``fmt`` (text, json, junit or github), as ``validate`` and ``catalog diff`` give it."""
    if fmt == "json":
        out.json(report.to_dict())
    elif fmt == "junit":
        out.raw(junit(report))
    else:
        for line in github(report) if fmt == "github" else text():
            out.raw(line)

