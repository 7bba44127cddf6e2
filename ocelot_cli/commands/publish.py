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
    raw: Annotated[
        bool,
        typer.Option("--raw", help="With --file: send each line as a message body, byte for byte (no catalog, "
                     "no validation); needs --routing-key."),
    ] = False,  # fmt: skip
    whole: Annotated[
        bool, typer.Option("--whole", help="With --raw: the whole file is one message body.")
    ] = False,
    headers: Annotated[
        list[str] | None,
        typer.Option("--header", metavar="NAME=VALUE", help="Add an AMQP header to every message: NAME=text or "
                     "NAME:=JSON (a number, true, a list); repeatable.", show_default=False),
    ] = None,  # fmt: skip
    properties: Annotated[
        list[str] | None,
        typer.Option("--property", metavar="NAME=VALUE", help="Set an AMQP property on every message (content_type, "
                     "correlation_id, reply_to, expiration, priority, message_id, type, timestamp, delivery_mode, "
                     "user_id, app_id...); repeatable.", show_default=False),
    ] = None,  # fmt: skip
    fmt: options.Format = None,
    as_json: options.Json = False,
    catalog_dirs: options.CatalogDirs = None,
) -> None:
    """Publish events to the platform exchange with publisher confirms, or to OttoAI channels.

    Samples of the given types, or the events of files (-f). Every message is persistent,
    carries message_id (the event id), type, timestamp, app_id and an organizationId header,
    and is published mandatory: an unroutable message is a failure, never a silent success.
    Files are validated completely before anything is sent. --raw sends the lines of a file
    as they are (a bug report's exact bytes); --header and --property add to any message.

    \b
    Examples:
      ocelot publish call.ended --org org-1 --set data.outcome=callback_requested
      ocelot publish call.started call.ended --count 100 --rate 20
      ocelot publish -f recorded.jsonl --exchange ocelot.events
      ocelot catalog sample --all | ocelot publish -f - --dry-run
      ocelot publish call.ended --declare      # create the exchange first
      ocelot publish --to redis://127.0.0.1:6379 telephony.call.received --tenant t1 --lead l1
      ocelot publish --raw -f bodies.txt -k comms.call.ended --property content_type=text/plain
      ocelot publish --raw --whole -f report.bin -k files.in --header x-source=support
      ocelot publish call.ended --header x-trace=abc --property correlation_id=req-7 --property expiration=60000
    """
    from ocelot_cli.commands.delivery import resolve_target
    from ocelot_cli.config.durations import parse_duration
    from ocelot_cli.envelope.validate import EventValidator
    from ocelot_cli.errors import UsageProblem
    from ocelot_cli.publishing.raw import parse_extras

    state = state_of(ctx)
    as_json = options.chosen_format(fmt, as_json) == "json"
    blocked_timeout = parse_duration(blocked_timeout, option="--blocked-timeout", positive=True)
    target = resolve_target(state, to=to, amqp_url=amqp_url, channels=channels, oversize=oversize, ca_file=ca_file,
                            connect_timeout=connect_timeout, blocked_timeout=blocked_timeout, exchange=exchange,
                            routing_key=routing_key, declare=declare, window=window, rate=rate,
                            reconnect_for=reconnect_for, shuffle=shuffle_nodes)  # fmt: skip
    extras = parse_extras(headers, properties, url=target.endpoint.url)
    if extras and target.channel_mode:
        raise UsageProblem(f"{extras.flags()}: AMQP message headers and properties; Redis channels carry only the "
                           "event", hint="publish to an exchange (--amqp-url), or leave them out")  # fmt: skip
    names = list(event_types or [])
    if raw or whole:
        _check_raw_flags(names, files, raw, whole, target, no_validate=no_validate, strict=strict, count=count,
                         samples=[org, user, tenant, lead, seed, assignments])  # fmt: skip
        _publish_raw(state, target, list(files or []), whole, extras, resume_from, dry_run, as_json)
        return
    _check_event_flags(names, files, count, resume_from,
                       {"--set": assignments, "--org": org, "--user": user, "--tenant": tenant, "--lead": lead,
                        "--seed": seed})  # fmt: skip
    catalog = state.catalog(catalog_dirs)
    validator = None if no_validate else EventValidator(catalog, strict=strict)
    if names:
        from ocelot_cli.envelope.samples import SampleFactory
        from ocelot_cli.publishing.publish import messages_from_samples

        factory = SampleFactory(catalog, options.sample_options(org, user, tenant, lead, seed, assignments))
        messages, total = messages_from_samples(target, catalog, factory, names, count, validator)
        _send(state, target, _with(extras, messages), total, dry_run, as_json, resumable=False)
        return
    import sys

    from ocelot_cli.commands.delivery import check_inputs
    from ocelot_cli.formats.sources import spooled_stdin
    from ocelot_cli.publishing.publish import checked_for_target, file_messages

    with spooled_stdin(list(files or []), sys.stdin.buffer) as inputs:  # read twice: checked, then streamed
        report = check_inputs(state, inputs, validator, catalog, nothing="nothing was published")
        messages = checked_for_target(lambda: file_messages(inputs, catalog, target, resume_from), catalog, target,
                                      proven=report.routed == report.events)  # fmt: skip
        if not target.channel_mode:  # on channels, an event is one message per channel
            options.check_resume_from(resume_from, report.events)
        total = None if target.channel_mode else max(0, report.events - resume_from)
        _send(state, target, _with(extras, messages), total, dry_run, as_json, resumable=True)


