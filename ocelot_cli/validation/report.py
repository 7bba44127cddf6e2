"""Validate every event of files and streams into one report (``ocelot validate``, CI checks).

Nothing here prints: the report is plain data for ``render/validation.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import IO, Any

from ocelot_cli.envelope.validate import ERROR, WARNING, EventValidator, ValidationResult, Violation
from ocelot_cli.errors import ExitStatus
from ocelot_cli.formats.recording import body_problem, event_of, is_gap, is_recording
from ocelot_cli.formats.scenarios import ScenarioEvent, is_scenario
from ocelot_cli.formats.sources import ReadProblem, Record, display_name, read_sources
from ocelot_cli.transports.limits import amqp_problem

EVENT_KINDS = ("schema", "duplicate-key", "scenario", "not-an-event", "gap")


@dataclass(frozen=True)
class ScenarioRecord(Record):
    """A record expanded from a scenario step: keeps the step's timing and routing key."""

    scenario_event: ScenarioEvent | None = None


@dataclass(frozen=True)
class Problem:
    """One line of a validation report: where, which event, what."""

    source: str
    line: int | None
    column: int | None
    message: str
    severity: str = ERROR
    # schema | duplicate-key | scenario | not-an-event (problems of events: exit 1), or a problem of the
    # input itself: syntax | encoding | empty | unreadable | too-large | too-deep (exit 3)
    kind: str = "schema"
    path: str | None = None
    event_type: str | None = None
    index: int | None = None

    @property
    def where(self) -> str:
        if self.line is None:
            return self.source
        return f"{self.source}:{self.line}" + (f":{self.column}" if self.column else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "line": self.line,
            "column": self.column,
            "index": self.index,
            "type": self.event_type,
            "path": self.path,
            "severity": self.severity,
            "kind": self.kind,
            "message": self.message,
        }


@dataclass
class SourceSummary:
    """Counts for one source."""

    name: str
    events: int = 0
    invalid: int = 0


@dataclass
class EventOutcome:
    """One event's verdict (kept for per-event reports such as JUnit)."""

    source: str
    line: int
    index: int
    event_type: str | None
    event_id: str | None
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not any(p.severity == ERROR for p in self.problems)


@dataclass
class ValidationReport:
    """Everything ``ocelot validate`` found, in input order."""

    sources: dict[str, SourceSummary] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    outcomes: list[EventOutcome] = field(default_factory=list)
    # Records known to make a message whatever the command (a recording with its routing key), when the
    # check counted them (the parallel check does): such inputs need no second pass to prove they can be sent.
    routed: int | None = None

    @property
    def events(self) -> int:
        return sum(s.events for s in self.sources.values())

    @property
    def invalid(self) -> int:
        return sum(s.invalid for s in self.sources.values())

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def unreadable(self) -> list[Problem]:
        return [p for p in self.problems if p.kind not in EVENT_KINDS]

    def without_schema_problems(self) -> ValidationReport:
        """The report as --no-validate sees it: only problems that stop anything from being sent
        (unreadable input, values that are no event at all)."""
        kept = [p for p in self.problems if p.kind not in ("schema", "duplicate-key")]
        no_events = {(p.source, p.index if p.index is not None else p.line) for p in kept if p.kind == "not-an-event"}
        sources = {name: replace(s, invalid=sum(1 for where in no_events if where[0] == name))
                   for name, s in self.sources.items()}  # fmt: skip
        return ValidationReport(sources, kept, self.outcomes, self.routed)

    @property
    def exit_status(self) -> ExitStatus:
        """INPUT when any input could not be read, else INVALID when any event is invalid, else OK."""
        if self.unreadable:
            return ExitStatus.INPUT
        if self.errors:
            return ExitStatus.INVALID
        return ExitStatus.OK

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.exit_status is ExitStatus.OK,
            "exit_status": int(self.exit_status),
            "sources": [vars(s) for s in self.sources.values()],
            "events": self.events,
            "valid": self.events - self.invalid,
            "invalid": self.invalid,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "problems": [p.to_dict() for p in self.problems],
        }


