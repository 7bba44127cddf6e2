"""``ocelot publish``: publish valid samples or given events, with publisher confirms."""

from __future__ import annotations

from typing import Annotated

import typer

from ocelot_cli.commands import options
from ocelot_cli.commands.state import state_of


def publish(
    ctx: typer.Context,
    event_types: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="TYPE...", help="Event types to publish samples of.", autocompletion=options.complete_event_type
        ),
    ] = None,
    files: Annotated[
        list[str] | None,
        typer.Option(
            "--file",
            "-f",
            metavar="FILE",
            help="Publish the events of a JSON, JSON lines or YAML file; - for stdin; repeatable.",
        ),
    ] = None,
    count: Annotated[int, typer.Option("--count", "-n", min=1, metavar="N", help="Samples per type.")] = 1,
    rate: Annotated[
        float | None,
        typer.Option(
            "--rate", "-r", min=0.001, metavar="N", help="Messages per second (default: as fast as confirms allow)."
        ),
    ] = None,
    exchange: options.Exchange = None,
    routing_key: Annotated[
        str | None,
        typer.Option("--routing-key", "-k", metavar="KEY", help="Use this routing key instead of the catalog's."),
    ] = None,
    declare: options.Declare = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print exactly what would be sent (JSON lines); connect to nothing.")
    ] = False,
    no_validate: Annotated[
        bool, typer.Option("--no-validate", help="Send events even if they break the catalog.")
    ] = False,
    strict: options.Strict = False,
    assignments: options.Assignments = None,
    org: options.Org = None,
    user: options.User = None,
    tenant: options.Tenant = None,
    lead: options.Lead = None,
    seed: options.Seed = None,
    window: options.Window = options.DEFAULT_WINDOW,
    blocked_timeout: options.BlockedTimeout = "30s",
    amqp_url: options.AmqpUrl = None,
    ca_file: options.CaFile = None,
    connect_timeout: options.ConnectTimeout = None,
    shuffle_nodes: options.ShuffleNodes = False,
    reconnect_for: options.ReconnectFor = "60s",
    to: options.To = None,
    channels: options.Channels = None,
    oversize: options.OversizeOption = "pointer",
    resume_from: Annotated[
        int,
        typer.Option(
            "--resume-from",
            min=0,
            metavar="N",
            help="With --file: skip the first N messages (as told by an unfinished publish).",
        ),
    ] = 0,  # fmt: skip
    fmt: options.Format = None,
    as_json: options.Json = False,
    catalog_dirs: options.CatalogDirs = None,
) -> None:
    """Publish events to the platform exchange with publisher confirms, or to OttoAI channels.

    Samples of the given types, or the events of files (-f). Every message is persistent,
    carries message_id (the event id), type, timestamp, app_id and an organizationId header,
    and is published mandatory: an unroutable message is a failure, never a silent success.
    Files are validated completely before anything is sent.

    \b
    Examples:
      ocelot publish call.ended --org org-1 --set data.outcome=callback_requested
      ocelot publish call.started call.ended --count 100 --rate 20
      ocelot publish -f recorded.jsonl --exchange ocelot.events
      ocelot catalog sample --all | ocelot publish -f - --dry-run
      ocelot publish call.ended --declare      # create the exchange first
      ocelot publish --to redis://127.0.0.1:6379 telephony.call.received --tenant t1 --lead l1
    """
    from ocelot_cli.commands.delivery import resolve_target
    from ocelot_cli.config.durations import parse_duration
    from ocelot_cli.envelope.validate import EventValidator
    from ocelot_cli.errors import UsageProblem

    state = state_of(ctx)
    as_json = options.chosen_format(fmt, as_json) == "json"
    blocked_timeout = parse_duration(blocked_timeout, option="--blocked-timeout", positive=True)
    target = resolve_target(state, to=to, amqp_url=amqp_url, channels=channels, oversize=oversize, ca_file=ca_file,
                            connect_timeout=connect_timeout, blocked_timeout=blocked_timeout, exchange=exchange,
                            routing_key=routing_key, declare=declare, window=window, rate=rate,
                            reconnect_for=reconnect_for, shuffle=shuffle_nodes)  # fmt: skip
    catalog = state.catalog(catalog_dirs)
    validator = None if no_validate else EventValidator(catalog, strict=strict)
    names = list(event_types or [])
    if names and files:
        raise UsageProblem("give event types or --file, not both")
    if files and count != 1:
        raise UsageProblem("--count applies to samples of event types, not to --file")
    sample_flags = {"--set": assignments, "--org": org, "--user": user, "--tenant": tenant, "--lead": lead,
                    "--seed": seed}  # fmt: skip
    if files and any(value not in (None, []) for value in sample_flags.values()):
        given = ", ".join(flag for flag, value in sample_flags.items() if value not in (None, []))
        raise UsageProblem(f"{given} shape samples of event types; events of --file are sent as they are",
                           hint="to change the events of a file: ocelot replay FILE --set ... --org ...")  # fmt: skip
    if names and resume_from:
        raise UsageProblem("--resume-from applies to --file, not to samples of event types")
    if not names and not files:
        raise UsageProblem("name an event type to publish samples of, or give --file", hint="see 'ocelot catalog list'")
    if names:
        from ocelot_cli.envelope.samples import SampleFactory
        from ocelot_cli.publishing.publish import messages_from_samples

        factory = SampleFactory(catalog, options.sample_options(org, user, tenant, lead, seed, assignments))
        messages, total = messages_from_samples(target, catalog, factory, names, count, validator)
        _send(state, target, messages, total, dry_run, as_json, resumable=False)
        return
    import sys

    from ocelot_cli.commands.delivery import check_inputs
    from ocelot_cli.formats.sources import spooled_stdin
    from ocelot_cli.publishing.publish import checked_for_target, file_messages

    with spooled_stdin(list(files or []), sys.stdin.buffer) as inputs:  # read twice: checked, then streamed
        report = check_inputs(state, inputs, validator, catalog, nothing="nothing was published")
        messages = checked_for_target(lambda: file_messages(inputs, catalog, target, resume_from), catalog, target)
        if not target.channel_mode:  # on channels, an event is one message per channel
            options.check_resume_from(resume_from, report.events)
        total = None if target.channel_mode else max(0, report.events - resume_from)
        _send(state, target, messages, total, dry_run, as_json, resumable=True)


def _send(state, target, messages, total, dry_run, as_json, *, resumable: bool) -> None:  # noqa: ANN001
    from ocelot_cli.commands.delivery import run_publisher

    if dry_run:
        _print_dry_run(state.output, messages, target)
    else:
        run_publisher(state, target, messages, total, as_json, resumable=resumable)


def _print_dry_run(out, messages, target) -> None:  # noqa: ANN001
    sent = 0
    for message in messages:
        out.json(message.to_dict(), pretty=False)
        sent += 1
    where = "real-time channels" if target.channel_mode else f"exchange {target.exchange!r}"
    out.status(f"dry run: {sent} message(s) for {where}; nothing was sent")
