"""``ocelot replay``: replay recordings, event files and YAML scenarios with their timing."""

from __future__ import annotations

from typing import Annotated

import typer

from ocelot_cli.commands import options
from ocelot_cli.commands.state import state_of


def replay(
    ctx: typer.Context,
    files: Annotated[
        list[str],
        typer.Argument(
            metavar="FILE...",
            help="Recordings (.jsonl from 'tail --output'), event files, or YAML scenarios; - for stdin.",
        ),
    ],
    speed: Annotated[
        float,
        typer.Option("--speed", min=0.001, metavar="FACTOR", help="Play faster (10 = ten times) or slower (0.5)."),
    ] = 1.0,
    no_delay: Annotated[
        bool, typer.Option("--no-delay", help="Send as fast as confirms allow, ignoring the timing.")
    ] = False,
    rate: Annotated[
        float | None,
        typer.Option("--rate", "-r", min=0.001, metavar="N", help="Send at this many messages per second instead."),
    ] = None,
    loop: Annotated[int, typer.Option("--loop", min=1, metavar="N", help="Play the input this many times.")] = 1,
    fresh_ids: Annotated[
        bool, typer.Option("--fresh-ids", help="New event ids (and message ids) for every message.")
    ] = False,
    now: Annotated[
        bool, typer.Option("--now", help="Move event times to the present, keeping the gaps between them.")
    ] = False,
    org: Annotated[
        str | None, typer.Option("--org", metavar="ID", help="Rewrite organizationId (and tenant_id) to this.")
    ] = None,
    tenant: Annotated[str | None, typer.Option("--tenant", metavar="ID", help="Rewrite tenant_id to this.")] = None,
    assignments: options.Assignments = None,
    resume_from: Annotated[
        int,
        typer.Option(
            "--resume-from", min=0, metavar="N", help="Skip the first N messages (as told by an interrupted replay)."
        ),
    ] = 0,
    exchange: options.Exchange = None,
    routing_key: Annotated[
        str | None, typer.Option("--routing-key", "-k", metavar="KEY", help="Send everything with this routing key.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the schedule (when, where, what); send nothing.")
    ] = False,
    no_validate: Annotated[
        bool, typer.Option("--no-validate", help="Replay events even if they break the catalog.")
    ] = False,
    strict: options.Strict = False,
    window: options.Window = options.DEFAULT_WINDOW,
    declare: options.Declare = False,
    blocked_timeout: options.BlockedTimeout = "30s",
    amqp_url: options.AmqpUrl = None,
    ca_file: options.CaFile = None,
    connect_timeout: options.ConnectTimeout = None,
    shuffle_nodes: options.ShuffleNodes = False,
    reconnect_for: options.ReconnectFor = "60s",
    to: options.To = None,
    channels: options.Channels = None,
    oversize: options.OversizeOption = "pointer",
    fmt: options.Format = None,
    as_json: options.Json = False,
    catalog_dirs: options.CatalogDirs = None,
) -> None:
    """Replay fixture files to the exchange (or OttoAI channels), keeping routing keys, properties and timing.

    The whole input is validated first: any problem is reported (with file:line) and nothing
    is sent. Recordings keep the gaps between receive times; scenarios their step delays.
    Confirms, reconnects and Ctrl-C behave as in 'ocelot publish'; an interrupted replay says
    which --resume-from continues it.

    \b
    Examples:
      ocelot replay fixtures/callback-flow.yaml
      ocelot replay recorded.jsonl --speed 10 --fresh-ids --now
      ocelot replay recorded.jsonl --no-delay --loop 5 --fresh-ids
      ocelot replay fixtures/campaign.yaml --org org-test --set metadata.module=replay
      ocelot replay recorded.jsonl --dry-run
      ocelot replay big.jsonl --no-delay --resume-from 41250
      ocelot replay fixtures/ottoai/sms-thread.yaml --to redis://127.0.0.1:6379 --speed 10
    """
    import sys

    from ocelot_cli.commands.delivery import check_inputs
    from ocelot_cli.config.durations import parse_duration
    from ocelot_cli.envelope.paths import parse_assignment
    from ocelot_cli.envelope.validate import EventValidator
    from ocelot_cli.errors import UsageProblem
    from ocelot_cli.formats.sources import spooled_stdin
    from ocelot_cli.publishing.publish import checked_for_target
    from ocelot_cli.publishing.replay import ReplayOptions, ReplayPlan

    state = state_of(ctx)
    as_json = options.chosen_format(fmt, as_json) == "json"
    out = state.output
    if sum(bool(x) for x in (no_delay, rate, speed != 1.0)) > 1:
        raise UsageProblem("choose one of --speed, --no-delay and --rate")
    from ocelot_cli.commands.delivery import resolve_target

    target = resolve_target(state, to=to, amqp_url=amqp_url, channels=channels, oversize=oversize, ca_file=ca_file,
                            connect_timeout=connect_timeout, exchange=exchange, routing_key=routing_key,
                            window=window, reconnect_for=reconnect_for, declare=declare, shuffle=shuffle_nodes,
                            blocked_timeout=parse_duration(blocked_timeout, option="--blocked-timeout",
                                                           positive=True))  # fmt: skip
    catalog = state.catalog(catalog_dirs)
    if assignments and not no_validate:
        _check_set_paths(catalog, assignments)
    with spooled_stdin(list(files), sys.stdin.buffer) as names:  # read twice: checked, then streamed
        validator = None if no_validate else EventValidator(catalog, strict=strict)
        report = check_inputs(state, names, validator, catalog, nothing="nothing was replayed")
        replay_options = ReplayOptions(
            speed=speed, no_delay=no_delay, rate=rate, loop=loop, fresh_ids=fresh_ids, now=now, org=org,
            tenant=tenant, assignments=[parse_assignment(a) for a in assignments or []], resume_from=resume_from,
            routing_key=routing_key,
        )  # fmt: skip
        plan = ReplayPlan(names, catalog, replay_options, exchange=target.exchange, for_channels=target.channel_mode,
                          validator=validator)  # fmt: skip
        if not target.channel_mode:  # on channels, an event is one message per channel
            options.check_resume_from(resume_from, report.events * loop)
        total = max(report.events * loop - resume_from, 0)
        sent_as_recorded = not replay_options.rewrites and bool(no_delay or rate)  # nothing to fail in the build
        messages = checked_for_target(plan.messages, catalog, target,
                                      proven=sent_as_recorded and report.routed == report.events)  # fmt: skip
        if dry_run:
            _print_schedule(out, messages)
            return
        from ocelot_cli.commands.delivery import run_publisher

        where = "real-time channels" if target.channel_mode else f"exchange {target.exchange!r}"
        out.status(f"replaying {total:,} event(s) to {where}")
        run_publisher(state, target, messages, None if target.channel_mode else total, as_json, resumable=True)


def _print_schedule(out, messages) -> None:  # noqa: ANN001
    from ocelot_cli.render.safe_text import escape_control

    count = 0
    for message in messages:
        count += 1
        if out.stdout_is_tty:
            where = message.channel or message.routing_key
            line = f"+{message.due:9.3f}s  {where}  {message.event_type or '-'}  {message.event_id or '-'}"
            out.data(escape_control(line, one_line=True))
        else:
            out.json({"at": round(message.due, 6), **message.to_dict()}, pretty=False)
    out.status(f"dry run: {count:,} message(s) scheduled; nothing was sent")


def _check_set_paths(catalog, assignments) -> None:  # noqa: ANN001
    """A --set path no event type has is a typo: refused with the nearest field, before reading on."""
    from ocelot_cli.envelope.paths import parse_assignment, path_problem
    from ocelot_cli.errors import UsageProblem

    schemas = [catalog.event_schema(name) for name in catalog.names()]
    for text in assignments:
        problem = path_problem(schemas, parse_assignment(text).path)
        if problem:
            raise UsageProblem(f"--set {text}: no event type has {problem.removeprefix('no ')}",
                               hint="--no-validate adds a field the catalog does not know")  # fmt: skip
