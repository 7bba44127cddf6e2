"""``ocelot catalog``: list, show, export the schema of, and sample event types."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from ocelot_cli.commands import options
from ocelot_cli.commands.state import state_of

app = typer.Typer(
    help="The event catalog: every event type of both specs, with schemas and samples.",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.command("list")
def list_types(
    ctx: typer.Context,
    envelope: options.Envelope = None,
    catalog_dirs: options.CatalogDirs = None,
    fmt: options.ListFormat = None,
    as_json: options.Json = False,
    old_envelope: options.OldEnvelope = None,
) -> None:
    """List every event type: a table on a terminal, JSON when piped or with --json.

    \b
    Examples:
      ocelot catalog list
      ocelot catalog list --bus realtime
      ocelot catalog list --json | jq -r '.[].type'
    """
    from ocelot_cli.render import catalog as render

    state = state_of(ctx)
    envelope = options.either(envelope, old_envelope, "--bus/--envelope")
    catalog = state.catalog(catalog_dirs)
    entries = [e for e in catalog if envelope is None or e.envelope.value == envelope.value]
    if options.chosen_format(fmt, as_json, state.output.data_format) == "json":
        state.output.json([e.summary() for e in entries])
    else:
        render.print_type_table(state.output, entries)


@app.command("show")
def show(
    ctx: typer.Context,
    event_type: options.EventTypeArg,
    catalog_dirs: options.CatalogDirs = None,
    fmt: options.ListFormat = None,
    as_json: options.Json = False,
) -> None:
    """Show one event type: description, routing key or channels, and its data fields.

    \b
    Examples:
      ocelot catalog show call.ended
      ocelot catalog show task.updated --json
    """
    from ocelot_cli.render import catalog as render

    state = state_of(ctx)
    entry = state.catalog(catalog_dirs).get(event_type)
    if options.chosen_format(fmt, as_json, state.output.data_format) == "json":
        state.output.json({**entry.summary(), "data_schema": entry.data_schema})
    else:
        render.print_type_detail(state.output, entry)


@app.command("schema")
def schema(
    ctx: typer.Context,
    event_type: options.EventTypeArg,
    data_only: Annotated[
        bool, typer.Option("--data-only", help="Only the schema of `data`, not the envelope.")
    ] = False,
    strict: options.Strict = False,
    catalog_dirs: options.CatalogDirs = None,
) -> None:
    """Export the standard JSON Schema (draft 2020-12) of an event type.

    \b
    Examples:
      ocelot catalog schema call.ended > call.ended.schema.json
      ocelot catalog schema task.updated --data-only --strict
    """
    from ocelot_cli.envelope.catalog import JSON_SCHEMA_DIALECT, close_objects

    state = state_of(ctx)
    catalog = state.catalog(catalog_dirs)
    if data_only:
        entry = catalog.get(event_type)
        body = close_objects(entry.data_schema) if strict else entry.data_schema
        document = {"$schema": JSON_SCHEMA_DIALECT, "title": f"{entry.name} data", **body}
    else:
        document = catalog.event_schema(event_type, strict=strict)
    state.output.json(document)


@app.command("sample")
def sample(
    ctx: typer.Context,
    event_types: Annotated[
        list[str] | None,
        typer.Argument(metavar="TYPE...", help="Event types to sample.", autocompletion=options.complete_event_type),
    ] = None,
    all_types: Annotated[bool, typer.Option("--all", help="One sample (or --count) of every type.")] = False,
    count: Annotated[int, typer.Option("--count", "-n", min=1, metavar="N", help="Samples per type.")] = 1,
    assignments: options.Assignments = None,
    org: options.Org = None,
    user: options.User = None,
    tenant: options.Tenant = None,
    lead: options.Lead = None,
    seed: options.Seed = None,
    envelope: options.Envelope = None,
    old_envelope: options.OldEnvelope = None,
    catalog_dirs: options.CatalogDirs = None,
    as_json: Annotated[bool, typer.Option("--pretty/--lines", help="Indented JSON, or one event per line.")] = None,
    no_validate: Annotated[
        bool, typer.Option("--no-validate", help="Print samples even if --set makes them break the catalog.")
    ] = False,
) -> None:
    """Print realistic, valid sample events (JSON; one per line when piped or several).

    \b
    Examples:
      ocelot catalog sample call.ended --org org-1 --set data.outcome=callback_requested
      ocelot catalog sample telephony.sms.sent --tenant t1 --lead l-42 --seed 7
      ocelot catalog sample --all --count 3 > every-type.jsonl
    """
    from ocelot_cli.envelope.samples import SampleFactory
    from ocelot_cli.errors import UsageProblem

    state = state_of(ctx)
    catalog = state.catalog(catalog_dirs)
    names = catalog.names() if all_types else list(event_types or [])
    if not names:
        raise UsageProblem("name at least one event type, or use --all", hint="see 'ocelot catalog list'")
    for name in names:
        catalog.get(name)  # unknown types fail before anything is printed
    factory = SampleFactory(catalog, options.sample_options(org, user, tenant, lead, seed, assignments,
                                                           options.either(envelope, old_envelope, "--bus/--envelope")))
    if not no_validate:  # as publish does: a --set typo or a value the catalog refuses is an error
        from ocelot_cli.envelope.validate import EventValidator
        from ocelot_cli.publishing.publish import check_samples

        check_samples(factory, names, EventValidator(catalog))
    total = len(names) * count
    pretty = as_json if as_json is not None else (state.output.stdout_is_tty and total == 1)
    for name in names:
        for _ in range(count):
            state.output.json(factory.make(name), pretty=pretty)


class ExportFormat(StrEnum):
    asyncapi = "asyncapi"


@app.command("export")
def export(
    ctx: typer.Context,
    fmt: Annotated[
        ExportFormat,
        typer.Option("--format", metavar="asyncapi", help="The kind of document: asyncapi (AsyncAPI 3.0.0)."),
    ] = ExportFormat.asyncapi,
    envelope: options.Envelope = None,
    old_envelope: options.OldEnvelope = None,
    catalog_dirs: options.CatalogDirs = None,
    output_file: Annotated[
        str | None,
        typer.Option("--output", "-o", metavar="FILE", show_default=False,
                     help="Write the document to FILE, replaced whole or not at all: YAML for .yaml/.yml, JSON "
                     "otherwise. Default: stdout."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of YAML on stdout.")] = False,
    amqp_url: options.AmqpUrl = None,
    exchange: options.Exchange = None,
    ws_url: options.WsUrl = None,
    redis_url: options.RedisUrl = None,
) -> None:  # fmt: skip
    """Export the catalog as one AsyncAPI 3.0 document, for AsyncAPI tools (docs, code generators).

    Servers come from the settings (flags, OCELOT_* variables, the profile) without user names,
    passwords or query parameters; --bus exports one side only.

    \b
    Examples:
      ocelot catalog export -o asyncapi.yaml
      ocelot catalog export --catalog ./events --bus platform --json | jq '.channels | keys'
      ocelot --profile staging catalog export -o docs/asyncapi.json
    """
    from ocelot_cli.contract.asyncapi_export import asyncapi_document, write_document
    from ocelot_cli.envelope.model import EnvelopeKind
    from ocelot_cli.render.document import document_text

    state = state_of(ctx)
    envelope = options.either(envelope, old_envelope, "--bus/--envelope")
    file_json = _export_target(output_file, as_json)
    bus = _bus_settings(state, amqp_url, exchange, ws_url, redis_url)
    exported = asyncapi_document(state.catalog(catalog_dirs), bus,
                                 envelope=EnvelopeKind(envelope.value) if envelope else None)  # fmt: skip
    for note in exported.notes:
        state.output.warn(note)
    if file_json is None:
        state.output.raw(document_text(exported.document, as_json=as_json))
        return
    write_document(output_file, document_text(exported.document, as_json=file_json))
    doc = exported.document
    counts = f"{len(doc['channels'])} channels, {len(doc['operations'])} operations"
    state.output.status(f"wrote {output_file}: AsyncAPI {doc['asyncapi']}, {counts}, "
                        f"{len(doc['components']['messages'])} messages")  # fmt: skip


def _export_target(output_file: str | None, as_json: bool) -> bool | None:
    """Whether -o's file is JSON (its name decides); None for stdout. Checked before any work."""
    if output_file is None or output_file == "-":
        return None
    from ocelot_cli.errors import UsageProblem
    from ocelot_cli.formats.writable import check_writable

    if not output_file.strip():
        raise UsageProblem("-o '': give a file name, or - for stdout")
    yaml_name = output_file.lower().endswith((".yaml", ".yml"))
    if as_json and yaml_name:
        raise UsageProblem(f"--json and -o {output_file} disagree: the file's name asks for YAML",
                           hint="name the file .json, or leave out --json")  # fmt: skip
    check_writable("-o", output_file)
    return not yaml_name