def _check_event_flags(names, files, count, resume_from, sample_flags) -> None:  # noqa: ANN001
    from ocelot_cli.errors import UsageProblem

    if names and files:
        raise UsageProblem("give event types or --file, not both")
    if files and count != 1:
        raise UsageProblem("--count applies to samples of event types, not to --file")
    if files and any(value not in (None, []) for value in sample_flags.values()):
        given = ", ".join(flag for flag, value in sample_flags.items() if value not in (None, []))
        raise UsageProblem(f"{given} shape samples of event types; events of --file are sent as they are",
                           hint="to change the events of a file: ocelot replay FILE --set ... --org ...")  # fmt: skip
    if names and resume_from:
        raise UsageProblem("--resume-from applies to --file, not to samples of event types")
    if not names and not files:
        raise UsageProblem("name an event type to publish samples of, or give --file", hint="see 'ocelot catalog list'")


def _with(extras, messages):  # noqa: ANN001, ANN202
    from ocelot_cli.publishing.raw import with_extras

    return with_extras(messages, extras) if extras else messages


def _check_raw_flags(names, files, raw, whole, target, *, no_validate, strict, count, samples) -> None:  # noqa: ANN001
    from ocelot_cli.errors import UsageProblem

    if whole and not raw:
        raise UsageProblem("--whole goes with --raw: the whole file as one message body")
    if names or not files:
        raise UsageProblem("--raw sends the bodies of files: give --file FILE (or -f - for stdin), no event types")
    if target.channel_mode:
        raise UsageProblem("--raw sends to an exchange; Redis channels carry catalog events",
                           hint="publish raw bodies with --amqp-url, or events without --raw")  # fmt: skip
    if not target.routing_key:
        raise UsageProblem("--raw needs --routing-key: without the catalog, nothing else says where a body goes",
                           hint="for example --raw -f bodies.txt --routing-key comms.call.ended")  # fmt: skip
    given = [flag for flag, value in (("--no-validate", no_validate), ("--strict", strict)) if value]
    if count != 1:
        given.append("--count")
    if any(value not in (None, []) for value in samples):
        given.append("sample options (--set, --org, --user, --tenant, --lead, --seed)")
    if given:
        raise UsageProblem(f"{', '.join(given)}: not with --raw, which sends bodies as they are, unchecked")


def _publish_raw(state, target, files, whole, extras, resume_from, dry_run, as_json) -> None:  # noqa: ANN001
    import sys

    from ocelot_cli.formats.sources import spooled_stdin
    from ocelot_cli.publishing.raw import count_raw, raw_messages

    target.any_exchange = True  # with its own routing key, a raw body may go to any exchange, the default one too
    with spooled_stdin(files, sys.stdin.buffer) as inputs:  # read twice: counted and checked, then streamed
        total = count_raw(inputs, whole)
        if not total:
            from ocelot_cli.errors import InputError

            raise InputError(f"{', '.join(files)}: no line to send (empty lines are skipped)",
                             hint="--whole sends a file as one body, even an empty one")  # fmt: skip
        options.check_resume_from(resume_from, total)
        messages = raw_messages(inputs, exchange=target.exchange, routing_key=target.routing_key, extras=extras,
                                whole=whole, resume_from=resume_from)  # fmt: skip
        _send(state, target, messages, total - resume_from, dry_run, as_json, resumable=True)


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
