"""``ocelot validate``: check event files against the catalog, for people and for CI."""

from __future__ import annotations

from typing import Annotated

import typer

from ocelot_cli.commands import options
from ocelot_cli.commands.options import ReportFormat
from ocelot_cli.commands.state import state_of


def validate(
    ctx: typer.Context,
    files: Annotated[
        list[str],
        typer.Argument(
            metavar="FILE...",
            help="JSON, JSON lines or YAML files, directories of them, or - for stdin.",
        ),
    ],
    fmt: options.ReportFormatOption = None,
    as_json: options.Json = False,
    strict: options.Strict = False,
    envelope: options.Envelope = None,
    old_fmt: options.OldReportFormat = None,
    old_envelope: options.OldEnvelope = None,
    catalog_dirs: options.CatalogDirs = None,
) -> None:
    """Validate events against the catalog and report every problem at once, with file:line.

    Exit status 0 when every event is valid, 1 when any event is invalid, 3 when any
    input could not be read (missing file, syntax error, not UTF-8, empty).

    \b
    Examples:
      ocelot validate events.jsonl
      ocelot catalog sample call.ended | ocelot validate -
      ocelot validate fixtures/ --format junit > validate-report.xml
      ocelot validate recorded.jsonl --strict --bus platform
    """
    import sys

    from ocelot_cli.envelope.model import EnvelopeKind
    from ocelot_cli.envelope.validate import EventValidator
    from ocelot_cli.formats.sources import refuse_stdin_twice
    from ocelot_cli.render import validation as render
    from ocelot_cli.validation.report import validate_sources

    state = state_of(ctx)
    fmt = options.either(fmt, options.old_report_format(old_fmt, "validate"), "--format/-f")
    report_format = ReportFormat(options.chosen_format(fmt, as_json))
    envelope = options.either(envelope, old_envelope, "--bus/--envelope")
    refuse_stdin_twice(files)
    validator = EventValidator(
        state.catalog(catalog_dirs),
        strict=strict,
        envelope=EnvelopeKind(envelope.value) if envelope else None,
    )
    if report_format is ReportFormat.junit:  # one test case per event: keep every outcome
        report = validate_sources(files, validator, stdin=sys.stdin.buffer, keep_outcomes=True)
    else:
        from ocelot_cli.validation.parallel import check_sources

        report = check_sources(list(files), validator, stdin=sys.stdin.buffer)
    out = state.output
    color = out.color_for(out.stdout)
    render.print_report(out, report_format.value, report, junit=render.junit_xml, github=render.github_annotations,
                        text=lambda: (render.text_line(problem, color=color) for problem in report.problems))
    for summary in report.sources.values():
        out.detail(f"{summary.name}: {summary.events} events, {summary.invalid} invalid")
    render.print_summary(out, report)
    if report.exit_status != 0:
        from ocelot_cli.errors import ValidationFailed

        raise ValidationFailed(f"{report.invalid} invalid event(s), {len(report.unreadable)} unreadable input(s)",
                               status=report.exit_status, reported=True)  # fmt: skip