def _bus_settings(state, amqp_url, exchange, ws_url, redis_url):  # noqa: ANN001, ANN202
    """Where the buses are: each URL by flag > env > profile > default, of its setting's kind."""
    from ocelot_cli.commands.state import node_list
    from ocelot_cli.contract.asyncapi_servers import BusSettings, check_server_urls

    state.warn_secrets_in_flags({"amqp_url": amqp_url, "ws_url": ws_url, "redis_url": redis_url})
    urls = {}
    for setting, flag, option in (("amqp_url", node_list(amqp_url), "--amqp-url"), ("ws_url", ws_url, "--ws-url"),
                                  ("redis_url", redis_url, "--redis-url")):  # fmt: skip
        value, source, _from_flag = state.setting_url(setting, flag, option)
        check_server_urls(value, source)
        urls[setting] = value
    return BusSettings(exchange=state.settings().get("exchange", exchange) or "ocelot.events", **urls)


class DiffMode(StrEnum):
    """--mode of diff: contract.changes.Mode's values, here so that --help imports nothing of the diff."""

    backward = "backward"
    forward = "forward"
    full = "full"


@app.command("diff")
def diff(
    ctx: typer.Context,
    old: Annotated[str, typer.Argument(metavar="OLD", help="Catalog directory, AsyncAPI document, git:REF[:PATH] "
                                                           "or builtin.")],  # fmt: skip
    new: Annotated[str, typer.Argument(metavar="NEW", help="The same kinds as OLD.")],
    mode: Annotated[DiffMode, typer.Option("--mode", metavar="backward|forward|full", show_default=False,
                                           help="The compatibility that must hold [default: full].")] = DiffMode.full,
    fmt: options.ReportFormatOption = None,
    as_json: options.Json = False,
) -> None:
    """Compare two catalogs: every change of every event type, and whom it breaks.

    BACKWARD: consumers on NEW can read the events producers on OLD send (no event valid
    under OLD is rejected by NEW). FORWARD: consumers still on OLD can read what producers on
    NEW send. FULL: both. Exit 1 when a change breaks what --mode asks for, each breaking
    change named (type, JSON path, old -> new, why, an example event's data); 0 otherwise.
    Changes that break nothing are listed too. A change ocelot cannot analyse exactly (a
    changed pattern, anyOf or $ref) counts as breaking and says "cannot prove compatible".

    OLD and NEW: a catalog directory (only the types its files define); an AsyncAPI 2.6/3.x
    document; builtin (ocelot's own catalog); git:REF[:PATH], the same at a commit. A directory
    in which the configured catalog (OCELOT_CATALOG or the profile's, relative to the directory)
    exists is a project root and stands for that catalog. git:REF without PATH reads the
    catalog the other argument stands for, at REF, in that argument's repository (missing at
    REF: every type is new); PATH is relative to the top of the repository.

    \b
    Examples:
      OCELOT_CATALOG=events ocelot catalog diff git:origin/main .
      ocelot catalog diff git:HEAD~1:events events --mode backward
      ocelot catalog diff asyncapi-v1.yaml asyncapi-v2.yaml --format json
      ocelot catalog diff git:origin/main events/ --format github
    """
    from ocelot_cli.commands.options import ReportFormat
    from ocelot_cli.contract.changes import Mode
    from ocelot_cli.contract.diff import diff_catalogs
    from ocelot_cli.contract.sources import read_sides
    from ocelot_cli.render import contract as render
    from ocelot_cli.render.validation import print_report

    state = state_of(ctx)
    report_format = ReportFormat(options.chosen_format(fmt, as_json))
    old_side, new_side = read_sides(old, new, state.settings().catalog_dirs())
    out = state.output
    for side in (old_side, new_side):
        for warning in side.warnings:
            out.warn(warning)
        out.detail(f"{side.spec}: {len(side.types)} types from {side.shown}")
    report = diff_catalogs(old_side.types, new_side.types, mode=Mode(mode.value), old_label=old_side.shown,
                           new_label=new_side.shown, local=(bool(old_side.local), bool(new_side.local)))  # fmt: skip
    print_report(out, report_format.value, report, junit=render.junit_xml, github=render.github_annotations,
                 text=lambda: render.text_lines(report, color=out.color_for(out.stdout)))  # fmt: skip
    render.print_summary(out, report)
    if report.breaking:
        from ocelot_cli.errors import ValidationFailed

        raise ValidationFailed(f"{len(report.breaking)} change(s) break {mode.value} compatibility",
                               status=report.exit_status, reported=True)  # fmt: skip