def validate_sources(
    names: Iterable[str],
    validator: EventValidator,
    *,
    stdin: IO[bytes] | None = None,
    keep_outcomes: bool = False,
) -> ValidationReport:
    """Read and validate every event of the named sources; every problem is collected, none raised.

    Recorded messages (``ocelot tail --output``) are validated by their event, and YAML
    scenarios by each event they expand to (at the line of its step).
    """
    import time

    start = time.time()
    report = ValidationReport()
    pending_duplicates: list[Problem] = []
    for item in read_sources(names, stdin=stdin):
        source = display_name(item.source)
        summary = report.sources.get(source)
        if summary is None:
            summary = report.sources[source] = SourceSummary(source)
        if isinstance(item, ReadProblem):
            problem = Problem(source, item.line, item.column, item.message, ERROR, item.kind.value)
            if item.kind.value == "duplicate-key":
                pending_duplicates.append(problem)
            else:
                report.problems.append(problem)
            continue
        assert isinstance(item, Record)
        records = [item]
        if is_scenario(item.value):
            records = _scenario_records(item, source, validator, report, start)
        for record in records:
            check_record(record, source, summary, validator, report, pending_duplicates, keep_outcomes)
            pending_duplicates = []
    report.problems.extend(pending_duplicates)
    return report


def _scenario_records(
    item: Record, source: str, validator: EventValidator, report: ValidationReport, start: float
) -> list[Record]:
    """The events of a scenario as records at their steps' lines; scenario problems go to the report."""
    from ocelot_cli.formats.scenarios import expand

    expansion = expand(item.value, item.lines, validator.catalog, start=start)
    for problem in expansion.problems:
        report.problems.append(Problem(source, problem.line, None, problem.message, ERROR, "scenario"))
    report.sources[source].invalid += 1 if expansion.problems else 0
    return [
        ScenarioRecord(item.source, e.line, index, e.event, scenario_event=e)
        for index, e in enumerate(expansion.events)
    ]


def _unsendable(record: dict[str, Any]) -> str | None:
    """Why this recorded message cannot be sent (its body cannot be rebuilt; AMQP cannot carry its routing key
    or its properties), or None."""
    body = body_problem(record)
    if body is not None:
        return f"the recorded message cannot be sent: {body}"
    # Also a recording of a Redis or gateway channel: replayed to an exchange (--routing-key), its
    # properties go over AMQP; sent to Redis they are not used, and a file with broken ones is refused.
    routing_key = record.get("routing_key")
    if routing_key is not None and not isinstance(routing_key, str):
        problem: str | None = f"routing_key must be text, not {type(routing_key).__name__}"
    else:
        problem = amqp_problem("", routing_key or "", record.get("properties"))
    return f"the recorded message cannot be sent over AMQP: {problem}" if problem else None


def check_record(
    record: Record,
    source: str,
    summary: SourceSummary,
    validator: EventValidator,
    report: ValidationReport,
    duplicates: list[Problem],
    keep_outcomes: bool,
) -> Any:
    """Validate one record into the report (duplicates: its pending duplicate-key problems); its event.

    A gap record of a recording is no event: it is reported as a warning and not counted.
    """
    event = record.value
    if is_gap(event):
        reason = event.get("reason") or "the recording tail reconnected"
        report.problems.append(Problem(source, record.line, None, f"gap in the recording: {reason}", WARNING, "gap"))
        return None
    unsendable = None
    recorded = is_recording(event)
    if recorded:
        unsendable = _unsendable(event)
        event = event_of(event)
    if recorded and event is None:  # a recorded body that is not JSON (text or bytes): sendable as it was
        said = [] if unsendable else [Violation("$", "the recorded body is not JSON, so not a catalog event; "
                                                "--no-validate sends it as it was recorded")]  # fmt: skip
        result = ValidationResult(None, None, said)
    else:
        result = validator.validate(event)
    event_id = None
    if isinstance(event, dict):
        candidate = event.get("id", event.get("trace_id"))
        event_id = candidate if isinstance(candidate, str) else None
    problems = [
        Problem(p.source, p.line, p.column, p.message, p.severity, p.kind, None, None, record.index) for p in duplicates
    ]
    # A value that is no object at all cannot be published even with --no-validate: its own kind.
    kind = "schema" if isinstance(event, dict) or is_recording(record.value) else "not-an-event"
    problems += [
        Problem(source, record.line, None, v.message, v.severity, kind, v.path, result.event_type, record.index)
        for v in result.violations
    ]
    if unsendable:  # refused even with --no-validate: sent, it would close the connection
        problems.append(Problem(source, record.line, None, unsendable, ERROR, "not-an-event", None,
                                result.event_type, record.index))  # fmt: skip
    summary.events += 1
    if any(p.severity == ERROR for p in problems):
        summary.invalid += 1
    report.problems.extend(problems)
    if keep_outcomes:
        report.outcomes.append(EventOutcome(source, record.line, record.index, result.event_type, event_id, problems))
    return event
