"""Catalog diff reports as text, JUnit XML and GitHub workflow annotations (JSON is report.to_dict())."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree as ET

from ocelot_cli.contract.changes import Change, DiffReport, Example
from ocelot_cli.render.output import Output
from ocelot_cli.render.safe_text import escape_control
from ocelot_cli.render.validation import gh_data, gh_property

_COLOURS = {"breaking": "31", "unchecked": "33", "compatible": "32"}
# keywords a change's kind already names: not repeated in its headline
_NAMED_BY_KIND = {"properties", "required", "additionalProperties", "type", "enum", "const", "pattern", "format"}


def _value(value: Any, limit: int = 80) -> str:
    if value is None:
        return "(none)"
    text = json.dumps(value, ensure_ascii=False, sort_keys=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def verdict(change: Change, report: DiffReport) -> str:
    """``breaking`` (fails the mode), ``unchecked`` (breaks only what the mode does not check) or ``compatible``."""
    if change.breaking(report.mode):
        return "breaking"
    return "unchecked" if change.breaks else "compatible"


def headline(change: Change) -> str:
    """``call.ended /data/duration: bounds-tightened maximum 7200 -> 3600, breaks BACKWARD`` (unescaped)."""
    where = " ".join(part for part in (change.event_type, change.path) if part)
    keyword = change.keyword if change.keyword not in _NAMED_BY_KIND else None
    what = " ".join(part for part in (change.kind, keyword) if part)
    proven = " (cannot prove compatible)" if change.unproven else ""
    return f"{where}: {what} {_value(change.old)} -> {_value(change.new)}, breaks {change.breaks_text}{proven}"


def example_text(example: Example) -> str:
    """``e.g. data {...} passes OLD; NEW says $.data.x: ...`` (unescaped)."""
    return (f"e.g. data {_value(example.data, 400)} passes {example.accepted_by}; "
            f"{example.refused_by} says {example.refusal}")  # fmt: skip


def text_lines(report: DiffReport, *, color: bool = False) -> Iterator[str]:
    """Each change: a headline with its verdict, then why and the examples for the breaking ones; escaped."""
    for change in report.changes:
        label = verdict(change, report)
        shown = f"\x1b[{_COLOURS[label]}m{label}\x1b[0m" if color else label
        yield f"{shown}: {escape_control(headline(change), one_line=True)}"
        if change.breaks:
            yield f"  why: {escape_control(change.why, one_line=True)}"
            for example in change.examples:
                yield f"  {escape_control(example_text(example), one_line=True)}"


def print_summary(output: Output, report: DiffReport) -> None:
    """One line on stderr: how many types and changes, how many break the mode."""
    changed = len({c.event_type for c in report.changes})
    total = len(report.changes)
    parts = [f"{len(report.types)} event type{'s' if len(report.types) != 1 else ''} compared",
             f"{changed} changed", f"{total} change{'s' if total != 1 else ''}"]  # fmt: skip
    breaking = len(report.breaking)
    line = ", ".join(parts) + f", {breaking} breaking {report.mode.value} compatibility"
    line += f" ({report.old} -> {report.new})"
    if breaking:
        output.failure(f"failed: {line}")
    else:
        output.success(f"ok: {line}")


def _xml(text: str) -> str:
    return escape_control(text)


def _detail(change: Change) -> str:
    lines = [headline(change)]
    if change.breaks:
        lines.append(f"why: {change.why}")
        lines += [example_text(e) for e in change.examples]
    return "\n".join(lines)


def junit_xml(report: DiffReport) -> str:
    """JUnit XML: one test case per event type of either side, failed when a change of it breaks the mode."""
    root = ET.Element("testsuites", name="ocelot catalog diff")
    suite = ET.SubElement(root, "testsuite", name=_xml(f"{report.old} -> {report.new} ({report.mode.value})"))
    failures = 0
    for name, (old_file, new_file) in report.types.items():
        case = ET.SubElement(suite, "testcase", classname="catalog diff", name=_xml(name))
        source = new_file or old_file
        if source:
            case.set("file", _xml(source))
        changes = report.changes_of(name)
        breaking = [c for c in changes if c.breaking(report.mode)]
        if breaking:
            failures += 1
            failure = ET.SubElement(case, "failure", type="breaking", message=_xml(headline(breaking[0])))
            failure.text = _xml("\n\n".join(_detail(c) for c in breaking))
        rest = [c for c in changes if not c.breaking(report.mode)]
        if rest:
            ET.SubElement(case, "system-out").text = _xml("\n".join(f"{verdict(c, report)}: {_detail(c)}"
                                                                    for c in rest))  # fmt: skip
    for element in (root, suite):
        element.set("tests", str(len(report.types)))
        element.set("failures", str(failures))
        element.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def github_annotations(report: DiffReport) -> Iterator[str]:
    """``::error`` for each breaking change, ``::warning`` for one the mode does not check, ``::notice`` else."""
    levels = {"breaking": "error", "unchecked": "warning", "compatible": "notice"}
    for change in report.changes:
        old_file, new_file = report.types.get(change.event_type, (None, None))
        props = []
        if new_file or old_file:
            file = (new_file or old_file or "").partition("#")[0]  # a document's message: the document itself
            props.append(f"file={gh_property(file)}")
        props.append(f"title={gh_property(f'ocelot catalog diff: {change.event_type}')}")
        message = _detail(change) if change.breaks else headline(change)
        body = "%0A".join(gh_data(line) for line in message.split("\n"))
        yield f"::{levels[verdict(change, report)]} {','.join(props)}::{body}"
