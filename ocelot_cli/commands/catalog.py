"""``ocelot catalog``: list, show, export the schema of, and sample event types."""

from __future__ import annotations

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
